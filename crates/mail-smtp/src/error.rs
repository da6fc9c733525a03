//! The crate's errors: `Error` for the client, `ParseError` for replies and
//! `EncodeError` for commands.

use std::fmt;

use crate::reply::{Reply, ReplyCode};

/// A reply that is not valid SMTP (RFC 5321 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Expected `NNN`, `NNN text` or `NNN-text` with a code from 200 to 599.
    Malformed {
        /// The start of the line, escaped.
        excerpt: String,
    },
    /// A multi-line reply changed its code part way.
    MixedCodes {
        /// The code of the first line.
        first: ReplyCode,
        /// The different code that followed.
        then: ReplyCode,
    },
    /// A reply had more lines than allowed.
    TooManyLines {
        /// The limit.
        limit: usize,
    },
    /// Reply bytes arrived while no command was waiting for one.
    Unsolicited {
        /// The start of the bytes, escaped.
        excerpt: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Malformed { excerpt } => {
                write!(f, "expected a reply line like `250 text`, got `{excerpt}`")
            }
            ParseError::MixedCodes { first, then } => {
                write!(
                    f,
                    "a multi-line reply started with {first} and continued with {then}"
                )
            }
            ParseError::TooManyLines { limit } => write!(f, "a reply had more than {limit} lines"),
            ParseError::Unsolicited { excerpt } => {
                write!(f, "a reply to no command sent: `{excerpt}`")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// A value that cannot be put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// CR, LF or NUL in user text would end the command early.
    LineBreak {
        /// What held it ("recipient", "sender", "HELO name"...).
        what: &'static str,
        /// Byte offset of the character.
        at: usize,
    },
    /// A character not allowed there (`<`, `>`, a space, a control character...).
    Forbidden {
        /// What held it.
        what: &'static str,
        /// Byte offset of the character.
        at: usize,
    },
    /// An empty value where one is required.
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// A user name, password or token a SASL mechanism cannot carry
    /// (NUL in PLAIN, `\x01` in XOAUTH2).
    Sasl(mail_wire::sasl::SaslError),
    /// A command line over the RFC 5321 §4.5.3.1.4 limit of 512 octets.
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::LineBreak { what, at } => {
                write!(f, "refusing to send the {what}: CR, LF or NUL at byte {at}")
            }
            EncodeError::Forbidden { what, at } => {
                write!(
                    f,
                    "refusing to send the {what}: forbidden character at byte {at}"
                )
            }
            EncodeError::Empty { what } => write!(f, "the {what} is empty"),
            EncodeError::TooLong { what, len } => write!(f, "the {what} is too long ({len} bytes)"),
            EncodeError::Sasl(err) => write!(f, "refusing to send the SASL response: {err}"),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<mail_wire::sasl::SaslError> for EncodeError {
    fn from(err: mail_wire::sasl::SaslError) -> Self {
        EncodeError::Sasl(err)
    }
}

impl From<mail_wire::sasl::SaslError> for Error {
    fn from(err: mail_wire::sasl::SaslError) -> Self {
        Error::Invalid(err.into())
    }
}

/// Everything that can go wrong in an SMTP session.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered a command with 4xx or 5xx; the whole reply is kept.
    Rejected {
        /// The command's verb (`MAIL`, `RCPT`, `DATA`...), never the line sent.
        command: &'static str,
        /// The server's reply.
        reply: Reply,
    },
    /// The server refused the credentials (RFC 4954 §6: 535, 534, 454...).
    AuthRejected {
        /// The mechanism tried.
        mechanism: &'static str,
        /// The server's reply.
        reply: Reply,
    },
    /// Every recipient was refused, so nothing was sent (RSET was issued).
    AllRecipientsRejected {
        /// Each recipient with the server's reply.
        rejected: Vec<(String, Reply)>,
    },
    /// The server's bytes are not a valid reply.
    Protocol(ParseError),
    /// The server answered with a code the command does not allow (a 354
    /// after MAIL, a 334 after DATA...).
    UnexpectedReply {
        /// The command's verb.
        command: &'static str,
        /// The reply.
        reply: Reply,
    },
    /// A value cannot go on the wire.
    Invalid(EncodeError),
    /// The server does not offer what is needed: `STARTTLS`, `AUTH PLAIN`,
    /// `SMTPUTF8`, `8BITMIME`, `DSN`, `AUTH`.
    Unsupported(&'static str),
    /// Credentials would travel without TLS; set `Options::allow_plaintext_auth` to allow it.
    PlaintextAuth,
    /// The message is larger than the server's announced SIZE (RFC 1870).
    TooLarge {
        /// The message size.
        size: u64,
        /// The server's limit.
        limit: u64,
    },
    /// Reading the message body failed.
    Body(std::io::Error),
    /// An earlier error left the session out of step with the server (a
    /// reply not read whole, a message body cut short); connect again.
    Broken,
    /// Connecting, TLS, time-outs, limits of the connection layer.
    Wire(mail_wire::Error),
    /// A call the session's state does not allow (a command between the
    /// STARTTLS go-ahead and the handshake, message data before 354...);
    /// nothing was queued.
    OutOfSequence(&'static str),
}

impl Error {
    /// The server's reply, when there was one.
    pub fn reply(&self) -> Option<&Reply> {
        match self {
            Error::Rejected { reply, .. }
            | Error::AuthRejected { reply, .. }
            | Error::UnexpectedReply { reply, .. } => Some(reply),
            Error::AllRecipientsRejected { rejected } => rejected.first().map(|(_, reply)| reply),
            _ => None,
        }
    }

    /// True when the server refused the credentials (exit code 4).
    pub fn is_auth_failure(&self) -> bool {
        matches!(self, Error::AuthRejected { .. })
    }

    /// True when credentials would have travelled without TLS and nothing
    /// was sent: connect with TLS (or allow plaintext AUTH explicitly).
    pub fn is_tls_required(&self) -> bool {
        matches!(self, Error::PlaintextAuth)
    }

    /// True when the server rejected a command or the message (exit code 5).
    pub fn is_rejected(&self) -> bool {
        matches!(
            self,
            Error::Rejected { .. } | Error::AllRecipientsRejected { .. } | Error::TooLarge { .. }
        )
    }

    /// True when the server broke the protocol or a limit (exit code 6).
    pub fn is_protocol_violation(&self) -> bool {
        match self {
            Error::Protocol(_) | Error::UnexpectedReply { .. } => true,
            Error::Wire(err) => err.is_protocol_violation(),
            _ => false,
        }
    }

    /// True for connection, TLS and time-out failures (exit code 3), and for
    /// a session an earlier such failure left unusable.
    pub fn is_wire(&self) -> bool {
        matches!(self, Error::Wire(err) if !err.is_protocol_violation())
            || matches!(self, Error::Broken)
    }

    /// True when the caller's input cannot go on the wire (a line break in
    /// an address, an empty recipient list): nothing was sent for it.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::Invalid(_))
    }

    /// True when trying again later may work: a 4xx reply, a time-out, a lost connection.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Rejected { reply, .. } | Error::AuthRejected { reply, .. } => {
                reply.code().is_transient()
            }
            Error::AllRecipientsRejected { rejected } => rejected
                .iter()
                .all(|(_, reply)| reply.code().is_transient()),
            Error::Wire(err) => matches!(err, mail_wire::Error::Timeout | mail_wire::Error::Closed),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Rejected { command, reply } => write!(f, "server rejected {command}: {reply}"),
            Error::AuthRejected { mechanism, reply } => {
                write!(
                    f,
                    "server rejected authentication with {mechanism}: {reply}"
                )
            }
            Error::AllRecipientsRejected { rejected } => {
                f.write_str("server rejected RCPT for every recipient")?;
                for (i, (rcpt, reply)) in rejected.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(
                        f,
                        "{sep}{} ({reply})",
                        mail_wire::escape_for_display(rcpt.as_bytes())
                    )?;
                }
                Ok(())
            }
            Error::Protocol(err) => write!(f, "server broke the SMTP protocol: {err}"),
            Error::UnexpectedReply { command, reply } => {
                write!(f, "server sent an unexpected reply to {command}: {reply}")
            }
            Error::Invalid(err) => err.fmt(f),
            Error::Unsupported(what) => write!(f, "server does not offer {what}"),
            Error::PlaintextAuth => {
                f.write_str("refusing to send credentials over a connection without TLS")
            }
            Error::TooLarge { size, limit } => {
                write!(
                    f,
                    "message of {size} bytes exceeds the server's limit of {limit} bytes"
                )
            }
            Error::Body(err) => write!(f, "cannot read the message body: {err}"),
            Error::Broken => f.write_str("the SMTP session cannot go on after an earlier error"),
            Error::OutOfSequence(what) => write!(f, "not allowed at this point: {what}"),
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

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(ReplyCode::new(code).unwrap(), vec![text.to_owned()])
    }

    #[test]
    fn display_names_the_command_and_the_reply() {
        let err = Error::Rejected {
            command: "RCPT",
            reply: reply(550, "5.1.1 <bob@example.test>: user unknown"),
        };
        assert_eq!(
            err.to_string(),
            "server rejected RCPT: 550 5.1.1 <bob@example.test>: user unknown"
        );
        assert!(err.is_rejected() && !err.is_transient() && !err.is_auth_failure());
    }

    #[test]
    fn predicates_sort_errors_for_exit_codes() {
        let auth = Error::AuthRejected {
            mechanism: "PLAIN",
            reply: reply(535, "5.7.8 failed"),
        };
        assert!(auth.is_auth_failure() && !auth.is_rejected());
        assert!(Error::Wire(mail_wire::Error::Timeout).is_wire());
        let long = Error::Wire(mail_wire::Error::LineTooLong { limit: 10 });
        assert!(long.is_protocol_violation() && !long.is_wire());
        assert!(Error::Protocol(ParseError::TooManyLines { limit: 1 }).is_protocol_violation());
        assert!(Error::PlaintextAuth.is_tls_required() && !Error::PlaintextAuth.is_wire());
        assert!(Error::Rejected {
            command: "MAIL",
            reply: reply(421, "bye")
        }
        .is_transient());
    }

    /// What `{:#}` and anyhow print: the error, then each `source()`.
    fn chain(err: &dyn std::error::Error) -> String {
        let mut text = err.to_string();
        let mut next = err.source();
        while let Some(cause) = next {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            next = cause.source();
        }
        text
    }

    #[test]
    fn a_cause_is_printed_once_in_a_chain() {
        let refused =
            || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let connect = mail_wire::Error::Connect {
            server: "mx.example.test:25".into(),
            source: refused(),
        };
        let errors = [
            Error::Wire(connect),
            Error::Body(refused()),
            Error::Protocol(ParseError::TooManyLines { limit: 1 }),
            Error::Wire(mail_wire::Error::Io(refused())),
        ];
        for err in &errors {
            let shown = chain(err);
            assert_eq!(shown, err.to_string(), "one sentence, causes included");
            assert!(shown.matches("connection refused").count() <= 1, "{shown}");
        }
        assert!(errors[0]
            .to_string()
            .ends_with("cannot connect to mx.example.test:25: connection refused"));
    }
}
