//! SMTP send with an attachment, with lettre (smtp-transport, native-tls,
//! builder), written after lettre's documentation: the same task as
//! `ours_send.rs` (see `bench/peers/README.md`).
//!
//! usage: peer_lettre_send FROM TO SUBJECT FILE   (server from MAIL_* variables)

use std::env::var;
use std::path::Path;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [from, to, subject, file] = args.as_slice() else {
        return Err("usage: peer_lettre_send FROM TO SUBJECT FILE".into());
    };
    let name = Path::new(file).file_name().ok_or("no file name")?;
    let attachment = Attachment::new(name.to_string_lossy().into_owned()).body(
        std::fs::read(file)?,
        ContentType::parse("application/octet-stream")?,
    );
    let email = Message::builder()
        .from(from.parse()?)
        .to(to.parse()?)
        .subject(subject)
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(format!("Hello,\n\nattached: {file}.\n")))
                .singlepart(attachment),
        )?;

    let ca = Certificate::from_pem(&std::fs::read(var("MAIL_CA_FILE")?)?)?;
    let tls_name = var("MAIL_TLS_NAME").or_else(|_| var("MAIL_HOST"))?;
    let tls = TlsParameters::builder(tls_name)
        .add_root_certificate(ca)
        .build()?;
    let mailer = SmtpTransport::builder_dangerous(var("MAIL_HOST")?)
        .port(var("MAIL_PORT")?.parse()?)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(var("MAIL_USER")?, var("MAIL_PASSWORD")?))
        .build();
    let response = mailer.send(&email)?;
    println!(
        "sent: {} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    );
    Ok(())
}
