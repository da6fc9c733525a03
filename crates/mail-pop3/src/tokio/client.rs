//! `Client<S>` for tokio: the AUTHORIZATION state (RFC 1939 §4), driving
//! the same core and making the same decisions
//! ([`Authorization`](crate::login)) as the blocking [`crate::Client`].

use ::tokio::io::{AsyncRead, AsyncWrite};
use mail_wire::sasl::Mechanism;
use mail_wire::tokio::{Connection, NetStream};
use mail_wire::{Encrypted, Secret, Security, Server, TlsConfig};

use super::link::Link;
use super::session::Session;
use crate::command::{check_text, Command};
use crate::core::{SaslExchange, SaslStep};
use crate::drive::capa_outcome;
use crate::error::Error;
use crate::login::{check_nothing_buffered, Authorization, LoginMethod};
use crate::options::Options;
use crate::response::{Capabilities, Greeting};

/// Connected, not yet authenticated (POP3 AUTHORIZATION state), over
/// tokio. The methods are the blocking [`crate::Client`]'s, `async`.
///
/// # Cancellation
/// Dropping the future of a method that has begun its exchange with the
/// server leaves the connection mid-exchange: every later call on this
/// client (or the session it would have become) fails at once with
/// [`WireError::Abandoned`](crate::WireError::Abandoned), for which
/// [`Error::is_wire`] is true, and nothing more is sent. Drop the client
/// and reconnect. The methods that send nothing
/// ([`choose_login`](Self::choose_login) and the accessors) are not async.
#[derive(Debug)]
pub struct Client<S> {
    link: Link<S>,
    auth: Authorization,
}

// The failed logins hand the client back (STYLE.md §3), which makes the
// error variant large; it is returned once per login, never in a loop.
#[allow(clippy::result_large_err)]
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// Reads the server's greeting from a fresh connection.
    ///
    /// Cancellation: dropping the future leaves `conn` dropped with it.
    ///
    /// # Errors
    /// [`Error::Protocol`] unless the greeting is `+OK`; wire errors.
    pub async fn new(conn: Connection<S>) -> Result<Self, Error> {
        let mut link = Link::new(conn);
        link.begin()?;
        let greeting = link.read_greeting().await;
        let greeting = link.end(greeting)?;
        Ok(Client {
            link,
            auth: Authorization::new(greeting),
        })
    }

    /// The greeting, with the APOP timestamp if the server sent one.
    pub fn greeting(&self) -> &Greeting {
        &self.auth.greeting
    }

    /// The capabilities from the last [`capa`](Self::capa), if asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.auth.capabilities.as_ref()
    }

    /// The connection (to change the transcript, limits or time-outs).
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.link.conn
    }

    /// Asks `CAPA` (RFC 2449 §5). A server without CAPA answers `-ERR`,
    /// which gives an empty set.
    ///
    /// Cancellation: not cancel-safe; a dropped future leaves the client
    /// broken (see [`Client`]).
    ///
    /// # Errors
    /// Wire and protocol errors.
    pub async fn capa(&mut self) -> Result<&Capabilities, Error> {
        self.link.begin()?;
        let lines = capa_lines(&mut self.link).await;
        let lines = self.link.end(lines)?;
        Ok(self.auth.set_capa(lines.as_deref()))
    }

    /// The login the capabilities allow; see the blocking
    /// [`Client::choose_login`](crate::Client::choose_login).
    ///
    /// # Errors
    /// [`Error::TlsRequired`] or [`Error::Unsupported`]; nothing is sent.
    pub fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error> {
        self.auth.choose_login(tls)
    }

    /// Sends `STLS` (RFC 2595 §4) after checking CAPA, runs `upgrade` on the
    /// connection after the go-ahead, forgets the old capabilities and asks
    /// `CAPA` again. Refuses if any byte follows the go-ahead (response
    /// injection, the CVE-2011-0411 class).
    ///
    /// Cancellation: not cancel-safe; a dropped future leaves the client
    /// broken (see [`Client`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without STLS in CAPA; injected bytes after the
    /// go-ahead (`BufferedAfterStartTls`); the upgrade's error.
    pub async fn stls_with(
        mut self,
        upgrade: impl AsyncFnOnce(&mut Connection<S>) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        if self.auth.capabilities.is_none() {
            self.capa().await?;
        }
        self.auth.check_stls()?;
        self.link.begin()?;
        let go_ahead = self.link.command(&Command::Stls).await;
        let result = match go_ahead {
            Ok(_) => match check_nothing_buffered(self.link.conn.buffered().len()) {
                Ok(()) => upgrade(&mut self.link.conn).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        };
        self.link.end(result)?;
        self.link.core.tls_started();
        self.auth.forget_capabilities();
        self.capa().await?;
        Ok(self)
    }

    /// Logs in with `USER` and `PASS` (RFC 1939 §7). On failure the client
    /// comes back with the error, so another method can be tried.
    ///
    /// Cancellation: not cancel-safe; a dropped future leaves the
    /// connection broken (see [`Client`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] (with `USER` or `PASS`) when the server refuses;
    /// [`Error::Invalid`] for CR/LF in the name or password (nothing sent).
    pub async fn login(mut self, user: &str, pass: &Secret) -> Result<Session<S>, (Error, Self)> {
        let result = match check_text("password", pass.expose(), true) {
            Err(err) => Err(err.into()),
            Ok(()) => match self.link.begin() {
                Err(err) => Err(err),
                Ok(()) => {
                    let result = user_pass(&mut self.link, user, pass).await;
                    self.link.end(result)
                }
            },
        };
        self.finish(result)
    }

    /// Logs in with `APOP` (RFC 1939 §7): the password never travels.
    ///
    /// Cancellation: not cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the greeting has no timestamp (nothing
    /// sent); [`Error::Rejected`] when the server refuses.
    pub async fn apop(mut self, user: &str, pass: &Secret) -> Result<Session<S>, (Error, Self)> {
        let result = match self.auth.apop_digest(pass) {
            Err(err) => Err(err),
            Ok(digest) => {
                self.exchange_command(&Command::Apop {
                    user,
                    digest: &digest,
                })
                .await
            }
        };
        self.finish(result)
    }

    /// Logs in with `AUTH` (RFC 5034), sending an initial response where
    /// the mechanism has one and the line fits in 255 octets.
    ///
    /// Cancellation: not cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when CAPA was asked and does not list the
    /// mechanism; [`Error::Rejected`] (with `AUTH`) when the server refuses.
    pub async fn auth(
        mut self,
        mechanism: Mechanism,
        user: &str,
        pass: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        let result = match self.prepare_auth(mechanism, user, pass) {
            Err(err) => Err(err),
            Ok(exchange) => match self.link.begin() {
                Err(err) => Err(err),
                Ok(()) => {
                    let result = run_auth(&mut self.link, exchange).await;
                    self.link.end(result)
                }
            },
        };
        self.finish(result)
    }

    fn prepare_auth(
        &self,
        mechanism: Mechanism,
        user: &str,
        pass: &Secret,
    ) -> Result<SaslExchange, Error> {
        self.auth.check_mechanism(mechanism)?;
        SaslExchange::new(mechanism, user, pass)
    }

    async fn exchange_command(&mut self, command: &Command<'_>) -> Result<(), Error> {
        self.link.begin()?;
        let result = self.link.command(command).await.map(drop);
        self.link.end(result)
    }

    fn finish(self, result: Result<(), Error>) -> Result<Session<S>, (Error, Self)> {
        match result {
            Ok(()) => {
                log::debug!("POP3 login accepted; TRANSACTION state");
                Ok(Session::new(self.link, self.auth.capabilities))
            }
            Err(err) => Err((err, self)),
        }
    }

    /// Ends the session without logging in.
    ///
    /// Cancellation: dropping the future drops the client; the server
    /// ends the session when the connection closes.
    ///
    /// # Errors
    /// Wire errors; a `-ERR` to QUIT.
    pub async fn quit(mut self) -> Result<(), Error> {
        self.exchange_command(&Command::Quit).await
    }
}

#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE.md §3)
impl<S: AsyncRead + AsyncWrite + Unpin + Send + Encrypted> Client<S> {
    /// Logs in the way the capabilities seen on this connection allow
    /// ([`choose_login`](Self::choose_login)), asking CAPA first if it was
    /// not asked yet; see the blocking
    /// [`Client::login_auto`](crate::Client::login_auto).
    ///
    /// Cancellation: not cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// As [`choose_login`](Self::choose_login) (nothing sent), then as
    /// [`login`](Self::login) or [`auth`](Self::auth).
    pub async fn login_auto(
        mut self,
        user: &str,
        pass: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        if self.auth.capabilities.is_none() {
            if let Err(err) = self.capa().await {
                return Err((err, self));
            }
        }
        match self.choose_login(self.link.conn.get_ref().is_encrypted()) {
            Ok(LoginMethod::UserPass) => self.login(user, pass).await,
            Ok(LoginMethod::Sasl(mechanism)) => {
                log::debug!("CAPA lists no USER; logging in with AUTH {mechanism}");
                self.auth(mechanism, user, pass).await
            }
            Err(err) => Err((err, self)),
        }
    }
}

impl Client<NetStream> {
    /// Connects, reads the greeting and asks CAPA; for
    /// [`Security::StartTls`] it upgrades with [`stls`](Self::stls) first.
    /// The transcript in `options`, if any, sees everything from the
    /// greeting on; `server`'s time-out bounds every read and write.
    ///
    /// Cancellation: dropping the future drops the connection being made.
    ///
    /// # Errors
    /// Wire errors (connect, TLS, time-out); [`Error::Unsupported`] when
    /// STARTTLS is required and the server does not offer STLS (nothing
    /// else is sent then).
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
        let mut client = Client::new(conn).await?;
        match security {
            Security::StartTls => client.stls(server, tls).await,
            Security::Implicit | Security::Plain => {
                client.capa().await?;
                Ok(client)
            }
        }
    }

    /// Upgrades to TLS (RFC 2595 §4): checks CAPA for `STLS`, sends it,
    /// starts TLS, forgets the old capabilities and asks `CAPA` again.
    ///
    /// Cancellation: not cancel-safe (see [`Client`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without STLS in CAPA; injected bytes after the
    /// go-ahead (`BufferedAfterStartTls`); TLS and certificate failures.
    pub async fn stls(self, server: &Server, tls: &TlsConfig) -> Result<Self, Error> {
        self.stls_with(async |conn: &mut Connection<NetStream>| {
            conn.start_tls(server, tls).await.map_err(Error::from)
        })
        .await
    }
}

/// `CAPA`: its lines, or `None` for `-ERR`.
async fn capa_lines<S: AsyncRead + AsyncWrite + Unpin + Send>(
    link: &mut Link<S>,
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let listing = async {
        link.command(&Command::Capa).await?;
        link.read_listing().await
    };
    capa_outcome(listing.await)
}

async fn user_pass<S: AsyncRead + AsyncWrite + Unpin + Send>(
    link: &mut Link<S>,
    user: &str,
    pass: &Secret,
) -> Result<(), Error> {
    link.command(&Command::User(user)).await?;
    link.command(&Command::Pass(pass)).await?;
    Ok(())
}

/// The blocking client's SASL loop, awaited: the core decides each step.
async fn run_auth<S: AsyncRead + AsyncWrite + Unpin + Send>(
    link: &mut Link<S>,
    mut exchange: SaslExchange,
) -> Result<(), Error> {
    let initial = exchange.initial_response();
    link.queue(&Command::Auth {
        mechanism: exchange.mechanism().name(),
        initial: initial.as_ref(),
    })
    .await?;
    link.conn.flush().await?;
    loop {
        let reply = link.read_reply().await?;
        match exchange.step(reply)? {
            SaslStep::Done => return Ok(()),
            SaslStep::Respond(response) => link.sasl_response(&response).await?,
            SaslStep::Cancel(cause) => {
                // `*` cancels an exchange (RFC 5034 §4); the server answers `-ERR`.
                link.sasl_cancel().await?;
                let answer = link.read_reply().await?;
                return Err(SaslExchange::cancelled(cause, answer));
            }
        }
    }
}
