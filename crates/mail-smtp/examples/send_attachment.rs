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
//! Connection flags and their environment variables: see `common/mod.rs`;
//! the arguments, message and report are shared in `attachment/mod.rs`.

mod attachment;
mod common;

use std::process::ExitCode;

use attachment::{exit_code, report, Request};
use mail_smtp::{Client, Options};

const USAGE: &str =
    "usage: send_attachment [--host H --port P --user U ...] FROM TO FILE [SUBJECT]";

fn main() -> ExitCode {
    match Request::from_args(USAGE) {
        Ok(request) => exit_code(send(&request)),
        Err(code) => code,
    }
}

fn send(request: &Request) -> Result<(), Box<dyn std::error::Error>> {
    let message = request.message()?;
    let account = &request.account;
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
    report(&delivery, &message);
    client.quit()?;
    Ok(())
}
