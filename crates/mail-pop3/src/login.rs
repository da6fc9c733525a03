//! What both drivers know in the AUTHORIZATION state (RFC 1939 §4): the
//! greeting, the capabilities last seen, and the decisions taken from them
//! before a byte is sent (which login, whether STLS or a mechanism is
//! offered, the APOP digest). No I/O.

use mail_wire::sasl::Mechanism;
use mail_wire::Secret;

use crate::error::Error;
use crate::response::{Capabilities, Greeting};

/// The login [`Client::login_auto`](crate::Client::login_auto) chose from the capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// `USER` and `PASS` (RFC 1939 §7).
    UserPass,
    /// `AUTH` with this mechanism (RFC 5034).
    Sasl(Mechanism),
}

/// The AUTHORIZATION state's knowledge, shared by the blocking and the
/// async client.
#[derive(Debug, Clone)]
pub(crate) struct Authorization {
    pub(crate) greeting: Greeting,
    pub(crate) capabilities: Option<Capabilities>,
    /// The server answered CAPA with -ERR: an RFC 1939 server without RFC 2449.
    pub(crate) capa_refused: bool,
}

impl Authorization {
    pub(crate) fn new(greeting: Greeting) -> Self {
        Authorization {
            greeting,
            capabilities: None,
            capa_refused: false,
        }
    }

    /// Records the answer to CAPA: its lines, or `None` for `-ERR`.
    pub(crate) fn set_capa(&mut self, lines: Option<&[Vec<u8>]>) -> &Capabilities {
        self.capa_refused = lines.is_none();
        self.capabilities.insert(crate::drive::capabilities(lines))
    }

    /// After TLS: what was seen before must be asked again.
    pub(crate) fn forget_capabilities(&mut self) {
        self.capabilities = None;
        self.capa_refused = false;
    }

    /// See [`Client::choose_login`](crate::Client::choose_login).
    pub(crate) fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error> {
        let caps = match &self.capabilities {
            Some(caps) if !self.capa_refused => caps,
            _ => return Ok(LoginMethod::UserPass),
        };
        if caps.has("USER") {
            return Ok(LoginMethod::UserPass);
        }
        let offered: Vec<Mechanism> = caps
            .sasl_mechanisms()
            .iter()
            .filter_map(|m| Mechanism::from_name(m))
            .collect();
        if let Some(mechanism) = Mechanism::best(&offered, tls) {
            return Ok(LoginMethod::Sasl(mechanism));
        }
        if !tls && caps.has("STLS") {
            return Err(Error::TlsRequired);
        }
        Err(Error::Unsupported("USER or SASL PLAIN, LOGIN or CRAM-MD5"))
    }

    /// `Unsupported` when CAPA was asked and does not list `mechanism`.
    pub(crate) fn check_mechanism(&self, mechanism: Mechanism) -> Result<(), Error> {
        let offered = self.capabilities.as_ref().map(|c| {
            c.sasl_mechanisms()
                .iter()
                .any(|m| m.eq_ignore_ascii_case(mechanism.name()))
        });
        if offered == Some(false) {
            return Err(Error::Unsupported(mechanism.name()));
        }
        Ok(())
    }

    /// `Unsupported` unless the capabilities (asked before) list STLS.
    pub(crate) fn check_stls(&self) -> Result<(), Error> {
        if self.capabilities.as_ref().is_some_and(|c| c.has("STLS")) {
            Ok(())
        } else {
            Err(Error::Unsupported("STLS"))
        }
    }

    /// The APOP digest for the greeting's timestamp (RFC 1939 §7).
    pub(crate) fn apop_digest(&self, pass: &Secret) -> Result<Secret, Error> {
        match self.greeting.timestamp.as_deref() {
            None => Err(Error::Unsupported("APOP (no timestamp in the greeting)")),
            Some(stamp) => Ok(crate::apop::apop_digest(stamp, pass)),
        }
    }
}

/// Bytes still buffered after the STLS go-ahead would be read as if they
/// came through TLS: refused (response injection, the CVE-2011-0411 class).
pub(crate) fn check_nothing_buffered(buffered: usize) -> Result<(), Error> {
    if buffered > 0 {
        return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
            bytes: buffered,
        }));
    }
    Ok(())
}
