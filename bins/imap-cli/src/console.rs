//! The console loop: typed lines to the server, `:` lines handled here.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use mail_cli::console::Input;
use mail_cli::escaped::EscapedLines;
use mail_cli::exit::{CONNECTION, PROTOCOL, REJECTED};
use mail_cli::CliError;
use mail_imap::raw::{Console, Reply};
use mail_imap::{Status, Untagged};
use mail_wire::{escape_for_display, NetStream};

use crate::cli_error;
use crate::typed::{self, Typed};

pub(crate) const HELP: &str = "\
Type IMAP commands: a tag is added when the line starts with a command name
(`select inbox`), and kept when you type one before it (`x1 select inbox`).
A line whose first word is no IMAP command is not sent (`selct inbox`: did you
mean select?), unless it is typed in capitals as an extension command (`XFOO`).
IDLE shows updates until you press Enter (DONE is sent then).
Local commands:
  :help                    this text
  :show N                  message N of the selected mailbox, decoded
  :save N PATH             message N, raw, to PATH
  :append MAILBOX FILE     APPEND the message in FILE to MAILBOX (\"quoted\" when it has spaces)
  :raw TAG COMMAND ...     send the line as typed, unchecked
End with LOGOUT or Ctrl-D (LOGOUT is sent for you).";

/// An IDLE on a terminal waits for 29 minutes at most (RFC 2177 §3).
const TERMINAL_IDLE: Duration = Duration::from_secs(29 * 60);

/// A scripted IDLE waits this long for an update.
const SCRIPTED_IDLE: Duration = Duration::from_secs(30);

/// How the console runs.
pub(crate) struct Options {
    /// Longest IDLE (`--idle-secs`).
    pub(crate) idle_limit: Option<Duration>,
    /// `-q`: no transcript; stdout gets the fetched message data only.
    pub(crate) quiet: bool,
}

/// Where a command's fetched body sections go: stdout with `-q` (as is
/// into a file or pipe, escaped on a terminal), nowhere otherwise (the
/// transcript shows them). Remembers a failed write, so that a closed
/// pipe is not reported as the server's fault.
struct Fetched {
    out: Output,
    failed: Option<std::io::Error>,
}

enum Output {
    Nowhere,
    Raw(std::io::Stdout),
    Terminal(EscapedLines<std::io::Stdout>),
}

impl Fetched {
    fn new(quiet: bool) -> Self {
        let stdout = std::io::stdout();
        let out = match (quiet, stdout.is_terminal()) {
            (false, _) => Output::Nowhere,
            (true, false) => Output::Raw(stdout),
            (true, true) => Output::Terminal(EscapedLines::new(stdout)),
        };
        Fetched { out, failed: None }
    }

    /// The error to report for a failed command: stdout's when writing failed.
    fn error(&mut self, err: mail_imap::Error) -> CliError {
        match self.failed.take() {
            Some(write) => CliError::new(1, format!("cannot write to stdout: {write}")),
            None => cli_error(err),
        }
    }

    fn note(&mut self, result: std::io::Result<usize>) -> std::io::Result<usize> {
        result
            .inspect_err(|err| self.failed = Some(std::io::Error::new(err.kind(), err.to_string())))
    }
}

impl Write for Fetched {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = match &mut self.out {
            Output::Nowhere => Ok(buf.len()),
            Output::Raw(out) => out.write(buf),
            Output::Terminal(out) => out.write(buf),
        };
        self.note(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = match &mut self.out {
            Output::Nowhere => Ok(()),
            Output::Raw(out) => out.flush(),
            Output::Terminal(out) => out.flush(),
        };
        self.note(result.map(|()| 0)).map(drop)
    }
}

impl Drop for Fetched {
    fn drop(&mut self) {
        if let Output::Terminal(out) = &mut self.out {
            out.finish();
        }
        let _ = self.flush();
    }
}

pub(crate) fn run(
    mut console: Console<NetStream>,
    commands: Vec<String>,
    options: &Options,
) -> Result<(), CliError> {
    let mut input = Input::new(commands);
    let interactive = input.is_interactive();
    if interactive {
        eprintln!("imap-cli: logged in; type IMAP commands, :help for more, Ctrl-D to quit");
    }
    // The command whose continuation request the next line answers.
    let mut waiting = String::new();
    while let Some(typed) = input.next_line() {
        let line = typed.trim();
        if line.is_empty() {
            continue;
        }
        let outcome = if console.awaits_data() {
            erase_if_shown(&mut input, &typed, options);
            let mut fetched = Fetched::new(options.quiet);
            match console.send_data(line, &mut fetched) {
                Ok(reply) => Ok(Some((waiting.clone(), reply))),
                Err(err) => Err(fetched.error(err)),
            }
        } else if let Some(raw) = line.strip_prefix(":raw ") {
            remote(&mut console, &mut input, &typed, typed::raw(raw), options)
        } else if let Some(local) = line.strip_prefix(':') {
            local_command(&mut console, local).map(|()| None)
        } else {
            remote(
                &mut console,
                &mut input,
                &typed,
                typed::classify(line),
                options,
            )
        };
        if let Ok(Some((command, reply))) = &outcome {
            if let Some(text) = &reply.continuation {
                waiting.clone_from(command);
                if options.quiet && interactive {
                    // No transcript shows the server's request: say it here.
                    eprintln!(
                        "imap-cli: the server waits for data: + {}",
                        escape_for_display(text.as_bytes())
                    );
                }
            }
        }
        let stop = match outcome {
            Ok(Some((command, reply))) => match rejection(&command, &reply) {
                Some(message) if !interactive => Err(CliError::new(REJECTED, message)),
                Some(message) if options.quiet => {
                    eprintln!("imap-cli: {}", escape_for_display(message.as_bytes()));
                    Ok(false)
                }
                _ => Ok(command == "LOGOUT" && reply.is_ok()),
            },
            Ok(None) => Ok(false),
            Err(err) if matches!(err.code, CONNECTION | PROTOCOL) => return Err(err),
            Err(err) if interactive => {
                eprintln!("imap-cli: {err}");
                Ok(false)
            }
            Err(err) => Err(err),
        };
        match stop {
            Ok(false) => {}
            Ok(true) => return Ok(()),
            Err(err) => {
                // A script stops at its first failure, politely.
                let _ = console.logout();
                return Err(err);
            }
        }
    }
    console.logout().map_err(cli_error)
}

/// Takes the typed line off the terminal when the transcript shows the
/// line sent in its place.
fn erase_if_shown(input: &mut Input, typed: &str, options: &Options) {
    if !options.quiet {
        input.erase_typed(typed);
    }
}

/// The sentence for a tagged NO or BAD.
fn rejection(command: &str, reply: &Reply) -> Option<String> {
    let t = reply.tagged.as_ref()?;
    (t.status != Status::Ok).then(|| format!("server rejected {command}: {} {}", t.status, t.text))
}

/// Sends a classified line; returns the command's name (upper case) and its reply.
fn remote(
    console: &mut Console<NetStream>,
    input: &mut Input,
    typed: &str,
    line: Typed<'_>,
    options: &Options,
) -> Result<Option<(String, Reply)>, CliError> {
    let (tag, command, rest) = match line {
        Typed::Command { command, rest } => (None, command, rest),
        Typed::Tagged { tag, command, rest } => (Some(tag), command, rest),
        Typed::Unknown(why) => return Err(CliError::usage(why)),
    };
    erase_if_shown(input, typed, options);
    let upper = command.to_ascii_uppercase();
    let reply = if upper == "IDLE" {
        let line = tag.map_or_else(
            || format!("{command} {rest}"),
            |tag| format!("{tag} {command} {rest}"),
        );
        if input.is_interactive() {
            println!("(IDLE: press Enter to stop)");
            console.idle(
                line.trim(),
                options.idle_limit.unwrap_or(TERMINAL_IDLE),
                |_| enter_pressed(),
            )
        } else {
            console.idle(
                line.trim(),
                options.idle_limit.unwrap_or(SCRIPTED_IDLE),
                |updates| updates > 0,
            )
        }
        .map_err(cli_error)?
    } else {
        let mut fetched = Fetched::new(options.quiet);
        console
            .execute_parts(tag, command, rest, &mut fetched)
            .map_err(|err| fetched.error(err))?
    };
    for alert in console.take_alerts() {
        eprintln!(
            "imap-cli: [ALERT] from the server: {}",
            escape_for_display(alert.as_bytes())
        );
    }
    if !options.quiet {
        annotate(&reply);
    }
    if upper == "ENABLE" && reply.is_ok() {
        for missing in not_enabled(rest, &reply) {
            let offered = if console.has_capability(&missing) {
                "it did not say why"
            } else {
                "it does not offer it"
            };
            eprintln!("imap-cli: the server did not enable {missing}: {offered}");
        }
    }
    Ok(Some((upper, reply)))
}

/// The capabilities an ENABLE asked for that no `* ENABLED` response lists.
fn not_enabled(asked: &str, reply: &Reply) -> Vec<String> {
    let enabled: Vec<&String> = reply
        .untagged
        .iter()
        .filter_map(|u| match u {
            Untagged::Enabled(caps) => Some(caps),
            _ => None,
        })
        .flatten()
        .collect();
    asked
        .split_ascii_whitespace()
        .filter(|cap| !enabled.iter().any(|e| e.eq_ignore_ascii_case(cap)))
        .map(str::to_owned)
        .collect()
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

/// Shows each modified UTF-7 mailbox name of a reply decoded, under it:
/// LIST, LSUB, STATUS and the NAMESPACE prefixes.
fn annotate(reply: &Reply) {
    for u in &reply.untagged {
        let names: Vec<&str> = match u {
            Untagged::List(item) | Untagged::Lsub(item) => vec![&item.name],
            Untagged::MailboxStatus { mailbox, .. } => vec![mailbox],
            Untagged::Namespace(kinds) => {
                kinds.iter().flatten().map(|n| n.prefix.as_str()).collect()
            }
            _ => Vec::new(),
        };
        for name in names {
            if let Some(decoded) = mail_imap::utf7::decoded_if_different(name) {
                println!(
                    "   {} = {}",
                    escape_for_display(name.as_bytes()),
                    escape_for_display(decoded.as_bytes())
                );
            }
        }
    }
}

fn local_command(console: &mut Console<NetStream>, line: &str) -> Result<(), CliError> {
    let words = typed::words(line)
        .ok_or_else(|| CliError::usage(format!("unbalanced quote in :{line}")))?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let number = |s: Option<&&str>| -> Result<u32, CliError> {
        s.and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| CliError::usage("give a message number, e.g. :show 1"))
    };
    match words.as_slice() {
        ["help"] => println!(
            "{HELP}\nIMAP commands known here:\n{}",
            mail_cli::typo::command_list(mail_imap::raw::COMMANDS)
        ),
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
        ["append", mailbox, file] => {
            let bytes = std::fs::read(file)
                .map_err(|e| CliError::usage(format!("cannot read {file}: {e}")))?;
            let done = console.append(mailbox, bytes).map_err(cli_error)?;
            println!("appended: {}", done.text);
        }
        _ => {
            return Err(CliError::usage(format!(
                "unknown local command :{line} (try :help)"
            )))
        }
    }
    Ok(())
}
