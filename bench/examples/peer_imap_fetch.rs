//! IMAP fetch of every message of a mailbox to files, with the `imap`
//! crate (rust-imap 2.4, native-tls), written after its documentation: the
//! same task as `ours_imap.rs` (see `bench/peers/README.md`).
//!
//! usage: peer_imap_fetch MAILBOX DIR   (server from MAIL_* variables; IMAPS)

use std::env::var;
use std::path::Path;

use native_tls::{Certificate, TlsConnector};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mailbox, dir] = args.as_slice() else {
        return Err("usage: peer_imap_fetch MAILBOX DIR".into());
    };
    let ca = Certificate::from_pem(&std::fs::read(var("MAIL_CA_FILE")?)?)?;
    let tls = TlsConnector::builder().add_root_certificate(ca).build()?;
    let host = var("MAIL_HOST")?;
    let tls_name = var("MAIL_TLS_NAME").unwrap_or_else(|_| host.clone());
    let port: u16 = var("MAIL_PORT")?.parse()?;
    let client = imap::connect((host.as_str(), port), tls_name, &tls)?;
    let mut session = client
        .login(var("MAIL_USER")?, var("MAIL_PASSWORD")?)
        .map_err(|(err, _client)| err)?;
    let mailbox = session.examine(mailbox)?;
    if mailbox.exists > 0 {
        let messages = session.uid_fetch("1:*", "BODY.PEEK[]")?;
        for message in messages.iter() {
            let uid = message.uid.ok_or("FETCH without UID")?;
            let body = message.body().ok_or("FETCH without body")?;
            std::fs::write(Path::new(dir).join(format!("{uid}.eml")), body)?;
            println!("{uid} ({} bytes)", body.len());
        }
    }
    session.logout()?;
    Ok(())
}
