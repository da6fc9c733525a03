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
//! Connection flags and their environment variables: see `common/mod.rs`;
//! the arguments, message and report are shared in `attachment/mod.rs`.

mod attachment;
mod common;

use std::process::ExitCode;

use attachment::{exit_code, report, Request};
use mail_smtp::tokio::Client;
use mail_smtp::Options;

const USAGE: &str = "usage: send_async [--host H --port P --user U ...] FROM TO FILE [SUBJECT]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Request::from_args(USAGE) {
        Ok(request) => exit_code(send(&request).await),
        Err(code) => code,
    }
}

async fn send(request: &Request) -> Result<(), Box<dyn std::error::Error>> {
    let message = request.message()?;
    let account = &request.account;
    let mut client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )
    .await?;
    client.auth(&account.user, &account.password, None).await?;
    let delivery = client.send_message(&message).await?;
    report(&delivery, &message);
    client.quit().await?;
    Ok(())
}
