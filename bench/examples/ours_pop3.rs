//! POP3 download of every message to files, with mail-pop3: the same task
//! as `peer_async_pop_download.rs` (see `bench/peers/README.md`).
//!
//! usage: ours_pop3 DIR   (server from MAIL_* variables; POP3S)

use std::env::var;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use mail_pop3::Client;
use mail_wire::{Secret, Security, Server, TlsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: ours_pop3 DIR")?;
    let mut server = Server::new(var("MAIL_HOST")?, var("MAIL_PORT")?.parse()?);
    server.tls_name = var("MAIL_TLS_NAME").ok();
    let mut tls = TlsConfig::new();
    tls.add_ca_file(var("MAIL_CA_FILE")?.as_ref())?;
    let client = Client::connect(
        &server,
        Security::Implicit,
        &tls,
        mail_pop3::Options::default(),
    )?;
    let password = Secret::new(var("MAIL_PASSWORD")?);
    let mut session = client
        .login_auto(&var("MAIL_USER")?, &password)
        .map_err(|(err, _client)| err)?;
    for entry in session.uidl()? {
        let name: String = entry
            .uid
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let mut file = BufWriter::new(File::create(Path::new(&dir).join(name + ".eml"))?);
        let size = session.retr(entry.msg, &mut file)?;
        println!("{} ({size} bytes)", entry.uid);
    }
    session.quit()?;
    Ok(())
}
