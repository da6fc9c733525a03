//! `Client<S>`: the AUTHORIZATION state (RFC 1939 §4): greeting, CAPA, STLS
//! and the logins that lead to a [`Session`].

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Connection, Encrypted, NetStream, Secret, Security, Server, TlsConfig};

use crate::command::{check_text, Command};
use crate::core::{SaslExchange, SaslStep};
use crate::drive::capa_outcome;
use crate::error::Error;
use crate::link::Link;
use crate::login::{check_nothing_buffered, Authorization, LoginMethod};
use crate::options::Options;
use crate::response::{Capabilities, Greeting};
use crate::session::Session;

/// Connected, not yet authenticated (POP3 AUTHORIZATION state).
#[derive(Debug)]
pub struct Client<S> {
    link: Link<S>,
    auth: Authorization,
}

// The failed logins hand the client back (STYLE.md §3), which makes the
// error variant large; it is returned once per login, never in a loop.
#[allow(clippy::result_large_err)]
impl<S: Read + Write> Client<S> {
    /// Reads the server's greeting from a fresh connection.
    ///
    /// # Errors
    /// [`Error::Protocol`] unless the greeting is `+OK`; wire errors.
    pub fn new(conn: Connection<S>) -> Result<Self, Error> {
        let mut link = Link::new(conn);
        let greeting = link.read_greeting()?;
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

    /// The connection (to change the transcript or limits).
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.link.conn
    }

    /// Asks `CAPA` (RFC 2449 §5). A server without CAPA answers `-ERR`,
    /// which gives an empty set.
    ///
    /// # Errors
    /// Wire and protocol errors.
    pub fn capa(&mut self) -> Result<&Capabilities, Error> {
        let lines = capa_outcome(self.link.listing(&Command::Capa))?;
        Ok(self.auth.set_capa(lines.as_deref()))
    }

    /// The login the capabilities allow (RFC 2449 §6.8, RFC 5034), on a
    /// connection that is (`tls`) or is not protected by TLS:
    ///
    /// - CAPA refused (an RFC 1939 server): `USER`/`PASS`;
    /// - `USER` listed: `USER`/`PASS`;
    /// - otherwise `AUTH` with the best SASL mechanism listed
    ///   ([`Mechanism::best`]: PLAIN, LOGIN, CRAM-MD5 over TLS; CRAM-MD5
    ///   first without it). XOAUTH2 needs a token, so it is never chosen.
    ///
    /// # Errors
    /// Without TLS, when the server offers neither `USER` nor a mechanism
    /// but offers `STLS`: [`Error::TlsRequired`]. Otherwise, with no way
    /// to log in listed: [`Error::Unsupported`]. Nothing is sent.
    pub fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error> {
        self.auth.choose_login(tls)
    }

    /// Sends `STLS` after checking that the server offers it and reads the
    /// go-ahead; the caller then starts TLS. Refuses if any byte follows the
    /// go-ahead (response injection, the CVE-2011-0411 class).
    fn request_stls(&mut self) -> Result<(), Error> {
        if self.auth.capabilities.is_none() {
            self.capa()?;
        }
        self.auth.check_stls()?;
        self.link.command(&Command::Stls)?;
        check_nothing_buffered(self.link.conn.buffered().len())
    }

    /// Sends `STLS` (RFC 2595 §4) after checking CAPA, runs `upgrade` on the
    /// connection after the go-ahead, forgets the old capabilities and asks
    /// `CAPA` again.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without STLS in CAPA; injected bytes after the
    /// go-ahead (`BufferedAfterStartTls`); the upgrade's error.
    pub fn stls_with(
        mut self,
        upgrade: impl FnOnce(&mut Connection<S>) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        self.request_stls()?;
        upgrade(&mut self.link.conn)?;
        self.link.core.tls_started();
        self.auth.forget_capabilities();
        self.capa()?;
        Ok(self)
    }

    /// Logs in with `USER` and `PASS` (RFC 1939 §7). On failure the client
    /// comes back with the error, so another method can be tried.
    ///
    /// # Errors
    /// [`Error::Rejected`] (with `USER` or `PASS`) when the server refuses;
    /// [`Error::Invalid`] for CR/LF in the name or password.
    pub fn login(mut self, user: &str, pass: &Secret) -> Result<Session<S>, (Error, Self)> {
        let result = (|| {
            check_text("password", pass.expose(), true)?;
            self.link.command(&Command::User(user))?;
            self.link.command(&Command::Pass(pass))?;
            Ok(())
        })();
        self.finish(result)
    }

    /// Logs in with `APOP` (RFC 1939 §7): the password never travels.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when the greeting has no timestamp;
    /// [`Error::Rejected`] when the server refuses.
    pub fn apop(mut self, user: &str, pass: &Secret) -> Result<Session<S>, (Error, Self)> {
        let result = self.auth.apop_digest(pass).and_then(|digest| {
            self.link
                .command(&Command::Apop {
                    user,
                    digest: &digest,
                })
                .map(drop)
        });
        self.finish(result)
    }

    /// Logs in with `AUTH` (RFC 5034), sending an initial response where
    /// the mechanism has one and the line fits in 255 octets.
    ///
    /// # Errors
    /// [`Error::Unsupported`] when CAPA was asked and does not list the
    /// mechanism; [`Error::Rejected`] (with `AUTH`) when the server refuses.
    pub fn auth(
        mut self,
        mechanism: Mechanism,
        user: &str,
        pass: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        let result = self.run_auth(mechanism, user, pass);
        self.finish(result)
    }

    fn run_auth(&mut self, mechanism: Mechanism, user: &str, pass: &Secret) -> Result<(), Error> {
        self.auth.check_mechanism(mechanism)?;
        let mut exchange = SaslExchange::new(mechanism, user, pass)?;
        let initial = exchange.initial_response();
        self.link.queue(&Command::Auth {
            mechanism: mechanism.name(),
            initial: initial.as_ref(),
        })?;
        self.link.conn.flush()?;
        loop {
            let reply = self.link.read_reply()?;
            match exchange.step(reply)? {
                SaslStep::Done => return Ok(()),
                SaslStep::Respond(response) => self.link.sasl_response(&response)?,
                SaslStep::Cancel(cause) => {
                    // `*` cancels an exchange (RFC 5034 §4); the server answers `-ERR`.
                    self.link.sasl_cancel()?;
                    let answer = self.link.read_reply()?;
                    return Err(SaslExchange::cancelled(cause, answer));
                }
            }
        }
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
    /// # Errors
    /// Wire errors; a `-ERR` to QUIT.
    pub fn quit(mut self) -> Result<(), Error> {
        self.link.command(&Command::Quit).map(drop)
    }
}

#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE.md §3)
impl<S: Read + Write + Encrypted> Client<S> {
    /// Logs in the way the capabilities seen on this connection allow
    /// ([`choose_login`](Self::choose_login)), asking CAPA first if it was
    /// not asked yet. Never sends `USER` when CAPA lists SASL but not
    /// `USER`, so no user name travels in clear before STLS.
    ///
    /// # Errors
    /// As [`choose_login`](Self::choose_login) (nothing sent), then as
    /// [`login`](Self::login) or [`auth`](Self::auth).
    pub fn login_auto(mut self, user: &str, pass: &Secret) -> Result<Session<S>, (Error, Self)> {
        if self.auth.capabilities.is_none() {
            if let Err(err) = self.capa() {
                return Err((err, self));
            }
        }
        match self.choose_login(self.link.conn.is_encrypted()) {
            Ok(LoginMethod::UserPass) => self.login(user, pass),
            Ok(LoginMethod::Sasl(mechanism)) => {
                log::debug!("CAPA lists no USER; logging in with AUTH {mechanism}");
                self.auth(mechanism, user, pass)
            }
            Err(err) => Err((err, self)),
        }
    }
}

impl Client<NetStream> {
    /// Connects, reads the greeting and asks CAPA; for
    /// [`Security::StartTls`] it upgrades with [`stls`](Self::stls) first.
    /// The transcript in `options`, if any, sees everything from the
    /// greeting on.
    ///
    /// # Errors
    /// Wire errors (connect, TLS, time-out); [`Error::Unsupported`] when
    /// STARTTLS is required and the server does not offer STLS (nothing
    /// else is sent then).
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
        let mut client = Client::new(conn)?;
        match security {
            Security::StartTls => client.stls(server, tls),
            Security::Implicit | Security::Plain => {
                client.capa()?;
                Ok(client)
            }
        }
    }

    /// Upgrades to TLS (RFC 2595 §4): checks CAPA for `STLS`, sends it,
    /// starts TLS, forgets the old capabilities and asks `CAPA` again.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without STLS in CAPA; injected bytes after the
    /// go-ahead (`BufferedAfterStartTls`); TLS and certificate failures.
    pub fn stls(self, server: &Server, tls: &TlsConfig) -> Result<Self, Error> {
        self.stls_with(|conn| conn.start_tls(server, tls).map_err(Error::from))
    }
}

// Tested against scripted servers, together with the async client, in
// tests/scripted.rs.
