//! MIME parse with mail-mime: prints the subject, the senders and the text,
//! and saves the attachments; the same task as `peer_mail_parser_parse.rs`
//! (see `bench/peers/README.md`).
//!
//! usage: ours_mime_parse FILE DIR

use std::path::Path;

use mail_mime::ParsedMessage;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, dir] = args.as_slice() else {
        return Err("usage: ours_mime_parse FILE DIR".into());
    };
    let bytes = std::fs::read(file)?;
    let message = ParsedMessage::parse(&bytes);
    println!("Subject: {}", message.subject().unwrap_or_default());
    for sender in message.from() {
        println!("From: {sender}");
    }
    println!("{}", message.text_body().unwrap_or_default());
    for part in message.attachments() {
        let name = part.filename().ok_or("attachment without a name")?;
        // The last component only, so that `../x` stays in DIR.
        let base = Path::new(name).file_name().ok_or("unusable name")?;
        let data = part.decoded();
        std::fs::write(Path::new(dir).join(base), &data)?;
        println!("attachment: {name} ({} bytes)", data.len());
    }
    Ok(())
}
