//! Command sending: a command's lines and literals handed out one piece at a
//! time, a synchronizing literal held back until the server's `+`, and the
//! responses that come meanwhile matched to the command.

use mail_wire::Secret;

use crate::command::{Command, Part};
use crate::error::Error;
use crate::response::{Response, Tag, Tagged, Untagged};

/// How literals go out (RFC 7888).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralMode {
    /// `{n}`: every literal waits for the server's continuation request.
    Synchronizing,
    /// `{n+}` (LITERAL+): no literal waits.
    NonSynchronizing,
    /// `{n+}` up to 4096 bytes, `{n}` above (LITERAL-).
    NonSynchronizingUpTo4k,
}

impl LiteralMode {
    fn waits(self, size: u64) -> bool {
        match self {
            LiteralMode::Synchronizing => true,
            LiteralMode::NonSynchronizing => false,
            LiteralMode::NonSynchronizingUpTo4k => size > 4096,
        }
    }
}

/// What the driver does next for a command being sent.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum SendStep<'a> {
    /// Write `public`, then the secret if any, then CRLF. A transcript shows
    /// `public` and a mask for the secret.
    Line {
        /// Bytes that may be shown.
        public: &'a [u8],
        /// Bytes that must never be shown.
        secret: Option<&'a Secret>,
    },
    /// Write a literal's bytes as they are (never shown in a transcript).
    Literal {
        /// The bytes.
        bytes: &'a [u8],
        /// True for a credential, masked even as a size.
        secret: bool,
    },
    /// Write `size` bytes from the caller's source as they are: the
    /// literal of [`Command::supplied_literal`](crate::Command::supplied_literal).
    Supply {
        /// How many bytes.
        size: u64,
    },
    /// Read responses and pass them to [`CommandSender::receive`] until a
    /// continuation request lets the literal go.
    AwaitContinuation,
    /// All sent; read responses up to the tagged completion.
    Sent,
}

impl SendStep<'_> {
    /// Appends the step's bytes as they go on the wire.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            SendStep::Line { public, secret } => {
                out.extend_from_slice(public);
                if let Some(s) = secret {
                    out.extend_from_slice(s.expose().as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
            SendStep::Literal { bytes, .. } => out.extend_from_slice(bytes),
            SendStep::Supply { .. } | SendStep::AwaitContinuation | SendStep::Sent => {}
        }
    }
}

/// A response, as it bears on the command being sent.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum Received {
    /// Untagged data; the command goes on.
    Untagged(Untagged),
    /// The continuation request the held literal waited for.
    Continued,
    /// The command's tagged completion (OK, or NO/BAD, possibly instead of
    /// the continuation a literal waited for). The command is over.
    Completed(Tagged),
}

/// One command on its way to the server, with no I/O: call
/// [`next`](Self::next) and do what it says, and pass every response that
/// arrives to [`receive`](Self::receive) until it says
/// [`Received::Completed`].
#[derive(Debug)]
pub struct CommandSender<'c> {
    tag: Tag,
    command: &'c Command,
    mode: LiteralMode,
    at: usize,
    line: Vec<u8>,
    secret: Option<&'c Secret>,
    /// The literal to hand out next, by its index in the command's parts.
    release: Option<usize>,
    waiting: bool,
    clear_line: bool,
    ended: bool,
    completed: bool,
}

impl<'c> CommandSender<'c> {
    /// Starts sending `command` under `tag`.
    pub fn new(tag: Tag, command: &'c Command, mode: LiteralMode) -> Self {
        let line = format!("{tag} ").into_bytes();
        CommandSender {
            tag,
            command,
            mode,
            at: 0,
            line,
            secret: None,
            release: None,
            waiting: false,
            clear_line: false,
            ended: false,
            completed: false,
        }
    }

    /// The command's tag.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// The command's verb.
    pub fn name(&self) -> &'static str {
        self.command.name()
    }

    /// The next thing to do.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> SendStep<'_> {
        if self.clear_line {
            self.line.clear();
            self.secret = None;
            self.clear_line = false;
        }
        if self.waiting {
            return SendStep::AwaitContinuation;
        }
        if self.completed {
            return SendStep::Sent;
        }
        if let Some(i) = self.release.take() {
            match self.command.parts.get(i) {
                Some(Part::Literal { bytes, secret }) => {
                    return SendStep::Literal {
                        bytes,
                        secret: *secret,
                    }
                }
                Some(Part::Supplied { size }) => return SendStep::Supply { size: *size },
                _ => {}
            }
        }
        loop {
            match self.command.parts.get(self.at) {
                None if self.ended => return SendStep::Sent,
                None => {
                    self.ended = true;
                    self.clear_line = true;
                    return SendStep::Line {
                        public: &self.line,
                        secret: self.secret,
                    };
                }
                Some(Part::Text(t)) => self.line.extend_from_slice(t),
                Some(Part::Secret(s)) => self.secret = Some(s),
                Some(part @ (Part::Literal { .. } | Part::Supplied { .. })) => {
                    let size = match part {
                        Part::Literal { bytes, .. } => bytes.len() as u64,
                        Part::Supplied { size } => *size,
                        _ => 0,
                    };
                    let waits = self.mode.waits(size);
                    let plus = if waits { "" } else { "+" };
                    self.line
                        .extend_from_slice(format!("{{{size}{plus}}}").as_bytes());
                    self.release = Some(self.at);
                    self.waiting = waits;
                    self.at += 1;
                    self.clear_line = true;
                    return SendStep::Line {
                        public: &self.line,
                        secret: self.secret,
                    };
                }
            }
            self.at += 1;
        }
    }

    /// Takes a response that arrived while the command was under way.
    ///
    /// # Errors
    /// [`Error::UnexpectedTag`] for another command's completion, and
    /// [`Error::Unexpected`] for a continuation request nothing waits for.
    pub fn receive(&mut self, response: Response) -> Result<Received, Error> {
        if self.waiting && matches!(response, Response::Continuation(_)) {
            self.waiting = false;
            return Ok(Received::Continued);
        }
        let received = completion(&self.tag, self.command.name(), response)?;
        if let Received::Completed(_) = received {
            self.waiting = false;
            self.release = None;
            self.completed = true;
        }
        Ok(received)
    }

    /// True once the tagged completion arrived.
    pub fn is_completed(&self) -> bool {
        self.completed
    }
}

/// Matches a response read while waiting for the completion of `tag`
/// (everything of the command already sent).
///
/// # Errors
/// As [`CommandSender::receive`].
pub fn completion(tag: &Tag, command: &'static str, response: Response) -> Result<Received, Error> {
    match response {
        Response::Untagged(u) => Ok(Received::Untagged(u)),
        Response::Tagged(t) if &t.tag == tag => Ok(Received::Completed(t)),
        Response::Tagged(t) => Err(Error::UnexpectedTag {
            expected: tag.0.clone(),
            got: t.tag.0,
        }),
        Response::Continuation(text) => Err(Error::Unexpected(format!(
            "a continuation request (+ {text}) during {command}"
        ))),
    }
}

/// The whole command as bytes, literals after their announcement without
/// waiting, for tests and logs.
pub(crate) fn encode_all(tag: &str, command: &Command, mode: LiteralMode) -> Vec<u8> {
    let mut sender = CommandSender::new(Tag(tag.to_owned()), command, mode);
    let mut out = Vec::new();
    loop {
        match sender.next() {
            SendStep::Sent => return out,
            SendStep::AwaitContinuation => sender.waiting = false,
            step => step.encode(&mut out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::parse_response;
    use crate::Status;

    fn response(bytes: &[u8]) -> Response {
        parse_response(bytes).unwrap().0
    }

    fn append(message: &[u8]) -> Command {
        Command::new("APPEND")
            .raw("INBOX", "mailbox")
            .unwrap()
            .literal(message.to_vec())
    }

    /// Runs the sender, answering each wait with `answers` in turn; returns
    /// the bytes written and what the responses meant.
    fn drive(
        sender: &mut CommandSender<'_>,
        answers: &[&[u8]],
    ) -> Result<(Vec<u8>, Vec<Received>), Error> {
        let (mut out, mut got) = (Vec::new(), Vec::new());
        let mut answers = answers.iter();
        loop {
            match sender.next() {
                SendStep::Sent => return Ok((out, got)),
                SendStep::AwaitContinuation => {
                    let r = sender.receive(response(answers.next().expect("an answer")))?;
                    got.push(r);
                }
                step => step.encode(&mut out),
            }
        }
    }

    #[test]
    fn a_synchronizing_literal_waits_for_the_continuation() {
        let cmd = append(b"Hi\r\n");
        let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::Synchronizing);
        assert_eq!(
            sender.next(),
            SendStep::Line {
                public: b"a1 APPEND INBOX {4}",
                secret: None
            }
        );
        assert_eq!(sender.next(), SendStep::AwaitContinuation);
        assert_eq!(sender.next(), SendStep::AwaitContinuation);
        // Untagged data may come first; the literal still waits.
        let r = sender.receive(response(b"* 3 EXISTS\r\n")).unwrap();
        assert!(matches!(r, Received::Untagged(_)));
        assert_eq!(sender.next(), SendStep::AwaitContinuation);
        assert_eq!(
            sender.receive(response(b"+ go ahead\r\n")).unwrap(),
            Received::Continued
        );
        assert_eq!(
            sender.next(),
            SendStep::Literal {
                bytes: b"Hi\r\n",
                secret: false
            }
        );
        assert_eq!(
            sender.next(),
            SendStep::Line {
                public: b"",
                secret: None
            }
        );
        assert_eq!(sender.next(), SendStep::Sent);
        // A second continuation is a protocol error, the completion ends it.
        assert!(sender.receive(response(b"+ again\r\n")).is_err());
        let done = sender.receive(response(b"a1 OK appended\r\n")).unwrap();
        assert!(matches!(done, Received::Completed(t) if t.status == Status::Ok));
        assert!(sender.is_completed());
    }

    #[test]
    fn two_literals_wait_in_turn() {
        let cmd = Command::new("LOGIN")
            .astring(b"j\xc3\xb6rg", false, "user")
            .unwrap()
            .secret(&Secret::new("p\u{e4}ss"), false)
            .unwrap();
        let mut sender = CommandSender::new(Tag("a2".into()), &cmd, LiteralMode::Synchronizing);
        let (out, got) = drive(&mut sender, &[b"+ \r\n", b"+ \r\n"]).unwrap();
        assert_eq!(out, b"a2 LOGIN {5}\r\nj\xc3\xb6rg {5}\r\np\xc3\xa4ss\r\n");
        assert_eq!(got, [Received::Continued, Received::Continued]);
    }

    #[test]
    fn literal_plus_sends_everything_at_once() {
        let cmd = append(b"Hi\r\n");
        let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::NonSynchronizing);
        let (out, got) = drive(&mut sender, &[]).unwrap();
        assert_eq!(out, b"a1 APPEND INBOX {4+}\r\nHi\r\n\r\n");
        assert!(got.is_empty());
        assert_eq!(out, cmd.to_bytes("a1", true));
    }

    #[test]
    fn literal_minus_waits_only_above_4096_bytes() {
        let small = append(&[b'x'; 4096]);
        let mut sender = CommandSender::new(
            Tag("a1".into()),
            &small,
            LiteralMode::NonSynchronizingUpTo4k,
        );
        let (out, _) = drive(&mut sender, &[]).unwrap();
        assert!(out.starts_with(b"a1 APPEND INBOX {4096+}\r\n"));
        let big = append(&[b'x'; 4097]);
        let mut sender =
            CommandSender::new(Tag("a1".into()), &big, LiteralMode::NonSynchronizingUpTo4k);
        let (out, got) = drive(&mut sender, &[b"+ ok\r\n"]).unwrap();
        assert!(out.starts_with(b"a1 APPEND INBOX {4097}\r\nxxx"));
        assert_eq!(got, [Received::Continued]);
    }

    #[test]
    fn a_no_instead_of_the_continuation_ends_the_command() {
        let cmd = append(b"Hi\r\n");
        let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::Synchronizing);
        let mut out = Vec::new();
        sender.next().encode(&mut out);
        assert_eq!(sender.next(), SendStep::AwaitContinuation);
        let got = sender
            .receive(response(b"a1 NO [TOOBIG] message too large\r\n"))
            .unwrap();
        assert!(matches!(got, Received::Completed(t) if t.status == Status::No));
        // The literal is never released.
        assert_eq!(sender.next(), SendStep::Sent);
        assert_eq!(out, b"a1 APPEND INBOX {4}\r\n");
    }

    #[test]
    fn another_commands_completion_is_an_error() {
        let cmd = append(b"Hi\r\n");
        let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::Synchronizing);
        sender.next();
        let err = sender.receive(response(b"a9 OK what\r\n")).unwrap_err();
        assert!(matches!(err, Error::UnexpectedTag { .. }));
    }

    #[test]
    fn secrets_are_apart_from_the_public_line() {
        let cmd = Command::new("LOGIN")
            .astring(b"carol", false, "user")
            .unwrap()
            .secret(&Secret::new("pw"), false)
            .unwrap();
        let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::Synchronizing);
        let SendStep::Line { public, secret } = sender.next() else {
            panic!()
        };
        assert_eq!(public, b"a1 LOGIN carol ");
        assert_eq!(secret.map(Secret::expose), Some("\"pw\""));
    }
}
