//! [`Client`]: connected, not yet authenticated (RFC 3501 §3.1).

use std::io::{Read, Write};
use std::time::Duration;

use mail_wire::{Connection, NetStream, Security, Server, TlsConfig};

use crate::command::Command;
use crate::error::Error;
use crate::exchange::Core;
use crate::options::Options;
use crate::requests;
use crate::response::Status;
use crate::{Greeting, Session};

/// Connected, not yet authenticated.
pub struct Client<S> {
    pub(crate) core: Box<Core<S>>,
    pub(crate) greeting: Greeting,
}

impl<S> std::fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("greeting", &self.greeting)
            .finish_non_exhaustive()
    }
}

impl Client<NetStream> {
    /// Connects, reads the greeting and, with [`Security::StartTls`], upgrades
    /// before anything else: a PREAUTH greeting is then an error, a server
    /// without STARTTLS is [`Error::Unsupported`], and capabilities are
    /// asked again after the handshake.
    ///
    /// The transcript in `options`, if any, sees everything from the
    /// greeting on; socket time-outs are retried for `options.patience`.
    ///
    /// # Errors
    /// Connection, TLS, greeting and STARTTLS failures.
    pub fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
        options: Options,
    ) -> Result<Self, Error> {
        let mut conn = Connection::connect(server, security, tls)?;
        let security = conn.get_ref().security();
        conn.set_limits(options.limits);
        conn.set_transcript(options.transcript);
        let mut core = Core::new(conn);
        core.patience = options.patience;
        let client = Client::from_core(core)?;
        if security != Security::StartTls {
            return Ok(client);
        }
        client.starttls_with(|conn| conn.start_tls(server, tls).map_err(Error::from))
    }
}

impl<S: Read + Write> Client<S> {
    /// Reads the greeting from a connected stream.
    ///
    /// # Errors
    /// BYE as [`Error::Bye`], a malformed greeting, the connection.
    pub fn new(conn: Connection<S>) -> Result<Self, Error> {
        Self::from_core(Core::new(conn))
    }

    fn from_core(core: Core<S>) -> Result<Self, Error> {
        let mut core = Box::new(core);
        let response = core.read_response()?;
        let greeting = requests::greeting(&mut core, response)?;
        Ok(Client { core, greeting })
    }

    pub(crate) fn into_core(self) -> Box<Core<S>> {
        self.core
    }

    /// The greeting.
    pub fn greeting(&self) -> &Greeting {
        &self.greeting
    }

    /// Capabilities known so far (from the greeting or CAPABILITY).
    pub fn capabilities(&self) -> &[String] {
        &self.core.capabilities
    }

    /// The connection, e.g. to change the transcript or limits before login.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.core.conn
    }

    /// Retries socket time-outs until `patience` has passed, so a short
    /// socket time-out can serve IDLE while commands keep a long one.
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// Sends STARTTLS (RFC 3501 §6.2.1), runs `upgrade` on the connection
    /// after the go-ahead, and asks CAPABILITY again over TLS.
    ///
    /// # Errors
    /// [`Error::PreauthWithoutTls`] after a PREAUTH greeting,
    /// [`Error::Unsupported`] without STARTTLS, a rejection, bytes buffered
    /// after the go-ahead ([`mail_wire::Error::BufferedAfterStartTls`]), or
    /// the upgrade's error.
    pub fn starttls_with(
        mut self,
        upgrade: impl FnOnce(&mut Connection<S>) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        if self.greeting.status != Status::Preauth && !self.core.has_capability("STARTTLS") {
            self.capability()?;
        }
        if let Some(refusal) = requests::starttls_refusal(&self.greeting, &self.core) {
            return Err(refusal);
        }
        self.core.run(Command::new("STARTTLS"))?;
        requests::check_nothing_buffered(self.core.unread())?;
        upgrade(&mut self.core.conn)?;
        self.core.capabilities.clear();
        self.capability()?;
        Ok(self)
    }

    /// CAPABILITY (RFC 3501 §6.1.1).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn capability(&mut self) -> Result<&[String], Error> {
        self.core.run(requests::capability())?;
        Ok(&self.core.capabilities)
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<Vec<(String, Option<String>)>, Error> {
        self.core.request(requests::id(fields)?)
    }

    /// NOOP.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.core.request(requests::noop()).map(|_| ())
    }

    /// The session of a PREAUTH greeting, or the client back.
    ///
    /// # Errors
    /// Gives `self` back when the greeting was not PREAUTH.
    pub fn preauthenticated(self) -> Result<Session<S>, Self> {
        if self.greeting.status != Status::Preauth {
            return Err(self);
        }
        Ok(Session { core: self.core })
    }

    /// LOGOUT (RFC 3501 §6.1.3).
    ///
    /// # Errors
    /// The connection.
    pub fn logout(mut self) -> Result<(), Error> {
        self.core.logout()
    }
}
