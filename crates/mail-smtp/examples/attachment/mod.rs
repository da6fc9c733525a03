//! What `send_attachment` and `send_async` share: their arguments, the
//! message they build, and how they report the outcome. Only the client
//! (blocking or async) differs between the two.
#![allow(dead_code)]

use std::error::Error;
use std::process::ExitCode;

use mail_mime::{Mailbox, MessageBuilder, OutgoingMessage};
use mail_smtp::Delivery;

use crate::common::{print_error, Account};

/// The connection and what to send.
pub struct Request {
    pub account: Account,
    pub from: String,
    pub to: String,
    pub file: String,
    pub subject: String,
}

impl Request {
    /// Reads `[connection flags] FROM TO FILE [SUBJECT]`; on a problem
    /// prints it with `usage` and gives the exit code for bad usage.
    pub fn from_args(usage: &str) -> Result<Request, ExitCode> {
        let account = Account::from_args().map_err(|problem| {
            eprintln!("{problem}\n{usage}");
            ExitCode::from(2)
        })?;
        let [from, to, file, rest @ ..] = account.args.as_slice() else {
            eprintln!("{usage}");
            return Err(ExitCode::from(2));
        };
        let (from, to, file) = (from.clone(), to.clone(), file.clone());
        let subject = rest
            .first()
            .map_or("A file for you", String::as_str)
            .to_owned();
        Ok(Request {
            account,
            from,
            to,
            file,
            subject,
        })
    }

    /// The message: a short text and the file attached. The builder
    /// streams the file when the message is written, never holding it.
    pub fn message(&self) -> Result<OutgoingMessage, Box<dyn Error>> {
        Ok(MessageBuilder::new()
            .from(Mailbox::parse(&self.from)?)
            .to(Mailbox::parse(&self.to)?)
            .subject(self.subject.as_str())
            .text(format!("Hello,\n\nattached: {}.\n", self.file))
            .attach_path(&self.file)?
            .build()?)
    }
}

/// Prints the refused recipients and what was sent.
pub fn report(delivery: &Delivery, message: &OutgoingMessage) {
    for recipient in delivery.rejected() {
        // A reply prints with control characters escaped.
        println!("refused: {}", recipient.reply);
    }
    println!(
        "sent {} bytes to {} recipient(s): {}",
        message.size(),
        delivery.accepted().count(),
        delivery.reply
    );
}

/// The exit code of a finished run, printing its error if any.
pub fn exit_code(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}
