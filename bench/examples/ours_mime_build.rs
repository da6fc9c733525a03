//! MIME build with mail-mime: a text and a file attachment, written to a
//! file; the same task as `peer_mail_builder_build.rs` (see
//! `bench/peers/README.md`).
//!
//! usage: ours_mime_build OUT FROM TO SUBJECT TEXT FILE

use std::fs::File;
use std::io::{BufWriter, Write};

use mail_mime::{Mailbox, MessageBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, from, to, subject, text, file] = args.as_slice() else {
        return Err("usage: ours_mime_build OUT FROM TO SUBJECT TEXT FILE".into());
    };
    let message = MessageBuilder::new()
        .from(Mailbox::parse(from)?)
        .to(Mailbox::parse(to)?)
        .subject(subject)
        .text(text)
        .attach_path(file)?
        .build()?;
    let mut output = BufWriter::new(File::create(out)?);
    message.write_to(&mut output)?;
    output.flush()?;
    Ok(())
}
