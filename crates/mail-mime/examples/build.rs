//! Composes a message with a text body and attachments and writes it to
//! standard output (or to a file with `-o FILE`), ready for SMTP or APPEND.
//!
//! ```text
//! cargo run -p mail-mime --example build -- -o out.eml \
//!     "Alice <alice@example.com>" bob@example.org "Quarterly figures" "See attached." figures.xlsx
//! ```

use std::io::Write;
use std::process::ExitCode;

use mail_mime::{Mailbox, MessageBuilder};

const USAGE: &str = "usage: build [-o FILE] FROM TO SUBJECT TEXT [ATTACHMENT...]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let output = match args.iter().position(|a| a == "-o") {
        Some(i) if i + 1 < args.len() => {
            let file = args.remove(i + 1);
            args.remove(i);
            Some(file)
        }
        Some(_) => {
            eprintln!("-o needs a file name\n{USAGE}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let [from, to, subject, text, attachments @ ..] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match build(from, to, subject, text, attachments, output.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn build(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    attachments: &[String],
    output: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    // Addresses and the subject are checked (no CR/LF smuggling) and encoded
    // (RFC 2047 for non-ASCII) by the builder.
    let mut builder = MessageBuilder::new()
        .from(Mailbox::parse(from)?)
        .to(Mailbox::parse(to)?)
        .subject(subject)
        .text(text);
    for path in attachments {
        // Files are read when the message is written, not now.
        builder = builder.attach_path(path)?;
    }
    let message = builder.build()?;
    match output {
        Some(path) => {
            let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
            message.write_to(&mut file)?;
            file.flush()?;
            eprintln!("{path}: {} bytes", message.size());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            message.write_to(&mut stdout)?;
            stdout.flush()?;
        }
    }
    Ok(())
}
