//! The console: POP3 lines sent as typed with their complete replies shown,
//! and the local `:` commands.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mail_cli::console::Input;
use mail_cli::download::DownloadDir;
use mail_cli::escaped::EscapedLines;
use mail_cli::{exit, CliError};
use mail_pop3::{Error, MsgNum, Session};
use mail_wire::{Direction, NetStream, Transcript};

use crate::cli_error;

pub(crate) const HELP: &str = "\
POP3 commands are sent as typed, e.g. STAT, LIST [n], UIDL [n], RETR n, TOP n lines,
DELE n, RSET, NOOP, CAPA, QUIT. Local commands:
  :help           this text
  :show N         message N decoded (headers and text)
  :save N PATH    message N into the file PATH (written safely: temporary name, sync, rename)
  :raw LINE       send LINE as typed, unchecked (a command this console does not know)
An unknown command is not sent (a typo gets a suggestion); one typed in capitals
(XTND, X-FOO) is taken for a server extension and sent.
End of input (Ctrl-D) ends the session with QUIT.";

/// The commands of RFC 1939, RFC 2449, RFC 2595, RFC 5034 and RFC 6856.
const COMMANDS: &[&str] = &[
    "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT", "TOP",
    "UIDL", "CAPA", "STLS", "UTF8", "LANG",
];

/// At a terminal the editor already shows the typed line after `C: `; the
/// transcript's copy of it is skipped so each command appears once.
struct TypedEcho {
    inner: Box<dyn Transcript + Send>,
    skip_next: Arc<AtomicBool>,
}

impl Transcript for TypedEcho {
    fn line(&mut self, direction: Direction, shown: &str) {
        if direction == Direction::Client && self.skip_next.swap(false, Ordering::Relaxed) {
            return;
        }
        self.inner.line(direction, shown);
    }
}

enum Flow {
    Continue,
    /// The server sent a `+` challenge: the next line answers it.
    Challenge,
    Closed,
}

/// The error for a line whose first word is no POP3 command, unless it is
/// typed in capitals (an extension the server may know).
fn known_command(line: &str) -> Option<CliError> {
    let verb = line.split_ascii_whitespace().next().unwrap_or_default();
    if COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(verb)) {
        return None;
    }
    if mail_cli::typo::looks_like_extension(verb)
        && mail_cli::typo::closest(verb, COMMANDS).is_none()
    {
        return None;
    }
    Some(CliError::usage(mail_cli::typo::unknown_command(
        verb,
        COMMANDS,
        "and :raw LINE sends a line unchecked",
    )))
}

/// Runs commands from `input` until it ends (then QUIT) or the user quits.
pub fn run(mut session: Session<NetStream>, mut input: Input) -> Result<(), CliError> {
    let interactive = input.is_interactive();
    let skip_next = Arc::new(AtomicBool::new(false));
    let quiet = !session.connection().has_transcript();
    if interactive {
        if let Some(inner) = session.connection().take_transcript() {
            let echo = TypedEcho {
                inner,
                skip_next: Arc::clone(&skip_next),
            };
            session.connection().set_transcript(Some(Box::new(echo)));
        }
        eprintln!("pop3-cli: logged in; type POP3 commands, :help for more, Ctrl-D to quit");
    }
    // After a `+` challenge the next line is SASL data, not a command.
    let mut sasl_pending = false;
    while let Some(line) = input.next_line() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (line, checked) = match line.strip_prefix(":raw ") {
            Some(raw) => (raw.trim(), false),
            None => (line, !sasl_pending),
        };
        let outcome = match line.strip_prefix(':').filter(|_| checked) {
            Some(local) => local_command(&mut session, local),
            None => match known_command(line).filter(|_| checked) {
                Some(unknown) => Err(unknown),
                None => {
                    skip_next.store(interactive, Ordering::Relaxed);
                    let outcome = remote(&mut session, line, interactive, quiet);
                    skip_next.store(false, Ordering::Relaxed);
                    sasl_pending = matches!(outcome, Ok(Flow::Challenge));
                    outcome
                }
            },
        };
        match outcome {
            Ok(Flow::Continue | Flow::Challenge) => {}
            Ok(Flow::Closed) => return Ok(()),
            Err(err) if matches!(err.code, exit::CONNECTION | exit::PROTOCOL) => return Err(err),
            Err(err) if interactive => eprintln!("pop3-cli: {err}"),
            Err(err) => {
                let _ = session.quit();
                return Err(err);
            }
        }
    }
    session.quit().map(drop).map_err(|err| cli_error(&err))
}

/// Sends one typed line; a `-ERR` fails a script but not a person's session.
fn remote(
    session: &mut Session<NetStream>,
    line: &str,
    interactive: bool,
    quiet: bool,
) -> Result<Flow, CliError> {
    // With -q there is no transcript: the data itself goes to stdout. A
    // message (RETR, TOP) goes as is into a file or pipe, so `> m.eml` keeps
    // it exact; every other server line is escaped wherever it goes.
    let raw = if quiet {
        let mut stdout = io::stdout().lock();
        let verb = line.split_ascii_whitespace().next().unwrap_or_default();
        let message = verb.eq_ignore_ascii_case("RETR") || verb.eq_ignore_ascii_case("TOP");
        let raw = if stdout.is_terminal() || !message {
            let mut escaped = EscapedLines::new(&mut stdout);
            let raw = session.raw(line, &mut escaped);
            escaped.finish();
            raw
        } else {
            session.raw(line, &mut stdout)
        }
        .map_err(|err| cli_error(&err))?;
        if raw.body_size.is_none() {
            let _ = writeln!(stdout, "{}", raw.reply);
        }
        raw
    } else {
        session
            .raw(line, &mut io::sink())
            .map_err(|err| cli_error(&err))?
    };
    if raw.closed {
        return Ok(Flow::Closed);
    }
    if raw.reply.status == mail_pop3::Status::Continue {
        return Ok(Flow::Challenge);
    }
    if raw.reply.status == mail_pop3::Status::Err && !interactive {
        let verb = line
            .split_ascii_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        return Err(CliError::new(
            exit::REJECTED,
            format!("server rejected {verb}: {}", raw.reply),
        ));
    }
    Ok(Flow::Continue)
}

fn local_command(session: &mut Session<NetStream>, command: &str) -> Result<Flow, CliError> {
    let mut words = command.split_ascii_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("help"), None, None) => println!(
            "{HELP}\nPOP3 commands known here:\n{}",
            mail_cli::typo::command_list(COMMANDS)
        ),
        (Some("show"), Some(n), None) => {
            let msg = msg_num(n)?;
            let mut raw = Vec::new();
            with_quiet_bodies(session, |s| s.retr(msg, &mut raw))?;
            let mut stdout = io::stdout().lock();
            let _ = stdout.write_all(mail_cli::show::render(&raw).as_bytes());
        }
        (Some("save"), Some(n), Some(path)) => {
            let msg = msg_num(n)?;
            let rest = command
                .splitn(3, char::is_whitespace)
                .nth(2)
                .unwrap_or(path)
                .trim();
            let size = save(session, msg, Path::new(rest))?;
            println!("saved message {msg} ({size} bytes) to {rest}");
        }
        _ => {
            return Err(CliError::usage(format!(
                "unknown local command :{command} (try :help)"
            )))
        }
    }
    Ok(Flow::Continue)
}

fn msg_num(text: &str) -> Result<MsgNum, CliError> {
    match text.parse() {
        Ok(n) if n > 0 => Ok(MsgNum(n)),
        _ => Err(CliError::usage(format!("not a message number: {text}"))),
    }
}

fn with_quiet_bodies<T>(
    session: &mut Session<NetStream>,
    f: impl FnOnce(&mut Session<NetStream>) -> Result<T, Error>,
) -> Result<T, CliError> {
    session.set_body_echo(false);
    let result = f(session);
    session.set_body_echo(true);
    result.map_err(|err| cli_error(&err))
}

/// Why `:save` failed: the file or the server.
enum SaveError {
    File(io::Error),
    Server(Error),
}

impl From<io::Error> for SaveError {
    fn from(err: io::Error) -> Self {
        SaveError::File(err)
    }
}

fn save(session: &mut Session<NetStream>, msg: MsgNum, path: &Path) -> Result<u64, CliError> {
    let file_error =
        |err: io::Error| CliError::new(1, format!("cannot write {}: {err}", path.display()));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| CliError::usage(format!("not a file path: {}", path.display())))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = DownloadDir::open(parent).map_err(file_error)?;
    let mut size = 0;
    session.set_body_echo(false);
    let result = dir.save(name, |out| {
        size = session.retr(msg, out).map_err(SaveError::Server)?;
        Ok(())
    });
    session.set_body_echo(true);
    match result {
        Ok(_) => Ok(size),
        Err(SaveError::File(err)) => Err(file_error(err)),
        Err(SaveError::Server(err)) => Err(cli_error(&err)),
    }
}
