//! Stores a message file in a mailbox with APPEND, flagged \Seen, and
//! prints the UID the server gave it (when it supports UIDPLUS).
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-imap --example append -- \
//!     --host imap.example.com --port 993 --user alice@example.com Archive message.eml
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::process::ExitCode;

use common::{print_error, Account};
use mail_imap::{escape_for_display, Client, Options};

const USAGE: &str = "usage: append [--host H --port P --user U ...] MAILBOX FILE";

fn main() -> ExitCode {
    let account = match Account::from_args() {
        Ok(account) => account,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let [mailbox, file] = account.args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match append(&account, mailbox, file) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

fn append(account: &Account, mailbox: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let message = std::fs::read(file).map_err(|err| format!("{file}: {err}"))?;
    let size = message.len();
    let client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )?;
    let mut session = client
        .login_auto(&account.user, &account.password)
        .map_err(|(err, _)| err)?;
    // The message goes as a literal; the mailbox name is encoded as the
    // server expects (modified UTF-7, or UTF-8 once enabled).
    let appended = session.append(mailbox, &["\\Seen"], message)?;
    let mailbox = escape_for_display(mailbox.as_bytes());
    match appended {
        Some((validity, uids)) => {
            let uids = escape_for_display(uids.to_string().as_bytes());
            println!("appended {size} bytes to {mailbox}: UIDVALIDITY {validity}, UID {uids}");
        }
        None => println!("appended {size} bytes to {mailbox}"),
    }
    session.logout()?;
    Ok(())
}
