//! The async twin of `download.rs` (feature `tokio`): downloads every
//! message of a POP3 mailbox into a directory, one `<UIDL>.eml` file per
//! message, byte for byte as the server sends it (dot-unstuffed). Each
//! message is read through the session as an `AsyncRead` and copied into
//! the file, so no message is ever whole in memory. Messages already there
//! are skipped, nothing is deleted on the server, and a file appears only
//! once it is complete.
//!
//! ```text
//! MAIL_PASSWORD=app-password cargo run -p mail-pop3 --features tokio \
//!     --example download_async -- --host pop.example.com --port 995 --user alice@example.com mail/
//! ```
//!
//! Connection flags and their environment variables: see `common/mod.rs`.

mod common;

use std::path::Path;
use std::process::ExitCode;

use common::{print_error, Account};
use mail_pop3::tokio::Client;
use mail_pop3::Options;
use tokio::fs::{self, File};
use tokio::io::{AsyncWriteExt, BufWriter};

const USAGE: &str = "usage: download_async [--host H --port P --user U ...] DIR";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
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
    match download(&account, Path::new(dir)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}

async fn download(account: &Account, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    fs::create_dir_all(dir).await?;
    let client = Client::connect(
        &account.server,
        account.security,
        &account.tls,
        Options::default(),
    )
    .await?;
    // `login_auto` picks USER/PASS or AUTH from what the server offers;
    // on failure the client comes back too (to try another way), unused here.
    let mut session = client
        .login_auto(&account.user, &account.password)
        .await
        .map_err(|(err, _client)| err)?;
    let (mut fetched, mut skipped) = (0, 0);
    for entry in session.uidl().await? {
        let path = dir.join(file_name(&entry.uid));
        if fs::try_exists(&path).await? {
            skipped += 1;
            continue;
        }
        // Written under a temporary name, renamed when complete.
        let partial = path.with_extension("part");
        let mut file = BufWriter::new(File::create(&partial).await?);
        // The message as an AsyncRead, unstuffed as it is read. Read to its
        // end, it leaves the session ready for the next command.
        let mut message = session.retr_reader(entry.msg).await?;
        let size = tokio::io::copy(&mut message, &mut file).await?;
        file.flush().await?;
        file.into_inner().sync_all().await?;
        fs::rename(&partial, &path).await?;
        println!("{} ({size} bytes)", path.display());
        fetched += 1;
    }
    session.quit().await?;
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
