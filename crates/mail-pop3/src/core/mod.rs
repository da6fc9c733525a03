//! The sans-I/O POP3 session: a state machine that is given the bytes
//! received and hands back the bytes to send and typed [`Event`]s. No
//! `Read`, `Write`, socket or clock: time-outs, TLS and I/O belong to the
//! driver (the blocking [`Client`](crate::Client) is one).
//!
//! The driver's part:
//! - after [`Pop3::send`] (or [`Pop3::sasl_response`], [`Pop3::send_raw`]),
//!   write [`Pop3::take_output`] to the server;
//! - give received bytes to [`Pop3::feed`], which consumes some of them and
//!   returns at most one event, until it returns `None` with every byte
//!   consumed; bytes after the end of a reply are left unconsumed only when
//!   an event was returned, so feed the rest again;
//! - on [`Event::TlsReady`], run the TLS handshake and call
//!   [`Pop3::tls_started`]; the bytes left unconsumed at that moment must be
//!   none (they would be injected, the CVE-2011-0411 class).
//!
//! Commands may be queued before their replies arrive (RFC 2449
//! PIPELINING, when the server offers it; the driver decides): replies are
//! matched to commands in the order the commands were sent.
//!
//! ```
//! use mail_pop3::core::{Event, Pop3};
//! use mail_pop3::{Command, MsgNum};
//! use mail_wire::{Limits, Secret};
//!
//! let mut pop3 = Pop3::new(Limits::default());
//! let received: &[u8] = b"+OK ready <1.2@host>\r\n+OK\r\n+OK in\r\n\
//!     +OK 19 octets\r\nSubject: x\r\n\r\n..hi\r\n.\r\n+OK\r\n";
//! let mut input = &received[..22]; // the greeting first
//! let mut body = Vec::new();
//! let mut replies = Vec::new();
//! loop {
//!     let (used, event) = pop3.feed(input)?;
//!     input = &input[used..];
//!     match event {
//!         Some(Event::Greeting(greeting)) => {
//!             assert_eq!(greeting.timestamp.as_deref(), Some("<1.2@host>"));
//!             // Pipelined: four commands out before any reply is read.
//!             pop3.send(&Command::User("alice"))?;
//!             pop3.send(&Command::Pass(&Secret::new("pw")))?;
//!             pop3.send(&Command::Retr(MsgNum(1)))?;
//!             pop3.send(&Command::Dele(MsgNum(1)))?;
//!             assert_eq!(pop3.take_output(), b"USER alice\r\nPASS pw\r\nRETR 1\r\nDELE 1\r\n");
//!             input = &received[22..];
//!         }
//!         Some(Event::Reply { command, reply }) => replies.push((command, reply.is_ok())),
//!         Some(Event::Body(piece)) => body.extend_from_slice(piece),
//!         Some(Event::BodyEnd { size }) => assert_eq!(size, 19),
//!         Some(_) => {}
//!         None if input.is_empty() => break,
//!         None => {}
//!     }
//! }
//! assert_eq!(body, b"Subject: x\r\n\r\n.hi\r\n");
//! assert_eq!(replies, [("USER", true), ("PASS", true), ("RETR", true), ("DELE", true)]);
//! assert_eq!(pop3.in_flight(), 0);
//! # Ok::<(), mail_pop3::Error>(())
//! ```

mod body;
mod sasl;
mod window;

use std::collections::VecDeque;

use mail_wire::{Limits, Secret, MASK};

use crate::command::{check_text, expects_multiline, Command};
use crate::error::{EncodeError, Error, ParseError};
use crate::response::{parse_greeting, parse_reply, Greeting, Reply, Status};

pub use body::{BodyDecoder, Decoded};
pub use sasl::{SaslExchange, SaslStep};
pub(crate) use window::Window;

/// Where the session stands (RFC 1939 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting for the server's greeting.
    Greeting,
    /// AUTHORIZATION: CAPA, STLS and the logins.
    Authorization,
    /// The server said go ahead to STLS; the driver must start TLS and call
    /// [`Pop3::tls_started`] before anything else.
    StartTls,
    /// TRANSACTION: logged in.
    Transaction,
    /// QUIT was answered: the server closes the connection.
    Closed,
}

/// What the bytes fed to [`Pop3::feed`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The server's greeting, with its APOP timestamp if any.
    Greeting(Greeting),
    /// The status line answering `command`: `+OK`, `-ERR`, or `+` (a SASL
    /// challenge: answer it with [`Pop3::sasl_response`] or
    /// [`Pop3::sasl_cancel`]). After a `+OK` to a multi-line command,
    /// [`Event::Body`] pieces and [`Event::BodyEnd`] follow.
    Reply {
        /// The command's verb (`"RETR"`), never its arguments.
        command: &'static str,
        /// The status line.
        reply: Reply,
    },
    /// The `+OK` to STLS: start TLS now, then call [`Pop3::tls_started`].
    TlsReady(Reply),
    /// A piece of a multi-line reply, already unstuffed, lines ending CRLF.
    Body(&'a [u8]),
    /// The terminating `.` of a multi-line reply; `size` body bytes in all.
    BodyEnd {
        /// Body bytes handed out.
        size: u64,
    },
}

/// A command sent whose reply has not been read completely.
#[derive(Debug, Clone, Copy)]
struct Expect {
    verb: &'static str,
    /// A `+OK` is followed by lines up to `.`.
    multiline: bool,
    /// A `+` challenge may answer it (AUTH, and any line typed at a console).
    sasl: bool,
    /// A challenge came; the next line sent is the SASL response.
    challenged: bool,
}

/// The POP3 client session as a state machine (see the [module](self)).
#[derive(Clone)]
pub struct Pop3 {
    phase: Phase,
    limits: Limits,
    pending: VecDeque<Expect>,
    output: Vec<u8>,
    /// A status line not yet complete.
    line: Vec<u8>,
    body: Option<BodyDecoder>,
}

// By hand: the queued output may hold a password, which `Debug` must not show.
impl std::fmt::Debug for Pop3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3")
            .field("phase", &self.phase)
            .field("in_flight", &self.pending.len())
            .field("output_len", &self.output.len())
            .field("in_body", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl Pop3 {
    /// A session waiting for the greeting. `limits` bound every line and
    /// every multi-line reply.
    pub fn new(limits: Limits) -> Self {
        Pop3 {
            phase: Phase::Greeting,
            limits,
            pending: VecDeque::new(),
            output: Vec::new(),
            line: Vec::new(),
            body: None,
        }
    }

    /// A logged-in session in the middle of a multi-line reply, for the
    /// driver's tests.
    #[cfg(test)]
    pub(crate) fn reading_body(limits: Limits) -> Self {
        let mut pop3 = Pop3::new(limits);
        pop3.phase = Phase::Transaction;
        pop3.body = Some(BodyDecoder::new(limits));
        pop3
    }

    /// Where the session stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Commands sent whose replies are not complete yet.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// True while the body of a multi-line reply is being read.
    pub fn in_body(&self) -> bool {
        self.body.is_some()
    }

    /// True when the server sent a SASL challenge and waits for the answer.
    pub fn awaiting_sasl_response(&self) -> bool {
        self.pending.front().is_some_and(|e| e.challenged)
    }

    /// Changes the limits (for the next line and the next body).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
        if let Some(body) = self.body.as_mut() {
            body.set_limits(limits);
        }
    }

    /// The bytes to write to the server, in order; taking them empties the queue.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Queues a command and returns the line as a transcript may show it
    /// (any secret replaced by `********`).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or NUL in an argument (nothing is
    /// queued); [`Error::OutOfSequence`] once the session is closed or while
    /// TLS is to be started.
    pub fn send(&mut self, command: &Command<'_>) -> Result<String, Error> {
        self.check_can_send()?;
        let mut public = Vec::with_capacity(32);
        let secret = command.encode(&mut public)?;
        let shown = self.push_line(&public, secret);
        self.pending.push_back(Expect {
            verb: command.verb(),
            multiline: command.is_multiline(),
            sasl: matches!(command, Command::Auth { .. }),
            challenged: false,
        });
        Ok(shown)
    }

    /// Queues the answer to a SASL challenge (base64, or `*` through
    /// [`sasl_cancel`](Self::sasl_cancel)); the transcript shows `********`.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] when no challenge is waiting;
    /// [`Error::Invalid`] for CR, LF or NUL in the response.
    pub fn sasl_response(&mut self, response: &Secret) -> Result<String, Error> {
        check_text("SASL response", response.expose(), true)?;
        self.answer_challenge()?;
        Ok(self.push_line(b"", Some(response)))
    }

    /// Queues `*`, which cancels a SASL exchange (RFC 5034 §4); the server
    /// answers `-ERR`.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] when no challenge is waiting.
    pub fn sasl_cancel(&mut self) -> Result<String, Error> {
        self.answer_challenge()?;
        Ok(self.push_line(b"*", None))
    }

    /// Queues a line typed by a person, as typed (CRLF added). Credentials
    /// in it are masked in the returned transcript line: the argument of
    /// `PASS`, the digest of `APOP`, the initial response of `AUTH`, and
    /// every line answering a SASL challenge. Whether a body follows its
    /// `+OK` is decided from the verb ([`expects_multiline`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty line or CR/LF/NUL in it (nothing
    /// is queued); as [`send`](Self::send).
    pub fn send_raw(&mut self, line: &str) -> Result<String, Error> {
        if let Some(at) = line.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(EncodeError::LineBreak {
                what: "command",
                at,
            }
            .into());
        }
        if line.trim().is_empty() {
            return Err(EncodeError::Empty { what: "command" }.into());
        }
        self.check_can_send()?;
        let answering = self.awaiting_sasl_response();
        let (public, secret) = split_secret(line, answering);
        let secret = secret.map(Secret::new);
        if answering {
            self.answer_challenge()?;
        } else {
            let mut words = line.split_ascii_whitespace();
            let verb = words.next().unwrap_or_default();
            let has_argument = words.next().is_some();
            self.pending.push_back(Expect {
                verb: known_verb(verb),
                multiline: expects_multiline(verb, has_argument),
                sasl: true,
                challenged: false,
            });
        }
        Ok(self.push_line(public.as_bytes(), secret.as_ref()))
    }

    /// The driver finished the TLS handshake after [`Event::TlsReady`].
    /// Capabilities seen before must be forgotten and asked again.
    pub fn tls_started(&mut self) {
        if self.phase == Phase::StartTls {
            self.phase = Phase::Authorization;
        }
    }

    /// Consumes bytes from the front of `received` and returns how many,
    /// with the event they completed, if any (see the [module](self)).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a reply that is not POP3 or bytes nobody
    /// asked for; `LineTooLong` and `LiteralTooLarge` ([`Error::Wire`]) at
    /// the limits; `BufferedAfterStartTls` for bytes after the STLS
    /// go-ahead. The session is not usable after an error.
    pub fn feed<'a>(&mut self, received: &'a [u8]) -> Result<(usize, Option<Event<'a>>), Error> {
        if let Some(body) = self.body.as_mut() {
            let (used, decoded) = body.decode(received)?;
            return Ok(match decoded {
                Decoded::Data(piece) => (used, Some(Event::Body(piece))),
                Decoded::End => {
                    let size = body.size();
                    self.body = None;
                    (used, Some(Event::BodyEnd { size }))
                }
                Decoded::NeedMore => (used, None),
            });
        }
        if received.is_empty() {
            return Ok((0, None));
        }
        match self.phase {
            Phase::StartTls => {
                return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
                    bytes: received.len(),
                }))
            }
            Phase::Greeting => {}
            _ if self.pending.is_empty() => {
                return Err(Error::Protocol(ParseError::new(
                    "no reply before a command",
                    received,
                )))
            }
            _ => {}
        }
        let Some(newline) = memchr::memchr(b'\n', received) else {
            self.line.extend_from_slice(received);
            // One byte of slack for the CR of a line exactly at the limit.
            if self.line.len() > self.limits.max_line.saturating_add(1) {
                return Err(self.line_too_long());
            }
            return Ok((received.len(), None));
        };
        self.line
            .extend_from_slice(received.get(..newline).unwrap_or_default());
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > self.limits.max_line {
            return Err(self.line_too_long());
        }
        let event = self.status_line(&line)?;
        Ok((newline + 1, Some(event)))
    }

    fn status_line(&mut self, line: &[u8]) -> Result<Event<'static>, Error> {
        if self.phase == Phase::Greeting {
            let greeting = parse_greeting(line)?;
            self.phase = Phase::Authorization;
            return Ok(Event::Greeting(greeting));
        }
        let reply = parse_reply(line)?;
        let Some(expect) = self.pending.front_mut() else {
            return Err(Error::Protocol(ParseError::new(
                "no reply before a command",
                line,
            )));
        };
        let command = expect.verb;
        if reply.status == Status::Continue {
            if !expect.sasl {
                return Err(Error::Protocol(ParseError::new("+OK or -ERR", line)));
            }
            expect.challenged = true;
            // A body follows a +OK only before any challenge.
            expect.multiline = false;
            return Ok(Event::Reply { command, reply });
        }
        let expect = *expect;
        self.pending.pop_front();
        if reply.status != Status::Ok {
            return Ok(Event::Reply { command, reply });
        }
        if expect.multiline {
            self.body = Some(BodyDecoder::new(self.limits));
        }
        match command {
            "PASS" | "APOP" | "AUTH" => self.phase = Phase::Transaction,
            "QUIT" => self.phase = Phase::Closed,
            "STLS" => {
                self.phase = Phase::StartTls;
                return Ok(Event::TlsReady(reply));
            }
            _ => {}
        }
        Ok(Event::Reply { command, reply })
    }

    fn check_can_send(&self) -> Result<(), Error> {
        match self.phase {
            Phase::Closed => Err(Error::OutOfSequence("a command after QUIT")),
            Phase::StartTls => Err(Error::OutOfSequence(
                "a command between the STLS go-ahead and the TLS handshake",
            )),
            _ => Ok(()),
        }
    }

    fn answer_challenge(&mut self) -> Result<(), Error> {
        match self.pending.front_mut() {
            Some(expect) if expect.challenged => {
                expect.challenged = false;
                Ok(())
            }
            _ => Err(Error::OutOfSequence("a SASL response without a challenge")),
        }
    }

    fn push_line(&mut self, public: &[u8], secret: Option<&Secret>) -> String {
        self.output.extend_from_slice(public);
        let mut shown = String::from_utf8_lossy(public).into_owned();
        if let Some(secret) = secret {
            self.output.extend_from_slice(secret.expose().as_bytes());
            shown.push_str(MASK);
        }
        self.output.extend_from_slice(b"\r\n");
        shown
    }

    fn line_too_long(&self) -> Error {
        Error::Wire(mail_wire::Error::LineTooLong {
            limit: self.limits.max_line,
        })
    }
}

/// The verb of a typed line as the name of a command, for phase changes
/// and errors; `"command"` for one this crate does not know.
fn known_verb(verb: &str) -> &'static str {
    const VERBS: &[&str] = &[
        "CAPA", "STLS", "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "RETR", "TOP", "UIDL",
        "DELE", "NOOP", "RSET", "QUIT",
    ];
    VERBS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(verb))
        .copied()
        .unwrap_or("command")
}

/// Splits a typed line into the part shown and the secret part.
pub(crate) fn split_secret(line: &str, sasl_pending: bool) -> (&str, Option<&str>) {
    if sasl_pending {
        return ("", Some(line));
    }
    let verb_end = line.find(' ').unwrap_or(line.len());
    let verb = line
        .get(..verb_end)
        .unwrap_or_default()
        .to_ascii_uppercase();
    // The secret starts after `skip` space-separated words.
    let skip = match verb.as_str() {
        "PASS" => 1,
        "APOP" | "AUTH" => 2,
        _ => return (line, None),
    };
    let mut at = 0;
    for _ in 0..skip {
        match line.get(at..).and_then(|rest| rest.find(' ')) {
            Some(space) => at += space + 1,
            None => return (line, None),
        }
    }
    match (line.get(..at), line.get(at..)) {
        (Some(public), Some(secret)) if !secret.is_empty() => (public, Some(secret)),
        _ => (line, None),
    }
}

#[cfg(test)]
mod tests;
