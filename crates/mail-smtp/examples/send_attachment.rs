//! Sends one message with a file attached: the message is built with
//! `mail-mime` and sent in one call (`Client::send_message`, feature `mime`,
//! on by default): the envelope comes from its address fields, and the body
//! is streamed from the builder (the attachment is never held in memory).
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-smtp --example send_attachment -- \
//!     --host smtp.example.com --port 587 --user alice@example.com \
//!     alice@example.com bob@example.org report.pdf "Monthly report"
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::process::ExitCode;

use common::{print_error, Account};
use mail_mime::{Mailbox, MessageBuilder};
use mail_smtp::{Client, Options};

const USAGE: &str =
    "usage: send_attachment [--host H --port P --user U ...] FROM TO FILE [SUBJECT]";

fn main() -> ExitCode {
    let account = match Account::from_args() {
        Ok(account) => account,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let [from, to, file, rest @ ..] = account.args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let subject = rest.first().map_or("A file for you", String::as_str);
    match send(&account, from, to, file, subject) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

fn send(
    account: &Account,
    from: &str,
    to: &str,
    file: &str,
    subject: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let message = MessageBuilder::new()
        .from(Mailbox::parse(from)?)
        .to(Mailbox::parse(to)?)
        .subject(subject)
        .text(format!("Hello,\n\nattached: {file}.\n"))
        .attach_path(file)?
        .build()?;

    let mut client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )?;
    client.auth(&account.user, &account.password, None)?;
    // MAIL FROM from Sender/From, RCPT TO for every To, Cc and Bcc address
    // (Bcc is never in the header the builder writes), SIZE exact.
    let delivery = client.send_message(&message)?;
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
    client.quit()?;
    Ok(())
}
