//! Errors: the server's `-ERR`, malformed replies, text that cannot go on
//! the wire, missing capabilities, and the connection layer below.

use std::{fmt, io};

use crate::response::Reply;

/// A reply that does not follow RFC 1939's grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What the parser expected, e.g. `"+OK or -ERR"`.
    pub expected: &'static str,
    /// A short, escaped excerpt of what arrived.
    pub found: String,
}

impl ParseError {
    pub(crate) fn new(expected: &'static str, found: &[u8]) -> Self {
        ParseError {
            expected,
            found: mail_wire::excerpt(found, 60),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, got \"{}\"", self.expected, self.found)
    }
}

impl std::error::Error for ParseError {}

/// User text that cannot be put on the wire as a POP3 command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// CR, LF or NUL inside an argument would end the command early.
    LineBreak {
        /// Which argument (`"user name"`, `"command"`...).
        what: &'static str,
        /// Byte offset in that argument.
        at: usize,
    },
    /// An argument that must not be empty was.
    Empty {
        /// Which argument.
        what: &'static str,
    },
    /// A user name, password or token a SASL mechanism cannot carry
    /// (NUL in PLAIN, `\x01` in XOAUTH2).
    Sasl(mail_wire::sasl::SaslError),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::LineBreak { what, at } => {
                write!(f, "the {what} contains CR, LF or NUL at byte {at}")
            }
            EncodeError::Empty { what } => write!(f, "the {what} is empty"),
            EncodeError::Sasl(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<mail_wire::sasl::SaslError> for EncodeError {
    fn from(err: mail_wire::sasl::SaslError) -> Self {
        EncodeError::Sasl(err)
    }
}

/// Everything a POP3 operation can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered `-ERR`; the whole reply is kept.
    Rejected {
        /// The command's verb (never the sent line, so no secret leaks).
        command: &'static str,
        /// The server's reply.
        reply: Reply,
    },
    /// The server's bytes are not a valid reply.
    Protocol(ParseError),
    /// Text given by the caller cannot go on the wire.
    Invalid(EncodeError),
    /// The server does not offer what was asked (`STLS`, `APOP`, a SASL mechanism).
    Unsupported(&'static str),
    /// A step the session cannot take now: a command after QUIT or between
    /// the STLS go-ahead and the TLS handshake, a SASL response without a
    /// challenge.
    OutOfSequence(&'static str),
    /// The server offers no way to log in before TLS and offers STLS: the
    /// connection must be protected first (RFC 2595 §4).
    TlsRequired,
    /// Writing a message to the caller's writer (a file, say) failed; the
    /// connection itself is still fine.
    Output(io::Error),
    /// Connecting, TLS, a time-out, a limit, or the connection closing.
    Wire(mail_wire::Error),
}

impl Error {
    /// The server's reply for a rejection.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Rejected { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// True when the server rejected a login (USER/PASS, APOP or AUTH).
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            Error::Rejected {
                command: "USER" | "PASS" | "APOP" | "AUTH",
                ..
            }
        )
    }

    /// True when the server answered `-ERR` to a command other than a login.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Error::Rejected { .. }) && !self.is_auth_failure()
    }

    /// True when the server broke the protocol or a limit (as opposed to a
    /// rejection, a connection failure or a local problem).
    pub fn is_protocol_violation(&self) -> bool {
        match self {
            Error::Protocol(_) => true,
            Error::Wire(err) => err.is_protocol_violation(),
            _ => false,
        }
    }

    /// True for connection, TLS and time-out failures.
    pub fn is_wire(&self) -> bool {
        matches!(self, Error::Wire(err) if !err.is_protocol_violation())
    }

    /// True when the server wants TLS before any login (RFC 2595 §4).
    pub fn is_tls_required(&self) -> bool {
        matches!(self, Error::TlsRequired)
    }

    /// True when the caller's input cannot go on the wire: nothing was sent for it.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// True when trying again later may work: a mailbox in use or a
    /// temporary failure (RFC 2449 `[IN-USE]`, RFC 3206 `[SYS/TEMP]`), a
    /// time-out, a lost connection.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Rejected { reply, .. } => reply.code().is_some_and(|code| {
                code.eq_ignore_ascii_case("IN-USE") || code.eq_ignore_ascii_case("SYS/TEMP")
            }),
            Error::Wire(err) => matches!(err, mail_wire::Error::Timeout | mail_wire::Error::Closed),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rejected { command, reply } => write!(f, "server rejected {command}: {reply}"),
            Error::Protocol(err) => write!(f, "malformed POP3 reply: {err}"),
            Error::Invalid(err) => write!(f, "cannot send the command: {err}"),
            Error::Unsupported(what) => write!(f, "the server does not offer {what}"),
            Error::OutOfSequence(what) => write!(f, "out of sequence: {what}"),
            Error::TlsRequired => f.write_str(
                "the server requires TLS before login (it offers STLS and no login without it)",
            ),
            Error::Output(err) => write!(f, "cannot write the message: {err}"),
            Error::Wire(err) => err.fmt(f),
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

impl From<mail_wire::Error> for Error {
    fn from(err: mail_wire::Error) -> Self {
        Error::Wire(err)
    }
}

impl From<ParseError> for Error {
    fn from(err: ParseError) -> Self {
        Error::Protocol(err)
    }
}

impl From<EncodeError> for Error {
    fn from(err: EncodeError) -> Self {
        Error::Invalid(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::Status;

    fn rejected(command: &'static str, text: &str) -> Error {
        Error::Rejected {
            command,
            reply: Reply {
                status: Status::Err,
                text: text.to_owned(),
            },
        }
    }

    #[test]
    fn predicates_tell_a_refused_login_from_a_refused_command() {
        let login = rejected("PASS", "invalid login");
        assert!(login.is_auth_failure() && !login.is_rejected() && !login.is_transient());
        let retr = rejected("RETR", "no such message");
        assert!(retr.is_rejected() && !retr.is_auth_failure() && retr.reply().is_some());
    }

    #[test]
    fn in_use_and_sys_temp_codes_are_transient() {
        assert!(rejected("PASS", "[IN-USE] mailbox locked").is_transient());
        assert!(rejected("RETR", "[SYS/TEMP] try later").is_transient());
        assert!(!rejected("PASS", "[AUTH] wrong password").is_transient());
    }

    #[test]
    fn wire_tls_and_input_predicates() {
        assert!(Error::Wire(mail_wire::Error::Timeout).is_wire());
        assert!(Error::Wire(mail_wire::Error::Timeout).is_transient());
        let long = Error::Wire(mail_wire::Error::LineTooLong { limit: 1 });
        assert!(long.is_protocol_violation() && !long.is_wire());
        assert!(Error::TlsRequired.is_tls_required() && !Error::TlsRequired.is_wire());
        assert!(Error::Invalid(EncodeError::Empty { what: "user name" }).is_invalid_input());
    }
}
