//! Console mode: one line typed by a person, one complete reply.
//!
//! [`Console::execute`]: a line that starts with a command name gets a
//! tag; a line that starts with anything else is taken to carry the user's
//! own tag. A program that decides tag and command itself (imap-cli tells
//! typos from tags) calls [`Console::execute_parts`]. The reply is read to
//! its tagged completion, literals included (streamed through the
//! transcript, never held whole; FETCH body sections also to a writer of
//! the caller's). The password of a typed LOGIN and the data of
//! AUTHENTICATE are masked in the transcript.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mail_wire::{Direction, Line, Secret};

use crate::command::Command;
use crate::error::Error;
use crate::exchange::{Core, Piece};
use crate::response::{FetchItem, NString, Response, Status, Tag, Tagged, Untagged};
use crate::sans_io::Idle;
use crate::state::State;
use crate::{Client, Session};

/// Commands that get a tag added (RFC 3501, RFC 9051 and common extensions).
pub const COMMANDS: &[&str] = &[
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "ENABLE",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "NAMESPACE",
    "STATUS",
    "APPEND",
    "IDLE",
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "UID",
    "ID",
    "GETQUOTA",
    "GETQUOTAROOT",
    "SETQUOTA",
    "GETACL",
    "SETACL",
    "MYRIGHTS",
    "LISTRIGHTS",
    "GETMETADATA",
    "SETMETADATA",
    "SORT",
    "THREAD",
    "COMPRESS",
    "XLIST",
    "UNAUTHENTICATE",
    "REPLACE",
    "NOTIFY",
    "URLFETCH",
    "GENURLAUTH",
    "RESETKEY",
    "CANCELUPDATE",
];

/// The reply to one console line.
#[derive(Debug, Default)]
pub struct Reply {
    /// Untagged responses in order (FETCH bodies show as streamed).
    pub untagged: Vec<Untagged>,
    /// The tagged completion (None when the server asked for more with `+`).
    pub tagged: Option<Tagged>,
    /// The text of a continuation request that ended the reply: the next
    /// console line is data for the command.
    pub continuation: Option<String>,
}

impl Reply {
    /// True for a tagged OK.
    pub fn is_ok(&self) -> bool {
        self.tagged.as_ref().is_some_and(|t| t.status == Status::Ok)
    }
}

/// A session driven by typed lines.
pub struct Console<S> {
    core: Box<Core<S>>,
    pending: Awaiting,
}

impl<S: Read + Write> Client<S> {
    /// Hands the connection to a console (before login).
    pub fn into_console(self) -> Console<S> {
        Console {
            core: self.into_core(),
            pending: None,
        }
    }
}

impl<S: Read + Write> Session<S> {
    /// Hands the connection to a console (after login).
    pub fn into_console(self) -> Console<S> {
        Console {
            core: self.into_core(),
            pending: None,
        }
    }
}

fn check_line(text: &str) -> Result<(), Error> {
    match text.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(at) => Err(Error::Invalid(crate::EncodeError::LineBreak {
            what: "console line",
            at,
        })),
        None => Ok(()),
    }
}

/// Splits a typed line into (tag, command word, rest after the command).
pub fn split_line(line: &str, next_tag: impl FnOnce() -> String) -> (String, String, String) {
    let line = line.trim();
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    if COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(first)) {
        return (next_tag(), first.to_owned(), rest.to_owned());
    }
    let (cmd, rest) = rest
        .trim_start()
        .split_once(' ')
        .unwrap_or((rest.trim_start(), ""));
    (first.to_owned(), cmd.to_owned(), rest.to_owned())
}

/// Which arguments of a typed command are mailbox names (0-based, after
/// the command word; for UID, after the word that follows it).
fn mailbox_positions(command: &str) -> &'static [usize] {
    const COMMANDS: &[(&str, &[usize])] = &[
        ("SELECT", &[0]),
        ("EXAMINE", &[0]),
        ("CREATE", &[0]),
        ("DELETE", &[0]),
        ("RENAME", &[0, 1]),
        ("SUBSCRIBE", &[0]),
        ("UNSUBSCRIBE", &[0]),
        ("LIST", &[0, 1]),
        ("LSUB", &[0, 1]),
        ("XLIST", &[0, 1]),
        ("STATUS", &[0]),
        ("APPEND", &[0]),
        ("COPY", &[1]),
        ("MOVE", &[1]),
        ("GETQUOTAROOT", &[0]),
        ("GETACL", &[0]),
        ("SETACL", &[0]),
        ("DELETEACL", &[0]),
        ("MYRIGHTS", &[0]),
        ("LISTRIGHTS", &[0]),
    ];
    COMMANDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(command))
        .map_or(&[], |(_, at)| at)
}

/// The byte ranges of the arguments in `rest`: atoms, quoted strings and
/// parenthesized lists (with quotes inside) each count as one.
fn argument_spans(rest: &str) -> Vec<(usize, usize)> {
    let bytes = rest.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) == Some(&b' ') {
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 0usize;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'"' => {
                    i += rest
                        .get(i..)
                        .and_then(crate::command::quoted_end)
                        .unwrap_or(bytes.len() - i)
                }
                b'(' => {
                    depth += 1;
                    i += 1;
                }
                b')' => {
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                b' ' if depth == 0 => break,
                _ => i += 1,
            }
        }
        spans.push((start, i));
    }
    spans
}

/// Rewrites the typed mailbox-name arguments of a command that hold
/// non-ASCII in modified UTF-7 (`select 내게쓴메일함` → `select
/// &sLSsjMT0ulTHfNVo-`), for servers without UTF8=ACCEPT. Only mailbox
/// arguments: a search string or a flag stays as typed.
pub fn encode_mailbox_arguments(command: &str, rest: &str) -> String {
    let spans = argument_spans(rest);
    let (positions, mut skip) = if command.eq_ignore_ascii_case("UID") {
        let sub = spans
            .first()
            .and_then(|&(a, b)| rest.get(a..b))
            .unwrap_or_default();
        (mailbox_positions(sub), 1)
    } else {
        (mailbox_positions(command), 0)
    };
    // LIST-EXTENDED (RFC 5258): selection options come first.
    let listing = ["LIST", "LSUB", "XLIST"]
        .iter()
        .any(|c| c.eq_ignore_ascii_case(command));
    if listing
        && spans
            .first()
            .is_some_and(|&(a, _)| rest.as_bytes().get(a) == Some(&b'('))
    {
        skip += 1;
    }
    let mut out = String::with_capacity(rest.len());
    let mut copied = 0;
    for (index, &(start, end)) in spans.iter().enumerate() {
        let arg = rest.get(start..end).unwrap_or_default();
        let is_mailbox = index
            .checked_sub(skip)
            .is_some_and(|i| positions.contains(&i));
        if !is_mailbox || arg.is_ascii() {
            continue;
        }
        out.push_str(rest.get(copied..start).unwrap_or_default());
        match arg
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .filter(|_| arg.len() >= 2)
        {
            Some(inner) => {
                let encoded = crate::utf7::encode(&crate::command::unquote(inner));
                out.push('"');
                out.push_str(&encoded.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            }
            None => out.push_str(&crate::utf7::encode(arg)),
        }
        copied = end;
    }
    out.push_str(rest.get(copied..).unwrap_or_default());
    out
}

/// The command that takes search keys, for a typed command and its first
/// argument: SEARCH gets `CHARSET UTF-8` added for a non-ASCII string,
/// SORT and THREAD carry their charset as a typed argument.
fn search_command(command: &str, rest: &str) -> Option<(&'static str, bool, usize)> {
    const SEARCHES: &[(&str, &str, bool)] = &[
        ("SEARCH", "SEARCH", true),
        ("SORT", "SORT", false),
        ("THREAD", "THREAD", false),
    ];
    const UID_SEARCHES: &[(&str, &str, bool)] = &[
        ("SEARCH", "UID SEARCH", true),
        ("SORT", "UID SORT", false),
        ("THREAD", "UID THREAD", false),
    ];
    let (table, word, keys_at) = if command.eq_ignore_ascii_case("UID") {
        let sub = rest.split(' ').next().unwrap_or_default();
        (UID_SEARCHES, sub, sub.len())
    } else {
        (SEARCHES, command, 0)
    };
    table
        .iter()
        .find(|(typed, _, _)| typed.eq_ignore_ascii_case(word))
        .map(|&(_, name, charset)| (name, charset, keys_at))
}

/// Where the secret part of a typed LOGIN starts in `rest` (after the user name).
fn login_secret_start(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let end_of_user = if bytes.first() == Some(&b'"') {
        let mut i = 1;
        loop {
            match bytes.get(i)? {
                b'\\' => i += 2,
                b'"' => break i + 1,
                _ => i += 1,
            }
        }
    } else {
        rest.find(' ')?
    };
    (rest.get(end_of_user..)?.starts_with(' ')).then_some(end_of_user + 1)
}

impl<S: Read + Write> Console<S> {
    /// The session state (capabilities, selected mailbox) as far as seen.
    pub fn mailbox(&self) -> &crate::Mailbox {
        &self.core.mailbox
    }

    /// `[ALERT]` texts, taken out.
    pub fn take_alerts(&mut self) -> Vec<String> {
        std::mem::take(&mut self.core.alerts)
    }

    /// True when `name` is advertised.
    pub fn has_capability(&self, name: &str) -> bool {
        self.core.has_capability(name)
    }

    /// Sends one typed line and reads its complete reply.
    ///
    /// # Errors
    /// CR/LF in the line, a broken response, a tagged reply for another
    /// tag, the connection. A NO or BAD is a reply, not an error.
    pub fn execute(&mut self, line: &str) -> Result<Reply, Error> {
        if self.pending.is_some() {
            return self.send_data(line, &mut io::sink());
        }
        let (tag, command, rest) = split_line(line, String::new);
        let tag = Some(tag).filter(|t| !t.is_empty());
        self.execute_parts(tag.as_deref(), &command, &rest, &mut io::sink())
    }

    /// True when the last reply was a continuation request: the next line
    /// is data for that command ([`send_data`](Self::send_data)).
    pub fn awaits_data(&self) -> bool {
        self.pending.is_some()
    }

    /// Sends a line of data for the command waiting on a continuation
    /// (masked in the transcript after AUTHENTICATE) and reads on; FETCH
    /// body sections go to `fetched` as for
    /// [`execute_parts`](Self::execute_parts).
    ///
    /// # Errors
    /// As [`execute`](Self::execute); no command waits for data.
    pub fn send_data(&mut self, line: &str, fetched: &mut dyn Write) -> Result<Reply, Error> {
        let (tag, secret, data) = data_line(&mut self.pending, line)?;
        match &data {
            Some(data) => self.core.conn.send(Line::with_secret(b"", data))?,
            None => self.core.conn.send(Line::public(line.as_bytes()))?,
        }
        self.read_reply(tag, secret, fetched)
    }

    /// Sends `command rest` under `tag` (a new one when `None`) and reads
    /// the complete reply. The contents of FETCH body sections (`BODY[...]`,
    /// `BINARY[...]`, `RFC822...`) are also written to `fetched`, byte for
    /// byte, in the order received.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub fn execute_parts(
        &mut self,
        tag: Option<&str>,
        command: &str,
        rest: &str,
        fetched: &mut dyn Write,
    ) -> Result<Reply, Error> {
        let prepared = prepare(&mut self.core, self.pending.is_some(), tag, command, rest)?;
        match prepared.outgoing {
            Outgoing::Typed(cmd) => return self.send_typed(prepared.tag, &cmd, fetched),
            Outgoing::Line { public, secret } => match secret {
                Some(secret) => self.core.conn.send(Line::with_secret(&public, &secret))?,
                None => self.core.conn.send(Line::public(&public))?,
            },
        }
        self.read_reply(prepared.tag, prepared.authenticate, fetched)
    }

    /// Sends a command built from a typed line (literals wait for their
    /// continuation) and reads its reply; a NO to a literal is the reply.
    fn send_typed(
        &mut self,
        tag: Tag,
        cmd: &Command,
        fetched: &mut dyn Write,
    ) -> Result<Reply, Error> {
        let mut seen = Vec::new();
        let mut reply = match self.core.send_tagged(&tag, cmd, &mut seen) {
            Ok(()) => self.read_reply(tag, false, fetched)?,
            Err(Error::Rejected { reply, .. }) => Reply {
                tagged: Some(*reply),
                ..Reply::default()
            },
            Err(err) => return Err(err),
        };
        seen.append(&mut reply.untagged);
        reply.untagged = seen;
        Ok(reply)
    }

    fn read_reply(
        &mut self,
        tag: Tag,
        secret_continuation: bool,
        fetched: &mut dyn Write,
    ) -> Result<Reply, Error> {
        let mut collector = ReplyCollector::new(tag, secret_continuation);
        loop {
            match self.core.advance(true)? {
                Piece::Body(_) => {
                    self.core.copy_body(fetched)?;
                }
                Piece::Done(response) => {
                    for body in quoted_bodies(&response) {
                        fetched.write_all(body).map_err(mail_wire::Error::from)?;
                    }
                    if let Some((reply, pending)) = collector.receive(&mut self.core, response)? {
                        self.pending = pending;
                        return Ok(reply);
                    }
                }
            }
        }
    }

    /// Runs a typed IDLE line: shows updates (through the transcript) until
    /// `stop_now(updates seen)` is true or `limit` passes, then sends DONE.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub fn idle(
        &mut self,
        line: &str,
        limit: Duration,
        mut stop_now: impl FnMut(usize) -> bool,
    ) -> Result<Reply, Error> {
        let mut reply = self.execute(line)?;
        let Some((tag, _)) = self.pending.take() else {
            return Ok(reply);
        };
        let deadline = Instant::now() + limit;
        // Updates that came before the `+` count too: they are IDLE's.
        while Instant::now() < deadline && !stop_now(reply.untagged.len()) {
            if let Some(Response::Untagged(u)) = self.core.poll_response()? {
                self.core.absorb(&u);
                reply.untagged.push(u);
            }
        }
        self.core.conn.send(Line::public(Idle::DONE))?;
        let rest = self.read_reply(tag, false, &mut io::sink())?;
        reply.untagged.extend(rest.untagged);
        reply.tagged = rest.tagged;
        reply.continuation = None;
        Ok(reply)
    }

    /// FETCH n BODY.PEEK[] into memory (for `:show` and `:save`); the
    /// transcript notes the literal's size instead of showing the raw message.
    ///
    /// # Errors
    /// Rejection (no mailbox selected), limits, the connection.
    pub fn fetch_message(&mut self, seq: u32) -> Result<Vec<u8>, Error> {
        let cmd = fetch_message_command(seq)?;
        let echo = std::mem::replace(&mut self.core.echo_literals, false);
        let result = self.core.run(cmd);
        self.core.echo_literals = echo;
        let (seen, _) = result?;
        message_body(seen, seq)
    }

    /// APPEND a message (for `:append`).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn append(&mut self, mailbox: &str, message: Vec<u8>) -> Result<Tagged, Error> {
        let cmd = append_command(&self.core, mailbox, message)?;
        self.core.run(cmd).map(|(_, t)| t)
    }

    /// Writes a note into the transcript (e.g. decoded mailbox names).
    pub fn note(&mut self, text: &str) {
        self.core.conn.note(Direction::Server, text);
    }

    /// LOGOUT, tolerating a server that closes right after BYE.
    ///
    /// # Errors
    /// The connection.
    pub fn logout(mut self) -> Result<(), Error> {
        logout_outcome(self.core.run(Command::new("LOGOUT")).map(|_| ()))
    }
}

/// What a typed line becomes on the wire.
pub(crate) enum Outgoing {
    /// A command with literals (non-ASCII search text), sent through
    /// [`CommandSender`](crate::sans_io::CommandSender).
    Typed(Command),
    /// One line; its secret part (a typed password, AUTHENTICATE data) masked.
    Line {
        public: Vec<u8>,
        secret: Option<Secret>,
    },
}

/// A typed line ready to go: its tag, what to send, and whether the
/// continuations it may get ask for secret data (AUTHENTICATE).
pub(crate) struct Prepared {
    pub(crate) tag: Tag,
    pub(crate) outgoing: Outgoing,
    pub(crate) authenticate: bool,
}

/// Checks a typed command and turns it into what goes on the wire: a new
/// tag unless one was typed, mailbox arguments in modified UTF-7 without
/// UTF8=ACCEPT, non-ASCII search text as literals, passwords masked.
pub(crate) fn prepare(
    state: &mut State,
    awaiting_data: bool,
    tag: Option<&str>,
    command: &str,
    rest: &str,
) -> Result<Prepared, Error> {
    for part in [tag.unwrap_or_default(), command, rest] {
        check_line(part)?;
    }
    if awaiting_data {
        return Err(Error::Unexpected(
            "a command while the last one waits for data".into(),
        ));
    }
    let tag = match tag {
        Some(tag) => tag.to_owned(),
        None => state.next_tag().0,
    };
    let head = format!("{tag} {command}");
    let upper = command.to_ascii_uppercase();
    if !rest.is_ascii() {
        if let Some((name, charset, keys_at)) = search_command(&upper, rest) {
            let keys = rest.get(keys_at..).unwrap_or_default();
            let cmd = Command::new(name).search_keys(
                keys,
                state.utf8(),
                charset && !state.utf8_accept(),
            )?;
            return Ok(Prepared {
                tag: Tag(tag),
                outgoing: Outgoing::Typed(cmd),
                authenticate: false,
            });
        }
    }
    let rest = if state.utf8() {
        rest.to_owned()
    } else {
        encode_mailbox_arguments(&upper, rest)
    };
    let secret_from = match upper.as_str() {
        "LOGIN" => login_secret_start(&rest),
        "AUTHENTICATE" => rest.find(' ').map(|i| i + 1),
        _ => None,
    };
    let outgoing = match secret_from {
        Some(at) => {
            let (public, secret) = rest.split_at(at.min(rest.len()));
            Outgoing::Line {
                public: format!("{head} {public}").into_bytes(),
                secret: Some(Secret::new(secret)),
            }
        }
        None if rest.is_empty() => Outgoing::Line {
            public: head.into_bytes(),
            secret: None,
        },
        None => Outgoing::Line {
            public: format!("{head} {rest}").into_bytes(),
            secret: None,
        },
    };
    Ok(Prepared {
        tag: Tag(tag),
        outgoing,
        authenticate: upper == "AUTHENTICATE",
    })
}

/// The command waiting for a data line after a continuation request, and
/// whether that data is secret.
pub(crate) type Awaiting = Option<(Tag, bool)>;

/// A data line for the command waiting on a continuation: its tag, whether
/// it is secret, and the line as a secret when it is.
pub(crate) fn data_line(
    pending: &mut Awaiting,
    line: &str,
) -> Result<(Tag, bool, Option<Secret>), Error> {
    check_line(line)?;
    let Some((tag, secret)) = pending.take() else {
        return Err(Error::Unexpected(
            "a data line while no command waits for one".into(),
        ));
    };
    Ok((tag, secret, secret.then(|| Secret::new(line))))
}

/// FETCH body sections that came as quoted strings, read with their line
/// (the caller's writer gets them as it gets streamed literals).
pub(crate) fn quoted_bodies(response: &Response) -> impl Iterator<Item = &[u8]> {
    let items = match response {
        Response::Untagged(Untagged::Fetch(f)) => f.items.as_slice(),
        _ => &[],
    };
    items.iter().filter_map(|item| match item {
        FetchItem::Body {
            data: NString::Bytes(bytes),
            ..
        } => Some(bytes.as_slice()),
        _ => None,
    })
}

/// Collects the reply to a console line from the responses as they come.
pub(crate) struct ReplyCollector {
    tag: Tag,
    secret_continuation: bool,
    reply: Reply,
}

impl ReplyCollector {
    pub(crate) fn new(tag: Tag, secret_continuation: bool) -> Self {
        ReplyCollector {
            tag,
            secret_continuation,
            reply: Reply::default(),
        }
    }

    /// Takes one response; returns the reply once complete, with the
    /// command that waits for a data line, if any.
    pub(crate) fn receive(
        &mut self,
        state: &mut State,
        response: Response,
    ) -> Result<Option<(Reply, Awaiting)>, Error> {
        match response {
            Response::Untagged(u) => {
                state.absorb(&u);
                self.reply.untagged.push(u);
                Ok(None)
            }
            Response::Continuation(text) => {
                self.reply.continuation = Some(text);
                let pending = (self.tag.clone(), self.secret_continuation);
                Ok(Some((std::mem::take(&mut self.reply), Some(pending))))
            }
            Response::Tagged(t) if t.tag == self.tag => {
                if let Some(code) = &t.text.code {
                    state.mailbox.apply_code(code);
                }
                self.reply.tagged = Some(t);
                Ok(Some((std::mem::take(&mut self.reply), None)))
            }
            Response::Tagged(t) => Err(Error::UnexpectedTag {
                expected: self.tag.0.clone(),
                got: t.tag.0,
            }),
        }
    }
}

/// The command of [`Console::fetch_message`].
pub(crate) fn fetch_message_command(seq: u32) -> Result<Command, Error> {
    Ok(Command::new("FETCH")
        .raw(&seq.to_string(), "message number")?
        .raw("BODY.PEEK[]", "items")?)
}

/// The message in the answer to [`fetch_message_command`].
pub(crate) fn message_body(seen: Vec<Untagged>, seq: u32) -> Result<Vec<u8>, Error> {
    seen.into_iter()
        .find_map(|u| match u {
            Untagged::Fetch(f) => f.body().and_then(|b| b.bytes().map(<[u8]>::to_vec)),
            _ => None,
        })
        .ok_or_else(|| Error::Unexpected(format!("no body for message {seq}")))
}

/// The command of [`Console::append`].
pub(crate) fn append_command(
    state: &State,
    mailbox: &str,
    message: Vec<u8>,
) -> Result<Command, Error> {
    Ok(Command::new("APPEND")
        .mailbox(mailbox, state.utf8())?
        .literal(message))
}

/// The console's LOGOUT: BYE with the connection closing is success.
pub(crate) fn logout_outcome(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Ok(()) | Err(Error::Bye { .. }) => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_added_only_before_command_names() {
        let (t, c, r) = split_line("list \"\" \"*\"", || "a1".into());
        assert_eq!(
            (t.as_str(), c.as_str(), r.as_str()),
            ("a1", "list", "\"\" \"*\"")
        );
        let (t, c, r) = split_line("x7 select inbox", || "a1".into());
        assert_eq!(
            (t.as_str(), c.as_str(), r.as_str()),
            ("x7", "select", "inbox")
        );
        let (t, c, _) = split_line("uid fetch 1:* flags", || "a2".into());
        assert_eq!((t.as_str(), c.as_str()), ("a2", "uid"));
    }

    fn console(script: &str) -> Console<mail_wire::testing::ScriptedStream> {
        let stream = mail_wire::testing::ScriptedStream::from_transcript(&format!(
            "S: * OK [CAPABILITY IMAP4rev1] ready\nC: a1 LOGIN u ********\nS: a1 OK [CAPABILITY IMAP4rev1] done\n{script}"
        ));
        let client =
            Client::new(mail_wire::Connection::new(stream, crate::default_limits())).unwrap();
        client
            .login("u", &Secret::new("p"))
            .map_err(|(e, _)| e)
            .unwrap()
            .into_console()
    }

    #[test]
    fn fetched_sections_are_written_byte_for_byte_in_order() {
        let mut c = console(
            "C: a2 fetch 1:2 body[]\nS: * 1 FETCH (BODY[] {4}\nS: hi\nS: )\nS: * 2 FETCH (FLAGS (\\Seen) BODY[] \"x\\\"y\")\n\
             S: a2 OK done\nC: t1 XFOO 1\nS: t1 BAD what\nC: a3 XBAR\nS: a3 OK fine\n",
        );
        let mut out = Vec::new();
        let reply = c
            .execute_parts(None, "fetch", "1:2 body[]", &mut out)
            .unwrap();
        assert!(reply.is_ok());
        assert_eq!(out, b"hi\r\nx\"y");
        let reply = c.execute_parts(Some("t1"), "XFOO", "1", &mut out).unwrap();
        assert_eq!(reply.tagged.unwrap().status, Status::Bad);
        assert!(c.execute_parts(None, "XBAR", "", &mut out).unwrap().is_ok());
        assert!(
            c.execute_parts(None, "NOOP", "a\r\nb", &mut out).is_err(),
            "no line break reaches the wire"
        );
    }

    #[test]
    fn typed_korean_mailbox_names_are_encoded() {
        let table = [
            ("CREATE", "내게쓴메일함", "&sLSsjMT0ulTHfNVo-"),
            ("select", "\"내게쓴 메일함\"", "\"&sLSsjMT0- &ulTHfNVo-\""),
            ("RENAME", "a&b 한", "a&b &1Vw-"),
            ("UID", "move 1:3 휴지통", "move 1:3 &1zTJwNG1-"),
            ("COPY", "1:3 휴지통", "1:3 &1zTJwNG1-"),
            ("LIST", "\"\" 내게*", "\"\" &sLSsjA-*"),
            (
                "LIST",
                "(SUBSCRIBED) \"\" 내게*",
                "(SUBSCRIBED) \"\" &sLSsjA-*",
            ),
            ("STATUS", "내게 (MESSAGES)", "&sLSsjA- (MESSAGES)"),
        ];
        for (command, rest, expected) in table {
            assert_eq!(
                encode_mailbox_arguments(command, rest),
                expected,
                "{command} {rest}"
            );
        }
    }

    #[test]
    fn only_mailbox_arguments_are_modified_utf7() {
        for (command, rest) in [
            ("SEARCH", "SUBJECT 한글"),
            ("UID", "search subject 한글"),
            ("UID", "store 1 +FLAGS (한글)"),
            ("STORE", "1 +FLAGS (한글)"),
            ("APPEND", "INBOX (\\Seen) \"한글\""),
            ("COPY", "한글 INBOX"),
            ("FETCH", "1 BODY[HEADER.FIELDS (한글)]"),
        ] {
            assert_eq!(
                encode_mailbox_arguments(command, rest),
                rest,
                "{command} {rest}"
            );
        }
    }

    #[test]
    fn search_commands_are_recognized_with_and_without_uid() {
        assert_eq!(
            search_command("SEARCH", "subject 안녕"),
            Some(("SEARCH", true, 0))
        );
        assert_eq!(
            search_command("UID", "search subject 안녕"),
            Some(("UID SEARCH", true, 6))
        );
        assert_eq!(
            search_command("UID", "SORT (DATE) UTF-8 안녕"),
            Some(("UID SORT", false, 4))
        );
        assert_eq!(
            search_command("THREAD", "REFS UTF-8 안녕"),
            Some(("THREAD", false, 0))
        );
        assert_eq!(search_command("UID", "fetch 1 flags"), None);
        assert_eq!(search_command("SELECT", "안녕"), None);
    }

    #[test]
    fn argument_spans_keep_quotes_and_lists_whole() {
        let rest = "(a \"b c\") \"x \\\" y\"  z";
        let spans: Vec<&str> = argument_spans(rest)
            .into_iter()
            .map(|(a, b)| &rest[a..b])
            .collect();
        assert_eq!(spans, ["(a \"b c\")", "\"x \\\" y\"", "z"]);
        assert_eq!(argument_spans("\"unterminated"), [(0, 13)]);
    }

    #[test]
    fn login_secret_starts_after_the_user() {
        assert_eq!(login_secret_start("id pw"), Some(3));
        assert_eq!(login_secret_start("\"a \\\" b\" pw x"), Some(9));
        assert_eq!(login_secret_start("id"), None);
        assert_eq!(login_secret_start("\"unterminated"), None);
    }
}
