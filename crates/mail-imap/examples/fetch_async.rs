//! The async twin of `fetch` (feature `tokio`): saves every message of a
//! mailbox into a directory as `<UID>.eml`, byte for byte, streaming each
//! body from the socket to its file (one `UID FETCH` for the whole
//! mailbox; nothing is marked \Seen).
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-imap --features tokio --example fetch_async -- \
//!     --host imap.example.com --port 993 --user alice@example.com INBOX mail/
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::path::Path;
use std::process::ExitCode;

use common::{print_error, Account};
use mail_imap::tokio::{Client, FetchEvent};
use mail_imap::{escape_for_display, Options, SequenceSet};
use tokio::io::{AsyncWriteExt, BufWriter};

const USAGE: &str = "usage: fetch_async [--host H --port P --user U ...] MAILBOX DIR";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let account = match Account::from_args() {
        Ok(account) => account,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let [mailbox, dir] = account.args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match fetch(&account, mailbox, Path::new(dir)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

async fn fetch(
    account: &Account,
    mailbox: &str,
    dir: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    tokio::fs::create_dir_all(dir).await?;
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
    let mut selected = session.examine(mailbox).await.map_err(|(err, _)| err)?;
    println!(
        "{}: {} messages",
        escape_for_display(mailbox.as_bytes()),
        selected.mailbox().exists
    );
    let mut saved = 0;
    if selected.mailbox().exists > 0 {
        let mut stream = selected
            .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
            .await?;
        while let Some(event) = stream.next().await? {
            // Other events (flags, the end of each FETCH) need nothing here.
            let FetchEvent::Body(body) = event else {
                continue;
            };
            let name = match body.context.uid {
                Some(uid) => format!("{}.eml", uid.0),
                None => format!("seq-{}.eml", body.context.seq.0),
            };
            let path = dir.join(name);
            let mut file = BufWriter::new(tokio::fs::File::create(&path).await?);
            let size = body.copy_to(&mut file).await?;
            file.flush().await?;
            file.into_inner().sync_all().await?;
            println!("{} ({size} bytes)", path.display());
            saved += 1;
        }
    }
    println!("{saved} saved");
    selected.logout().await?;
    Ok(())
}
