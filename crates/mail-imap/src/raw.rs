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
use crate::exchange::{Core, Frame, Piece};
use crate::response::{FetchItem, NString, Response, Status, Tag, Tagged, Untagged};
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
    pending: Option<(Tag, bool)>,
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

/// Commands whose arguments include mailbox names.
const MAILBOX_COMMANDS: &[&str] = &[
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "STATUS",
    "APPEND",
    "COPY",
    "MOVE",
    "UID",
];

/// Rewrites typed non-ASCII words of a mailbox command in modified UTF-7
/// (`select 내게쓴메일함` → `select &sLSsjMT0ulTHfNVo-`), for servers
/// without UTF8=ACCEPT.
pub fn encode_mailbox_words(command: &str, rest: &str) -> String {
    if rest.is_ascii()
        || !MAILBOX_COMMANDS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(command))
    {
        return rest.to_owned();
    }
    let mut out = Vec::new();
    for word in rest.split(' ') {
        if word.is_ascii() {
            out.push(word.to_owned());
            continue;
        }
        let quoted = word.len() >= 2 && word.starts_with('"') && word.ends_with('"');
        let inner = if quoted {
            word.get(1..word.len() - 1).unwrap_or_default()
        } else {
            word
        };
        let encoded = crate::utf7::encode(inner);
        out.push(if quoted {
            format!("\"{encoded}\"")
        } else {
            encoded
        });
    }
    out.join(" ")
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
        check_line(line)?;
        let Some((tag, secret)) = self.pending.take() else {
            return Err(Error::Unexpected(
                "a data line while no command waits for one".into(),
            ));
        };
        if secret {
            self.core
                .conn
                .send(Line::with_secret(b"", &Secret::new(line)))?;
        } else {
            self.core.conn.send(Line::public(line.as_bytes()))?;
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
        for part in [tag.unwrap_or_default(), command, rest] {
            check_line(part)?;
        }
        if self.pending.is_some() {
            return Err(Error::Unexpected(
                "a command while the last one waits for data".into(),
            ));
        }
        let tag = match tag {
            Some(tag) => tag.to_owned(),
            None => self.core.next_tag().0,
        };
        let head = format!("{tag} {command}");
        let upper = command.to_ascii_uppercase();
        let rest = if self.core.utf8() {
            rest.to_owned()
        } else {
            encode_mailbox_words(&upper, rest)
        };
        let secret_from = match upper.as_str() {
            "LOGIN" => login_secret_start(&rest),
            "AUTHENTICATE" => rest.find(' ').map(|i| i + 1),
            _ => None,
        };
        match secret_from {
            Some(at) => {
                let (public, secret) = rest.split_at(at.min(rest.len()));
                let public = format!("{head} {public}");
                self.core
                    .conn
                    .send(Line::with_secret(public.as_bytes(), &Secret::new(secret)))?;
            }
            None if rest.is_empty() => self.core.conn.send(Line::public(head.as_bytes()))?,
            None => self
                .core
                .conn
                .send(Line::public(format!("{head} {rest}").as_bytes()))?,
        }
        self.read_reply(Tag(tag), upper == "AUTHENTICATE", fetched)
    }

    fn read_reply(
        &mut self,
        tag: Tag,
        secret_continuation: bool,
        fetched: &mut dyn Write,
    ) -> Result<Reply, Error> {
        let mut reply = Reply::default();
        let mut frame = Frame::default();
        loop {
            match self.core.advance(&mut frame, true)? {
                Piece::Body(ctx) => {
                    let mut done = 0;
                    self.core.copy_literal(ctx.size, fetched, &mut done)?;
                }
                Piece::Done(Response::Untagged(u)) => {
                    // A short section may come as a quoted string, read with the line.
                    if let Untagged::Fetch(f) = &u {
                        for item in &f.items {
                            if let FetchItem::Body {
                                data: NString::Bytes(bytes),
                                ..
                            } = item
                            {
                                fetched.write_all(bytes).map_err(mail_wire::Error::from)?;
                            }
                        }
                    }
                    self.core.absorb(&u);
                    reply.untagged.push(u);
                }
                Piece::Done(Response::Continuation(text)) => {
                    self.pending = Some((tag, secret_continuation));
                    reply.continuation = Some(text);
                    return Ok(reply);
                }
                Piece::Done(Response::Tagged(t)) if t.tag == tag => {
                    if let Some(code) = &t.text.code {
                        self.core.mailbox.apply_code(code);
                    }
                    reply.tagged = Some(t);
                    return Ok(reply);
                }
                Piece::Done(Response::Tagged(t)) => {
                    return Err(Error::UnexpectedTag {
                        expected: tag.0,
                        got: t.tag.0,
                    });
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
        let mut text = Vec::new();
        let before = reply.untagged.len();
        while Instant::now() < deadline && !stop_now(reply.untagged.len() - before) {
            text.clear();
            let result = self
                .core
                .conn
                .read_line()
                .map(|l| text.extend_from_slice(l));
            match result {
                Ok(()) => {}
                Err(mail_wire::Error::Timeout) => continue,
                Err(err) => return Err(err.into()),
            }
            text.extend_from_slice(b"\r\n");
            if let (Response::Untagged(u), _) = crate::response::parse_response(&text)? {
                self.core.absorb(&u);
                reply.untagged.push(u);
            }
        }
        self.core.conn.send(Line::public(b"DONE"))?;
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
        let cmd = Command::new("FETCH")
            .raw(&seq.to_string(), "message number")?
            .raw("BODY.PEEK[]", "items")?;
        let echo = std::mem::replace(&mut self.core.echo_literals, false);
        let result = self.core.run(cmd);
        self.core.echo_literals = echo;
        let (seen, _) = result?;
        seen.into_iter()
            .find_map(|u| match u {
                Untagged::Fetch(f) => f.body().and_then(|b| b.bytes().map(<[u8]>::to_vec)),
                _ => None,
            })
            .ok_or_else(|| Error::Unexpected(format!("no body for message {seq}")))
    }

    /// APPEND a message (for `:append`).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn append(&mut self, mailbox: &str, message: Vec<u8>) -> Result<Tagged, Error> {
        let cmd = Command::new("APPEND")
            .mailbox(mailbox, self.core.utf8())?
            .literal(message);
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
        match self.core.run(Command::new("LOGOUT")) {
            Ok(_) | Err(Error::Bye { .. }) => Ok(()),
            Err(err) => Err(err),
        }
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
        assert_eq!(
            encode_mailbox_words("CREATE", "내게쓴메일함"),
            "&sLSsjMT0ulTHfNVo-"
        );
        assert_eq!(
            encode_mailbox_words("select", "\"내게쓴 메일함\""),
            "\"&sLSsjMT0- &ulTHfNVo-\""
        );
        assert_eq!(encode_mailbox_words("RENAME", "a&b 한"), "a&b &1Vw-");
        assert_eq!(
            encode_mailbox_words("UID", "move 1:3 휴지통"),
            "move 1:3 &1zTJwNG1-"
        );
        assert_eq!(
            encode_mailbox_words("SEARCH", "SUBJECT 한글"),
            "SUBJECT 한글"
        );
    }

    #[test]
    fn login_secret_starts_after_the_user() {
        assert_eq!(login_secret_start("id pw"), Some(3));
        assert_eq!(login_secret_start("\"a \\\" b\" pw x"), Some(9));
        assert_eq!(login_secret_start("id"), None);
        assert_eq!(login_secret_start("\"unterminated"), None);
    }
}
