//! The console loop: typed lines to the server, `:` lines handled here.

use std::io::Write;
use std::time::Duration;

use mail_cli::console::Input;
use mail_cli::exit::REJECTED;
use mail_cli::CliError;
use mail_imap::raw::{split_line, Console, Reply};
use mail_imap::{Status, Untagged};
use mail_wire::NetStream;

use crate::cli_error;

const HELP: &str = "\
Type IMAP commands; a tag is added when the line starts with a command name
(`select inbox`), and kept when you type one (`x1 select inbox`).
IDLE shows updates until you press Enter (DONE is sent then).
Local commands:
  :help                    this text
  :show N                  message N of the selected mailbox, decoded
  :save N PATH             message N, raw, to PATH
  :append MAILBOX FILE     APPEND the message in FILE to MAILBOX (in \"quotes\" if it has spaces)
End with LOGOUT or Ctrl-D (LOGOUT is sent for you).";

/// An IDLE on a terminal waits for 29 minutes at most (RFC 2177 §3).
const TERMINAL_IDLE: Duration = Duration::from_secs(29 * 60);

/// A scripted IDLE waits this long for an update.
const SCRIPTED_IDLE: Duration = Duration::from_secs(30);

pub(crate) fn run(
    mut console: Console<NetStream>,
    commands: Vec<String>,
    idle_limit: Option<Duration>,
) -> Result<(), CliError> {
    let mut input = Input::new(commands);
    let interactive = input.is_interactive();
    let mut rejected: Option<String> = None;
    let mut logged_out = false;
    while let Some(line) = input.next_line() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(local) = line.strip_prefix(':') {
            if let Err(err) = local_command(&mut console, local) {
                if !interactive {
                    return Err(err);
                }
                eprintln!("imap-cli: {err}");
            }
            continue;
        }
        let (_, command, _) = split_line(line, String::new);
        let command = command.to_ascii_uppercase();
        let reply = if command == "IDLE" {
            if interactive {
                println!("(IDLE: press Enter to stop)");
                console.idle(line, idle_limit.unwrap_or(TERMINAL_IDLE), |_| {
                    enter_pressed()
                })
            } else {
                console.idle(line, idle_limit.unwrap_or(SCRIPTED_IDLE), |updates| {
                    updates > 0
                })
            }
        } else {
            console.execute(line)
        }
        .map_err(cli_error)?;
        for alert in console.take_alerts() {
            eprintln!("imap-cli: [ALERT] from the server: {alert}");
        }
        annotate(&reply);
        if let Some(t) = &reply.tagged {
            if t.status != Status::Ok && rejected.is_none() {
                rejected = Some(format!(
                    "server rejected {command}: {} {}",
                    t.status, t.text.text
                ));
            }
        }
        if command == "LOGOUT" && reply.is_ok() {
            logged_out = true;
            break;
        }
    }
    if !logged_out {
        console.logout().map_err(cli_error)?;
    }
    match rejected {
        Some(message) if !interactive => Err(CliError::new(REJECTED, message)),
        _ => Ok(()),
    }
}

/// True once the person pressed Enter during IDLE. Asked between reads
/// from the server (at least once a second): a terminal in canonical mode
/// makes stdin readable only when a whole line was typed, and that line is
/// consumed here. Nothing reads stdin once IDLE is over, so when IDLE ends
/// on its time limit the next typed line goes to the console, as it should.
#[cfg(unix)]
fn enter_pressed() -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let stdin = std::io::stdin();
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    if !matches!(poll(&mut fds, Some(&now)), Ok(n) if n > 0) {
        return false;
    }
    let mut buf = [0u8; 512];
    // The typed line (up to its newline); end of input counts as Enter.
    while let Ok(n @ 1..) = rustix::io::read(&stdin, &mut buf) {
        if buf.get(..n).is_some_and(|read| read.contains(&b'\n')) {
            break;
        }
    }
    true
}

#[cfg(not(unix))]
fn enter_pressed() -> bool {
    // No way to look at the console without taking a line from it: IDLE
    // ends on its time limit only.
    false
}

/// Shows modified UTF-7 mailbox names decoded under a LIST/LSUB reply.
fn annotate(reply: &Reply) {
    for u in &reply.untagged {
        if let Untagged::List(item) | Untagged::Lsub(item) = u {
            if let Some(decoded) = mail_imap::utf7::decoded_if_different(&item.name) {
                println!("   {} = {}", item.name, decoded);
            }
        }
    }
}

/// The mailbox name `text` starts with, as typed (an IMAP quoted string,
/// `"Sent Items"`, has its quotes and `\\` escapes removed), and the rest.
/// `None` for an unterminated quoted string.
fn mailbox_and_rest(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        let (name, rest) = text.split_at(end);
        return (!name.is_empty()).then(|| (name.to_owned(), rest.trim()));
    };
    let mut name = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => name.push(chars.next()?.1),
            '"' => return Some((name, quoted.get(i + 1..)?.trim())),
            _ => name.push(c),
        }
    }
    None
}

fn local_command(console: &mut Console<NetStream>, line: &str) -> Result<(), CliError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |s: Option<&&str>| -> Result<u32, CliError> {
        s.and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| CliError::usage("give a message number, e.g. :show 1"))
    };
    match words.as_slice() {
        ["help"] => println!("{HELP}"),
        ["show", n] => {
            let message = console.fetch_message(number(Some(n))?).map_err(cli_error)?;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(mail_cli::show::render(&message).as_bytes());
        }
        ["save", n, path] => {
            let message = console.fetch_message(number(Some(n))?).map_err(cli_error)?;
            std::fs::write(path, &message)
                .map_err(|e| CliError::usage(format!("cannot write {path}: {e}")))?;
            println!("saved {} bytes to {path}", message.len());
        }
        ["append", ..] => {
            let rest = line.trim_start().strip_prefix("append").unwrap_or_default();
            let (mailbox, file) = mailbox_and_rest(rest)
                .filter(|(_, file)| !file.is_empty())
                .ok_or_else(|| {
                    CliError::usage("give a mailbox and a file, e.g. :append Drafts note.eml")
                })?;
            let bytes = std::fs::read(file)
                .map_err(|e| CliError::usage(format!("cannot read {file}: {e}")))?;
            let done = console.append(&mailbox, bytes).map_err(cli_error)?;
            println!("appended: {}", done.text.text);
        }
        _ => {
            return Err(CliError::usage(format!(
                "unknown local command :{line} (try :help)"
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::mailbox_and_rest;

    #[test]
    fn a_typed_mailbox_may_be_quoted() {
        let got = |text| mailbox_and_rest(text).map(|(m, r)| (m, r.to_owned()));
        let pair = |m: &str, r: &str| Some((m.to_owned(), r.to_owned()));
        assert_eq!(got("Drafts a.eml"), pair("Drafts", "a.eml"));
        assert_eq!(got(" 보관함 a.eml"), pair("보관함", "a.eml"));
        assert_eq!(got("\"Sent Items\" a b.eml"), pair("Sent Items", "a b.eml"));
        assert_eq!(got(r#""a \"q\" \\ b" f"#), pair(r#"a "q" \ b"#, "f"));
        assert_eq!(got("\"Drafts\""), pair("Drafts", ""));
        assert_eq!(got("\"open a.eml"), None);
        assert_eq!(got("\"ends in escape\\"), None);
        assert_eq!(got("  "), None);
    }
}
