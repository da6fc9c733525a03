//! `Client<S>`: a blocking SMTP session over a `mail_wire::Connection<S>`.
//!
//! ```text
//! connect -> greeting (220) -> EHLO (HELO fallback) -> [STARTTLS -> EHLO] -> [AUTH]
//!         -> { MAIL -> RCPT+ -> DATA|BDAT+ -> final reply }* -> QUIT
//! ```

use std::collections::VecDeque;
use std::io::Read;

use mail_wire::sasl::{self, Mechanism};
use mail_wire::{
    Connection, Direction, Limits, Line, NetStream, Secret, Security, Server, TlsConfig, Transcript,
};

use crate::command::Command;
use crate::core::{Prepared, ReplyReader};
use crate::dot::BodyEncoder;
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
pub struct ClientOptions {
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

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
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

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
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
pub struct Client<S> {
    conn: Connection<S>,
    greeting: Reply,
    caps: Capabilities,
    helo_name: String,
    tls: bool,
    allow_plaintext_auth: bool,
    pipelining: bool,
    chunking: bool,
    show_data: bool,
    /// With `show_data`: the start of a content line not yet shown.
    content_line: Vec<u8>,
    /// Reply lines go through the core's reader, one line at a time.
    reader: ReplyReader,
    line: Vec<u8>,
    authenticated: Option<Mechanism>,
    /// Set when a body could not be finished on the wire, or a reply could
    /// not be read whole: the session is unusable.
    broken: bool,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("greeting", &self.greeting)
            .field("capabilities", &self.caps)
            .field("tls", &self.tls)
            .field("authenticated", &self.authenticated)
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
    pub fn new(mut conn: Connection<S>, options: ClientOptions) -> Result<Self, Error> {
        if options.transcript.is_some() {
            conn.set_transcript(options.transcript);
        }
        conn.set_limits(Limits {
            max_line: options.max_line,
            ..conn.limits()
        });
        // Check the HELO name before a byte is read or sent.
        Command::Ehlo(&options.helo_name).encode(&mut Vec::new())?;
        let mut client = Client {
            conn,
            greeting: Reply::new(ReplyCode::SERVICE_READY, Vec::new()),
            caps: Capabilities::default(),
            helo_name: options.helo_name,
            tls: false,
            allow_plaintext_auth: options.allow_plaintext_auth,
            pipelining: options.pipelining,
            chunking: options.chunking,
            show_data: options.show_data,
            content_line: Vec::new(),
            reader: ReplyReader::new(options.max_line, options.max_reply_lines),
            line: Vec::new(),
            authenticated: None,
            broken: false,
        };
        let greeting = client.read_reply()?;
        if greeting.code() != ReplyCode::SERVICE_READY {
            if greeting.code().is_permanent() {
                // RFC 5321 §3.1: after a 554 greeting the client SHOULD send
                // QUIT; the answer changes nothing.
                let quit = client
                    .queue(&Command::Quit)
                    .and_then(|()| client.conn.flush().map_err(Error::from));
                if quit.is_ok() {
                    let _ = client.read_reply();
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
        &self.caps
    }

    /// True when the session runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The mechanism that authenticated this session, if any.
    pub fn authenticated(&self) -> Option<Mechanism> {
        self.authenticated
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
        let helo_name = std::mem::take(&mut self.helo_name);
        let result = self.ehlo_with(&helo_name);
        self.helo_name = helo_name;
        result?;
        Ok(&self.caps)
    }

    fn ehlo_with(&mut self, helo_name: &str) -> Result<(), Error> {
        self.caps = Capabilities::default();
        let reply = self.command(&Command::Ehlo(helo_name))?;
        if reply.is_positive() {
            self.caps = Capabilities::from_ehlo(&reply);
            return Ok(());
        }
        if !reply.code().is_permanent() {
            return Err(Error::Rejected {
                command: "EHLO",
                reply,
            });
        }
        log::debug!("EHLO refused ({}), trying HELO", reply.code());
        let reply = self.command(&Command::Helo(helo_name))?;
        if !reply.is_positive() {
            return Err(Error::Rejected {
                command: "HELO",
                reply,
            });
        }
        self.caps = Capabilities::helo_only(&reply);
        Ok(())
    }

    /// Reads one complete reply.
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
            let line = self.conn.read_line()?;
            self.line.clear();
            self.line.extend_from_slice(line);
            self.line.extend_from_slice(b"\r\n");
            if let (_, Some(reply)) = self.reader.feed(&self.line)? {
                return Ok(reply);
            }
        }
    }

    fn check_usable(&self) -> Result<(), Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        Ok(())
    }

    /// Encodes and queues one command (not flushed).
    fn queue(&mut self, command: &Command<'_>) -> Result<(), Error> {
        self.check_usable()?;
        let mut line = Vec::with_capacity(64);
        command.encode(&mut line)?;
        self.conn.queue(Line::public(&line))?;
        Ok(())
    }

    /// Sends one command and reads its reply, whatever the code.
    fn command(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.queue(command)?;
        self.conn.flush()?;
        self.read_reply()
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
        if !self.caps.starttls() {
            return Err(Error::Unsupported("STARTTLS"));
        }
        let reply = self.command(&Command::StartTls)?;
        if reply.code() != ReplyCode::SERVICE_READY {
            return Err(Error::Rejected {
                command: "STARTTLS",
                reply,
            });
        }
        let buffered = self.conn.buffered().len();
        if buffered > 0 {
            self.broken = true;
            return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
                bytes: buffered,
            }));
        }
        if let Err(err) = upgrade(&mut self.conn) {
            self.broken = true;
            return Err(Error::Wire(err));
        }
        self.tls = true;
        self.caps = Capabilities::default();
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
        let offered = self.caps.auth_mechanisms();
        if !self.caps.has("AUTH") {
            return Err(Error::Unsupported("AUTH"));
        }
        let mechanism = match mechanism {
            Some(m) if offered.contains(&m) => m,
            Some(m) => return Err(Error::Unsupported(auth_name(m))),
            None => Mechanism::best(&offered, self.tls)
                .ok_or(Error::Unsupported("AUTH PLAIN, LOGIN or CRAM-MD5"))?,
        };
        let reply = match mechanism {
            Mechanism::Plain => {
                let response = sasl::plain(user, secret)?;
                self.send_secret(b"AUTH PLAIN ", &response)?
            }
            Mechanism::XOAuth2 => {
                let response = sasl::xoauth2(user, secret)?;
                let reply = self.send_secret(b"AUTH XOAUTH2 ", &response)?;
                if reply.code() == ReplyCode::AUTH_CHALLENGE {
                    // The server's JSON error comes as a challenge; an empty
                    // line asks for the final reply (Google's XOAUTH2 notes).
                    self.conn.send(Line::public(b""))?;
                    self.read_reply()?
                } else {
                    reply
                }
            }
            Mechanism::Login => {
                let reply = self.command_raw(b"AUTH LOGIN")?;
                let reply = self.challenge_step(mechanism, reply, &sasl::login_step(user))?;
                self.challenge_step(mechanism, reply, &sasl::login_step(secret.expose()))?
            }
            Mechanism::CramMd5 => {
                let reply = self.command_raw(b"AUTH CRAM-MD5")?;
                if reply.code() != ReplyCode::AUTH_CHALLENGE {
                    return Err(auth_failure(mechanism, reply));
                }
                let challenge = reply.lines().first().cloned().unwrap_or_default();
                match sasl::cram_md5(user, secret, &challenge) {
                    Ok(response) => self.send_secret(b"", &response)?,
                    Err(_) => {
                        // Not base64: cancel the exchange (RFC 4954 §4).
                        self.cancel_auth()?;
                        return Err(Error::UnexpectedReply {
                            command: "AUTH",
                            reply,
                        });
                    }
                }
            }
        };
        if reply.code() == ReplyCode::AUTH_OK {
            log::debug!("authenticated with {mechanism}");
            self.authenticated = Some(mechanism);
            Ok(mechanism)
        } else {
            if reply.code() == ReplyCode::AUTH_CHALLENGE {
                // The server wants more than the mechanism has to say.
                self.cancel_auth()?;
            }
            Err(auth_failure(mechanism, reply))
        }
    }

    /// Sends `*` to cancel an exchange the client cannot go on with, and
    /// reads the server's answer (501 by RFC 4954 §4).
    fn cancel_auth(&mut self) -> Result<(), Error> {
        self.conn.send(Line::public(b"*"))?;
        self.read_reply().map(drop)
    }

    fn command_raw(&mut self, line: &[u8]) -> Result<Reply, Error> {
        self.conn.send(Line::public(line))?;
        self.read_reply()
    }

    fn send_secret(&mut self, public: &[u8], secret: &Secret) -> Result<Reply, Error> {
        self.conn.send(Line::with_secret(public, secret))?;
        self.read_reply()
    }

    /// Answers a 334 challenge with `response`; anything else ends the exchange.
    fn challenge_step(
        &mut self,
        mechanism: Mechanism,
        reply: Reply,
        response: &Secret,
    ) -> Result<Reply, Error> {
        if reply.code() != ReplyCode::AUTH_CHALLENGE {
            return Err(auth_failure(mechanism, reply));
        }
        self.send_secret(b"", response)
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
        Prepared::new(&self.caps, envelope, size)
    }

    fn use_pipelining(&self) -> bool {
        self.pipelining && self.caps.pipelining()
    }

    fn use_chunking(&self) -> bool {
        self.chunking && self.caps.chunking()
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
            self.send_bdat(envelope, &prepared, body)
        } else {
            let recipients = self.envelope_with_data(envelope, &prepared)?;
            let size = self.stream_data(body)?;
            self.conn.flush()?;
            let reply = self.read_reply()?;
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
                            client.queue(&Command::Rset)?;
                        }
                        client.queue_envelope(&p)?;
                        if !chunking {
                            client.queue(&Command::Data)?;
                        }
                        return Ok(Some((i, rset_first)));
                    }
                    Some(Err(err)) => out.push_back(Err(err)),
                    None => {}
                }
            }
            Ok(None)
        };
        // Invariant: when `in_flight` is Some((i, rset)), message i's
        // envelope (behind an RSET when `rset`) is sent and its replies unread.
        let mut in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
        results.extend(pending_results.drain(..));
        self.conn.flush()?;
        let mut wire = Vec::new();
        let mut open_after_failure = false;
        while let Some((i, rset)) = in_flight {
            let (envelope, body) = messages.get(i).copied().unwrap_or((&EMPTY_ENVELOPE, b""));
            if rset {
                let reply = self.read_reply()?;
                if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                    return Err(Error::Rejected {
                        command: "RSET",
                        reply,
                    });
                }
            }
            open_after_failure = false;
            match self.read_envelope_replies(envelope, !chunking)? {
                EnvelopeOutcome::Go(recipients) => {
                    wire.clear();
                    let mut encoder = if chunking {
                        BodyEncoder::bdat()
                    } else {
                        BodyEncoder::data()
                    };
                    encoder.push(body, &mut wire);
                    encoder.finish(&mut wire);
                    if chunking {
                        self.queue(&Command::Bdat {
                            size: wire.len() as u64,
                            last: true,
                        })?;
                        self.write_content(&wire)?;
                        self.end_content(wire.len() as u64, false);
                    } else {
                        self.write_content(&wire)?;
                        self.end_content(body.len() as u64, true);
                    }
                    in_flight = queue_next(self, &mut next, &mut pending_results, chunking)?;
                    self.conn.flush()?;
                    let reply = self.read_reply()?;
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
                    // `read_envelope_replies` has reset the transaction.
                    results.push(Err(err));
                    in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
                    results.extend(pending_results.drain(..));
                    self.conn.flush()?;
                }
            }
        }
        if open_after_failure {
            self.reset_quietly()?;
        }
        Ok(results)
    }

    fn queue_envelope(&mut self, prepared: &Prepared) -> Result<(), Error> {
        self.check_usable()?;
        self.conn.queue(Line::public(&prepared.mail))?;
        for rcpt in &prepared.rcpts {
            self.conn.queue(Line::public(rcpt))?;
        }
        Ok(())
    }

    /// MAIL, RCPT... and DATA, pipelined when offered, up to the 354.
    fn envelope_with_data(
        &mut self,
        envelope: &Envelope,
        prepared: &Prepared,
    ) -> Result<Vec<RecipientReply>, Error> {
        if self.use_pipelining() {
            self.queue_envelope(prepared)?;
            self.queue(&Command::Data)?;
            self.conn.flush()?;
            match self.read_envelope_replies(envelope, true)? {
                EnvelopeOutcome::Go(recipients) => Ok(recipients),
                EnvelopeOutcome::Failed(err) => Err(err),
            }
        } else {
            let recipients = self.envelope_one_by_one(envelope, prepared)?;
            let reply = self.command(&Command::Data)?;
            if reply.code() != ReplyCode::START_DATA {
                self.reset_after_failure(&reply)?;
                return Err(data_refused(reply));
            }
            Ok(recipients)
        }
    }

    /// MAIL and each RCPT, waiting for each reply (no PIPELINING).
    fn envelope_one_by_one(
        &mut self,
        envelope: &Envelope,
        prepared: &Prepared,
    ) -> Result<Vec<RecipientReply>, Error> {
        self.conn.send(Line::public(&prepared.mail))?;
        let reply = self.read_reply()?;
        if !reply.is_positive() {
            return Err(Error::Rejected {
                command: "MAIL",
                reply,
            });
        }
        let mut recipients = Vec::with_capacity(prepared.rcpts.len());
        for (line, address) in prepared.rcpts.iter().zip(&envelope.recipients) {
            self.conn.send(Line::public(line))?;
            let reply = self.read_reply()?;
            if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                return Err(Error::Rejected {
                    command: "RCPT",
                    reply,
                });
            }
            recipients.push(RecipientReply {
                address: address.clone(),
                reply,
            });
        }
        if !recipients.iter().any(RecipientReply::is_accepted) {
            self.reset_quietly()?;
            return Err(all_rejected(recipients));
        }
        Ok(recipients)
    }

    /// Reads the replies to a pipelined MAIL, RCPT... and (when `data`) DATA,
    /// each matched to its command in order (RFC 2920 §3.1). Leaves the
    /// session ready for the next transaction when the message cannot go.
    fn read_envelope_replies(
        &mut self,
        envelope: &Envelope,
        data: bool,
    ) -> Result<EnvelopeOutcome, Error> {
        let mail = self.read_reply()?;
        if mail.code() == ReplyCode::SERVICE_UNAVAILABLE {
            return Err(Error::Rejected {
                command: "MAIL",
                reply: mail,
            });
        }
        let mut recipients = Vec::with_capacity(envelope.recipients.len());
        for address in &envelope.recipients {
            let reply = self.read_reply()?;
            if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                return Err(Error::Rejected {
                    command: "RCPT",
                    reply,
                });
            }
            recipients.push(RecipientReply {
                address: address.clone(),
                reply,
            });
        }
        if !data {
            let outcome = self.judge_envelope(mail, recipients, None);
            self.reset_if_open(&outcome)?;
            return Ok(outcome);
        }
        let data_reply = self.read_reply()?;
        if data_reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
            return Err(Error::Rejected {
                command: "DATA",
                reply: data_reply,
            });
        }
        let go = data_reply.code() == ReplyCode::START_DATA;
        let usable = mail.is_positive() && recipients.iter().any(RecipientReply::is_accepted);
        if go && !usable {
            // RFC 2920 §3.1: a server should refuse DATA then; if it did not,
            // send an empty message's terminator and reset, sending no body.
            self.conn.send(Line::public(b"."))?;
            let _ = self.read_reply()?;
        }
        if go && usable {
            return Ok(EnvelopeOutcome::Go(recipients));
        }
        let outcome = self.judge_envelope(mail, recipients, Some(data_reply));
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

    /// The error for a transaction that cannot carry the message.
    fn judge_envelope(
        &self,
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

    fn reset_after_failure(&mut self, reply: &Reply) -> Result<(), Error> {
        if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
            return Err(Error::Rejected {
                command: "DATA",
                reply: reply.clone(),
            });
        }
        self.reset_quietly()
    }

    /// Streams the body after a 354, dot-stuffed, with the terminator;
    /// returns the bytes read from `body`.
    fn stream_data(&mut self, body: &mut dyn Read) -> Result<u64, Error> {
        let mut encoder = BodyEncoder::data();
        let mut input = vec![0u8; BODY_CHUNK];
        let mut wire = Vec::with_capacity(BODY_CHUNK + BODY_CHUNK / 8);
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
            encoder.push(input.get(..n).unwrap_or_default(), &mut wire);
            self.write_content(&wire)?;
            wire.clear();
        }
        encoder.finish(&mut wire);
        self.write_content(&wire)?;
        self.end_content(encoder.input_bytes(), true);
        Ok(encoder.input_bytes())
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
        let mut encoder = BodyEncoder::bdat();
        let mut input = vec![0u8; BODY_CHUNK];
        let mut wire = Vec::with_capacity(BODY_CHUNK + BODY_CHUNK / 8);
        // Read the first chunk before anything is sent, so a failing body
        // leaves the session clean.
        let mut last =
            fill_chunk(body, &mut input, &mut encoder, &mut wire).map_err(Error::Body)?;
        let recipients = if pipelining {
            self.queue_envelope(prepared)?;
            self.conn.flush()?;
            match self.read_envelope_replies(envelope, false)? {
                EnvelopeOutcome::Go(recipients) => recipients,
                EnvelopeOutcome::Failed(err) => return Err(err),
            }
        } else {
            self.envelope_one_by_one(envelope, prepared)?
        };
        let mut outstanding = 0usize;
        loop {
            self.queue(&Command::Bdat {
                size: wire.len() as u64,
                last,
            })?;
            self.write_content(&wire)?;
            self.end_content(wire.len() as u64, false);
            outstanding += 1;
            let must_read = |outstanding: usize| !pipelining || outstanding > BDAT_WINDOW || last;
            if must_read(outstanding) {
                self.conn.flush()?;
                while outstanding > 0 && must_read(outstanding) {
                    let reply = self.read_reply()?;
                    outstanding -= 1;
                    if !reply.is_positive() {
                        // Drain the replies of chunks already sent, then reset:
                        // the state after a refused BDAT is indeterminate.
                        for _ in 0..outstanding {
                            let _ = self.read_reply()?;
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
                            size: encoder.input_bytes(),
                        });
                    }
                }
            }
            wire.clear();
            match fill_chunk(body, &mut input, &mut encoder, &mut wire) {
                Ok(is_last) => last = is_last,
                Err(err) => {
                    self.conn.flush()?;
                    for _ in 0..outstanding {
                        let _ = self.read_reply()?;
                    }
                    // RSET discards the chunks sent so far (RFC 3030 §2).
                    self.reset_quietly()?;
                    return Err(Error::Body(err));
                }
            }
        }
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

/// Reads up to a full chunk, encodes it into `wire`; returns true at EOF
/// (the encoder is finished then).
fn fill_chunk(
    body: &mut dyn Read,
    input: &mut [u8],
    encoder: &mut BodyEncoder,
    wire: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < input.len() {
        let n = read_some(body, input.get_mut(filled..).unwrap_or_default())?;
        if n == 0 {
            encoder.push(input.get(..filled).unwrap_or_default(), wire);
            encoder.finish(wire);
            return Ok(true);
        }
        filled += n;
    }
    encoder.push(input.get(..filled).unwrap_or_default(), wire);
    Ok(false)
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
        options: ClientOptions,
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
