//! Logging in: LOGIN, AUTHENTICATE and the automatic choice between them,
//! over the same requests and the same [`Authenticate`] machine as the
//! blocking client.
//!
//! Cancellation: each of these consumes the client, so dropping its future
//! drops the connection; nothing is left half-done on a live client.

use mail_wire::sasl::Mechanism;
use mail_wire::{Encrypted, Line, Secret};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Client, Session};
use crate::error::Error;
use crate::requests::{self, LoginChoice};
use crate::response::Tagged;
use crate::sans_io::{AuthEvent, Authenticate};

#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// LOGIN (RFC 3501 §6.2.3), as [`crate::Client::login`].
    ///
    /// # Errors
    /// `(error, self)` on rejection or invalid arguments.
    pub async fn login(
        mut self,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        let done = match requests::login(&self.core, user, password) {
            Ok(cmd) => self.core.run(cmd).await.map(|(_, done)| done),
            Err(err) => Err(err),
        };
        let result = match done {
            Ok(done) => self.after_auth(&done).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => Ok(Session { core: self.core }),
            Err(err) => Err((err, self)),
        }
    }

    /// AUTHENTICATE PLAIN (RFC 4616), with SASL-IR when offered.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate).
    pub async fn authenticate_plain(
        self,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        self.authenticate(Mechanism::Plain, user, password).await
    }

    /// AUTHENTICATE XOAUTH2.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate).
    pub async fn authenticate_xoauth2(
        self,
        user: &str,
        token: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        self.authenticate(Mechanism::XOAuth2, user, token).await
    }

    /// AUTHENTICATE (RFC 3501 §6.2.2) with `mechanism`, as
    /// [`crate::Client::authenticate`].
    ///
    /// # Errors
    /// As [`crate::Client::authenticate`].
    pub async fn authenticate(
        mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        let result = match self.sasl(mechanism, user, password).await {
            Ok(done) => self.after_auth(&done).await,
            Err(err) => Err(err),
        };
        match result {
            Ok(()) => Ok(Session { core: self.core }),
            Err(err) => Err((err, self)),
        }
    }

    /// The SASL mechanisms the capabilities list (`AUTH=PLAIN` → `PLAIN`).
    pub fn auth_mechanisms(&self) -> Vec<&str> {
        requests::auth_mechanisms(&self.core.capabilities)
    }

    async fn sasl(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Tagged, Error> {
        if self.core.capabilities.is_empty() {
            self.capability().await?;
        }
        requests::check_mechanism(&self.core, mechanism)?;
        // The tag is taken only once the credentials are known to fit.
        let mut auth = Authenticate::new(self.core.peek_tag(), mechanism, user, password)?;
        self.core.next_tag();
        self.core.conn.begin_exchange()?;
        let result = self.sasl_exchange(&mut auth).await;
        self.core.conn.end_exchange();
        auth.outcome(result?)
    }

    async fn sasl_exchange(&mut self, auth: &mut Authenticate) -> Result<Tagged, Error> {
        let (head, initial) = auth.command_line(self.core.has_capability("SASL-IR"));
        match initial {
            Some(response) => {
                self.core
                    .conn
                    .send(Line::with_secret(&head, &response))
                    .await?
            }
            None => self.core.conn.send(Line::public(&head)).await?,
        }
        loop {
            let response = self.core.read_response().await?;
            match auth.receive(response)? {
                AuthEvent::Respond { public, secret } => match secret {
                    Some(s) => self.core.conn.send(Line::with_secret(public, &s)).await?,
                    None => self.core.conn.send(Line::public(public)).await?,
                },
                AuthEvent::Untagged(u) => self.core.absorb(&u),
                AuthEvent::Completed(t) => {
                    requests::capabilities_from_completion(&mut self.core, &t);
                    return Ok(t);
                }
            }
        }
    }

    async fn after_auth(&mut self, done: &Tagged) -> Result<(), Error> {
        if requests::capabilities_stale_after_auth(done) {
            self.core.capabilities.clear();
            self.core.run(requests::capability()).await?;
        }
        if let Some(cmd) = requests::enable_after_auth(&self.core)? {
            self.core.run(cmd).await?;
            log::debug!("enabled: {:?}", self.core.enabled);
        }
        Ok(())
    }
}

#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
impl<S: AsyncRead + AsyncWrite + Unpin + Send + Encrypted> Client<S> {
    /// Logs in the way the capabilities seen on this connection allow, as
    /// [`crate::Client::login_auto`]: LOGIN unless `LOGINDISABLED`, then
    /// AUTHENTICATE with the best listed mechanism, and only over TLS.
    ///
    /// # Errors
    /// As [`crate::Client::login_auto`].
    pub async fn login_auto(
        mut self,
        user: &str,
        password: &Secret,
    ) -> Result<Session<S>, (Error, Self)> {
        if self.core.capabilities.is_empty() {
            if let Err(err) = self.capability().await {
                return Err((err, self));
            }
        }
        match requests::choose_login(&self.core, self.core.conn.is_encrypted()) {
            Ok(LoginChoice::Login) => self.login(user, password).await,
            Ok(LoginChoice::Authenticate(mechanism)) => {
                self.authenticate(mechanism, user, password).await
            }
            Err(err) => Err((err, self)),
        }
    }
}
