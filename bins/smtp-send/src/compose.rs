//! Turns the arguments into a `mail_mime::OutgoingMessage`.

use std::io::{IsTerminal, Read};

use mail_cli::CliError;
use mail_mime::{Mailbox, MessageBuilder, OutgoingMessage};

use crate::args::Args;

/// Builds the message; every problem with the user's input is a usage error
/// (a CR or LF in a header value or address among them).
pub fn compose(args: &Args, default_from: &str) -> Result<OutgoingMessage, CliError> {
    let from = args.from.as_deref().unwrap_or(default_from);
    let from = Mailbox::parse(from)
        .map_err(|err| CliError::usage(format!("invalid --from address {from:?}: {err}")))?;
    let mut builder = MessageBuilder::new().from(from);
    match args.subject.as_deref() {
        Some(subject) if subject.contains(['\r', '\n', '\0']) => {
            return Err(CliError::usage("the subject contains CR, LF or NUL"));
        }
        // An empty Subject field says nothing: leave it out, as when not given.
        Some("") | None => {}
        Some(subject) => builder = builder.subject(subject),
    }
    let (to, cc, bcc) = (
        mailboxes("--to", &args.to)?,
        mailboxes("--cc", &args.cc)?,
        mailboxes("--bcc", &args.bcc)?,
    );
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(CliError::usage("no recipient: give --to, --cc or --bcc"));
    }
    builder = to.into_iter().fold(builder, MessageBuilder::to);
    builder = cc.into_iter().fold(builder, MessageBuilder::cc);
    builder = bcc.into_iter().fold(builder, MessageBuilder::bcc);
    for header in &args.header {
        let (name, value) = header.split_once(':').ok_or_else(|| {
            CliError::usage(format!(
                "--header must look like 'Name: value', not {header:?}"
            ))
        })?;
        builder = builder
            .header(name.trim(), value.trim())
            .map_err(|err| CliError::usage(format!("--header {name:?}: {err}")))?;
    }
    builder = builder.text(&body(args)?);
    for path in &args.attach {
        builder = builder
            .attach_path(path)
            .map_err(|err| CliError::usage(format!("cannot attach {}: {err}", path.display())))?;
    }
    builder
        .build()
        .map_err(|err| CliError::usage(format!("cannot compose the message: {err}")))
}

/// The mailboxes of a repeatable address flag, each value a list split on
/// commas outside quoted names and `<...>` (mail-mime's list syntax).
fn mailboxes(flag: &str, values: &[String]) -> Result<Vec<Mailbox>, CliError> {
    let mut out = Vec::new();
    for value in values {
        let list = Mailbox::parse_list(value)
            .map_err(|err| CliError::usage(format!("{flag} {value:?}: {err}")))?;
        out.extend(list);
    }
    Ok(out)
}

/// The body from `--body`, `--body-file`, or standard input.
fn body(args: &Args) -> Result<String, CliError> {
    if let Some(text) = &args.body {
        return Ok(text.clone());
    }
    if let Some(path) = &args.body_file {
        let bytes = std::fs::read(path).map_err(|err| {
            CliError::usage(format!("cannot read --body-file {}: {err}", path.display()))
        })?;
        return String::from_utf8(bytes).map_err(|_| {
            CliError::usage(format!("--body-file {} is not UTF-8 text", path.display()))
        });
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("smtp-send: type the body, then Ctrl-D on a line of its own");
    }
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text).map_err(|err| {
        CliError::usage(format!("cannot read the body from standard input: {err}"))
    })?;
    Ok(text)
}
