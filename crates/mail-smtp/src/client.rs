//! `Client<S>`: a blocking SMTP session over a `mail_wire::Connection<S>`.
//!
//! ```text
//! connect -> greeting (220) -> EHLO (HELO fallback) -> [STARTTLS -> EHLO] -> [AUTH]
//!         -> { MAIL -> RCPT+ -> DATA|BDAT+ -> final reply }* -> QUIT
//! ```

use std::collections::VecDeque;
use std::io::Read;

use mail_wire::sasl::Mechanism;
use mail_wire::{
    Connection, Direction, Limits, NetStream, Secret, Security, Server, TlsConfig, Transcript,
};

use crate::command::Command;
use crate::core::{EnvelopeReplies, Event, Prepared, ReplyReader, Smtp};
use crate::envelope::{Envelope, MailOptions};
use crate::error::Error;
use crate::reply::{Reply, ReplyCode, DEFAULT_MAX_REPLY_LINES};
use crate::Capabilities;

/// Longest reply line accepted by default; RFC 5321 §4.5.3.1.5 allows 512
/// octets, real servers stay far below 8 KiB.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// Input bytes per chunk read from the body (and per BDAT chunk).
const BODY_CHUNK: usize = 64 * 1024;

/// Outstanding BDAT replies allowed before the client stops to read one,
/// so neither side can block on a full socket buffer.
const BDAT_WINDOW: usize = 32;

/// How a session is set up.
pub struct Options {
    /// The name sent with EHLO/HELO (a domain or an address literal such as `[127.0.0.1]`).
    pub helo_name: String,
    /// Observer of every line, installed before the greeting is read.
    pub transcript: Option<Box<dyn Transcript + Send>>,
    /// Allow AUTH over a connection without TLS (credentials in clear).
    pub allow_plaintext_auth: bool,
    /// Longest reply line accepted.
    pub max_line: usize,
    /// Most lines accepted in one reply.
    pub max_reply_lines: usize,
    /// Use PIPELINING when offered (RFC 2920).
    pub pipelining: bool,
    /// Use CHUNKING/BDAT when offered (RFC 3030).
    pub chunking: bool,
    /// Show the message content in the transcript line by line as it goes
    /// on the wire (dot-stuffed after DATA, each chunk after its BDAT),
    /// instead of one `<message body: N bytes>` line.
    pub show_data: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            helo_name: "localhost".to_owned(),
            transcript: None,
            allow_plaintext_auth: false,
            max_line: DEFAULT_MAX_LINE,
            max_reply_lines: DEFAULT_MAX_REPLY_LINES,
            pipelining: true,
            chunking: true,
            show_data: false,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("helo_name", &self.helo_name)
            .field("transcript", &self.transcript.is_some())
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("max_line", &self.max_line)
            .field("max_reply_lines", &self.max_reply_lines)
            .field("pipelining", &self.pipelining)
            .field("chunking", &self.chunking)
            .field("show_data", &self.show_data)
            .finish()
    }
}

/// One recipient's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReply {
    /// The address as given.
    pub address: String,
    /// The server's reply to its RCPT.
    pub reply: Reply,
}

impl RecipientReply {
    /// True when the server accepted the recipient (2yz).
    pub fn is_accepted(&self) -> bool {
        self.reply.is_positive()
    }
}

/// The outcome of a message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Every recipient with its RCPT reply, in order, accepted or not.
    pub recipients: Vec<RecipientReply>,
    /// The reply after the message data (`250 2.0.0 Ok: queued as ...`).
    pub reply: Reply,
    /// Bytes of the message as given (before line-end normalization).
    pub size: u64,
}

impl Delivery {
    /// Recipients the server accepted.
    pub fn accepted(&self) -> impl Iterator<Item = &RecipientReply> {
        self.recipients.iter().filter(|r| r.is_accepted())
    }

    /// Recipients the server refused; the message did not go to them.
    pub fn rejected(&self) -> impl Iterator<Item = &RecipientReply> {
        self.recipients.iter().filter(|r| !r.is_accepted())
    }

    /// The queue id, when a line of the final reply names it in one of the
    /// usual ways — a convenience, not a standard: `queued as ID` (Postfix),
    /// `id=ID` (Exim, on the last line of its BDAT reply), `ID Message
    /// accepted for delivery` (OpenSMTPD, Sendmail).
    pub fn queue_id(&self) -> Option<&str> {
        self.reply.lines().iter().find_map(|line| queue_id_in(line))
    }
}

/// The queue id in one line of a final reply, if it has one (see [`Delivery::queue_id`]).
fn queue_id_in(line: &str) -> Option<&str> {
    if let Some(at) = line.find("queued as ") {
        return line
            .get(at + "queued as ".len()..)?
            .split_whitespace()
            .next();
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if let Some(id) = words.iter().find_map(|w| w.strip_prefix("id=")) {
        return Some(id).filter(|id| !id.is_empty());
    }
    let id = words.windows(3).find_map(|w| match *w {
        [id, "Message", "accepted"] => Some(id),
        _ => None,
    })?;
    // Not the enhanced status code of a reply that names no id.
    (!id.contains('.')).then_some(id)
}

/// A connected SMTP session. Capabilities are checked at run time; AUTH,
/// MAIL and the rest return [`Error::Unsupported`] when the server lacks
/// what they need.
///
/// A thin driver over the sans-I/O [`Smtp`](crate::core::Smtp): it moves
/// bytes, shows them in the transcript and maps the core's events to results.
pub struct Client<S> {
    conn: Connection<S>,
    core: Smtp,
    greeting: Reply,
    helo_name: String,
    tls: bool,
    allow_plaintext_auth: bool,
    chunking: bool,
    show_data: bool,
    /// With `show_data`: the start of a content line not yet shown.
    content_line: Vec<u8>,
    /// Replies to lines written by hand through [`Client::connection`].
    reader: ReplyReader,
    /// One received line with its CRLF, as fed to the core.
    line: Vec<u8>,
    /// Set when a body could not be finished on the wire, or a reply could
    /// not be read whole: the session is unusable.
    broken: bool,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("greeting", &self.greeting)
            .field("capabilities", self.core.capabilities())
            .field("tls", &self.tls)
            .field("authenticated", &self.core.authenticated())
            .finish_non_exhaustive()
    }
}

impl<S: std::io::Read + std::io::Write> Client<S> {
    /// Starts a session on a connected stream: installs the transcript,
    /// reads the greeting and sends EHLO (HELO when EHLO is refused). The
    /// stream is taken to be without TLS (see [`Client::assume_tls`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] for a greeting other than 220 (554, 421) or when
    /// both EHLO and HELO are refused; wire and protocol errors.
    pub fn new(mut conn: Connection<S>, options: Options) -> Result<Self, Error> {
        if options.transcript.is_some() {
            conn.set_transcript(options.transcript);
        }
        conn.set_limits(Limits {
            max_line: options.max_line,
            ..conn.limits()
        });
        // Check the HELO name before a byte is read or sent.
        Command::Ehlo(&options.helo_name).encode(&mut Vec::new())?;
        let mut core = Smtp::new(options.max_line, options.max_reply_lines);
        core.set_pipelining(options.pipelining);
        let mut client = Client {
            conn,
            core,
            greeting: Reply::new(ReplyCode::SERVICE_READY, Vec::new()),
            helo_name: options.helo_name,
            tls: false,
            allow_plaintext_auth: options.allow_plaintext_auth,
            chunking: options.chunking,
            show_data: options.show_data,
            content_line: Vec::new(),
            reader: ReplyReader::new(options.max_line, options.max_reply_lines),
            line: Vec::new(),
            broken: false,
        };
        let greeting = into_reply(client.next_event()?);
        if greeting.code() != ReplyCode::SERVICE_READY {
            if greeting.code().is_permanent() {
                // RFC 5321 §3.1: after a 554 greeting the client SHOULD send
                // QUIT; the answer changes nothing.
                if client.core.command(&Command::Quit).is_ok() {
                    let _ = client.next_event();
                }
            }
            return Err(Error::Rejected {
                command: "the connection",
                reply: greeting,
            });
        }
        client.greeting = greeting;
        client.ehlo()?;
        Ok(client)
    }

    /// Marks the stream as protected by TLS set up outside this client
    /// (a `Connection` built by hand over TLS).
    pub fn assume_tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// The server's greeting (220).
    pub fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// What the last EHLO offered (empty after a HELO fallback).
    pub fn capabilities(&self) -> &Capabilities {
        self.core.capabilities()
    }

    /// True when the session runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The mechanism that authenticated this session, if any.
    pub fn authenticated(&self) -> Option<Mechanism> {
        self.core.authenticated()
    }

    /// The connection, e.g. to change its transcript.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.conn
    }

    /// Sends EHLO and records the capabilities; falls back to HELO when the
    /// server answers EHLO with 500, 502 or another 5yz (RFC 5321 §4.1.4).
    ///
    /// # Errors
    /// [`Error::Rejected`] when HELO is refused as well, or EHLO with 4yz.
    pub fn ehlo(&mut self) -> Result<&Capabilities, Error> {
        self.check_usable()?;
        self.core.ehlo(&self.helo_name)?;
        match self.next_event()? {
            Event::Hello(_) => Ok(self.core.capabilities()),
            Event::Reply { command, reply } => Err(Error::Rejected { command, reply }),
            other => Err(unexpected("EHLO", other)),
        }
    }

    /// Reads one complete reply to a line written by hand through
    /// [`Client::connection`] (the session's own commands go through the core).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed reply, wire errors (a line over
    /// the limit, the connection closed mid-reply).
    ///
    /// After any error here the client refuses further commands
    /// ([`Error::Broken`]): the rest of a reply may still be in the stream,
    /// and a later reply could be matched to the wrong command.
    pub fn read_reply(&mut self) -> Result<Reply, Error> {
        let result = self.read_reply_inner();
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn read_reply_inner(&mut self) -> Result<Reply, Error> {
        loop {
            self.read_line()?;
            if let (_, Some(reply)) = self.reader.feed(&self.line)? {
                return Ok(reply);
            }
        }
    }

    /// Reads one line into `self.line`, CRLF restored.
    fn read_line(&mut self) -> Result<(), Error> {
        let line = self.conn.read_line()?;
        self.line.clear();
        self.line.extend_from_slice(line);
        self.line.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Writes what the core queued (its command lines to the transcript as
    /// the core shows them, secrets masked), sends it, and reads until the
    /// core has an event; the core's own answers (HELO fallback, AUTH
    /// steps, commands held without PIPELINING) go out on the way.
    ///
    /// After an error the client refuses further commands ([`Error::Broken`]).
    fn next_event(&mut self) -> Result<Event, Error> {
        let result = self.next_event_inner();
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    fn next_event_inner(&mut self) -> Result<Event, Error> {
        loop {
            self.write_out()?;
            self.conn.flush()?;
            self.read_line()?;
            if let (_, Some(event)) = self.core.feed(&self.line)? {
                return Ok(event);
            }
        }
    }

    /// Queues the core's output on the connection (not flushed).
    fn write_out(&mut self) -> Result<(), Error> {
        for shown in self.core.take_shown() {
            self.conn.note(Direction::Client, &shown);
        }
        let out = self.core.take_output();
        self.conn.write_raw(&out)?;
        Ok(())
    }

    fn check_usable(&self) -> Result<(), Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        Ok(())
    }

    /// Sends one command and reads its reply, whatever the code.
    fn command(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.check_usable()?;
        self.core.command(command)?;
        Ok(into_reply(self.next_event()?))
    }

    /// Sends a command that must succeed with 2yz.
    fn command_ok(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        let reply = self.command(command)?;
        if reply.is_positive() {
            Ok(reply)
        } else {
            Err(Error::Rejected {
                command: command.verb(),
                reply,
            })
        }
    }

    /// Sends a line typed at a console (its secret part masked in the
    /// transcript) and reads the reply.
    pub(crate) fn typed_line(
        &mut self,
        public: &str,
        secret: Option<&Secret>,
    ) -> Result<Reply, Error> {
        self.check_usable()?;
        self.core.raw_line(public, secret)?;
        Ok(into_reply(self.next_event()?))
    }

    /// `STARTTLS` (RFC 3207) with the handshake done by `upgrade` (a
    /// stream other than [`NetStream`], e.g. a scripted one in tests):
    /// sends STARTTLS, runs `upgrade` after the go-ahead, forgets what was
    /// learnt before (§4.2) and sends EHLO again.
    ///
    /// # Errors
    /// As [`Client::starttls`], with `upgrade`'s error as [`Error::Wire`].
    pub fn starttls_with(
        &mut self,
        upgrade: impl FnOnce(&mut Connection<S>) -> Result<(), mail_wire::Error>,
    ) -> Result<(), Error> {
        self.check_usable()?;
        if self.tls {
            return Err(Error::Wire(mail_wire::Error::AlreadyTls));
        }
        if !self.core.capabilities().starttls() {
            return Err(Error::Unsupported("STARTTLS"));
        }
        self.core.starttls()?;
        match self.next_event()? {
            Event::TlsReady(_) => {}
            Event::Reply { reply, .. } => {
                return Err(Error::Rejected {
                    command: "STARTTLS",
                    reply,
                })
            }
            other => return Err(unexpected("STARTTLS", other)),
        }
        // The core refuses any byte that came after the go-ahead.
        if let Err(err) = self.core.feed(self.conn.buffered()) {
            self.broken = true;
            return Err(err);
        }
        if let Err(err) = upgrade(&mut self.conn) {
            self.broken = true;
            return Err(Error::Wire(err));
        }
        self.tls = true;
        self.core.tls_started();
        self.ehlo()?;
        Ok(())
    }

    /// Authenticates with `mechanism`, or the best one offered when `None`
    /// (see [`Mechanism::best`]). For XOAUTH2 `secret` is the access token.
    /// Returns the mechanism used.
    ///
    /// # Errors
    /// [`Error::PlaintextAuth`] without TLS unless allowed (nothing is sent);
    /// [`Error::Unsupported`] when AUTH or the mechanism is not offered;
    /// [`Error::AuthRejected`] when the server refuses the credentials.
    pub fn auth(
        &mut self,
        user: &str,
        secret: &Secret,
        mechanism: Option<Mechanism>,
    ) -> Result<Mechanism, Error> {
        self.check_usable()?;
        if !self.tls && !self.allow_plaintext_auth {
            return Err(Error::PlaintextAuth);
        }
        let caps = self.core.capabilities();
        let offered = caps.auth_mechanisms();
        if !caps.has("AUTH") {
            return Err(Error::Unsupported("AUTH"));
        }
        let mechanism = match mechanism {
            Some(m) if offered.contains(&m) => m,
            Some(m) => return Err(Error::Unsupported(auth_name(m))),
            None => Mechanism::best(&offered, self.tls)
                .ok_or(Error::Unsupported("AUTH PLAIN, LOGIN or CRAM-MD5"))?,
        };
        self.core.auth(mechanism, user, secret)?;
        match self.next_event()? {
            Event::Authenticated { .. } => {
                log::debug!("authenticated with {mechanism}");
                Ok(mechanism)
            }
            Event::AuthCancelled { challenge, .. } => Err(Error::UnexpectedReply {
                command: "AUTH",
                reply: challenge,
            }),
            other => Err(auth_failure(mechanism, into_reply(other))),
        }
    }

    /// `RSET`: aborts the current transaction (RFC 5321 §4.1.1.5).
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub fn rset(&mut self) -> Result<Reply, Error> {
        self.command_ok(&Command::Rset)
    }

    /// `NOOP` (RFC 5321 §4.1.1.9).
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub fn noop(&mut self) -> Result<Reply, Error> {
        self.command_ok(&Command::Noop)
    }

    /// `VRFY`: returns the reply whatever its code (250/251/252 or a refusal
    /// such as 502), since servers often disable it (RFC 5321 §3.5.3).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `what`; wire errors.
    pub fn vrfy(&mut self, what: &str) -> Result<Reply, Error> {
        self.command(&Command::Vrfy(what))
    }

    /// `HELP [topic]`: returns the reply whatever its code (214, 502...).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `topic`; wire errors.
    pub fn help(&mut self, topic: Option<&str>) -> Result<Reply, Error> {
        self.command(&Command::Help(topic))
    }

    /// `QUIT`, ending the session; returns the 221 reply.
    ///
    /// # Errors
    /// [`Error::Rejected`] for another code; wire errors.
    pub fn quit(mut self) -> Result<Reply, Error> {
        let reply = self.command(&Command::Quit)?;
        if reply.code() == ReplyCode::CLOSING {
            Ok(reply)
        } else {
            Err(Error::Rejected {
                command: "QUIT",
                reply,
            })
        }
    }

    /// Gives the connection back (after QUIT or to hand it to another layer).
    pub fn into_connection(self) -> Connection<S> {
        self.conn
    }

    /// Decides MAIL and RCPT parameters against the capabilities and encodes
    /// every envelope line, so nothing is sent when any of it is invalid.
    fn prepare(&self, envelope: &Envelope, size: Option<u64>) -> Result<Prepared, Error> {
        Prepared::new(self.core.capabilities(), envelope, size)
    }

    fn use_pipelining(&self) -> bool {
        self.core.pipelining()
    }

    fn use_chunking(&self) -> bool {
        self.chunking && self.core.capabilities().chunking()
    }

    /// Sends one message: MAIL FROM (with SIZE, BODY=8BITMIME, SMTPUTF8 and
    /// DSN parameters as needed), one RCPT per recipient, then the body by
    /// BDAT when CHUNKING is offered, else DATA with dot-stuffing. With
    /// PIPELINING the envelope goes in one write and each reply is matched
    /// to its command in order (RFC 2920 §3.1). The body is streamed from
    /// `body`; line ends are normalized to CRLF. `size` (when known) is
    /// announced with SIZE and checked against the server's limit first.
    /// A streamed body cannot be inspected before MAIL: set the envelope's
    /// [`MailOptions`] (or take them from [`MailOptions::detect`] when the
    /// message is in memory).
    ///
    /// The session stays usable after a rejection: the transaction is
    /// reset, and the next `send` starts afresh.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad address (nothing sent); [`Error::Unsupported`];
    /// [`Error::TooLarge`]; [`Error::Rejected`] for MAIL, DATA/BDAT or the
    /// final reply; [`Error::AllRecipientsRejected`]; [`Error::Body`] when
    /// reading `body` fails (with DATA the session is then unusable, since
    /// no partial message may be ended).
    pub fn send(
        &mut self,
        envelope: &Envelope,
        body: &mut dyn Read,
        size: Option<u64>,
    ) -> Result<Delivery, Error> {
        self.check_usable()?;
        let prepared = self.prepare(envelope, size)?;
        if self.use_chunking() {
            return self.send_bdat(envelope, &prepared, body);
        }
        self.core.envelope(&prepared, true)?;
        let recipients = match self.envelope_outcome(envelope)? {
            EnvelopeOutcome::Go(recipients) => recipients,
            EnvelopeOutcome::Failed(err) => return Err(err),
        };
        let size = self.stream_data(body)?;
        let reply = into_reply(self.next_event()?);
        if reply.is_positive() {
            Ok(Delivery {
                recipients,
                reply,
                size,
            })
        } else {
            Err(Error::Rejected {
                command: "DATA",
                reply,
            })
        }
    }

    /// Sends many messages held in memory over this connection, each with its
    /// own result, with one round trip a message: each message's data goes
    /// in one write with the next message's envelope (RFC 2920 §3.1: the
    /// message content may start a group). With DATA the group is
    /// `body . MAIL RCPT... DATA`; with CHUNKING it is
    /// `BDAT n LAST body RSET MAIL RCPT...` (the state after a refused BDAT is
    /// indeterminate until RSET, RFC 3030 §2). No message data is ever sent
    /// before the server has accepted that message's envelope, so a server
    /// that refuses a command without reading its data can never take body
    /// lines for commands. Without PIPELINING this is [`send`](Self::send) in a loop.
    /// `BODY=8BITMIME` and `SMTPUTF8` are added where a message's bytes need
    /// them ([`MailOptions::detect`]).
    ///
    /// # Errors
    /// The outer error is a failure of the session (wire, protocol, 421);
    /// the results of messages finished before it are lost then. Each inner
    /// error is one message's rejection, after which the session goes on.
    pub fn send_all<'a, I>(&mut self, messages: I) -> Result<Vec<Result<Delivery, Error>>, Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    {
        self.check_usable()?;
        let messages: Vec<(&Envelope, &[u8])> = messages.into_iter().collect();
        let mut results = Vec::with_capacity(messages.len());
        if !self.use_pipelining() {
            for (envelope, body) in messages {
                let mut reader = body;
                match self.send(envelope, &mut reader, Some(body.len() as u64)) {
                    Ok(delivery) => results.push(Ok(delivery)),
                    Err(err) if is_session_error(&err) => return Err(err),
                    Err(err) => results.push(Err(err)),
                }
            }
            return Ok(results);
        }
        let chunking = self.use_chunking();
        let command = if chunking { "BDAT" } else { "DATA" };
        // The whole message is at hand: add BODY=8BITMIME and SMTPUTF8 when
        // its bytes need them, whatever the envelope's options say.
        let mut prepared: Vec<Option<Result<Prepared, Error>>> = messages
            .iter()
            .map(|(env, body)| {
                let detected = MailOptions::detect(body);
                if (detected.eight_bit_mime && !env.options.eight_bit_mime)
                    || (detected.smtputf8 && !env.options.smtputf8)
                {
                    let mut env = (*env).clone();
                    env.options.eight_bit_mime |= detected.eight_bit_mime;
                    env.options.smtputf8 |= detected.smtputf8;
                    Some(self.prepare(&env, Some(body.len() as u64)))
                } else {
                    Some(self.prepare(env, Some(body.len() as u64)))
                }
            })
            .collect();
        let mut pending_results: VecDeque<Result<Delivery, Error>> = VecDeque::new();
        let mut next = 0;
        // Queues the next message that prepared well (RSET first when asked),
        // reporting the ones that did not in order; returns its index.
        let mut queue_next = |client: &mut Self,
                              next: &mut usize,
                              out: &mut VecDeque<Result<Delivery, Error>>,
                              rset_first: bool|
         -> Result<Option<(usize, bool)>, Error> {
            while let Some(slot) = prepared.get_mut(*next) {
                let i = *next;
                *next += 1;
                match slot.take() {
                    Some(Ok(p)) => {
                        if rset_first {
                            client.core.command(&Command::Rset)?;
                        }
                        client.core.envelope(&p, !chunking)?;
                        return Ok(Some((i, rset_first)));
                    }
                    Some(Err(err)) => out.push_back(Err(err)),
                    None => {}
                }
            }
            Ok(None)
        };
        // Invariant: when `in_flight` is Some((i, rset)), message i's
        // envelope (behind an RSET when `rset`) is queued and its replies unread.
        let mut in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
        results.extend(pending_results.drain(..));
        let mut open_after_failure = false;
        while let Some((i, rset)) = in_flight {
            let (envelope, body) = messages.get(i).copied().unwrap_or((&EMPTY_ENVELOPE, b""));
            if rset {
                let reply = into_reply(self.next_event()?);
                if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                    return Err(Error::Rejected {
                        command: "RSET",
                        reply,
                    });
                }
            }
            open_after_failure = false;
            match self.envelope_outcome(envelope)? {
                EnvelopeOutcome::Go(recipients) => {
                    if chunking {
                        let size = self.core.bdat(body, true)?;
                        self.write_chunk(size)?;
                    } else {
                        self.core.data(body)?;
                        self.core.data_end()?;
                        let wire = self.core.take_output();
                        self.write_content(&wire)?;
                        self.end_content(body.len() as u64, true);
                    }
                    in_flight = queue_next(self, &mut next, &mut pending_results, chunking)?;
                    let reply = into_reply(self.next_event()?);
                    if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                        return Err(Error::Rejected { command, reply });
                    }
                    if reply.is_positive() {
                        results.push(Ok(Delivery {
                            recipients,
                            reply,
                            size: body.len() as u64,
                        }));
                    } else {
                        // After DATA's final reply the transaction is over
                        // (RFC 5321 §4.1.1.4); after a refused BDAT it is
                        // indeterminate, and the RSET queued above clears it.
                        open_after_failure = chunking;
                        results.push(Err(Error::Rejected { command, reply }));
                    }
                    results.extend(pending_results.drain(..));
                }
                EnvelopeOutcome::Failed(err) => {
                    // `envelope_outcome` has reset the transaction.
                    results.push(Err(err));
                    in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
                    results.extend(pending_results.drain(..));
                }
            }
        }
        if open_after_failure {
            self.reset_quietly()?;
        }
        Ok(results)
    }

    /// Reads the replies to an envelope group the core matched to MAIL,
    /// each RCPT and DATA (RFC 2920 §3.1). Leaves the session ready for
    /// the next transaction when the message cannot go; a 421 is the
    /// session's error.
    fn envelope_outcome(&mut self, envelope: &Envelope) -> Result<EnvelopeOutcome, Error> {
        let replies = match self.next_event()? {
            Event::Envelope(replies) => replies,
            other => return Err(unexpected("MAIL", other)),
        };
        let go = replies.can_send_data();
        let EnvelopeReplies {
            mail,
            recipients,
            data,
        } = replies;
        let closing = |reply: &Reply| reply.code() == ReplyCode::SERVICE_UNAVAILABLE;
        if closing(&mail) {
            return Err(Error::Rejected {
                command: "MAIL",
                reply: mail,
            });
        }
        if let Some(reply) = recipients.iter().find(|r| closing(r)) {
            return Err(Error::Rejected {
                command: "RCPT",
                reply: reply.clone(),
            });
        }
        if let Some(reply) = data.as_ref().filter(|r| closing(r)) {
            return Err(Error::Rejected {
                command: "DATA",
                reply: reply.clone(),
            });
        }
        let recipients: Vec<RecipientReply> = envelope
            .recipients
            .iter()
            .zip(recipients)
            .map(|(address, reply)| RecipientReply {
                address: address.clone(),
                reply,
            })
            .collect();
        if go {
            return Ok(EnvelopeOutcome::Go(recipients));
        }
        let outcome = judge_envelope(mail, recipients, data);
        self.reset_if_open(&outcome)?;
        Ok(outcome)
    }

    /// RSET on a failure path: a refused RSET is ignored (the failure that
    /// led here is the error worth reporting), a 421 or a wire error is not.
    fn reset_quietly(&mut self) -> Result<(), Error> {
        match self.rset() {
            Err(Error::Rejected { reply, .. })
                if reply.code() != ReplyCode::SERVICE_UNAVAILABLE =>
            {
                log::debug!("RSET refused: {reply}");
                Ok(())
            }
            other => other.map(drop),
        }
    }

    /// RSET after a failed envelope whose MAIL was accepted, so the next
    /// MAIL starts a fresh transaction.
    fn reset_if_open(&mut self, outcome: &EnvelopeOutcome) -> Result<(), Error> {
        match outcome {
            EnvelopeOutcome::Failed(Error::Rejected {
                command: "MAIL", ..
            })
            | EnvelopeOutcome::Go(_) => Ok(()),
            EnvelopeOutcome::Failed(_) => self.reset_quietly(),
        }
    }

    /// Streams the body after a 354 through the core (dot-stuffed, with
    /// the terminator); returns the bytes read from `body`.
    fn stream_data(&mut self, body: &mut dyn Read) -> Result<u64, Error> {
        let mut input = vec![0u8; BODY_CHUNK];
        loop {
            let n = match read_some(body, &mut input) {
                Ok(n) => n,
                Err(err) => {
                    // A partial message must never be ended with ".": the
                    // session is dropped instead (RFC 5321 §4.1.1.4 gives no abort).
                    self.broken = true;
                    return Err(Error::Body(err));
                }
            };
            if n == 0 {
                break;
            }
            self.core.data(input.get(..n).unwrap_or_default())?;
            let wire = self.core.take_output();
            self.write_content(&wire)?;
        }
        let size = self.core.data_end()?;
        let wire = self.core.take_output();
        self.write_content(&wire)?;
        self.end_content(size, true);
        Ok(size)
    }

    /// Writes the BDAT command and chunk of `size` bytes the core queued.
    fn write_chunk(&mut self, size: u64) -> Result<(), Error> {
        for shown in self.core.take_shown() {
            self.conn.note(Direction::Client, &shown);
        }
        let out = self.core.take_output();
        let header = out
            .len()
            .saturating_sub(usize::try_from(size).unwrap_or(usize::MAX));
        self.conn.write_raw(out.get(..header).unwrap_or_default())?;
        self.write_content(out.get(header..).unwrap_or_default())?;
        self.end_content(size, false);
        Ok(())
    }

    /// Writes message content (already stuffed or chunked); with
    /// `show_data` the transcript shows each complete line of it, escaped.
    fn write_content(&mut self, wire: &[u8]) -> Result<(), Error> {
        self.conn.write_raw(wire)?;
        if !self.show_data || !self.conn.has_transcript() {
            return Ok(());
        }
        let mut rest = wire;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.content_line
                .extend_from_slice(rest.get(..end).unwrap_or_default());
            if self.content_line.last() == Some(&b'\r') {
                self.content_line.pop();
            }
            self.conn.note_bytes(Direction::Client, &self.content_line);
            self.content_line.clear();
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        self.content_line.extend_from_slice(rest);
        Ok(())
    }

    /// Ends a piece of content in the transcript: with `show_data` the
    /// rest of a line a BDAT chunk cut; otherwise a note of its size, and
    /// `.` for the end of DATA (whose terminator `show_data` has shown).
    fn end_content(&mut self, bytes: u64, data_end: bool) {
        if self.show_data {
            if !self.content_line.is_empty() {
                self.conn.note_bytes(Direction::Client, &self.content_line);
                self.content_line.clear();
            }
            return;
        }
        self.conn
            .note(Direction::Client, &format!("<message body: {bytes} bytes>"));
        if data_end {
            self.conn.note(Direction::Client, ".");
        }
    }

    /// The envelope, then the body in BDAT chunks (RFC 3030 §2). No chunk
    /// is sent before the envelope is accepted: Postfix, for one, refuses
    /// BDAT before STARTTLS with 530 without reading its chunk, so chunk
    /// bytes sent blindly behind a refused envelope would be read as
    /// commands. With PIPELINING the envelope goes in one write and the
    /// chunks go without waiting, within a window of outstanding replies.
    fn send_bdat(
        &mut self,
        envelope: &Envelope,
        prepared: &Prepared,
        body: &mut dyn Read,
    ) -> Result<Delivery, Error> {
        let pipelining = self.use_pipelining();
        let mut input = vec![0u8; BODY_CHUNK];
        // Read the first chunk before anything is sent, so a failing body
        // leaves the session clean.
        let (mut filled, mut last) = fill_chunk(body, &mut input).map_err(Error::Body)?;
        self.core.envelope(prepared, false)?;
        let recipients = match self.envelope_outcome(envelope)? {
            EnvelopeOutcome::Go(recipients) => recipients,
            EnvelopeOutcome::Failed(err) => return Err(err),
        };
        let mut size = 0u64;
        let mut outstanding = 0usize;
        loop {
            let chunk = self
                .core
                .bdat(input.get(..filled).unwrap_or_default(), last)?;
            size += filled as u64;
            self.write_chunk(chunk)?;
            outstanding += 1;
            let must_read = |outstanding: usize| !pipelining || outstanding > BDAT_WINDOW || last;
            while outstanding > 0 && must_read(outstanding) {
                let reply = into_reply(self.next_event()?);
                outstanding -= 1;
                if !reply.is_positive() {
                    // Drain the replies of chunks already sent, then reset:
                    // the state after a refused BDAT is indeterminate.
                    for _ in 0..outstanding {
                        let _ = self.next_event()?;
                    }
                    if reply.code() != ReplyCode::SERVICE_UNAVAILABLE {
                        self.reset_quietly()?;
                    }
                    return Err(Error::Rejected {
                        command: "BDAT",
                        reply,
                    });
                }
                if outstanding == 0 && last {
                    return Ok(Delivery {
                        recipients,
                        reply,
                        size,
                    });
                }
            }
            match fill_chunk(body, &mut input) {
                Ok((n, is_last)) => (filled, last) = (n, is_last),
                Err(err) => {
                    for _ in 0..outstanding {
                        let _ = self.next_event()?;
                    }
                    // RSET discards the chunks sent so far (RFC 3030 §2).
                    self.reset_quietly()?;
                    return Err(Error::Body(err));
                }
            }
        }
    }
}

/// The reply an event carries (the MAIL reply of an envelope group).
fn into_reply(event: Event) -> Reply {
    match event {
        Event::Greeting(reply)
        | Event::Hello(reply)
        | Event::TlsReady(reply)
        | Event::Authenticated { reply, .. }
        | Event::AuthCancelled { reply, .. }
        | Event::Message(reply)
        | Event::Reply { reply, .. } => reply,
        Event::Envelope(replies) => replies.mail,
        // `Event` is non-exhaustive; every variant is listed above.
        #[allow(unreachable_patterns)]
        _ => Reply::new(ReplyCode::OK, Vec::new()),
    }
}

fn unexpected(command: &'static str, event: Event) -> Error {
    Error::UnexpectedReply {
        command,
        reply: into_reply(event),
    }
}

/// The error for a transaction that cannot carry the message.
fn judge_envelope(
    mail: Reply,
    recipients: Vec<RecipientReply>,
    data: Option<Reply>,
) -> EnvelopeOutcome {
    if !mail.is_positive() {
        return EnvelopeOutcome::Failed(Error::Rejected {
            command: "MAIL",
            reply: mail,
        });
    }
    if !recipients.iter().any(RecipientReply::is_accepted) {
        return EnvelopeOutcome::Failed(all_rejected(recipients));
    }
    match data {
        Some(reply) if reply.code() != ReplyCode::START_DATA => {
            EnvelopeOutcome::Failed(data_refused(reply))
        }
        _ => EnvelopeOutcome::Go(recipients),
    }
}

enum EnvelopeOutcome {
    Go(Vec<RecipientReply>),
    Failed(Error),
}

static EMPTY_ENVELOPE: Envelope = Envelope {
    from: String::new(),
    recipients: Vec::new(),
    options: MailOptions {
        smtputf8: false,
        eight_bit_mime: false,
        dsn: None,
    },
};

fn auth_name(m: Mechanism) -> &'static str {
    match m {
        Mechanism::Plain => "AUTH PLAIN",
        Mechanism::Login => "AUTH LOGIN",
        Mechanism::CramMd5 => "AUTH CRAM-MD5",
        Mechanism::XOAuth2 => "AUTH XOAUTH2",
    }
}

fn auth_failure(mechanism: Mechanism, reply: Reply) -> Error {
    if reply.code() == ReplyCode::AUTH_CHALLENGE || reply.is_positive() {
        Error::UnexpectedReply {
            command: "AUTH",
            reply,
        }
    } else {
        Error::AuthRejected {
            mechanism: mechanism.name(),
            reply,
        }
    }
}

fn all_rejected(recipients: Vec<RecipientReply>) -> Error {
    Error::AllRecipientsRejected {
        rejected: recipients
            .into_iter()
            .map(|r| (r.address, r.reply))
            .collect(),
    }
}

fn data_refused(reply: Reply) -> Error {
    if reply.is_positive() {
        Error::UnexpectedReply {
            command: "DATA",
            reply,
        }
    } else {
        Error::Rejected {
            command: "DATA",
            reply,
        }
    }
}

/// Errors after which the session cannot go on.
fn is_session_error(err: &Error) -> bool {
    match err {
        Error::Wire(_)
        | Error::Protocol(_)
        | Error::UnexpectedReply { .. }
        | Error::Body(_)
        | Error::Broken => true,
        Error::Rejected { reply, .. } => reply.code() == ReplyCode::SERVICE_UNAVAILABLE,
        _ => false,
    }
}

/// One `read`, retried on `Interrupted`.
fn read_some(body: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match body.read(buf) {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads up to a full chunk into `input`; returns the bytes read and
/// true at EOF.
fn fill_chunk(body: &mut dyn Read, input: &mut [u8]) -> std::io::Result<(usize, bool)> {
    let mut filled = 0;
    while filled < input.len() {
        let n = read_some(body, input.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            return Ok((filled, true));
        }
        filled += n;
    }
    Ok((filled, false))
}

impl Client<NetStream> {
    /// Connects and sets up the session: the transcript is installed before
    /// the greeting is read; then EHLO (HELO fallback), and for
    /// [`Security::StartTls`] STARTTLS and EHLO again. With
    /// [`Security::Implicit`] TLS starts before the greeting.
    ///
    /// # Errors
    /// [`Error::Wire`] for connecting, TLS and time-outs;
    /// [`Error::Unsupported`]`("STARTTLS")` when TLS was asked for and the
    /// server does not offer it (nothing more is sent, no credential
    /// above all); [`Error::Rejected`] for a refused greeting, EHLO/HELO or STARTTLS.
    pub fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
        options: Options,
    ) -> Result<Self, Error> {
        let conn = Connection::connect(server, security, tls)?;
        let security = conn.get_ref().security();
        let mut client = Client::new(conn, options)?;
        match security {
            Security::Implicit => client.tls = true,
            Security::StartTls => client.starttls(server, tls)?,
            Security::Plain => {}
        }
        Ok(client)
    }

    /// `STARTTLS` (RFC 3207): upgrades the connection, forgets everything
    /// learnt before (§4.2) and sends EHLO again.
    ///
    /// # Errors
    /// [`Error::Unsupported`]`("STARTTLS")` when not offered;
    /// [`Error::Rejected`] when refused; [`Error::Wire`] with
    /// `BufferedAfterStartTls` when bytes followed the go-ahead (a response
    /// injection attempt), `Tls` when the handshake or certificate check fails.
    pub fn starttls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        self.starttls_with(|conn| conn.start_tls(server, tls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(lines: &[&str]) -> Delivery {
        let reply = Reply::new(
            ReplyCode::OK,
            lines.iter().map(|l| (*l).to_owned()).collect(),
        );
        Delivery {
            recipients: Vec::new(),
            reply,
            size: 0,
        }
    }

    #[test]
    fn queue_ids_in_the_words_of_postfix_exim_and_opensmtpd() {
        assert_eq!(
            delivery(&["2.0.0 Ok: queued as 4Xy7Zq1cNbz9"]).queue_id(),
            Some("4Xy7Zq1cNbz9")
        );
        assert_eq!(
            delivery(&["OK id=1xaYOv-0005Tn-2R"]).queue_id(),
            Some("1xaYOv-0005Tn-2R")
        );
        // Exim's BDAT LAST reply names the id on its last line.
        assert_eq!(
            delivery(&[" 282 byte chunk, total 282", "OK id=1xaYOv-0005Tn-2R"]).queue_id(),
            Some("1xaYOv-0005Tn-2R")
        );
        assert_eq!(
            delivery(&["2.0.0 08712de9 Message accepted for delivery"]).queue_id(),
            Some("08712de9")
        );
    }

    #[test]
    fn replies_without_a_queue_id_have_none() {
        for lines in [
            &["2.0.0 Ok"][..],
            &["2.0.0 Message accepted for delivery"],
            &["OK id="],
            &[""],
            &[],
        ] {
            assert_eq!(delivery(lines).queue_id(), None, "{lines:?}");
        }
    }
}
