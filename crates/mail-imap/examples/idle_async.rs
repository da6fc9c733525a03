//! The async twin of `idle` (feature `tokio`): waits with IDLE until new
//! mail arrives in a mailbox, then prints the subject of each new message.
//! Exits after the first arrival, or after SECONDS (default 300) without
//! one: the updates and a timer race in `tokio::select!`, which
//! `Idle::next` allows (it is cancel-safe).
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-imap --features tokio --example idle_async -- \
//!     --host imap.example.com --port 993 --user alice@example.com INBOX 600
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::process::ExitCode;
use std::time::Duration;

use common::{print_error, Account};
use mail_imap::tokio::Client;
use mail_imap::{escape_for_display, Options, SequenceSet, Untagged};
use mail_mime::ParsedMessage;

const USAGE: &str = "usage: idle_async [--host H --port P --user U ...] MAILBOX [SECONDS]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let account = match Account::from_args() {
        Ok(account) => account,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (mailbox, seconds) = match account.args.as_slice() {
        [mailbox] => (mailbox, 300),
        [mailbox, seconds] => match seconds.parse() {
            Ok(seconds) => (mailbox, seconds),
            Err(_) => {
                eprintln!("{seconds:?} is not a number of seconds\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match idle(&account, mailbox, Duration::from_secs(seconds)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

async fn idle(
    account: &Account,
    mailbox: &str,
    limit: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )
    .await?;
    let session = client
        .login_auto(&account.user, &account.password)
        .await
        .map_err(|(err, _)| err)?;
    let selected = session.examine(mailbox).await.map_err(|(err, _)| err)?;
    let before = selected.mailbox().exists;
    println!(
        "waiting for new mail in {} ({before} messages)",
        escape_for_display(mailbox.as_bytes())
    );
    // IDLE ends at the first `* n EXISTS` that adds messages, or at the limit.
    // (RFC 2177 asks clients to restart IDLE at least every 29 minutes.)
    let mut idle = selected.idle().await.map_err(|(err, _)| err)?;
    let timer = tokio::time::sleep(limit);
    tokio::pin!(timer);
    loop {
        tokio::select! {
            update = idle.next() => {
                if matches!(update?, Untagged::Exists(n) if n > before) {
                    break;
                }
            }
            () = &mut timer => break,
        }
    }
    let mut selected = idle.done().await?;
    let now = selected.mailbox().exists;
    if now <= before {
        println!("no new mail within {} s", limit.as_secs());
    } else {
        println!("{} new message(s)", now - before);
        let new = SequenceSet::range(before + 1, now);
        for fetch in selected
            .fetch(&new, "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
            .await?
        {
            let header = fetch
                .body()
                .and_then(|data| data.bytes())
                .unwrap_or_default();
            // mail-mime decodes RFC 2047 words; the text is escaped before printing.
            let subject = ParsedMessage::parse(header).subject().unwrap_or_default();
            println!("  Subject: {}", escape_for_display(subject.as_bytes()));
        }
    }
    selected.logout().await?;
    Ok(())
}
