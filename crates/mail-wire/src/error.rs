//! Errors of the connection layer.

use std::{fmt, io, path::PathBuf};

use crate::CertProblem;

/// What can go wrong below the protocol: reaching the server, TLS, time,
/// and the limits that protect us from a hostile peer.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The host name did not resolve to any address.
    Resolve {
        /// The name looked up.
        host: String,
        /// Why it failed.
        source: io::Error,
    },
    /// No address of the server accepted a TCP connection.
    Connect {
        /// `host:port` as asked.
        server: String,
        /// The last failure.
        source: io::Error,
    },
    /// The TLS handshake failed (an untrusted or mismatched certificate included).
    Tls {
        /// The name the certificate was checked against.
        host: String,
        /// The TLS library's reason.
        reason: String,
    },
    /// The server's certificate was refused.
    Certificate {
        /// The name the certificate was checked against.
        host: String,
        /// Why, with what to do about it.
        problem: CertProblem,
    },
    /// A CA file given for extra trust could not be read or parsed.
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// The server did not answer within the configured time.
    Timeout,
    /// The server closed the connection where more was expected.
    Closed,
    /// A line from the server exceeded `Limits::max_line` without a line end.
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The server announced a literal or message beyond `Limits::max_literal`.
    LiteralTooLarge {
        /// The announced size.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// Bytes arrived after the server's STARTTLS go-ahead and before the
    /// handshake: they could be injected responses, so the upgrade is refused.
    BufferedAfterStartTls {
        /// How many bytes were waiting.
        bytes: usize,
    },
    /// A line to send contains CR, LF or NUL, which would end it early.
    LineBreak {
        /// Byte offset of the offending character in the line.
        at: usize,
    },
    /// STARTTLS was asked on a connection that is already TLS.
    AlreadyTls,
    /// An earlier operation on this (async) connection was cancelled, its
    /// future dropped, before it finished: the exchange with the server is
    /// in an unknown state, so nothing more is sent on it. Reconnect.
    Abandoned,
    /// Any other I/O failure.
    Io(io::Error),
}

impl Error {
    /// The TLS library's reason, for [`Error::Tls`].
    pub fn tls_reason(&self) -> Option<&str> {
        match self {
            Error::Tls { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// True for a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout)
    }

    /// True when the peer broke a limit or the protocol (exit code 6 in the
    /// binaries), as opposed to a connection, TLS or time failure (exit 3).
    pub fn is_protocol_violation(&self) -> bool {
        matches!(
            self,
            Error::LineTooLong { .. }
                | Error::LiteralTooLarge { .. }
                | Error::BufferedAfterStartTls { .. }
        )
    }

    /// Maps an I/O error from a socket, turning time-outs and EOF into their variants.
    pub fn from_io(err: io::Error) -> Self {
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout,
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Error::Closed,
            _ => Error::Io(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolve { host, source } => write!(f, "cannot resolve {host}: {source}"),
            Error::Connect { server, source } => write!(f, "cannot connect to {server}: {source}"),
            Error::Tls { host, reason } => write!(f, "TLS with {host} failed: {reason}"),
            Error::Certificate { host, problem } => {
                write!(f, "cannot trust the certificate of {host}: it is {problem}; {}", problem.remedy())
            }
            Error::CaFile { path, reason } => write!(f, "cannot use CA file {}: {reason}", path.display()),
            Error::Timeout => f.write_str("the server did not answer in time"),
            Error::Closed => f.write_str("the server closed the connection"),
            Error::LineTooLong { limit } => write!(f, "the server sent a line longer than {limit} bytes"),
            Error::LiteralTooLarge { size, limit } => {
                write!(f, "the server announced {size} bytes, more than the limit of {limit}")
            }
            Error::BufferedAfterStartTls { bytes } => write!(
                f,
                "the server sent {bytes} unexpected bytes after the STARTTLS go-ahead (possible response injection)"
            ),
            Error::LineBreak { at } => write!(f, "refusing to send a line with CR, LF or NUL at byte {at}"),
            Error::AlreadyTls => f.write_str("the connection already uses TLS"),
            Error::Abandoned => f.write_str(
                "an earlier operation on this connection was cancelled before it finished; reconnect",
            ),
            Error::Io(err) => write!(f, "network error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    // Display already says the cause, so the cause is not also returned
    // here: a chain printer (`{:#}`, anyhow) would print it twice.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::from_io(err)
    }
}
