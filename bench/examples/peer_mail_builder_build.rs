//! MIME build with mail-builder (the builder that goes with mail-parser),
//! written after its documentation: a text and a file attachment, written
//! to a file; the same task as `ours_mime_build.rs` (see
//! `bench/peers/README.md`).
//!
//! usage: peer_mail_builder_build OUT FROM TO SUBJECT TEXT FILE

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use mail_builder::MessageBuilder;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, from, to, subject, text, file] = args.as_slice() else {
        return Err("usage: peer_mail_builder_build OUT FROM TO SUBJECT TEXT FILE".into());
    };
    let name = Path::new(file).file_name().ok_or("no file name")?;
    let mut output = BufWriter::new(File::create(out)?);
    MessageBuilder::new()
        .from(from.as_str())
        .to(to.as_str())
        .subject(subject.as_str())
        .text_body(text.as_str())
        .attachment(
            "application/octet-stream",
            name.to_string_lossy(),
            std::fs::read(file)?,
        )
        .write_to(&mut output)?;
    output.flush()?;
    Ok(())
}
