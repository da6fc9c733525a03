//! [`Client`]: connected, not yet authenticated (RFC 3501 §3.1).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use mail_wire::tokio::{Connection, NetStream};
use mail_wire::{Security, Server, TlsConfig};
use tokio::io::{AsyncRead, AsyncWrite};

use super::exchange::Core;
use super::Session;
use crate::error::Error;
use crate::options::Options;
use crate::requests;
use crate::response::Status;
use crate::Greeting;

/// Connected, not yet authenticated: the async twin of [`crate::Client`].
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

/// The future an upgrade of [`Client::starttls_with`] returns.
pub type UpgradeFuture<'c> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'c>>;

impl Client<NetStream> {
    /// Connects, reads the greeting and, with [`Security::StartTls`], upgrades
    /// before anything else, as [`crate::Client::connect`] does. Every read
    /// and write is bounded by [`Server::timeout`]; time-outs are retried
    /// for `options.patience`.
    ///
    /// Cancellation: dropping the future closes the connection; nothing is
    /// left behind.
    ///
    /// # Errors
    /// Connection, TLS, greeting and STARTTLS failures.
    pub async fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
        options: Options,
    ) -> Result<Self, Error> {
        let mut conn = Connection::connect(server, security, tls).await?;
        let security = conn.get_ref().security();
        conn.set_limits(options.limits);
        conn.set_transcript(options.transcript);
        let mut core = Core::new(conn);
        core.patience = options.patience;
        let client = Client::from_core(core).await?;
        if security != Security::StartTls {
            return Ok(client);
        }
        let (server, tls) = (server.clone(), tls.clone());
        client
            .starttls_with(move |conn| {
                Box::pin(async move { conn.start_tls(&server, &tls).await.map_err(Error::from) })
            })
            .await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// Reads the greeting from a connected stream.
    ///
    /// Cancellation: dropping the future drops the connection.
    ///
    /// # Errors
    /// BYE as [`Error::Bye`], a malformed greeting, the connection.
    pub async fn new(conn: Connection<S>) -> Result<Self, Error> {
        Self::from_core(Core::new(conn)).await
    }

    async fn from_core(core: Core<S>) -> Result<Self, Error> {
        let mut core = Box::new(core);
        core.conn.begin_exchange()?;
        let response = core.read_response().await;
        core.conn.end_exchange();
        let greeting = requests::greeting(&mut core, response?)?;
        Ok(Client { core, greeting })
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

    /// Retries read time-outs until `patience` has passed.
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// Sends STARTTLS (RFC 3501 §6.2.1), runs `upgrade` on the connection
    /// after the go-ahead, and asks CAPABILITY again over TLS.
    ///
    /// Cancellation: dropping the future drops the client and its connection.
    ///
    /// # Errors
    /// As [`crate::Client::starttls_with`].
    pub async fn starttls_with<F>(mut self, upgrade: F) -> Result<Self, Error>
    where
        F: for<'c> FnOnce(&'c mut Connection<S>) -> UpgradeFuture<'c>,
    {
        if self.greeting.status != Status::Preauth && !self.core.has_capability("STARTTLS") {
            self.capability().await?;
        }
        if let Some(refusal) = requests::starttls_refusal(&self.greeting, &self.core) {
            return Err(refusal);
        }
        self.core
            .run(crate::command::Command::new("STARTTLS"))
            .await?;
        requests::check_nothing_buffered(self.core.unread())?;
        upgrade(&mut self.core.conn).await?;
        self.core.capabilities.clear();
        self.capability().await?;
        Ok(self)
    }

    /// CAPABILITY (RFC 3501 §6.1.1).
    ///
    /// Cancellation: not cancel-safe; a dropped future leaves the client
    /// broken (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn capability(&mut self) -> Result<&[String], Error> {
        self.core.run(requests::capability()).await?;
        Ok(&self.core.capabilities)
    }

    /// ID (RFC 2971).
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn id(
        &mut self,
        fields: &[(&str, &str)],
    ) -> Result<Vec<(String, Option<String>)>, Error> {
        self.core.request(requests::id(fields)?).await
    }

    /// NOOP.
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn noop(&mut self) -> Result<(), Error> {
        self.core.request(requests::noop()).await.map(|_| ())
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
    /// Cancellation: dropping the future drops the client and its connection.
    ///
    /// # Errors
    /// The connection.
    pub async fn logout(mut self) -> Result<(), Error> {
        self.core.logout().await
    }
}
