//! The crate's error type.

use std::fmt;

use mail_wire::escape_for_display;

use crate::command::EncodeError;
use crate::response::{Code, ParseError, Status, Tagged};

/// What can go wrong in an IMAP session.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered NO or BAD; the whole completion is kept.
    Rejected {
        /// The command's verb.
        command: &'static str,
        /// The tagged completion.
        reply: Box<Tagged>,
    },
    /// The server rejected AUTHENTICATE after an error challenge (XOAUTH2
    /// sends its reason as base64 JSON before the tagged NO).
    SaslRejected {
        /// The mechanism.
        mechanism: &'static str,
        /// The decoded challenge.
        detail: String,
        /// The tagged completion.
        reply: Box<Tagged>,
    },
    /// The server disabled LOGIN (`LOGINDISABLED`) on a connection without
    /// TLS: credentials would travel in clear (RFC 3501 §6.2.3).
    TlsRequired,
    /// The server answered with a referral (RFC 2221), which is never followed.
    Referral {
        /// The command's verb.
        command: &'static str,
        /// The URL the server pointed to.
        url: String,
    },
    /// The server sent BYE and closed the connection.
    Bye {
        /// The BYE text.
        text: String,
    },
    /// A response that is not valid IMAP.
    Protocol(ParseError),
    /// A tagged completion for a tag we did not send or are not waiting for.
    UnexpectedTag {
        /// The tag we waited for.
        expected: String,
        /// The tag that came.
        got: String,
    },
    /// The server said something the session cannot accept at this point.
    Unexpected(String),
    /// The greeting was PREAUTH although TLS was asked for, so STARTTLS can no
    /// longer happen (RFC 9051 §6.2.1 warns of this downgrade).
    PreauthWithoutTls,
    /// A literal or response beyond the configured limit.
    TooLarge {
        /// The announced size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// An argument that cannot be written as IMAP.
    Invalid(EncodeError),
    /// The server lacks a capability the operation needs.
    Unsupported(&'static str),
    /// Connect, TLS, time-out, line limit or I/O.
    Wire(mail_wire::Error),
}

impl Error {
    /// The tagged completion of a rejection.
    pub fn reply(&self) -> Option<&Tagged> {
        match self {
            Error::Rejected { reply, .. } | Error::SaslRejected { reply, .. } => Some(reply),
            _ => None,
        }
    }

    /// True when the server rejected a LOGIN or AUTHENTICATE.
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            Error::Rejected {
                command: "LOGIN" | "AUTHENTICATE",
                ..
            } | Error::SaslRejected { .. }
        )
    }

    /// True when the server answered NO or BAD to a command other than a login.
    pub fn is_rejected(&self) -> bool {
        matches!(self, Error::Rejected { .. }) && !self.is_auth_failure()
    }

    /// True for connection, TLS and time-out failures, and a server that
    /// said BYE.
    pub fn is_wire(&self) -> bool {
        matches!(self, Error::Bye { .. })
            || matches!(self, Error::Wire(_)) && !self.is_protocol_violation()
    }

    /// True when the server disabled login before TLS (`LOGINDISABLED`).
    pub fn is_tls_required(&self) -> bool {
        matches!(self, Error::TlsRequired)
    }

    /// True when the caller's input cannot go on the wire: nothing was sent for it.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// True when trying again later may work: a `[UNAVAILABLE]` or
    /// `[INUSE]` response code (RFC 5530), a time-out, a lost connection.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Rejected { reply, .. } => {
                matches!(&reply.text.code, Some(Code::Other { name, .. }) if name.eq_ignore_ascii_case("UNAVAILABLE") || name.eq_ignore_ascii_case("INUSE"))
            }
            Error::Wire(err) => matches!(err, mail_wire::Error::Timeout | mail_wire::Error::Closed),
            _ => false,
        }
    }

    /// True when the server broke the protocol or a limit.
    pub fn is_protocol_violation(&self) -> bool {
        matches!(
            self,
            Error::Protocol(_)
                | Error::UnexpectedTag { .. }
                | Error::Unexpected(_)
                | Error::TooLarge { .. }
                | Error::PreauthWithoutTls
        ) || matches!(
            self,
            Error::Wire(
                mail_wire::Error::LineTooLong { .. } | mail_wire::Error::LiteralTooLarge { .. }
            )
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rejected { command, reply } => {
                let status = if reply.status == Status::Bad {
                    "refused"
                } else {
                    "rejected"
                };
                write!(
                    f,
                    "server {status} {command}: {} {}",
                    reply.status, reply.text
                )
            }
            Error::SaslRejected {
                mechanism,
                detail,
                reply,
            } => write!(
                f,
                "server rejected AUTHENTICATE {mechanism}: {} {} ({})",
                reply.status,
                reply.text,
                escape_for_display(detail.as_bytes())
            ),
            Error::TlsRequired => f.write_str(
                "the server requires TLS before login (LOGINDISABLED on a connection without TLS)",
            ),
            Error::Referral { command, url } => {
                write!(
                    f,
                    "server referred {command} to {} (referrals are not followed)",
                    escape_for_display(url.as_bytes())
                )
            }
            Error::Bye { text } => write!(
                f,
                "server closed the connection: BYE {}",
                escape_for_display(text.as_bytes())
            ),
            Error::Protocol(err) => write!(f, "server broke the IMAP protocol: {err}"),
            Error::UnexpectedTag { expected, got } => {
                write!(
                    f,
                    "server answered tag {} while tag {expected} was pending",
                    escape_for_display(got.as_bytes())
                )
            }
            Error::Unexpected(what) => write!(
                f,
                "unexpected server response: {}",
                escape_for_display(what.as_bytes())
            ),
            Error::PreauthWithoutTls => {
                f.write_str("server greeted with PREAUTH although STARTTLS was required")
            }
            Error::TooLarge { size, limit } => {
                write!(
                    f,
                    "server announced {size} bytes, beyond the limit of {limit}"
                )
            }
            Error::Invalid(err) => write!(f, "cannot send the command: {err}"),
            Error::Unsupported(what) => write!(f, "server does not support {what}"),
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
        match err {
            mail_wire::Error::LiteralTooLarge { size, limit } => Error::TooLarge { size, limit },
            err => Error::Wire(err),
        }
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

/// Maps a NO/BAD completion to an error, a REFERRAL to [`Error::Referral`].
pub(crate) fn rejection(command: &'static str, reply: Tagged) -> Error {
    if let Some(Code::Referral(url)) = &reply.text.code {
        return Error::Referral {
            command,
            url: url.clone(),
        };
    }
    Error::Rejected {
        command,
        reply: Box::new(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{parse_response, Response};

    fn rejected(command: &'static str, line: &[u8]) -> Error {
        match parse_response(line) {
            Ok((Response::Tagged(tagged), _)) => rejection(command, tagged),
            other => panic!("not a tagged completion: {other:?}"),
        }
    }

    #[test]
    fn predicates_tell_a_refused_login_from_a_refused_command() {
        let login = rejected("LOGIN", b"a1 NO [AUTHENTICATIONFAILED] nope\r\n");
        assert!(login.is_auth_failure() && !login.is_rejected() && !login.is_transient());
        let select = rejected("SELECT", b"a2 NO [NONEXISTENT] no such mailbox\r\n");
        assert!(select.is_rejected() && !select.is_auth_failure() && select.reply().is_some());
    }

    #[test]
    fn unavailable_and_inuse_codes_are_transient() {
        assert!(rejected("LOGIN", b"a1 NO [UNAVAILABLE] backend down\r\n").is_transient());
        assert!(rejected("SELECT", b"a2 NO [INUSE] mailbox locked\r\n").is_transient());
    }

    #[test]
    fn wire_tls_and_input_predicates() {
        assert!(Error::Wire(mail_wire::Error::Timeout).is_wire());
        assert!(Error::Wire(mail_wire::Error::Timeout).is_transient());
        let long = Error::Wire(mail_wire::Error::LineTooLong { limit: 1 });
        assert!(long.is_protocol_violation() && !long.is_wire());
        assert!(Error::Bye { text: "bye".into() }.is_wire());
        assert!(Error::TlsRequired.is_tls_required());
        assert!(Error::Invalid(EncodeError::Empty { what: "mailbox" }).is_invalid_input());
    }
}
