//! SMTP send with an attachment, with mail-smtp and mail-mime: the same
//! task as `peer_lettre_send.rs` (see `bench/peers/README.md`).
//!
//! usage: ours_send FROM TO SUBJECT FILE   (server from MAIL_* variables)

use std::env::var;

use mail_mime::{Mailbox, MessageBuilder};
use mail_smtp::{Client, Envelope, Options};
use mail_wire::{Secret, Security, Server, TlsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to, subject, file] = args.as_slice() else {
        return Err("usage: ours_send FROM TO SUBJECT FILE".into());
    };
    let message = MessageBuilder::new()
        .from(Mailbox::parse(from)?)
        .to(Mailbox::parse(to)?)
        .subject(subject)
        .text(format!("Hello,\n\nattached: {file}.\n"))
        .attach_path(file)?
        .build()?;
    let envelope = Envelope::new(message.envelope_from(), message.recipients());

    let mut server = Server::new(var("MAIL_HOST")?, var("MAIL_PORT")?.parse()?);
    server.tls_name = var("MAIL_TLS_NAME").ok();
    let mut tls = TlsConfig::new();
    tls.add_ca_file(var("MAIL_CA_FILE")?.as_ref())?;
    let mut client = Client::connect(&server, Security::StartTls, &tls, Options::default())?;
    let password = Secret::new(var("MAIL_PASSWORD")?);
    client.auth(&var("MAIL_USER")?, &password, None)?;
    let delivery = client.send(&envelope, &mut message.reader()?, Some(message.size()))?;
    println!("sent: {}", delivery.reply);
    client.quit()?;
    Ok(())
}
