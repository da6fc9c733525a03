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
//! Connection flags and their environment variables: see `common/mod.rs`;
//! the arguments and file names are shared in `download_dir/mod.rs`.

mod common;
mod download_dir;

use std::path::Path;
use std::process::ExitCode;

use common::Account;
use download_dir::{exit_code, from_args, paths};
use mail_pop3::tokio::Client;
use mail_pop3::Options;
use tokio::fs::{self, File};
use tokio::io::{AsyncWriteExt, BufWriter};

const USAGE: &str = "usage: download_async [--host H --port P --user U ...] DIR";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match from_args(USAGE) {
        Ok((account, dir)) => exit_code(download(&account, &dir).await),
        Err(code) => code,
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
        // Written under a temporary name, renamed when complete.
        let (path, partial) = paths(dir, &entry.uid);
        if fs::try_exists(&path).await? {
            skipped += 1;
            continue;
        }
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
