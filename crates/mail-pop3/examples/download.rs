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
//! Connection flags and their environment variables: see `common/mod.rs`;
//! the arguments and file names are shared in `download_dir/mod.rs`.

mod common;
mod download_dir;

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::Path;
use std::process::ExitCode;

use common::Account;
use download_dir::{exit_code, from_args, paths};
use mail_pop3::{Client, Options};

const USAGE: &str = "usage: download [--host H --port P --user U ...] DIR";

fn main() -> ExitCode {
    match from_args(USAGE) {
        Ok((account, dir)) => exit_code(download(&account, &dir)),
        Err(code) => code,
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
        // Written under a temporary name, renamed when complete.
        let (path, partial) = paths(dir, &entry.uid);
        if path.exists() {
            skipped += 1;
            continue;
        }
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
