//! `Client<S>`: a blocking SMTP session over a `mail_wire::Connection<S>`.
//!
//! ```text
//! connect -> greeting (220) -> EHLO (HELO fallback) -> [STARTTLS -> EHLO] -> [AUTH]
//!         -> { MAIL -> RCPT+ -> DATA|BDAT+ -> final reply }* -> QUIT
//! ```

mod auth;
mod connect;
mod content;
mod delivery;
mod options;
mod send;
mod send_all;

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Connection, Direction, Secret};

use crate::command::Command;
use crate::core::{Event, ReplyReader, Smtp};
use crate::error::Error;
use crate::reply::{Reply, ReplyCode, DEFAULT_MAX_REPLY_LINES};
use crate::Capabilities;

pub use delivery::{Delivery, RecipientReply};
pub use options::{Options, DEFAULT_MAX_LINE};

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

impl<S: Read + Write> Client<S> {
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
        conn.set_limits(options.limits);
        // Check the HELO name before a byte is read or sent.
        Command::Ehlo(&options.helo_name).encode(&mut Vec::new())?;
        let mut core = Smtp::new(options.limits.max_line, DEFAULT_MAX_REPLY_LINES);
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
            reader: ReplyReader::new(options.limits.max_line, DEFAULT_MAX_REPLY_LINES),
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
