//! Sends one message with a file attached from async code: the same
//! message as `send_attachment`, sent with `mail_smtp::tokio::Client`
//! (features `tokio` and `mime`). The attachment is streamed, never held in
//! memory.
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-smtp --features tokio --example send_async -- \
//!     --host smtp.example.com --port 587 --user alice@example.com \
//!     alice@example.com bob@example.org report.pdf "Monthly report"
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::process::ExitCode;

use common::{print_error, Account};
use mail_mime::{Mailbox, MessageBuilder};
use mail_smtp::tokio::Client;
use mail_smtp::Options;

const USAGE: &str = "usage: send_async [--host H --port P --user U ...] FROM TO FILE [SUBJECT]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
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
    match send(&account, from, to, file, subject).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

async fn send(
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
    )
    .await?;
    client.auth(&account.user, &account.password, None).await?;
    let delivery = client.send_message(&message).await?;
    for recipient in delivery.rejected() {
        println!("refused: {}", recipient.reply);
    }
    println!(
        "sent {} bytes to {} recipient(s): {}",
        message.size(),
        delivery.accepted().count(),
        delivery.reply
    );
    client.quit().await?;
    Ok(())
}
