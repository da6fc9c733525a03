//! IMAP fetch of every message of a mailbox to files, with mail-imap: the
//! same task as `peer_imap_fetch.rs` (see `bench/peers/README.md`).
//!
//! usage: ours_imap MAILBOX DIR   (server from MAIL_* variables; IMAPS)

use std::env::var;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use mail_imap::{Client, FetchEvent, SequenceSet};
use mail_wire::{Secret, Security, Server, TlsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mailbox, dir] = args.as_slice() else {
        return Err("usage: ours_imap MAILBOX DIR".into());
    };
    let mut server = Server::new(var("MAIL_HOST")?, var("MAIL_PORT")?.parse()?);
    server.tls_name = var("MAIL_TLS_NAME").ok();
    let mut tls = TlsConfig::new();
    tls.add_ca_file(var("MAIL_CA_FILE")?.as_ref())?;
    let client = Client::connect(
        &server,
        Security::Implicit,
        &tls,
        mail_imap::Options::default(),
    )?;
    let password = Secret::new(var("MAIL_PASSWORD")?);
    let session = client
        .login_auto(&var("MAIL_USER")?, &password)
        .map_err(|(err, _)| err)?;
    let mut selected = session.examine(mailbox).map_err(|(err, _)| err)?;
    if selected.mailbox().exists > 0 {
        let mut stream = selected.uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")?;
        while let Some(event) = stream.next()? {
            let FetchEvent::Body(body) = event else {
                continue;
            };
            let uid = body.context.uid.ok_or("FETCH without UID")?.0;
            let mut file = BufWriter::new(File::create(Path::new(dir).join(format!("{uid}.eml")))?);
            let size = body.copy_to(&mut file)?;
            println!("{uid} ({size} bytes)");
        }
    }
    selected.logout()?;
    Ok(())
}
