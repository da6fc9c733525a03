//! Logging in: LOGIN, AUTHENTICATE and the automatic choice between them.

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Encrypted, Secret};

use crate::command::Command;
use crate::error::Error;
use crate::response::{Code, Tagged};
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
        if self.core.has_capability("LOGINDISABLED") {
            return Err((Error::Unsupported("LOGIN (LOGINDISABLED)"), self));
        }
        let utf8 = self.core.utf8();
        let cmd = Command::new("LOGIN")
            .astring(user.as_bytes(), utf8, "user name")
            .and_then(|c| c.secret(password, utf8));
        let done = match cmd.map_err(Error::from).and_then(|cmd| self.core.run(cmd)) {
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
        auth_mechanisms(&self.core.capabilities)
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
        let name = mechanism.name();
        if !self
            .auth_mechanisms()
            .iter()
            .any(|m| m.eq_ignore_ascii_case(name))
        {
            return Err(Error::Unsupported(name));
        }
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
                    if let Some(Code::Capability(c)) = &t.text.code {
                        self.core.capabilities = c.clone();
                    }
                    return auth.outcome(t);
                }
            }
        }
    }

    fn after_auth(&mut self, done: &Tagged) -> Result<(), Error> {
        // Capabilities may change after login (RFC 3501 §6.2.3 / §7.2.1).
        let fresh = matches!(done.text.code, Some(Code::Capability(_)));
        if !fresh {
            self.core.capabilities.clear();
            self.core.run(Command::new("CAPABILITY"))?;
        }
        let mut enable = Vec::new();
        for cap in ["IMAP4rev2", "UTF8=ACCEPT"] {
            if self.core.has_capability(cap) {
                enable.push(cap);
            }
        }
        if !enable.is_empty()
            && (self.core.has_capability("ENABLE") || self.core.has_capability("IMAP4rev2"))
        {
            let mut cmd = Command::new("ENABLE");
            for cap in enable {
                cmd = cmd.raw(cap, "capability")?;
            }
            self.core.run(cmd)?;
            log::debug!("enabled: {:?}", self.core.enabled);
        }
        Ok(())
    }
}

/// `AUTH=PLAIN AUTH=LOGIN` → `["PLAIN", "LOGIN"]` (RFC 3501 §6.2.2).
fn auth_mechanisms(capabilities: &[String]) -> Vec<&str> {
    capabilities
        .iter()
        .filter_map(|c| {
            c.get(..5)
                .filter(|p| p.eq_ignore_ascii_case("AUTH="))
                .and_then(|_| c.get(5..))
        })
        .collect()
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
        if !self.core.has_capability("LOGINDISABLED") {
            return self.login(user, password);
        }
        if !self.core.conn.is_encrypted() {
            return Err((Error::TlsRequired, self));
        }
        let offered: Vec<Mechanism> = self
            .auth_mechanisms()
            .into_iter()
            .filter_map(Mechanism::from_name)
            .collect();
        match Mechanism::best(&offered, true) {
            Some(mechanism) => {
                log::debug!("LOGINDISABLED; logging in with AUTHENTICATE {mechanism}");
                self.authenticate(mechanism, user, password)
            }
            None => Err((
                Error::Unsupported("AUTHENTICATE PLAIN, LOGIN or CRAM-MD5 (LOGIN is disabled)"),
                self,
            )),
        }
    }
}
