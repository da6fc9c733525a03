//! What happened to each recipient of an MX delivery, and to each host tried.

use std::fmt;
use std::net::SocketAddr;

use super::ResolveError;
use crate::Reply;

/// How the session that carried a message was protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsUse {
    /// No TLS: the host offered no STARTTLS (or refused it) and TLS was
    /// only opportunistic.
    None,
    /// STARTTLS with the certificate checked against the MX host name.
    Verified,
    /// STARTTLS without certificate checks (opportunistic encryption,
    /// RFC 7435), after a checked handshake had failed; or `--insecure`.
    Unverified,
}

impl fmt::Display for TlsUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsUse::None => "without TLS",
            TlsUse::Verified => "over TLS (certificate verified)",
            TlsUse::Unverified => "over TLS (certificate not verified)",
        })
    }
}

/// Why a host, or a recipient, did not take the message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The recipient domain's hosts could not be found.
    Dns(ResolveError),
    /// The domain publishes a null MX (RFC 7505): it accepts no mail.
    NullMx {
        /// The domain.
        domain: String,
    },
    /// An MX host's name did not resolve; the host was skipped.
    HostUnresolved {
        /// The MX host.
        host: String,
        /// Why.
        error: ResolveError,
    },
    /// No TCP connection (refused, unreachable, timed out).
    Connect {
        /// The MX host.
        host: String,
        /// The address tried.
        addr: SocketAddr,
        /// The system's reason.
        reason: String,
    },
    /// The host answered with a 4xx or 5xx reply: to the greeting (`the
    /// connection`), EHLO, STARTTLS, MAIL, RCPT, DATA or BDAT.
    Reply {
        /// The MX host.
        host: String,
        /// The command's verb.
        command: &'static str,
        /// The host's whole reply.
        reply: Reply,
    },
    /// TLS was required and the host does not offer STARTTLS.
    TlsUnavailable {
        /// The MX host.
        host: String,
    },
    /// The TLS handshake or the certificate check failed.
    Tls {
        /// The MX host.
        host: String,
        /// The reason.
        reason: String,
    },
    /// The session broke down (lost connection, time-out, a reply that is
    /// not SMTP, a limit), or the host cannot take this message (no
    /// SMTPUTF8, over its SIZE).
    Session {
        /// The MX host.
        host: String,
        /// The client's error, as a sentence.
        reason: String,
        /// True when trying again cannot help (the message exceeds the
        /// host's SIZE, the host lacks a needed extension).
        permanent: bool,
    },
    /// An address or name cannot go on the wire (a line break in it, an
    /// empty recipient); no host would take it.
    Invalid {
        /// The reason.
        reason: String,
    },
    /// The message body could not be read (a local problem: no host was
    /// blamed and no further host tried).
    Body {
        /// The reason.
        reason: String,
    },
}

impl Failure {
    /// True when trying again cannot help: a 5xx reply, a null MX, a
    /// domain that does not exist.
    pub fn is_permanent(&self) -> bool {
        match self {
            Failure::Dns(err) => err.is_permanent(),
            Failure::NullMx { .. } | Failure::Invalid { .. } => true,
            Failure::Reply { reply, .. } => reply.code().is_permanent(),
            Failure::Session { permanent, .. } => *permanent,
            Failure::HostUnresolved { .. }
            | Failure::Connect { .. }
            | Failure::TlsUnavailable { .. }
            | Failure::Tls { .. }
            | Failure::Body { .. } => false,
        }
    }

    /// The host's reply, when the failure is one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Failure::Reply { reply, .. } => Some(reply),
            _ => None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Dns(err) => err.fmt(f),
            Failure::NullMx { domain } => write!(f, "domain {domain} accepts no mail (null MX)"),
            Failure::HostUnresolved { host, error } => write!(f, "MX host {host} skipped: {error}"),
            Failure::Connect { host, addr, reason } => {
                write!(f, "cannot connect to {host} [{addr}]: {reason}")
            }
            Failure::Reply {
                host,
                command,
                reply,
            } => write!(f, "{host} rejected {command}: {reply}"),
            Failure::TlsUnavailable { host } => {
                write!(f, "{host} does not offer STARTTLS, and TLS is required")
            }
            Failure::Tls { host, reason } => write!(f, "TLS with {host} failed: {reason}"),
            Failure::Session { host, reason, .. } => {
                write!(f, "session with {host} failed: {reason}")
            }
            Failure::Invalid { reason } => f.write_str(reason),
            Failure::Body { reason } => write!(f, "cannot read the message body: {reason}"),
        }
    }
}

impl std::error::Error for Failure {}

/// The final word for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A host accepted the message for this recipient.
    Delivered {
        /// The MX host name.
        host: String,
        /// The address the session ran to.
        addr: SocketAddr,
        /// How the session was protected.
        tls: TlsUse,
        /// The host's reply after the message (`250 2.0.0 Ok: queued as ...`).
        reply: Reply,
    },
    /// Refused for good: a 5xx reply, a null MX, a domain that does not
    /// exist. No further host was tried after it.
    Refused(Failure),
    /// Not delivered after every host was tried, for a reason that may pass
    /// (4xx, connection refused, no TLS when required): the last failure.
    Deferred(Failure),
}

impl Outcome {
    /// True when delivered.
    pub fn is_delivered(&self) -> bool {
        matches!(self, Outcome::Delivered { .. })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Delivered {
                host,
                addr,
                tls,
                reply,
            } => {
                write!(f, "delivered to {host} [{}] {tls}: {reply}", addr.ip())
            }
            Outcome::Refused(failure) => write!(f, "refused: {failure}"),
            Outcome::Deferred(failure) => write!(f, "not delivered (temporary failure): {failure}"),
        }
    }
}

/// One recipient and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReport {
    /// The address as given.
    pub recipient: String,
    /// What happened.
    pub outcome: Outcome,
}

/// One try at one address of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The MX host name.
    pub host: String,
    /// The address tried; `None` when the host name did not resolve.
    pub addr: Option<SocketAddr>,
    /// `Ok` with the session's protection when the message transaction
    /// took place (recipients may still have been refused), or why the
    /// host could not be used.
    pub result: Result<TlsUse, Failure>,
}

/// One recipient domain: the hosts tried and each recipient's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainReport {
    /// The domain.
    pub domain: String,
    /// Every try, in order.
    pub attempts: Vec<Attempt>,
    /// Each recipient of the domain, in the order given.
    pub recipients: Vec<RecipientReport>,
}

/// The outcome of [`deliver`](super::deliver), per domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MxReport {
    /// One entry per recipient domain, in first-seen order.
    pub domains: Vec<DomainReport>,
}

impl MxReport {
    /// Every recipient with its outcome, domain by domain.
    pub fn recipients(&self) -> impl Iterator<Item = &RecipientReport> {
        self.domains
            .iter()
            .flat_map(|domain| domain.recipients.iter())
    }

    /// True when every recipient was delivered.
    pub fn all_delivered(&self) -> bool {
        self.recipients().all(|r| r.outcome.is_delivered())
    }

    /// The outcome for one recipient (exact spelling as given).
    pub fn outcome(&self, recipient: &str) -> Option<&Outcome> {
        self.recipients()
            .find(|r| r.recipient == recipient)
            .map(|r| &r.outcome)
    }
}
