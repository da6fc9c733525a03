//! The blocking client, one type per protocol state (RFC 3501 §3):
//! [`Client`] (not authenticated) → [`Session`] (authenticated) →
//! [`Selected`] (a mailbox is selected). LOGOUT consumes any of them.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mail_wire::sasl::Mechanism;
use mail_wire::{Connection, Encrypted, Limits, NetStream, Secret, Security, Server, TlsConfig};

use crate::command::Command;
use crate::error::Error;
use crate::exchange::{Core, FetchStream};
use crate::mailbox::Mailbox;
use crate::options::Options;
use crate::response::{
    Code, Fetch, Flag, ListItem, Namespace, Response, Status, Tagged, Text, Untagged,
};
use crate::sans_io::{AuthEvent, Authenticate, Idle, IdleEvent};
use crate::sequence::{SequenceSet, Uid};

/// How the server greeted us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// OK or PREAUTH (BYE is an error).
    pub status: Status,
    /// Code and text.
    pub text: Text,
}

/// Connected, not yet authenticated.
pub struct Client<S> {
    core: Box<Core<S>>,
    greeting: Greeting,
}

/// Authenticated.
pub struct Session<S> {
    core: Box<Core<S>>,
}

/// Authenticated with a mailbox selected.
pub struct Selected<S> {
    session: Session<S>,
}

/// Limits for IMAP: long lines are normal (FETCH of many flags, big SEARCH
/// results), literals are bounded by `max_literal`.
pub fn default_limits() -> Limits {
    Limits {
        max_line: 1024 * 1024,
        max_literal: 256 * 1024 * 1024,
    }
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
        let greeting = match core.read_response()? {
            Response::Untagged(u @ Untagged::Status { .. }) => {
                core.absorb(&u);
                match u {
                    Untagged::Status {
                        status: Status::Bye,
                        text,
                    } => {
                        return Err(Error::Bye {
                            text: text.to_string(),
                        })
                    }
                    Untagged::Status {
                        status: status @ (Status::Ok | Status::Preauth),
                        text,
                    } => Greeting { status, text },
                    other => {
                        return Err(Error::Unexpected(format!(
                            "greeting {}",
                            Response::Untagged(other).describe()
                        )))
                    }
                }
            }
            other => {
                return Err(Error::Unexpected(format!(
                    "a greeting that is not OK/PREAUTH/BYE: {}",
                    other.describe()
                )))
            }
        };
        log::debug!("greeting: {} {}", greeting.status, greeting.text);
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
        if self.greeting.status == Status::Preauth {
            return Err(Error::PreauthWithoutTls);
        }
        if !self.core.has_capability("STARTTLS") {
            self.capability()?;
        }
        if !self.core.has_capability("STARTTLS") {
            return Err(Error::Unsupported("STARTTLS"));
        }
        self.core.run(Command::new("STARTTLS"))?;
        let buffered = self.core.unread();
        if buffered > 0 {
            return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
                bytes: buffered,
            }));
        }
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
        self.core.run(Command::new("CAPABILITY"))?;
        Ok(&self.core.capabilities)
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<Vec<(String, Option<String>)>, Error> {
        id(&mut self.core, fields)
    }

    /// NOOP.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.core.run(Command::new("NOOP")).map(|_| ())
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

    /// LOGOUT (RFC 3501 §6.1.3).
    ///
    /// # Errors
    /// The connection.
    pub fn logout(mut self) -> Result<(), Error> {
        logout(&mut self.core)
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

fn logout<S: Read + Write>(core: &mut Core<S>) -> Result<(), Error> {
    match core.run(Command::new("LOGOUT")) {
        Ok(_) | Err(Error::Bye { .. }) => Ok(()),
        Err(Error::Wire(mail_wire::Error::Closed)) if core.bye.is_some() => Ok(()),
        Err(err) => Err(err),
    }
}

fn id<S: Read + Write>(
    core: &mut Core<S>,
    fields: &[(&str, &str)],
) -> Result<Vec<(String, Option<String>)>, Error> {
    let mut cmd = Command::new("ID");
    if fields.is_empty() {
        cmd = cmd.raw("NIL", "id")?;
    } else {
        let mut list = Command::new("X");
        for (k, v) in fields {
            list = list.string(k.as_bytes(), false, "ID field")?.string(
                v.as_bytes(),
                false,
                "ID value",
            )?;
        }
        let text = String::from_utf8_lossy(&list.to_bytes("t", false)).into_owned();
        let inner = text
            .trim_end()
            .strip_prefix("t X ")
            .unwrap_or_default()
            .to_owned();
        cmd = cmd.raw(&format!("({inner})"), "id")?;
    }
    let (seen, _) = core.run(cmd)?;
    Ok(seen
        .into_iter()
        .find_map(|u| match u {
            Untagged::Id(fields) => Some(fields),
            _ => None,
        })
        .unwrap_or_default())
}

/// A mailbox's STATUS items (RFC 3501 §6.3.10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    /// The name as the server sent it.
    pub mailbox: String,
    /// `(MESSAGES, 3)`, `(UIDNEXT, 9)`, ...
    pub items: Vec<(String, u64)>,
}

impl MailboxStatus {
    /// The value of one item.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.items
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What IDLE saw.
#[derive(Debug, Default)]
pub struct IdleOutcome {
    /// The updates in arrival order.
    pub updates: Vec<Untagged>,
    /// True when the time limit ended IDLE, false when `stop` did.
    pub timed_out: bool,
}

impl<S: Read + Write> Session<S> {
    pub(crate) fn into_core(self) -> Box<Core<S>> {
        self.core
    }

    /// Capabilities in force.
    pub fn capabilities(&self) -> &[String] {
        &self.core.capabilities
    }

    /// True when the server advertises `name`.
    pub fn has_capability(&self, name: &str) -> bool {
        self.core.has_capability(name)
    }

    /// Extensions the server confirmed with ENABLED.
    pub fn enabled(&self) -> &[String] {
        &self.core.enabled
    }

    /// `[ALERT]` texts received so far, taken out (RFC 3501 §7.1: must be shown to the user).
    pub fn take_alerts(&mut self) -> Vec<String> {
        std::mem::take(&mut self.core.alerts)
    }

    /// Untagged responses that arrived during other commands, taken out.
    pub fn take_unsolicited(&mut self) -> Vec<Untagged> {
        std::mem::take(&mut self.core.unsolicited)
    }

    /// Shows (true, default) or hides literal contents in the transcript.
    pub fn set_show_literals(&mut self, show: bool) {
        self.core.echo_literals = show;
    }

    /// See [`Client::set_patience`].
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// The connection, e.g. to change limits.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.core.conn
    }

    fn run(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        let (seen, done) = self.core.run(cmd)?;
        Ok((seen, done))
    }

    fn mailbox_cmd(&mut self, verb: &'static str, name: &str) -> Result<(), Error> {
        let cmd = Command::new(verb).mailbox(name, self.core.utf8())?;
        self.run(cmd).map(|_| ())
    }

    /// CAPABILITY.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn capability(&mut self) -> Result<&[String], Error> {
        self.run(Command::new("CAPABILITY"))?;
        Ok(&self.core.capabilities)
    }

    /// NOOP: also the polite way to collect pending updates.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.run(Command::new("NOOP")).map(|(seen, _)| seen)
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<Vec<(String, Option<String>)>, Error> {
        id(&mut self.core, fields)
    }

    /// ENABLE (RFC 5161); returns what the server enabled.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ENABLE; rejection.
    pub fn enable(&mut self, capabilities: &[&str]) -> Result<Vec<String>, Error> {
        if !self.core.has_capability("ENABLE") && !self.core.has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("ENABLE"));
        }
        let mut cmd = Command::new("ENABLE");
        for c in capabilities {
            cmd = cmd.raw(c, "capability")?;
        }
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .flat_map(|u| {
                if let Untagged::Enabled(c) = u {
                    c
                } else {
                    Vec::new()
                }
            })
            .collect())
    }

    /// NAMESPACE (RFC 2342): personal, other users', shared.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without NAMESPACE; rejection.
    pub fn namespace(&mut self) -> Result<[Vec<Namespace>; 3], Error> {
        if !self.core.has_capability("NAMESPACE") && !self.core.has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("NAMESPACE"));
        }
        let (seen, _) = self.run(Command::new("NAMESPACE"))?;
        seen.into_iter()
            .find_map(|u| {
                if let Untagged::Namespace(n) = u {
                    Some(n)
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                Error::Unexpected("NAMESPACE completed without a NAMESPACE response".into())
            })
    }

    fn list_cmd(
        &mut self,
        verb: &'static str,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListItem>, Error> {
        let utf8 = self.core.utf8();
        let pattern = if utf8 {
            pattern.to_owned()
        } else {
            crate::utf7::encode(pattern)
        };
        let cmd = Command::new(verb).astring(reference.as_bytes(), utf8, "reference")?;
        // Wildcards `*` and `%` are list-mailbox characters, not atom ones.
        let cmd = if !pattern.is_empty()
            && pattern
                .bytes()
                .all(|b| b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'"' | b'\\'))
        {
            cmd.raw(&pattern, "pattern")?
        } else {
            cmd.string(pattern.as_bytes(), utf8, "pattern")?
        };
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .filter_map(|u| match u {
                Untagged::List(item) | Untagged::Lsub(item) => Some(item),
                _ => None,
            })
            .collect())
    }

    /// LIST (RFC 3501 §6.3.8); names are decoded with [`ListItem::decoded_name`].
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        self.list_cmd("LIST", reference, pattern)
    }

    /// LSUB (RFC 3501 §6.3.9).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn lsub(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        self.list_cmd("LSUB", reference, pattern)
    }

    /// STATUS (RFC 3501 §6.3.10), e.g. `&["MESSAGES", "UIDNEXT"]`.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn status(&mut self, mailbox: &str, items: &[&str]) -> Result<MailboxStatus, Error> {
        let cmd = Command::new("STATUS")
            .mailbox(mailbox, self.core.utf8())?
            .raw(&format!("({})", items.join(" ")), "status items")?;
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .find_map(|u| match u {
                Untagged::MailboxStatus { mailbox, items } => {
                    Some(MailboxStatus { mailbox, items })
                }
                _ => None,
            })
            .unwrap_or_default())
    }

    /// CREATE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn create(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("CREATE", mailbox)
    }

    /// DELETE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn delete(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("DELETE", mailbox)
    }

    /// RENAME.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let utf8 = self.core.utf8();
        let cmd = Command::new("RENAME")
            .mailbox(from, utf8)?
            .mailbox(to, utf8)?;
        self.run(cmd).map(|_| ())
    }

    /// SUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn subscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("SUBSCRIBE", mailbox)
    }

    /// UNSUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn unsubscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("UNSUBSCRIBE", mailbox)
    }

    /// APPEND (RFC 3501 §6.3.11); returns APPENDUID's `(uidvalidity, uid)`
    /// when the server has UIDPLUS.
    ///
    /// # Errors
    /// Rejection (TRYCREATE included) or the connection.
    pub fn append(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        message: Vec<u8>,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        let mut cmd = Command::new("APPEND").mailbox(mailbox, self.core.utf8())?;
        if !flags.is_empty() {
            cmd = cmd.flag_list(flags)?;
        }
        let (_, done) = self.run(cmd.literal(message))?;
        Ok(match done.text.code {
            Some(Code::AppendUid { validity, uids }) => Some((validity, uids)),
            _ => None,
        })
    }

    fn open(mut self, verb: &'static str, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.core.mailbox = Mailbox {
            name: mailbox.to_owned(),
            read_only: verb == "EXAMINE",
            ..Mailbox::default()
        };
        let cmd = match Command::new(verb).mailbox(mailbox, self.core.utf8()) {
            Ok(cmd) => cmd,
            Err(err) => return Err((err.into(), self)),
        };
        match self.core.run(cmd) {
            Ok(_) => Ok(Selected { session: self }),
            Err(err) => {
                self.core.mailbox = Mailbox::default();
                Err((err, self))
            }
        }
    }

    /// SELECT (RFC 3501 §6.3.1); the state is in [`Selected::mailbox`].
    ///
    /// # Errors
    /// `(error, self)` on rejection.
    pub fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("SELECT", mailbox)
    }

    /// EXAMINE: SELECT read-only.
    ///
    /// # Errors
    /// `(error, self)` on rejection.
    pub fn examine(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("EXAMINE", mailbox)
    }

    /// IDLE (RFC 2177) until an update makes `stop` true, `stop_now` says so
    /// between reads, or `limit` passes; then DONE. Updates also change the
    /// mailbox state. `stop_now` and `limit` are checked whenever a read
    /// times out, so their resolution is the socket time-out
    /// ([`Server::timeout`]; see [`Client::set_patience`] for a short one).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without IDLE; rejection; the connection.
    pub fn idle(
        &mut self,
        limit: Duration,
        mut stop: impl FnMut(&Untagged) -> bool,
        mut stop_now: impl FnMut() -> bool,
    ) -> Result<IdleOutcome, Error> {
        if !self.core.has_capability("IDLE") && !self.core.has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("IDLE"));
        }
        let mut idle = Idle::new(self.core.next_tag());
        self.core
            .conn
            .send(mail_wire::Line::public(&idle.command_line()))?;
        let mut outcome = IdleOutcome {
            updates: Vec::new(),
            timed_out: false,
        };
        // An update may arrive before the `+` (RFC 2177 lets the server
        // send untagged data at any time); it counts like any other.
        let mut done = false;
        while !idle.is_idling() {
            let response = self.core.read_response()?;
            match idle.receive(response)? {
                IdleEvent::Update(u) => {
                    self.core.absorb(&u);
                    done |= stop(&u);
                    outcome.updates.push(u);
                }
                IdleEvent::Completed(t) => return Err(crate::error::rejection("IDLE", t)),
                _ => {}
            }
        }
        let deadline = Instant::now() + limit;
        while !done {
            if Instant::now() >= deadline {
                outcome.timed_out = true;
                break;
            }
            if stop_now() {
                break;
            }
            let Some(response) = self.core.poll_response()? else {
                continue;
            };
            if let IdleEvent::Update(u) = idle.receive(response)? {
                self.core.absorb(&u);
                done = stop(&u);
                outcome.updates.push(u);
            }
        }
        self.core.conn.send(mail_wire::Line::public(idle.done()))?;
        self.core.finish(idle.tag(), "IDLE", &mut outcome.updates)?;
        Ok(outcome)
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub fn logout(mut self) -> Result<(), Error> {
        logout(&mut self.core)
    }
}

/// What STORE and FETCH helpers collect.
fn fetches(seen: Vec<Untagged>) -> Vec<Fetch> {
    seen.into_iter()
        .filter_map(|u| {
            if let Untagged::Fetch(f) = u {
                Some(f)
            } else {
                None
            }
        })
        .collect()
}

impl<S: Read + Write> Selected<S> {
    /// The selected mailbox's state, current with every response read.
    pub fn mailbox(&self) -> &Mailbox {
        &self.session.core.mailbox
    }

    /// The authenticated session, for commands valid in both states.
    pub fn session(&mut self) -> &mut Session<S> {
        &mut self.session
    }

    fn core(&mut self) -> &mut Core<S> {
        &mut self.session.core
    }

    /// CHECK.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn check(&mut self) -> Result<(), Error> {
        self.core().run(Command::new("CHECK")).map(|_| ())
    }

    /// EXPUNGE; returns the expunged sequence numbers in order.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn expunge(&mut self) -> Result<Vec<crate::SeqNum>, Error> {
        let (seen, _) = self.core().run(Command::new("EXPUNGE"))?;
        Ok(seen
            .into_iter()
            .filter_map(|u| {
                if let Untagged::Expunge(s) = u {
                    Some(s)
                } else {
                    None
                }
            })
            .collect())
    }

    /// UID EXPUNGE (UIDPLUS, RFC 4315).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UIDPLUS; rejection.
    pub fn uid_expunge(&mut self, uids: &SequenceSet) -> Result<(), Error> {
        if !self.core().has_capability("UIDPLUS") {
            return Err(Error::Unsupported("UID EXPUNGE"));
        }
        self.core()
            .run(Command::new("UID EXPUNGE").raw(&uids.to_string(), "uid set")?)
            .map(|_| ())
    }

    fn search_cmd(&mut self, verb: &'static str, criteria: &str) -> Result<Vec<u32>, Error> {
        let core = self.core();
        let cmd = Command::new(verb).search_keys(criteria, core.utf8(), !core.utf8_accept())?;
        let (seen, _) = core.run(cmd)?;
        // Only `* SEARCH` answers a plain SEARCH; an ESEARCH set is never
        // expanded here (see `uid_esearch`).
        Ok(seen
            .into_iter()
            .flat_map(|u| {
                if let Untagged::Search { numbers, .. } = u {
                    numbers
                } else {
                    Vec::new()
                }
            })
            .collect())
    }

    /// UID SEARCH RETURN (MIN MAX COUNT ALL) (ESEARCH, RFC 4731): the result
    /// as ranges, never expanded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ESEARCH; as [`search`](Self::search).
    pub fn uid_esearch(&mut self, criteria: &str) -> Result<crate::response::Esearch, Error> {
        if !self.core().has_capability("ESEARCH") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("ESEARCH"));
        }
        let core = self.core();
        let cmd = Command::new("UID SEARCH")
            .raw("RETURN (MIN MAX COUNT ALL)", "return options")?
            .search_keys(criteria, core.utf8(), !core.utf8_accept())?;
        let (seen, _) = self.core().run(cmd)?;
        Ok(seen
            .into_iter()
            .find_map(|u| {
                if let Untagged::Esearch(e) = u {
                    Some(e)
                } else {
                    None
                }
            })
            .unwrap_or(crate::response::Esearch {
                tag: None,
                uid: true,
                items: Vec::new(),
            }))
    }

    /// SEARCH with criteria as written (`UNSEEN FROM "bob"`); returns sequence numbers.
    ///
    /// # Errors
    /// Line breaks in criteria; rejection.
    pub fn search(&mut self, criteria: &str) -> Result<Vec<u32>, Error> {
        self.search_cmd("SEARCH", criteria)
    }

    /// UID SEARCH; returns UIDs.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub fn uid_search(&mut self, criteria: &str) -> Result<Vec<Uid>, Error> {
        self.search_cmd("UID SEARCH", criteria)
            .map(|v| v.into_iter().map(Uid).collect())
    }

    fn fetch_cmd(verb: &'static str, set: &SequenceSet, items: &str) -> Result<Command, Error> {
        Ok(Command::new(verb)
            .raw(&set.to_string(), "sequence set")?
            .raw(items, "fetch items")?)
    }

    /// FETCH with items as written (`(FLAGS UID)`, `BODY.PEEK[]`), all in memory.
    ///
    /// # Errors
    /// Rejection, limits, the connection.
    pub fn fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        let cmd = Self::fetch_cmd("FETCH", set, items)?;
        self.core().run(cmd).map(|(seen, _)| fetches(seen))
    }

    /// UID FETCH, all in memory.
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch).
    pub fn uid_fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        let cmd = Self::fetch_cmd("UID FETCH", set, items)?;
        self.core().run(cmd).map(|(seen, _)| fetches(seen))
    }

    /// FETCH whose body sections stream: see [`FetchStream`].
    ///
    /// # Errors
    /// Sending the command.
    pub fn fetch_stream(
        &mut self,
        set: &SequenceSet,
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("FETCH", std::slice::from_ref(set), items)
    }

    /// UID FETCH over several sets, pipelined: every command is sent before
    /// the first answer is read; events come in order.
    ///
    /// # Errors
    /// Sending the commands.
    pub fn uid_fetch_stream(
        &mut self,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("UID FETCH", sets, items)
    }

    fn stream_many(
        &mut self,
        verb: &'static str,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        let mut tags = VecDeque::new();
        let mut seen = Vec::new();
        for set in sets {
            let cmd = Self::fetch_cmd(verb, set, items)?;
            let tag = self.core().next_tag();
            self.core().queue_tagged(&tag, &cmd, &mut seen)?;
            tags.push_back(tag);
        }
        self.core().conn.flush()?;
        self.core().unsolicited.extend(seen);
        Ok(FetchStream::new(self.core(), tags, verb))
    }

    fn store_cmd(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        let action_ok = [
            "FLAGS",
            "+FLAGS",
            "-FLAGS",
            "FLAGS.SILENT",
            "+FLAGS.SILENT",
            "-FLAGS.SILENT",
        ]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action));
        if !action_ok {
            return Err(Error::Invalid(crate::EncodeError::NotAnAtom {
                what: "store action",
            }));
        }
        let cmd = Command::new(verb)
            .raw(&set.to_string(), "sequence set")?
            .raw(action, "store action")?
            .flag_list(flags)?;
        self.core().run(cmd).map(|(seen, _)| fetches(seen))
    }

    /// STORE (`+FLAGS`, `-FLAGS.SILENT`, ...); returns the FETCH responses.
    ///
    /// # Errors
    /// An unknown action or flag; rejection.
    pub fn store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("STORE", set, action, flags)
    }

    /// UID STORE.
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub fn uid_store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("UID STORE", set, action, flags)
    }

    fn transfer(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        let utf8 = self.core().utf8();
        let cmd = Command::new(verb)
            .raw(&set.to_string(), "sequence set")?
            .mailbox(mailbox, utf8)?;
        let (seen, done) = self.core().run(cmd)?;
        // MOVE sends COPYUID in an untagged OK (RFC 6851 §4.3).
        let untagged_code = seen.into_iter().find_map(|u| match u {
            Untagged::Status {
                text:
                    Text {
                        code: Some(c @ Code::CopyUid { .. }),
                        ..
                    },
                ..
            } => Some(c),
            _ => None,
        });
        Ok(done
            .text
            .code
            .filter(|c| matches!(c, Code::CopyUid { .. }))
            .or(untagged_code))
    }

    /// COPY; returns COPYUID when sent.
    ///
    /// # Errors
    /// Rejection (TRYCREATE included).
    pub fn copy(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("COPY", set, mailbox)
    }

    /// UID COPY.
    ///
    /// # Errors
    /// As [`copy`](Self::copy).
    pub fn uid_copy(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("UID COPY", set, mailbox)
    }

    /// MOVE (RFC 6851).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without MOVE; rejection.
    pub fn r#move(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        if !self.core().has_capability("MOVE") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("MOVE"));
        }
        self.transfer("MOVE", set, mailbox)
    }

    /// UID MOVE.
    ///
    /// # Errors
    /// As [`move`](Self::move).
    pub fn uid_move(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        if !self.core().has_capability("MOVE") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("MOVE"));
        }
        self.transfer("UID MOVE", set, mailbox)
    }

    /// IDLE: see [`Session::idle`].
    ///
    /// # Errors
    /// As [`Session::idle`].
    pub fn idle(
        &mut self,
        limit: Duration,
        stop: impl FnMut(&Untagged) -> bool,
        stop_now: impl FnMut() -> bool,
    ) -> Result<IdleOutcome, Error> {
        self.session.idle(limit, stop, stop_now)
    }

    /// NOOP.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.session.noop()
    }

    /// CLOSE: expunges `\Deleted` messages silently and leaves the mailbox.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn close(mut self) -> Result<Session<S>, Error> {
        self.core().run(Command::new("CLOSE"))?;
        self.session.core.mailbox = Mailbox::default();
        Ok(self.session)
    }

    /// UNSELECT (RFC 3691): leaves without expunging.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UNSELECT; rejection.
    pub fn unselect(mut self) -> Result<Session<S>, Error> {
        if !self.core().has_capability("UNSELECT") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("UNSELECT"));
        }
        self.core().run(Command::new("UNSELECT"))?;
        self.session.core.mailbox = Mailbox::default();
        Ok(self.session)
    }

    /// SELECT another mailbox; on failure the server has left the selected
    /// state, so the session comes back.
    ///
    /// # Errors
    /// `(error, session)` on rejection.
    pub fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Session<S>)> {
        self.session.select(mailbox)
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub fn logout(self) -> Result<(), Error> {
        self.session.logout()
    }
}

/// Flags of a message as strings, for display.
pub fn flag_names(flags: &[Flag]) -> Vec<&str> {
    flags.iter().map(|f| f.0.as_str()).collect()
}
