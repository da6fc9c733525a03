//! The async client for tokio (cargo feature `tokio`): [`Client`] over a
//! [`mail_wire::tokio::Connection`], with the same [`Options`], [`Error`],
//! method names and results as the blocking [`crate::Client`]. Both run the
//! same session logic over the same sans-I/O [`core`](crate::core); only
//! the I/O differs.
//!
//! The message body streams from any [`AsyncRead`] in 64 KiB pieces, never
//! whole in memory; [`Client::send_message`] (feature `mime`) streams a
//! built message the same way, reading attachment files on tokio's
//! blocking pool, one piece at a time.
//!
//! # Time-outs and limits
//!
//! [`Client::connect`] bounds every read and write by
//! [`Server::timeout`](crate::Server) (`tokio::time::timeout`), as the
//! socket option does on the blocking side; [`Options::limits`] bounds
//! every reply line. Over a connection built by hand, set the connection's
//! time-outs with `set_read_timeout` and `set_write_timeout`.
//!
//! # Cancellation
//!
//! Every `async` method of [`Client`] sends a command, or reads a reply,
//! or both; none is cancel-safe. If its future is dropped before it
//! completes (a `select!` branch that lost, an outer `timeout`), the
//! connection is left mid-exchange: every later call on the client returns
//! at once an error for which [`Error::is_wire`] is true
//! ([`WireError::Abandoned`](crate::WireError::Abandoned)), nothing more is
//! sent, and dropping the client closes the socket. Reconnect to go on.
//! The accessors ([`Client::greeting`], [`Client::capabilities`], ...) are
//! plain functions.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mail_smtp::Error> {
//! use mail_smtp::tokio::Client;
//! use mail_smtp::{Envelope, Limits, Options};
//! use mail_wire::testing::ScriptedStream;
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: 220 mail.example.test ESMTP
//!      C: EHLO client.example.test
//!      S: 250-mail.example.test
//!      S: 250 PIPELINING
//!      C: MAIL FROM:<alice@example.test>
//!      C: RCPT TO:<bob@example.test>
//!      C: DATA
//!      S: 250 2.1.0 Ok
//!      S: 250 2.1.5 Ok
//!      S: 354 End data with <CR><LF>.<CR><LF>
//!      C: Subject: hi
//!      C:
//!      C: Hello
//!      C: .
//!      S: 250 2.0.0 Ok: queued as 4Xy
//!      C: QUIT
//!      S: 221 2.0.0 Bye",
//! );
//! let conn = mail_wire::tokio::Connection::new(server.clone(), Limits::default());
//! let options = Options { helo_name: "client.example.test".into(), ..Options::default() };
//! let mut client = Client::new(conn, options).await?;
//! let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
//! let mut body: &[u8] = b"Subject: hi\n\nHello\n";
//! let delivery = client.send(&envelope, &mut body, None).await?;
//! assert_eq!(delivery.queue_id(), Some("4Xy"));
//! client.quit().await?;
//! server.assert_done();
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "mime")]
mod message;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use mail_wire::sasl::Mechanism;
use mail_wire::tokio::{Connection, NetStream};
use mail_wire::{Direction, Secret, Security, Server, TlsConfig};

use crate::command::Command;
use crate::driver::{Body, Driver, Link};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::raw::{check_line, split_secret};
use crate::reply::Reply;
use crate::{Capabilities, Delivery, Options};

/// A connected SMTP session for tokio: the blocking [`crate::Client`]'s
/// methods, each `async`. See the [module](self) for cancellation.
pub struct Client<S> {
    conn: Connection<S>,
    driver: Driver,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.driver.fmt(f)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// Starts a session on a connected stream: installs the transcript and
    /// the limits, reads the greeting and sends EHLO (HELO when EHLO is
    /// refused). The stream is taken to be without TLS (see
    /// [`Client::assume_tls`]). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Rejected`] for a greeting other than 220 (554, 421) or when
    /// both EHLO and HELO are refused; wire and protocol errors.
    pub async fn new(mut conn: Connection<S>, mut options: Options) -> Result<Self, Error> {
        if let Some(transcript) = options.transcript.take() {
            conn.set_transcript(Some(transcript));
        }
        conn.set_limits(options.limits);
        let mut client = Client {
            conn,
            driver: Driver::new(&options)?,
        };
        client.conn.begin_exchange()?;
        let result = client.driver.start(&mut client.conn).await;
        client.conn.end_exchange();
        result?;
        Ok(client)
    }

    /// Marks the stream as protected by TLS set up outside this client.
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

    /// The connection, e.g. to change its transcript or time-outs.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.conn
    }

    /// Gives the connection back (after QUIT or to hand it to another layer).
    pub fn into_connection(self) -> Connection<S> {
        self.conn
    }

    /// Sends EHLO and records the capabilities; falls back to HELO when the
    /// server answers EHLO with a 5yz (RFC 5321 §4.1.4). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Rejected`] when HELO is refused as well, or EHLO with 4yz.
    pub async fn ehlo(&mut self) -> Result<&Capabilities, Error> {
        self.conn.begin_exchange()?;
        let result = self.driver.ehlo(&mut self.conn).await;
        self.conn.end_exchange();
        result?;
        Ok(self.driver.capabilities())
    }

    /// Reads one complete reply to a line written by hand through
    /// [`Client::connection`]. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a malformed reply; wire errors. After any
    /// error the client refuses further commands ([`Error::Broken`]).
    pub async fn read_reply(&mut self) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self.driver.read_reply(&mut self.conn).await;
        self.conn.end_exchange();
        result
    }

    /// `STARTTLS` (RFC 3207) with the handshake done by `upgrade` (a
    /// stream other than [`NetStream`], e.g. a scripted one in tests):
    /// sends STARTTLS, runs `upgrade` after the go-ahead, forgets what was
    /// learnt before (§4.2) and sends EHLO again. Not cancel-safe.
    ///
    /// # Errors
    /// As [`Client::starttls`], with `upgrade`'s error as [`Error::Wire`].
    pub async fn starttls_with(
        &mut self,
        upgrade: impl AsyncFnOnce(&mut Connection<S>) -> Result<(), mail_wire::Error>,
    ) -> Result<(), Error> {
        self.conn.begin_exchange()?;
        let result = self.starttls_exchange(upgrade).await;
        self.conn.end_exchange();
        result
    }

    async fn starttls_exchange(
        &mut self,
        upgrade: impl AsyncFnOnce(&mut Connection<S>) -> Result<(), mail_wire::Error>,
    ) -> Result<(), Error> {
        self.driver.starttls(&mut self.conn).await?;
        if let Err(err) = upgrade(&mut self.conn).await {
            self.driver.set_broken();
            return Err(Error::Wire(err));
        }
        self.driver.tls_started(&mut self.conn).await
    }

    /// Authenticates with `mechanism`, or the best one offered when `None`
    /// (see [`Mechanism::best`]); for XOAUTH2 `secret` is the access token.
    /// Returns the mechanism used. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::PlaintextAuth`] without TLS unless allowed (nothing is sent);
    /// [`Error::Unsupported`] when AUTH or the mechanism is not offered;
    /// [`Error::AuthRejected`] when the server refuses the credentials.
    pub async fn auth(
        &mut self,
        user: &str,
        secret: &Secret,
        mechanism: Option<Mechanism>,
    ) -> Result<Mechanism, Error> {
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .auth(&mut self.conn, user, secret, mechanism)
            .await;
        self.conn.end_exchange();
        result
    }

    /// `RSET` (RFC 5321 §4.1.1.5). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub async fn rset(&mut self) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self.driver.command_ok(&mut self.conn, &Command::Rset).await;
        self.conn.end_exchange();
        result
    }

    /// `NOOP` (RFC 5321 §4.1.1.9). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Rejected`] unless 250.
    pub async fn noop(&mut self) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self.driver.command_ok(&mut self.conn, &Command::Noop).await;
        self.conn.end_exchange();
        result
    }

    /// `VRFY`: the reply whatever its code (RFC 5321 §3.5.3). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `what`; wire errors.
    pub async fn vrfy(&mut self, what: &str) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .command(&mut self.conn, &Command::Vrfy(what))
            .await;
        self.conn.end_exchange();
        result
    }

    /// `HELP [topic]`: the reply whatever its code. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or controls in `topic`; wire errors.
    pub async fn help(&mut self, topic: Option<&str>) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .command(&mut self.conn, &Command::Help(topic))
            .await;
        self.conn.end_exchange();
        result
    }

    /// `QUIT`, ending the session; returns the 221 reply. Dropping its
    /// future closes the connection all the same.
    ///
    /// # Errors
    /// [`Error::Rejected`] for another code; wire errors.
    pub async fn quit(mut self) -> Result<Reply, Error> {
        self.conn.begin_exchange()?;
        let result = self.driver.quit(&mut self.conn).await;
        self.conn.end_exchange();
        result
    }

    /// Sends one line as typed and reads the complete reply, as
    /// [`crate::Client::raw_command`] does (the initial response of
    /// `AUTH <mechanism> <response>` masked in the transcript). Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Wire`] with `LineBreak` for CR, LF or NUL; wire and protocol errors.
    pub async fn raw_command(&mut self, line: &str) -> Result<Reply, Error> {
        check_line(line)?;
        let (public, secret) = split_secret(line);
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .typed_line(&mut self.conn, public, secret.as_ref())
            .await;
        self.conn.end_exchange();
        result
    }

    /// Sends a line whose whole content is secret (an AUTH continuation
    /// typed at a 334 prompt) and reads the reply. Not cancel-safe.
    ///
    /// # Errors
    /// As [`raw_command`](Self::raw_command).
    pub async fn raw_secret(&mut self, secret: &Secret) -> Result<Reply, Error> {
        check_line(secret.expose())?;
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .typed_line(&mut self.conn, "", Some(secret))
            .await;
        self.conn.end_exchange();
        result
    }

    /// Sends one message, the body streamed from `body` in 64 KiB pieces:
    /// the envelope (pipelined when offered), then BDAT chunks when
    /// CHUNKING is offered, else DATA with dot-stuffing; each recipient
    /// gets its own reply, as with [`crate::Client::send`]. `size` (when
    /// known) is announced with SIZE and checked against the server's
    /// limit first. Not cancel-safe: a dropped future may leave a message
    /// half-sent, and the connection is then refused.
    ///
    /// # Errors
    /// As [`crate::Client::send`]: [`Error::Invalid`], [`Error::Unsupported`],
    /// [`Error::TooLarge`] (nothing sent); [`Error::Rejected`];
    /// [`Error::AllRecipientsRejected`]; [`Error::Body`] when reading
    /// `body` fails.
    pub async fn send<R>(
        &mut self,
        envelope: &Envelope,
        body: &mut R,
        size: Option<u64>,
    ) -> Result<Delivery, Error>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let mut body = AsyncBody(body);
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .send(&mut self.conn, envelope, &mut body, size)
            .await;
        self.conn.end_exchange();
        result
    }

    /// Sends many messages held in memory, one round trip a message with
    /// PIPELINING, each with its own result, as [`crate::Client::send_all`]
    /// does. Not cancel-safe.
    ///
    /// # Errors
    /// The outer error is a failure of the session (wire, protocol, 421);
    /// each inner error is one message's rejection.
    pub async fn send_all<'a, I>(
        &mut self,
        messages: I,
    ) -> Result<Vec<Result<Delivery, Error>>, Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    {
        self.conn.begin_exchange()?;
        let result = self.driver.send_all(&mut self.conn, messages).await;
        self.conn.end_exchange();
        result
    }
}

impl Client<NetStream> {
    /// Connects and sets up the session, as [`crate::Client::connect`]:
    /// TLS first with [`Security::Implicit`]; for [`Security::StartTls`],
    /// STARTTLS and EHLO again, refusing any byte sent after the go-ahead.
    /// Every read and write is bounded by [`Server::timeout`]. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Wire`] for connecting, TLS and time-outs;
    /// [`Error::Unsupported`]`("STARTTLS")` when TLS was asked for and the
    /// server does not offer it (nothing more is sent); [`Error::Rejected`]
    /// for a refused greeting, EHLO/HELO or STARTTLS.
    pub async fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
        options: Options,
    ) -> Result<Self, Error> {
        let conn = Connection::connect(server, security, tls).await?;
        let security = conn.get_ref().security();
        let mut client = Client::new(conn, options).await?;
        match security {
            Security::Implicit => client.driver.set_tls(),
            Security::StartTls => client.starttls(server, tls).await?,
            Security::Plain => {}
        }
        Ok(client)
    }

    /// `STARTTLS` (RFC 3207): upgrades the connection, forgets everything
    /// learnt before (§4.2) and sends EHLO again. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::Unsupported`]`("STARTTLS")` when not offered;
    /// [`Error::Rejected`] when refused; [`Error::Wire`] with
    /// `BufferedAfterStartTls` when bytes followed the go-ahead, `Tls` when
    /// the handshake or certificate check fails.
    pub async fn starttls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        self.starttls_with(async |conn| conn.start_tls(server, tls).await)
            .await
    }
}

/// The tokio connection as the driver's link.
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Link for Connection<S> {
    async fn read_line(&mut self) -> Result<&[u8], mail_wire::Error> {
        Connection::read_line(self).await
    }

    async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), mail_wire::Error> {
        Connection::write_raw(self, bytes).await
    }

    async fn flush(&mut self) -> Result<(), mail_wire::Error> {
        Connection::flush(self).await
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

/// A body read from an [`AsyncRead`].
struct AsyncBody<'a, R: ?Sized>(&'a mut R);

impl<R: AsyncRead + Unpin + ?Sized> Body for AsyncBody<'_, R> {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).await
    }
}
