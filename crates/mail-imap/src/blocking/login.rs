//! Logging in: LOGIN, AUTHENTICATE and the automatic choice between them.

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Encrypted, Secret};

use crate::error::Error;
use crate::requests::{self, LoginChoice};
use crate::response::Tagged;
use crate::sans_io::{AuthEvent, Authenticate};
use crate::{Client, Session};

impl<S: Read + Write> Client<S> {
    /// LOGIN (RFC 3501 §6.2.3); the password is masked in the transcript and
    /// sent as a quoted string or, when 8-bit, a literal. Hands the client
    /// back on failure.
    ///
    /// # Errors
    /// `(error, self)` on rejection or invalid arguments.
    #[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
    pub fn login(mut self, user: &str, password: &Secret) -> Result<Session<S>, (Error, Self)> {
        let cmd = requests::login(&self.core, user, password);
        let done = match cmd.and_then(|cmd| self.core.run(cmd)) {
            Ok((_, done)) => done,
            Err(err) => return Err((err, self)),
        };
        match self.after_auth(&done) {
            Ok(()) => Ok(Session { core: self.core }),
            Err(err) => Err((err, self)),
        }
    }

    /// AUTHENTICATE PLAIN (RFC 4616), with SASL-IR when offered.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate).
    #[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
    pub fn authenticate_plain(
        self,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        self.authenticate(Mechanism::Plain, user, password)
    }

    /// AUTHENTICATE XOAUTH2 (Google's and Microsoft's OAuth 2.0 mechanism).
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate).
    #[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
    pub fn authenticate_xoauth2(
        self,
        user: &str,
        token: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        self.authenticate(Mechanism::XOAuth2, user, token)
    }

    /// AUTHENTICATE (RFC 3501 §6.2.2) with `mechanism`. PLAIN and XOAUTH2
    /// send their response with the command when the server offers SASL-IR
    /// (RFC 4959), else after the first `+`; LOGIN and CRAM-MD5 answer the
    /// server's challenges. An XOAUTH2 failure comes as a challenge holding
    /// base64 JSON: it is answered with an empty line, and the decoded text
    /// joins the rejection ([`Error::SaslRejected`]).
    ///
    /// # Errors
    /// `(error, self)`: [`Error::Unsupported`] when the capabilities do not
    /// list `AUTH=<mechanism>` (nothing sent); [`Error::Invalid`] (nothing
    /// sent) for NUL in PLAIN or `\x01` in XOAUTH2; a rejection.
    #[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
    pub fn authenticate(
        mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        match self.sasl(mechanism, user, password) {
            Ok(done) => match self.after_auth(&done) {
                Ok(()) => Ok(Session { core: self.core }),
                Err(err) => Err((err, self)),
            },
            Err(err) => Err((err, self)),
        }
    }

    /// The SASL mechanisms the capabilities list (`AUTH=PLAIN` → `PLAIN`).
    pub fn auth_mechanisms(&self) -> Vec<&str> {
        requests::auth_mechanisms(&self.core.capabilities)
    }

    fn sasl(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Tagged, Error> {
        if self.core.capabilities.is_empty() {
            self.capability()?;
        }
        requests::check_mechanism(&self.core, mechanism)?;
        // The tag is taken only once the credentials are known to fit.
        let mut auth = Authenticate::new(self.core.peek_tag(), mechanism, user, password)?;
        self.core.next_tag();
        let (head, initial) = auth.command_line(self.core.has_capability("SASL-IR"));
        match initial {
            Some(response) => self
                .core
                .conn
                .send(mail_wire::Line::with_secret(&head, &response))?,
            None => self.core.conn.send(mail_wire::Line::public(&head))?,
        }
        loop {
            let response = self.core.read_response()?;
            match auth.receive(response)? {
                AuthEvent::Respond { public, secret } => match secret {
                    Some(s) => self
                        .core
                        .conn
                        .send(mail_wire::Line::with_secret(public, &s))?,
                    None => self.core.conn.send(mail_wire::Line::public(public))?,
                },
                AuthEvent::Untagged(u) => self.core.absorb(&u),
                AuthEvent::Completed(t) => {
                    requests::capabilities_from_completion(&mut self.core, &t);
                    return auth.outcome(t);
                }
            }
        }
    }

    fn after_auth(&mut self, done: &Tagged) -> Result<(), Error> {
        if requests::capabilities_stale_after_auth(done) {
            self.core.capabilities.clear();
            self.core.run(requests::capability())?;
        }
        if let Some(cmd) = requests::enable_after_auth(&self.core)? {
            self.core.run(cmd)?;
            log::debug!("enabled: {:?}", self.core.enabled);
        }
        Ok(())
    }
}

#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
impl<S: Read + Write + Encrypted> Client<S> {
    /// Logs in the way the capabilities seen on this connection allow
    /// (asking CAPABILITY first when none are known): LOGIN, unless
    /// `LOGINDISABLED` is listed (RFC 3501 §6.2.3); then AUTHENTICATE with
    /// the best mechanism listed (PLAIN, then LOGIN, then CRAM-MD5; SASL-IR
    /// when offered).
    ///
    /// # Errors
    /// `(error, self)`: [`Error::TlsRequired`] for `LOGINDISABLED` on a
    /// connection without TLS, [`Error::Unsupported`] when no listed
    /// mechanism is usable (nothing sent in either case); as
    /// [`login`](Self::login) and [`authenticate`](Self::authenticate).
    pub fn login_auto(
        mut self,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        if self.core.capabilities.is_empty() {
            if let Err(err) = self.capability() {
                return Err((err, self));
            }
        }
        match requests::choose_login(&self.core, self.core.conn.is_encrypted()) {
            Ok(LoginChoice::Login) => self.login(user, password),
            Ok(LoginChoice::Authenticate(mechanism)) => {
                self.authenticate(mechanism, user, password)
            }
            Err(err) => Err((err, self)),
        }
    }
}
