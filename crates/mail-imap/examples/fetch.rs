//! Saves every message of a mailbox into a directory as `<UID>.eml`, byte
//! for byte, streaming each body from the socket to its file (one
//! `UID FETCH` for the whole mailbox; nothing is marked \Seen).
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-imap --example fetch -- \
//!     --host imap.example.com --port 993 --user alice@example.com INBOX mail/
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

use common::{print_error, Account};
use mail_imap::{escape_for_display, Client, FetchEvent, Options, SequenceSet};

const USAGE: &str = "usage: fetch [--host H --port P --user U ...] MAILBOX DIR";

fn main() -> ExitCode {
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
    match fetch(&account, mailbox, Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

fn fetch(account: &Account, mailbox: &str, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    let client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )?;
    // On failure `login_auto` and `examine` hand the session back too (to
    // try something else); here the error is enough.
    let session = client
        .login_auto(&account.user, &account.password)
        .map_err(|(err, _)| err)?;
    let mut selected = session.examine(mailbox).map_err(|(err, _)| err)?;
    println!(
        "{}: {} messages",
        escape_for_display(mailbox.as_bytes()),
        selected.mailbox().exists
    );
    let mut saved = 0;
    if selected.mailbox().exists > 0 {
        let mut stream = selected.uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")?;
        while let Some(event) = stream.next()? {
            // Other events (flags, the end of each FETCH) need nothing here.
            let FetchEvent::Body(body) = event else {
                continue;
            };
            let name = match body.context.uid {
                Some(uid) => format!("{}.eml", uid.0),
                None => format!("seq-{}.eml", body.context.seq.0),
            };
            let path = dir.join(name);
            let mut file = BufWriter::new(File::create(&path)?);
            let size = body.copy_to(&mut file)?;
            file.into_inner()?.sync_all()?;
            println!("{} ({size} bytes)", path.display());
            saved += 1;
        }
    }
    println!("{saved} saved");
    selected.logout()?;
    Ok(())
}
