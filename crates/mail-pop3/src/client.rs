//! `Client<S>`: the AUTHORIZATION state (RFC 1939 §4): greeting, CAPA, STLS
//! and the logins that lead to a [`Session`].

use std::io::{Read, Write};

use mail_wire::sasl::Mechanism;
use mail_wire::{Connection, Encrypted, NetStream, Secret, Security, Server, TlsConfig};

use crate::command::{check_text, Command};
use crate::core::{SaslExchange, SaslStep};
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
        let lines = match self.link.command(&Command::Capa) {
            Ok(_) => Some(self.link.read_listing()?),
            Err(Error::Rejected { .. }) => None,
            Err(err) => return Err(err),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Limits, Recording};

    fn start(script: &str) -> (Client<ScriptedStream>, ScriptedStream, Recording) {
        let stream = ScriptedStream::from_transcript(script);
        let mut conn = Connection::new(stream.clone(), Limits::default());
        let rec = Recording::new();
        conn.set_transcript(Some(Box::new(rec.clone())));
        (Client::new(conn).unwrap(), stream, rec)
    }

    const GREETING: &str = "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\n";

    #[test]
    fn user_pass_login_masks_the_password() {
        let script =
            format!("{GREETING}C: USER alice\nS: +OK\nC: PASS ********\nS: +OK Logged in.\n");
        let (client, stream, rec) = start(&script);
        let session = client.login("alice", &Secret::new("alice-secret")).unwrap();
        drop(session);
        stream.assert_done();
        assert!(String::from_utf8_lossy(&stream.written()).contains("PASS alice-secret\r\n"));
        assert!(rec.lines().iter().all(|l| !l.contains("alice-secret")));
        assert!(rec.lines().contains(&"C: PASS ********".to_owned()));
    }

    #[test]
    fn wrong_password_gives_the_client_back_with_the_servers_words() {
        let script = format!(
            "{GREETING}C: USER alice\nS: +OK\nC: PASS ********\nS: -ERR [AUTH] Authentication failed.\nC: QUIT\nS: +OK bye\n"
        );
        let (client, stream, _) = start(&script);
        let (err, client) = client.login("alice", &Secret::new("wrong")).unwrap_err();
        assert!(err.is_auth_failure());
        assert_eq!(err.reply().and_then(|r| r.code()), Some("AUTH"));
        assert_eq!(
            err.to_string(),
            "server rejected PASS: -ERR [AUTH] Authentication failed."
        );
        client.quit().unwrap();
        stream.assert_done();
    }

    #[test]
    fn apop_sends_the_rfc_digest() {
        let script = format!("{GREETING}C: APOP mrose ********\nS: +OK maildrop has 1 message\n");
        let (client, stream, rec) = start(&script);
        client.apop("mrose", &Secret::new("tanstaaf")).unwrap();
        stream.assert_done();
        assert!(String::from_utf8_lossy(&stream.written())
            .contains("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"));
        assert_eq!(rec.lines().last().unwrap(), "S: +OK maildrop has 1 message");
        assert!(rec.lines().contains(&"C: APOP mrose ********".to_owned()));
    }

    #[test]
    fn apop_without_timestamp_is_unsupported_and_sends_nothing() {
        let (client, stream, _) = start("S: +OK ready\n");
        let (err, _) = client.apop("mrose", &Secret::new("x")).unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)));
        assert!(stream.written().is_empty());
    }

    #[test]
    fn auth_plain_uses_an_initial_response() {
        let script = format!("{GREETING}C: AUTH PLAIN ********\nS: +OK Logged in.\n");
        let (client, stream, _) = start(&script);
        client
            .auth(Mechanism::Plain, "alice", &Secret::new("pw"))
            .unwrap();
        stream.assert_done();
        assert!(String::from_utf8_lossy(&stream.written()).contains("AUTH PLAIN AGFsaWNlAHB3\r\n"));
    }

    #[test]
    fn auth_plain_too_long_for_one_line_waits_for_the_challenge() {
        let script = format!("{GREETING}C: AUTH PLAIN\nS: +\nC: ********\nS: +OK\n");
        let (client, stream, _) = start(&script);
        client
            .auth(Mechanism::Plain, "alice", &Secret::new("p".repeat(300)))
            .unwrap();
        stream.assert_done();
    }

    #[test]
    fn auth_login_and_cram_md5_answer_challenges() {
        let script = format!(
            "{GREETING}C: AUTH LOGIN\nS: + VXNlcm5hbWU6\nC: ********\nS: + UGFzc3dvcmQ6\nC: ********\nS: +OK\n"
        );
        let (client, stream, rec) = start(&script);
        client
            .auth(Mechanism::Login, "alice", &Secret::new("pw"))
            .unwrap();
        stream.assert_done();
        assert!(String::from_utf8_lossy(&stream.written()).ends_with("YWxpY2U=\r\ncHc=\r\n"));
        assert!(rec.lines().contains(&"C: ********".to_owned()));

        let script = format!(
            "{GREETING}C: AUTH CRAM-MD5\nS: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\nC: ********\nS: +OK\n"
        );
        let (client, stream, _) = start(&script);
        client
            .auth(Mechanism::CramMd5, "tim", &Secret::new("tanstaaftanstaaf"))
            .unwrap();
        stream.assert_done();
        assert!(String::from_utf8_lossy(&stream.written())
            .ends_with("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"));
    }

    #[test]
    fn auth_xoauth2_sends_the_token_as_an_initial_response() {
        let script = format!("{GREETING}C: AUTH XOAUTH2 ********\nS: +OK Welcome.\n");
        let (client, stream, rec) = start(&script);
        client
            .auth(Mechanism::XOAuth2, "a@b", &Secret::new("tok"))
            .unwrap();
        stream.assert_done();
        // base64("user=a@b\x01auth=Bearer tok\x01\x01")
        assert!(String::from_utf8_lossy(&stream.written())
            .contains("AUTH XOAUTH2 dXNlcj1hQGIBYXV0aD1CZWFyZXIgdG9rAQE=\r\n"));
        assert!(!rec.lines().join("\n").contains("tok"));
    }

    #[test]
    fn xoauth2_error_challenge_is_cancelled_and_reported_as_rejection() {
        let script = format!(
            "{GREETING}C: AUTH XOAUTH2 ********\nS: + eyJzdGF0dXMiOiI0MDEifQ==\nC: *\nS: -ERR [AUTH] Invalid token\n"
        );
        let (client, stream, _) = start(&script);
        let (err, _) = client
            .auth(Mechanism::XOAuth2, "a@b", &Secret::new("expired"))
            .unwrap_err();
        stream.assert_done();
        assert!(err.is_auth_failure(), "{err}");
        assert_eq!(
            err.to_string(),
            "server rejected AUTH: -ERR [AUTH] Invalid token"
        );
    }

    #[test]
    fn auth_plain_refuses_nul_in_the_password_before_sending() {
        let (client, stream, _) = start("S: +OK ready\n");
        let (err, _) = client
            .auth(Mechanism::Plain, "alice", &Secret::new("p\0w"))
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
        assert!(stream.written().is_empty());
    }

    #[test]
    fn auth_rejected_is_an_auth_failure() {
        let script =
            format!("{GREETING}C: AUTH PLAIN ********\nS: -ERR [AUTH] Authentication failed.\n");
        let (client, _, _) = start(&script);
        let (err, _) = client
            .auth(Mechanism::Plain, "alice", &Secret::new("bad"))
            .unwrap_err();
        assert!(err.is_auth_failure(), "{err}");
    }

    #[test]
    fn auth_mechanism_not_in_capa_is_unsupported() {
        let script = format!("{GREETING}C: CAPA\nS: +OK\nS: SASL PLAIN\nS: .\n");
        let (mut client, stream, _) = start(&script);
        client.capa().unwrap();
        let (err, _) = client
            .auth(Mechanism::CramMd5, "a", &Secret::new("b"))
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported("CRAM-MD5")));
        stream.assert_done();
    }

    #[test]
    fn stls_missing_from_capa_sends_no_credentials() {
        let script = format!("{GREETING}C: CAPA\nS: +OK\nS: TOP\nS: USER\nS: .\n");
        let (mut client, stream, _) = start(&script);
        let err = client.request_stls().unwrap_err();
        assert!(matches!(err, Error::Unsupported("STLS")));
        assert_eq!(err.to_string(), "the server does not offer STLS");
        stream.assert_done();
        assert_eq!(stream.written(), b"CAPA\r\n");
    }

    #[test]
    fn bytes_injected_after_the_stls_go_ahead_are_refused() {
        let script = format!("{GREETING}C: CAPA\nS: +OK\nS: STLS\nS: .\nC: STLS\n");
        let stream = ScriptedStream::from_transcript(&script)
            .then_serve(b"+OK Begin TLS\r\n+OK injected\r\n");
        let mut client = Client::new(Connection::new(stream, Limits::default())).unwrap();
        let err = client.request_stls().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Wire(mail_wire::Error::BufferedAfterStartTls { bytes: 14 })
            ),
            "{err}"
        );
    }

    #[test]
    fn capa_rejected_is_an_empty_set() {
        let (mut client, _, _) = start(&format!("{GREETING}C: CAPA\nS: -ERR unknown command\n"));
        assert_eq!(client.capa().unwrap().names().count(), 0);
    }

    #[test]
    fn greeting_that_is_not_ok_is_a_protocol_error() {
        let conn = Connection::new(ScriptedStream::raw(b"-ERR go away\r\n"), Limits::default());
        assert!(matches!(Client::new(conn), Err(Error::Protocol(_))));
        let conn = Connection::new(
            ScriptedStream::raw(b"* OK IMAP4rev1\r\n"),
            Limits::default(),
        );
        assert!(matches!(Client::new(conn), Err(Error::Protocol(_))));
    }

    #[test]
    fn greeting_split_into_single_bytes_still_parses() {
        let stream = ScriptedStream::from_transcript(GREETING).one_byte_reads();
        let client = Client::new(Connection::new(stream, Limits::default())).unwrap();
        assert_eq!(
            client.greeting().timestamp.as_deref(),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
    }

    #[test]
    fn line_breaks_in_the_user_name_send_nothing() {
        let (client, stream, _) = start(GREETING);
        let (err, _) = client
            .login("alice\r\nDELE 1", &Secret::new("pw"))
            .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)));
        assert!(stream.written().is_empty());
    }
}
