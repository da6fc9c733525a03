//! `Client<S>`: a blocking SMTP session over a `mail_wire::Connection<S>`.
//!
//! Every method runs the session logic shared with the tokio client
//! (`driver`) over the blocking connection.

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Connection, Direction, NetStream, Secret, Security, Server, TlsConfig};

use crate::command::Command;
use crate::driver::{run_blocking, Body, Driver, Link};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::reply::Reply;
use crate::{Capabilities, Delivery, Options};

/// A connected SMTP session. Capabilities are checked at run time; AUTH,
/// MAIL and the rest return [`Error::Unsupported`] when the server lacks
/// what they need.
///
/// A thin driver over the sans-I/O [`Smtp`](crate::core::Smtp): it moves
/// bytes, shows them in the transcript and maps the core's events to results.
pub struct Client<S> {
    conn: Connection<S>,
    driver: Driver,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.driver.fmt(f)
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
    pub fn new(mut conn: Connection<S>, mut options: Options) -> Result<Self, Error> {
        if let Some(transcript) = options.transcript.take() {
            conn.set_transcript(Some(transcript));
        }
        conn.set_limits(options.limits);
        let mut driver = Driver::new(&options)?;
        run_blocking(driver.start(&mut conn))?;
        Ok(Client { conn, driver })
    }

    /// Marks the stream as protected by TLS set up outside this client
    /// (a `Connection` built by hand over TLS).
    pub fn assume_tls(mut self) -> Self {
        self.driver.set_tls();
        self
    }

    /// The server's greeting (220).
    pub fn greeting(&self) -> &Reply {
        self.driver.greeting()
    }

    /// What the last EHLO offered (empty after a HELO fallback).
    pub fn capabilities(&self) -> &Capabilities {
        self.driver.capabilities()
    }

    /// True when the session runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.driver.is_tls()
    }

    /// The mechanism that authenticated this session, if any.
    pub fn authenticated(&self) -> Option<Mechanism> {
        self.driver.authenticated()
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
        run_blocking(self.driver.ehlo(&mut self.conn))
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
        run_blocking(self.driver.read_reply(&mut self.conn))
    }

    /// Sends a line typed at a console (its secret part masked in the
    /// transcript) and reads the reply.
    pub(crate) fn typed_line(
        &mut self,
        public: &str,
        secret: Option<&Secret>,
    ) -> Result<Reply, Error> {
        run_blocking(self.driver.typed_line(&mut self.conn, public, secret))
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
        run_blocking(self.driver.starttls(&mut self.conn))?;
        if let Err(err) = upgrade(&mut self.conn) {
            self.driver.set_broken();
            return Err(Error::Wire(err));
        }
        run_blocking(self.driver.tls_started(&mut self.conn))
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
        run_blocking(self.driver.auth(&mut self.conn, user, secret, mechanism))
    }

    /// `RSET`: aborts the current transaction (RFC 5321 §4.1.1.5).
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub fn rset(&mut self) -> Result<Reply, Error> {
        run_blocking(self.driver.command_ok(&mut self.conn, &Command::Rset))
    }

    /// `NOOP` (RFC 5321 §4.1.1.9).
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub fn noop(&mut self) -> Result<Reply, Error> {
        run_blocking(self.driver.command_ok(&mut self.conn, &Command::Noop))
    }

    /// `VRFY`: returns the reply whatever its code (250/251/252 or a refusal
    /// such as 502), since servers often disable it (RFC 5321 §3.5.3).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `what`; wire errors.
    pub fn vrfy(&mut self, what: &str) -> Result<Reply, Error> {
        run_blocking(self.driver.command(&mut self.conn, &Command::Vrfy(what)))
    }

    /// `HELP [topic]`: returns the reply whatever its code (214, 502...).
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `topic`; wire errors.
    pub fn help(&mut self, topic: Option<&str>) -> Result<Reply, Error> {
        run_blocking(self.driver.command(&mut self.conn, &Command::Help(topic)))
    }

    /// `QUIT`, ending the session; returns the 221 reply.
    ///
    /// # Errors
    /// [`Error::Rejected`] for another code; wire errors.
    pub fn quit(mut self) -> Result<Reply, Error> {
        run_blocking(self.driver.quit(&mut self.conn))
    }

    /// Gives the connection back (after QUIT or to hand it to another layer).
    pub fn into_connection(self) -> Connection<S> {
        self.conn
    }

    /// Sends one message: MAIL FROM (with SIZE, BODY=8BITMIME, SMTPUTF8 and
    /// DSN parameters as needed), one RCPT per recipient, then the body by
    /// BDAT when CHUNKING is offered, else DATA with dot-stuffing. With
    /// PIPELINING the envelope goes in one write and each reply is matched
    /// to its command in order (RFC 2920 §3.1). The body is streamed from
    /// `body`; line ends are normalized to CRLF. `size` (when known) is
    /// announced with SIZE and checked against the server's limit first.
    /// A streamed body cannot be inspected before MAIL: set the envelope's
    /// [`MailOptions`](crate::MailOptions) (or take them from
    /// [`MailOptions::detect`](crate::MailOptions::detect) when the message
    /// is in memory).
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
        let mut body = BlockingBody(body);
        run_blocking(self.driver.send(&mut self.conn, envelope, &mut body, size))
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
    /// them ([`MailOptions::detect`](crate::MailOptions::detect)).
    ///
    /// # Errors
    /// The outer error is a failure of the session (wire, protocol, 421);
    /// the results of messages finished before it are lost then. Each inner
    /// error is one message's rejection, after which the session goes on.
    pub fn send_all<'a, I>(&mut self, messages: I) -> Result<Vec<Result<Delivery, Error>>, Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    {
        run_blocking(self.driver.send_all(&mut self.conn, messages))
    }
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
            Security::Implicit => client.driver.set_tls(),
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

/// The blocking connection as the driver's link: every operation completes
/// before it returns.
impl<S: Read + Write> Link for Connection<S> {
    async fn read_line(&mut self) -> Result<&[u8], mail_wire::Error> {
        Connection::read_line(self)
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), mail_wire::Error> {
        Connection::write_raw(self, bytes)
    }

    async fn flush(&mut self) -> Result<(), mail_wire::Error> {
        Connection::flush(self)
    }

    fn buffered(&self) -> &[u8] {
        Connection::buffered(self)
    }

    fn note(&mut self, direction: Direction, text: &str) {
        Connection::note(self, direction, text);
    }

    fn note_bytes(&mut self, direction: Direction, bytes: &[u8]) {
        Connection::note_bytes(self, direction, bytes);
    }

    fn has_transcript(&self) -> bool {
        Connection::has_transcript(self)
    }
}

/// A blocking body.
struct BlockingBody<'a>(&'a mut dyn Read);

impl Body for BlockingBody<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}
