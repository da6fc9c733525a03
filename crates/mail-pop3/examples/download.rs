//! Downloads every message of a POP3 mailbox into a directory, one
//! `<UIDL>.eml` file per message, byte for byte as the server sends it
//! (dot-unstuffed). Messages already there are skipped, nothing is
//! deleted on the server, and a file appears only once it is complete.
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-pop3 --example download -- \
//!     --host pop.example.com --port 995 --user alice@example.com mail/
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

use common::{print_error, Account};
use mail_pop3::{Client, Options};

const USAGE: &str = "usage: download [--host H --port P --user U ...] DIR";

fn main() -> ExitCode {
    let account = match Account::from_args() {
        Ok(account) => account,
        Err(problem) => {
            eprintln!("{problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let [dir] = account.args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match download(&account, Path::new(dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

fn download(account: &Account, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir)?;
    let client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )?;
    // `login_auto` picks USER/PASS or AUTH from what the server offers;
    // on failure the client comes back too (to try another way), unused here.
    let mut session = client
        .login_auto(&account.user, &account.password)
        .map_err(|(err, _client)| err)?;
    let (mut fetched, mut skipped) = (0, 0);
    for entry in session.uidl()? {
        let path = dir.join(file_name(&entry.uid));
        if path.exists() {
            skipped += 1;
            continue;
        }
        // Written under a temporary name, renamed when complete.
        let partial = path.with_extension("part");
        let mut file = BufWriter::new(File::create(&partial)?);
        let size = session.retr(entry.msg, &mut file)?;
        file.into_inner()?.sync_all()?;
        fs::rename(&partial, &path)?;
        println!("{} ({size} bytes)", path.display());
        fetched += 1;
    }
    session.quit()?;
    println!("{fetched} downloaded, {skipped} already there");
    Ok(())
}

/// A file name from a UIDL (printable ASCII, but `/` and `.` may occur):
/// letters, digits, `-` and `_` kept, anything else as `%XX`.
fn file_name(uid: &str) -> String {
    let mut name = String::new();
    for byte in uid.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name + ".eml"
}
