//! MIME parse with mail-parser, written after its documentation: prints the
//! subject, the senders and the text, and saves the attachments; the same
//! task as `ours_mime_parse.rs` (see `bench/peers/README.md`).
//!
//! usage: peer_mail_parser_parse FILE DIR

use std::path::Path;

use mail_parser::{MessageParser, MimeHeaders};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, dir] = args.as_slice() else {
        return Err("usage: peer_mail_parser_parse FILE DIR".into());
    };
    let bytes = std::fs::read(file)?;
    let message = MessageParser::default()
        .parse(&bytes)
        .ok_or("not a message")?;
    println!("Subject: {}", message.subject().unwrap_or_default());
    for sender in message.from().iter().flat_map(|from| from.iter()) {
        let address = sender.address().unwrap_or_default();
        match sender.name() {
            Some(name) => println!("From: {name} <{address}>"),
            None => println!("From: {address}"),
        }
    }
    println!("{}", message.body_text(0).unwrap_or_default());
    for part in message.attachments() {
        let name = part.attachment_name().ok_or("attachment without a name")?;
        // The last component only, so that `../x` stays in DIR.
        let base = Path::new(name).file_name().ok_or("unusable name")?;
        std::fs::write(Path::new(dir).join(base), part.contents())?;
        println!("attachment: {name} ({} bytes)", part.contents().len());
    }
    Ok(())
}
