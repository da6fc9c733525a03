//! Reads a message file and prints its header fields (decoded), its text
//! and its attachments; with a DIR, saves the attachments there, decoded.
//!
//! ```text
//! cargo run -p mail-mime --example parse -- message.eml [attachments/]
//! ```

use std::path::Path;
use std::process::ExitCode;

use mail_mime::ParsedMessage;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, save_to) = match args.as_slice() {
        [file] => (file, None),
        [file, dir] => (file, Some(Path::new(dir))),
        _ => {
            eprintln!("usage: parse FILE [DIR]");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("error: {file}: {err}");
            return ExitCode::FAILURE;
        }
    };
    // Parsing never fails: malformed mail gets the best honest reading.
    let message = ParsedMessage::parse(&bytes);
    for field in message.headers() {
        println!(
            "{}: {}",
            printable(&field.name()),
            printable(&field.decoded(None))
        );
    }
    println!();
    match message.text_body() {
        Some(text) => println!("{}", printable(&text)),
        None => println!("(no text part)"),
    }
    for (n, part) in message.attachments().enumerate() {
        let name = part
            .filename()
            .map_or_else(|| format!("attachment-{}", n + 1), str::to_owned);
        let data = part.decoded();
        println!(
            "attachment: {} ({}, {} bytes)",
            printable(&name),
            printable(part.content_type()),
            data.len()
        );
        if let Some(dir) = save_to {
            if let Err(err) = save(dir, &name, &data) {
                eprintln!("error: saving {}: {err}", printable(&name));
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

/// Writes an attachment under the last component of its name, so that a
/// name such as `../../.bashrc` cannot leave `dir`.
fn save(dir: &Path, name: &str, data: &[u8]) -> std::io::Result<()> {
    let base = Path::new(name)
        .file_name()
        .filter(|base| !base.is_empty())
        .ok_or_else(|| std::io::Error::other("no usable file name"))?;
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(base), data)
}

/// Text from a message with control characters (escape sequences that could
/// drive the terminal) shown as `\u{1b}`; line breaks (CRLF printed as
/// LF) and tabs kept.
fn printable(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c.to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}
