//! The sans-I/O SMTP client: a state machine that is given the bytes
//! received and hands back the bytes to send and typed [`Event`]s. No
//! `Read`, `Write`, socket or clock: time-outs, TLS and I/O belong to the
//! driver (the blocking [`Client`](crate::Client) is one).
//!
//! The driver's part:
//! - after each call that queues something ([`Smtp::ehlo`], [`Smtp::auth`],
//!   [`Smtp::envelope`], [`Smtp::data`], [`Smtp::bdat`], [`Smtp::command`]...)
//!   and after each [`Smtp::feed`], write [`Smtp::take_output`] to the
//!   server (the core answers AUTH challenges and falls back from EHLO to
//!   HELO on its own, and without PIPELINING it releases one command per
//!   reply);
//! - give received bytes to [`Smtp::feed`], which consumes some of them and
//!   returns at most one event; feed the rest again;
//! - on [`Event::TlsReady`], run the TLS handshake and call
//!   [`Smtp::tls_started`], then [`Smtp::ehlo`] again; bytes fed before
//!   that are refused (`BufferedAfterStartTls`, the CVE-2011-0411 class).
//!
//! A message goes as a group: [`Smtp::envelope`] queues MAIL, each RCPT
//! and (for DATA) DATA, in one write with PIPELINING (RFC 2920), else one
//! at a time, stopping at a refused MAIL or when every RCPT was refused.
//! Its replies come back together as one [`Event::Envelope`], each matched
//! to its command; then the body goes by [`Smtp::data`] and
//! [`Smtp::data_end`] (dot-stuffed by [`BodyEncoder`]) or by
//! [`Smtp::bdat`] chunks, and the final reply is [`Event::Message`].
//!
//! ```
//! use mail_smtp::core::{Event, Smtp};
//! use mail_smtp::Envelope;
//!
//! let mut smtp = Smtp::new(1000, 100);
//! let server: &[u8] = b"220 mx.example ESMTP\r\n250-mx.example\r\n250 PIPELINING\r\n\
//!     250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 unknown\r\n354 go\r\n\
//!     250 2.0.0 Ok: queued as 4Xy\r\n";
//! let mut input = server;
//! let mut sent = Vec::new();
//! loop {
//!     let (used, event) = smtp.feed(input)?;
//!     input = &input[used..];
//!     match event {
//!         Some(Event::Greeting(_)) => smtp.ehlo("client.example")?,
//!         Some(Event::Hello(_)) => {
//!             assert!(smtp.capabilities().pipelining());
//!             let envelope = Envelope::new("a@example", ["b@example", "c@example"]);
//!             smtp.send_envelope(&envelope, None, true)?;
//!         }
//!         Some(Event::Envelope(replies)) => {
//!             assert!(replies.mail.is_positive());
//!             assert_eq!(replies.recipients.len(), 2);
//!             assert!(!replies.recipients[1].is_positive());
//!             assert!(replies.can_send_data());
//!             smtp.data(b".dot first\n")?;
//!             smtp.data_end()?;
//!         }
//!         Some(Event::Message(reply)) => assert!(reply.is_positive()),
//!         Some(_) => unreachable!(),
//!         None if input.is_empty() => break,
//!         None => {}
//!     }
//!     sent.extend(smtp.take_output());
//! }
//! assert_eq!(
//!     sent,
//!     b"EHLO client.example\r\nMAIL FROM:<a@example>\r\nRCPT TO:<b@example>\r\n\
//!       RCPT TO:<c@example>\r\nDATA\r\n..dot first\r\n.\r\n"
//! );
//! assert_eq!(smtp.in_flight(), 0);
//! # Ok::<(), mail_smtp::Error>(())
//! ```

mod auth;
mod prepare;
mod reader;

use std::collections::VecDeque;

use mail_wire::sasl::Mechanism;
use mail_wire::{Secret, MASK};

use crate::command::Command;
use crate::dot::BodyEncoder;
use crate::envelope::Envelope;
use crate::error::{Error, ParseError};
use crate::reply::{Reply, ReplyCode};
use crate::Capabilities;

use auth::{Answer, AuthSteps};
pub use prepare::Prepared;
pub use reader::ReplyReader;

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting for the server's greeting.
    Greeting,
    /// Commands may be queued.
    Command,
    /// The server said go ahead to STARTTLS: the driver must run the
    /// handshake and call [`Smtp::tls_started`] before anything else.
    StartTls,
    /// The server answered DATA with 354: message data is due
    /// ([`Smtp::data`], then [`Smtp::data_end`]).
    Data,
    /// QUIT was answered: the server closes the connection.
    Closed,
}

/// The replies to one envelope group, each matched to its command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeReplies {
    /// The reply to MAIL.
    pub mail: Reply,
    /// The reply to each RCPT, in the envelope's order; fewer than the
    /// recipients when the group stopped early (a refused MAIL without
    /// PIPELINING, a 421).
    pub recipients: Vec<Reply>,
    /// The reply to DATA, when DATA was part of the group and sent.
    pub data: Option<Reply>,
}

impl EnvelopeReplies {
    /// True when MAIL and at least one RCPT were accepted.
    pub fn is_usable(&self) -> bool {
        self.mail.is_positive() && self.recipients.iter().any(Reply::is_positive)
    }

    /// True when the message data may follow: the envelope is usable and
    /// DATA got 354 (with DATA in the group), or it had no DATA (BDAT).
    pub fn can_send_data(&self) -> bool {
        self.is_usable()
            && self
                .data
                .as_ref()
                .is_none_or(|r| r.code() == ReplyCode::START_DATA)
    }

    /// The 421 among these replies, if the server is closing.
    pub fn closing(&self) -> Option<&Reply> {
        std::iter::once(&self.mail)
            .chain(&self.recipients)
            .chain(&self.data)
            .find(|r| r.code() == ReplyCode::SERVICE_UNAVAILABLE)
    }
}

/// What the bytes fed to [`Smtp::feed`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's greeting, whatever its code (220 to go on; 554 or 421
    /// mean the server will not serve: send QUIT or close).
    Greeting(Reply),
    /// EHLO (or the HELO fallback after a 5yz to EHLO) was accepted; the
    /// capabilities are in [`Smtp::capabilities`].
    Hello(Reply),
    /// The 220 to STARTTLS: run the handshake now, then call
    /// [`Smtp::tls_started`].
    TlsReady(Reply),
    /// AUTH succeeded (235).
    Authenticated {
        /// The mechanism used.
        mechanism: Mechanism,
        /// The server's reply.
        reply: Reply,
    },
    /// The client cancelled an AUTH exchange with `*` because it could not
    /// answer `challenge` (a challenge after the last step, a CRAM-MD5
    /// challenge that is not base64); `reply` answered the `*`.
    AuthCancelled {
        /// The challenge that could not be answered.
        challenge: Reply,
        /// The server's reply to `*`.
        reply: Reply,
    },
    /// The replies to an envelope group ([`Smtp::envelope`]).
    Envelope(EnvelopeReplies),
    /// The final reply to a message: after the data's terminator, or to
    /// `BDAT ... LAST`.
    Message(Reply),
    /// Any other reply, with the verb it answers (`"EHLO"`, `"HELO"`,
    /// `"STARTTLS"`, `"AUTH"`, `"BDAT"`, `"RSET"`, `"QUIT"`, ...): refusals
    /// of the above, BDAT chunks before the last, and plain commands.
    Reply {
        /// The command's verb, never its arguments.
        command: &'static str,
        /// The server's reply.
        reply: Reply,
    },
}

/// The command a reply answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    DataEnd,
    /// The `.` of an empty message after a 354 with no recipient accepted.
    DiscardedEnd,
    Bdat {
        last: bool,
    },
    Quit,
    Other(&'static str),
}

impl Expect {
    fn verb(self) -> &'static str {
        match self {
            Expect::Ehlo => "EHLO",
            Expect::Helo => "HELO",
            Expect::StartTls => "STARTTLS",
            Expect::Auth => "AUTH",
            Expect::Mail => "MAIL",
            Expect::Rcpt => "RCPT",
            Expect::Data | Expect::DataEnd | Expect::DiscardedEnd => "DATA",
            Expect::Bdat { .. } => "BDAT",
            Expect::Quit => "QUIT",
            Expect::Other(verb) => verb,
        }
    }

    /// Part of an envelope group.
    fn in_group(self) -> bool {
        matches!(self, Expect::Mail | Expect::Rcpt | Expect::Data)
    }
}

/// A command queued but not yet released to the output (no PIPELINING).
#[derive(Debug)]
struct Held {
    bytes: Vec<u8>,
    shown: String,
    expect: Expect,
}

/// Replies of the envelope group being read.
#[derive(Debug)]
struct Group {
    mail: Option<Reply>,
    recipients: Vec<Reply>,
    expected: usize,
    data: bool,
}

/// The SMTP client session as a state machine (see the [module](self)).
pub struct Smtp {
    phase: Phase,
    caps: Capabilities,
    pipelining_allowed: bool,
    helo_name: String,
    reader: ReplyReader,
    /// Sent, reply not complete yet, in order.
    pending: VecDeque<Expect>,
    /// Queued behind a reply (no PIPELINING), in order.
    held: VecDeque<Held>,
    output: Vec<u8>,
    shown: Vec<String>,
    group: Option<Group>,
    auth: Option<AuthSteps>,
    /// The challenge an AUTH was cancelled on.
    cancelled: Option<Reply>,
    encoder: Option<BodyEncoder>,
    authenticated: Option<Mechanism>,
    broken: bool,
}

// By hand: the queued output may hold a credential, which `Debug` must not show.
impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp")
            .field("phase", &self.phase)
            .field("in_flight", &self.pending.len())
            .field("held", &self.held.len())
            .field("output_len", &self.output.len())
            .finish_non_exhaustive()
    }
}

/// Room for `BDAT <size> LAST` and its CRLF (a size has at most 20 digits).
const BDAT_LINE_ROOM: usize = 32;

impl Smtp {
    /// A session waiting for the greeting, accepting reply lines of at most
    /// `max_line` bytes and replies of at most `max_reply_lines` lines.
    pub fn new(max_line: usize, max_reply_lines: usize) -> Self {
        Smtp {
            phase: Phase::Greeting,
            caps: Capabilities::default(),
            pipelining_allowed: true,
            helo_name: String::new(),
            reader: ReplyReader::new(max_line, max_reply_lines),
            pending: VecDeque::new(),
            held: VecDeque::new(),
            output: Vec::new(),
            shown: Vec::new(),
            group: None,
            auth: None,
            cancelled: None,
            encoder: None,
            authenticated: None,
            broken: false,
        }
    }

    /// Where the session stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// What the last EHLO offered (empty before it, after a HELO fallback
    /// and after STARTTLS).
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// The mechanism that authenticated the session, if any.
    pub fn authenticated(&self) -> Option<Mechanism> {
        self.authenticated
    }

    /// Commands sent or held whose replies are not complete yet.
    pub fn in_flight(&self) -> usize {
        self.pending.len() + self.held.len()
    }

    /// False turns PIPELINING off although offered: one command, one reply.
    pub fn set_pipelining(&mut self, allowed: bool) {
        self.pipelining_allowed = allowed;
    }

    /// True when commands go without waiting for replies: PIPELINING is
    /// offered and allowed.
    pub fn pipelining(&self) -> bool {
        self.pipelining_allowed && self.caps.pipelining()
    }

    /// The bytes to write to the server, in order; taking them empties the queue.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// The command lines released to the output since the last call, as a
    /// transcript may show them (secrets as `********`; message data not
    /// included).
    pub fn take_shown(&mut self) -> Vec<String> {
        std::mem::take(&mut self.shown)
    }

    /// Queues EHLO (RFC 5321 §4.1.1.1); a 5yz answer makes the core send
    /// HELO with the same name. Forgets the capabilities known so far.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad name; [`Error::OutOfSequence`].
    pub fn ehlo(&mut self, helo_name: &str) -> Result<(), Error> {
        let mut line = Vec::new();
        Command::Ehlo(helo_name).encode(&mut line)?;
        self.check_command()?;
        helo_name.clone_into(&mut self.helo_name);
        self.caps = Capabilities::default();
        self.queue(line, None, Expect::Ehlo);
        Ok(())
    }

    /// Queues STARTTLS (RFC 3207); its 220 comes as [`Event::TlsReady`].
    ///
    /// # Errors
    /// [`Error::OutOfSequence`].
    pub fn starttls(&mut self) -> Result<(), Error> {
        self.check_command()?;
        self.queue(b"STARTTLS".to_vec(), None, Expect::StartTls);
        Ok(())
    }

    /// The driver finished the TLS handshake after [`Event::TlsReady`]:
    /// everything learnt before is forgotten (RFC 3207 §4.2); send EHLO again.
    pub fn tls_started(&mut self) {
        if self.phase == Phase::StartTls {
            self.phase = Phase::Command;
            self.caps = Capabilities::default();
        }
    }

    /// Queues `AUTH mechanism` with its initial response where the
    /// mechanism has one; the core answers each 334 challenge by itself.
    /// The outcome is [`Event::Authenticated`], [`Event::AuthCancelled`] or
    /// a refusal as [`Event::Reply`] for `"AUTH"`. Whether TLS is on and
    /// the mechanism offered is the caller's policy.
    ///
    /// # Errors
    /// [`Error::Invalid`] for credentials the mechanism cannot carry;
    /// [`Error::OutOfSequence`].
    pub fn auth(&mut self, mechanism: Mechanism, user: &str, secret: &Secret) -> Result<(), Error> {
        self.check_command()?;
        let (public, initial, steps) = AuthSteps::start(mechanism, user, secret)?;
        self.auth = Some(steps);
        self.cancelled = None;
        self.queue(public.to_vec(), initial.as_ref(), Expect::Auth);
        Ok(())
    }

    /// Queues a command whose reply comes as [`Event::Reply`] (RSET, NOOP,
    /// VRFY, HELP, QUIT; EHLO and STARTTLS go to their own methods).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in an argument;
    /// [`Error::OutOfSequence`] for MAIL, RCPT, DATA and BDAT, which go
    /// through [`envelope`](Self::envelope) and [`bdat`](Self::bdat).
    pub fn command(&mut self, command: &Command<'_>) -> Result<(), Error> {
        match command {
            Command::Ehlo(name) => return self.ehlo(name),
            Command::StartTls => return self.starttls(),
            Command::MailFrom(..) | Command::RcptTo(..) | Command::Data | Command::Bdat { .. } => {
                return Err(Error::OutOfSequence(
                    "MAIL, RCPT, DATA and BDAT outside an envelope group",
                ))
            }
            _ => {}
        }
        let mut line = Vec::new();
        command.encode(&mut line)?;
        self.check_command()?;
        let expect = match command {
            Command::Quit => Expect::Quit,
            Command::Helo(_) => Expect::Helo,
            other => Expect::Other(other.verb()),
        };
        self.queue(line, None, expect);
        Ok(())
    }

    /// Queues a line typed at a console, its secret part masked in the
    /// transcript; its reply comes as [`Event::Reply`] for `"command"`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or NUL; [`Error::OutOfSequence`].
    pub fn raw_line(&mut self, public: &str, secret: Option<&Secret>) -> Result<(), Error> {
        let whole = [public, secret.map_or("", Secret::expose)];
        for (what, text) in ["command", "secret"].into_iter().zip(whole) {
            if let Some(at) = text.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(crate::EncodeError::LineBreak { what, at }.into());
            }
        }
        self.check_command()?;
        self.queue(public.as_bytes().to_vec(), secret, Expect::Other("command"));
        Ok(())
    }

    /// Prepares `envelope` against the capabilities ([`Prepared::new`])
    /// and queues it as a group ([`envelope`](Self::envelope)).
    ///
    /// # Errors
    /// As [`Prepared::new`] (nothing queued); [`Error::OutOfSequence`].
    pub fn send_envelope(
        &mut self,
        envelope: &Envelope,
        size: Option<u64>,
        with_data: bool,
    ) -> Result<(), Error> {
        let prepared = Prepared::new(&self.caps, envelope, size)?;
        self.envelope(&prepared, with_data)
    }

    /// Queues MAIL, each RCPT and, when `with_data`, DATA as one group;
    /// their replies come as one [`Event::Envelope`]. Without PIPELINING
    /// the commands go one by one, and the group stops at a refused MAIL
    /// or before DATA when every RCPT was refused. With PIPELINING, a 354
    /// after a refused envelope is answered with `.` (an empty message the
    /// server has no recipient for, RFC 2920 §3.1) by the core.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] while a group or a message is open.
    pub fn envelope(&mut self, prepared: &Prepared, with_data: bool) -> Result<(), Error> {
        self.check_command()?;
        if self.group.is_some() || self.encoder.is_some() {
            return Err(Error::OutOfSequence("an envelope while a message is open"));
        }
        self.group = Some(Group {
            mail: None,
            recipients: Vec::with_capacity(prepared.rcpts.len()),
            expected: prepared.rcpts.len(),
            data: with_data,
        });
        self.queue(prepared.mail.clone(), None, Expect::Mail);
        for rcpt in &prepared.rcpts {
            self.queue(rcpt.clone(), None, Expect::Rcpt);
        }
        if with_data {
            self.queue(b"DATA".to_vec(), None, Expect::Data);
        }
        Ok(())
    }

    /// Message data after DATA's 354, in pieces of any size: line ends are
    /// normalized to CRLF and lines dot-stuffed ([`BodyEncoder::data`]).
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] unless in [`Phase::Data`].
    pub fn data(&mut self, piece: &[u8]) -> Result<(), Error> {
        self.check_live()?;
        if self.phase != Phase::Data {
            return Err(Error::OutOfSequence("message data before a 354"));
        }
        let encoder = self.encoder.get_or_insert_with(BodyEncoder::data);
        encoder.push(piece, &mut self.output);
        Ok(())
    }

    /// Ends the message data with `CRLF.CRLF`; returns the bytes given to
    /// [`data`](Self::data). The final reply is [`Event::Message`].
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] unless in [`Phase::Data`].
    pub fn data_end(&mut self) -> Result<u64, Error> {
        self.check_live()?;
        if self.phase != Phase::Data {
            return Err(Error::OutOfSequence("the end of data before a 354"));
        }
        let mut encoder = self.encoder.take().unwrap_or_else(BodyEncoder::data);
        encoder.finish(&mut self.output);
        self.phase = Phase::Command;
        self.pending.push_back(Expect::DataEnd);
        Ok(encoder.input_bytes())
    }

    /// Queues one BDAT chunk (RFC 3030) holding `piece` of the message,
    /// line ends normalized ([`BodyEncoder::bdat`]); `last` ends the
    /// message, and its reply is [`Event::Message`]. Returns the chunk's
    /// size on the wire. Send chunks only after an [`Event::Envelope`]
    /// whose envelope is usable: a server that refuses it may not read them.
    ///
    /// # Errors
    /// [`Error::OutOfSequence`] while an envelope group is unanswered.
    pub fn bdat(&mut self, piece: &[u8], last: bool) -> Result<u64, Error> {
        self.check_command()?;
        if self.group.is_some() {
            return Err(Error::OutOfSequence("BDAT before the envelope's replies"));
        }
        let encoder = self.encoder.get_or_insert_with(BodyEncoder::bdat);
        // The chunk is encoded first (its size goes in the command), then
        // the command is put in front in the same buffer: one allocation
        // for the whole BDAT, whose room the command line fits in.
        let mut bytes = Vec::with_capacity(BDAT_LINE_ROOM + piece.len() + piece.len() / 8 + 2);
        encoder.push(piece, &mut bytes);
        if last {
            encoder.finish(&mut bytes);
            self.encoder = None;
        }
        let size = bytes.len() as u64;
        let mut line = Vec::with_capacity(BDAT_LINE_ROOM);
        Command::Bdat { size, last }.encode(&mut line)?;
        let shown = String::from_utf8_lossy(&line).into_owned();
        line.extend_from_slice(b"\r\n");
        bytes.splice(0..0, line);
        self.release_or_hold(Held {
            bytes,
            shown,
            expect: Expect::Bdat { last },
        });
        Ok(size)
    }

    /// Bytes of the current message given so far (DATA or BDAT).
    pub fn message_bytes(&self) -> u64 {
        self.encoder.as_ref().map_or(0, BodyEncoder::input_bytes)
    }

    /// Consumes bytes from the front of `received` and returns how many,
    /// with the event they completed, if any (see the [module](self)).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed reply or bytes while no command
    /// waits for a reply (`Unsolicited`), `LineTooLong` ([`Error::Wire`])
    /// for a line over the limit, `BufferedAfterStartTls` for bytes after
    /// the STARTTLS go-ahead, [`Error::UnexpectedReply`] for a reply code
    /// the command does not allow. The session is not usable after an error.
    pub fn feed(&mut self, received: &[u8]) -> Result<(usize, Option<Event>), Error> {
        self.check_live()?;
        let result = self.feed_inner(received);
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn feed_inner(&mut self, received: &[u8]) -> Result<(usize, Option<Event>), Error> {
        if received.is_empty() {
            return Ok((0, None));
        }
        if self.phase == Phase::StartTls {
            return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
                bytes: received.len(),
            }));
        }
        if self.phase != Phase::Greeting && self.pending.is_empty() {
            return Err(Error::Protocol(ParseError::Unsolicited {
                excerpt: mail_wire::excerpt(received, 40),
            }));
        }
        let (used, reply) = self.reader.feed(received)?;
        let Some(reply) = reply else {
            return Ok((used, None));
        };
        let event = self.on_reply(reply)?;
        Ok((used, event))
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Option<Event>, Error> {
        if self.phase == Phase::Greeting {
            self.phase = Phase::Command;
            return Ok(Some(Event::Greeting(reply)));
        }
        let Some(expect) = self.pending.pop_front() else {
            return Err(Error::Protocol(ParseError::Unsolicited {
                excerpt: reply.to_string(),
            }));
        };
        let event = self.answer(expect, reply)?;
        if self.pending.is_empty() {
            if let Some(next) = self.held.pop_front() {
                self.release(next);
            }
        }
        Ok(event)
    }

    /// What a reply to `expect` means.
    fn answer(&mut self, expect: Expect, reply: Reply) -> Result<Option<Event>, Error> {
        let code = reply.code();
        let command = expect.verb();
        Ok(Some(match expect {
            Expect::Ehlo if reply.is_positive() => {
                self.caps = Capabilities::from_ehlo(&reply);
                Event::Hello(reply)
            }
            Expect::Ehlo if code.is_permanent() => {
                // RFC 5321 §4.1.4: an old server refuses EHLO; try HELO.
                let mut line = Vec::new();
                Command::Helo(&self.helo_name).encode(&mut line)?;
                self.queue(line, None, Expect::Helo);
                return Ok(None);
            }
            Expect::Helo if reply.is_positive() => {
                self.caps = Capabilities::helo_only(&reply);
                Event::Hello(reply)
            }
            Expect::StartTls if code == ReplyCode::SERVICE_READY => {
                self.phase = Phase::StartTls;
                Event::TlsReady(reply)
            }
            Expect::Auth => return Ok(self.auth_reply(reply)),
            Expect::Mail | Expect::Rcpt | Expect::Data => return self.group_reply(expect, reply),
            Expect::DataEnd | Expect::Bdat { last: true } => {
                if code.is_positive_intermediate() {
                    return Err(Error::UnexpectedReply { command, reply });
                }
                Event::Message(reply)
            }
            Expect::DiscardedEnd => return Ok(None),
            Expect::Quit => {
                if code == ReplyCode::CLOSING {
                    self.phase = Phase::Closed;
                }
                Event::Reply { command, reply }
            }
            _ => Event::Reply { command, reply },
        }))
    }

    fn auth_reply(&mut self, reply: Reply) -> Option<Event> {
        let Some(steps) = self.auth.as_mut() else {
            return Some(Event::Reply {
                command: "AUTH",
                reply,
            });
        };
        let mechanism = steps.mechanism;
        if reply.code() == ReplyCode::AUTH_CHALLENGE && self.cancelled.is_none() {
            match steps.answer(&reply) {
                Answer::Secret(secret) => self.queue(Vec::new(), Some(&secret), Expect::Auth),
                Answer::Empty => self.queue(Vec::new(), None, Expect::Auth),
                Answer::Cancel => {
                    self.cancelled = Some(reply);
                    self.queue(b"*".to_vec(), None, Expect::Auth);
                }
            }
            return None;
        }
        self.auth = None;
        if let Some(challenge) = self.cancelled.take() {
            return Some(Event::AuthCancelled { challenge, reply });
        }
        if reply.code() == ReplyCode::AUTH_OK {
            self.authenticated = Some(mechanism);
            return Some(Event::Authenticated { mechanism, reply });
        }
        Some(Event::Reply {
            command: "AUTH",
            reply,
        })
    }

    fn group_reply(&mut self, expect: Expect, reply: Reply) -> Result<Option<Event>, Error> {
        let Some(group) = self.group.as_mut() else {
            return Ok(Some(Event::Reply {
                command: expect.verb(),
                reply,
            }));
        };
        let closing = reply.code() == ReplyCode::SERVICE_UNAVAILABLE;
        match expect {
            Expect::Mail => {
                let refused = !reply.is_positive();
                group.mail = Some(reply);
                // One at a time, the rest of the group is not sent after a
                // refused MAIL.
                if (refused && !self.held.is_empty()) || closing {
                    return Ok(self.finish_group());
                }
            }
            Expect::Rcpt => {
                group.recipients.push(reply);
                if closing {
                    return Ok(self.finish_group());
                }
                if group.recipients.len() == group.expected {
                    let none_accepted = !group.recipients.iter().any(Reply::is_positive);
                    if !group.data || (none_accepted && !self.held.is_empty()) {
                        return Ok(self.finish_group());
                    }
                }
            }
            _ => {
                let go = reply.code() == ReplyCode::START_DATA;
                group.data = false;
                let usable = group.mail.as_ref().is_some_and(Reply::is_positive)
                    && group.recipients.iter().any(Reply::is_positive);
                let data = Some(reply);
                let event = self.finish_group().map(|e| match e {
                    Event::Envelope(mut replies) => {
                        replies.data = data;
                        Event::Envelope(replies)
                    }
                    other => other,
                });
                if go && usable {
                    self.phase = Phase::Data;
                } else if go {
                    // RFC 2920 §3.1: the server should have refused DATA;
                    // end an empty message at once and send no body.
                    self.output.extend_from_slice(b".\r\n");
                    self.shown.push(".".to_owned());
                    self.pending.push_front(Expect::DiscardedEnd);
                }
                return Ok(event);
            }
        }
        Ok(None)
    }

    /// Ends the group: drops its commands still held, returns its event.
    fn finish_group(&mut self) -> Option<Event> {
        let group = self.group.take()?;
        self.held.retain(|h| !h.expect.in_group());
        Some(Event::Envelope(EnvelopeReplies {
            mail: group
                .mail
                .unwrap_or_else(|| Reply::new(ReplyCode::OK, Vec::new())),
            recipients: group.recipients,
            data: None,
        }))
    }

    fn check_live(&self) -> Result<(), Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        Ok(())
    }

    fn check_command(&self) -> Result<(), Error> {
        self.check_live()?;
        match self.phase {
            Phase::Command => Ok(()),
            Phase::Greeting => Err(Error::OutOfSequence("a command before the greeting")),
            Phase::StartTls => Err(Error::OutOfSequence(
                "a command between the STARTTLS go-ahead and the TLS handshake",
            )),
            Phase::Data => Err(Error::OutOfSequence("a command during message data")),
            Phase::Closed => Err(Error::OutOfSequence("a command after QUIT")),
        }
    }

    /// Queues one command line (CRLF added), released at once with
    /// PIPELINING or when nothing waits, else held behind the replies due.
    fn queue(&mut self, public: Vec<u8>, secret: Option<&Secret>, expect: Expect) {
        let mut shown = String::from_utf8_lossy(&public).into_owned();
        let mut bytes = public;
        if let Some(secret) = secret {
            bytes.extend_from_slice(secret.expose().as_bytes());
            shown.push_str(MASK);
        }
        bytes.extend_from_slice(b"\r\n");
        self.release_or_hold(Held {
            bytes,
            shown,
            expect,
        });
    }

    fn release_or_hold(&mut self, held: Held) {
        let pipelined = self.pipelining()
            && expect_may_pipeline(held.expect)
            && self.pending.iter().all(|&e| expect_may_pipeline(e));
        if self.held.is_empty() && (self.pending.is_empty() || pipelined) {
            self.release(held);
        } else {
            self.held.push_back(held);
        }
    }

    fn release(&mut self, held: Held) {
        if self.output.is_empty() {
            // A BDAT chunk is most of the output: moved, not copied.
            self.output = held.bytes;
        } else {
            self.output.extend_from_slice(&held.bytes);
        }
        self.shown.push(held.shown);
        self.pending.push_back(held.expect);
    }
}

/// RFC 2920 §3.1: EHLO, STARTTLS, AUTH and QUIT end a group, so nothing
/// goes behind them, nor behind the `.` of a discarded message; anything
/// else may go behind unanswered commands (message content included).
fn expect_may_pipeline(expect: Expect) -> bool {
    matches!(
        expect,
        Expect::Mail
            | Expect::Rcpt
            | Expect::Data
            | Expect::DataEnd
            | Expect::Bdat { .. }
            | Expect::Other(_)
    )
}

#[cfg(test)]
mod tests;
