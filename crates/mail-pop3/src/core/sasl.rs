//! The client side of one `AUTH` exchange (RFC 5034): what goes on the
//! AUTH line and what answers each `+` challenge, for PLAIN (RFC 4616),
//! LOGIN, CRAM-MD5 (RFC 2195) and XOAUTH2. The encoders are
//! `mail_wire::sasl`, shared with SMTP and IMAP. No I/O.

use mail_wire::sasl::{self, Mechanism};
use mail_wire::Secret;

use crate::command::check_text;
use crate::error::{EncodeError, Error, ParseError};
use crate::response::{Reply, Status};

/// RFC 5034 §4: an `AUTH` line with its initial response must fit in 255 octets.
const MAX_AUTH_LINE: usize = 255;

/// The responses still to send.
#[derive(Debug, Clone)]
enum Steps {
    /// PLAIN or XOAUTH2: one response, on the AUTH line or after `+`.
    One(Option<Secret>),
    /// LOGIN: the user name, then the password.
    Login {
        user: Option<Secret>,
        pass: Option<Secret>,
    },
    /// CRAM-MD5: one response computed from the challenge.
    CramMd5 { user: String, pass: Option<Secret> },
}

/// What a driver does with the reply to `AUTH` or to a SASL response
/// ([`SaslExchange::step`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum SaslStep {
    /// The server accepted: the session is in TRANSACTION.
    Done,
    /// Send this response ([`Pop3::sasl_response`](super::Pop3::sasl_response)),
    /// then read the next reply.
    Respond(Secret),
    /// Send `*` ([`Pop3::sasl_cancel`](super::Pop3::sasl_cancel)), read the
    /// server's answer to it, and return
    /// [`SaslExchange::cancelled`]'s error.
    Cancel(Option<Error>),
}

/// One SASL exchange, step by step.
///
/// ```
/// use mail_pop3::core::SaslExchange;
/// use mail_pop3::Mechanism;
/// use mail_wire::Secret;
///
/// let mut login = SaslExchange::new(Mechanism::Login, "alice", &Secret::new("pw"))?;
/// assert!(login.initial_response().is_none());
/// assert_eq!(login.answer("VXNlcm5hbWU6")?.expose(), "YWxpY2U=");
/// assert_eq!(login.answer("UGFzc3dvcmQ6")?.expose(), "cHc=");
/// assert!(login.is_done());
/// # Ok::<(), mail_pop3::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SaslExchange {
    mechanism: Mechanism,
    steps: Steps,
}

impl SaslExchange {
    /// Prepares the exchange.
    ///
    /// # Errors
    /// [`Error::Invalid`] for CR, LF or NUL in the user name or password,
    /// an empty user name, or a character the mechanism cannot carry.
    pub fn new(mechanism: Mechanism, user: &str, pass: &Secret) -> Result<Self, Error> {
        check_text("user name", user, false)?;
        check_text("password", pass.expose(), true)?;
        let steps = match mechanism {
            Mechanism::Plain => {
                Steps::One(Some(sasl::plain(user, pass).map_err(EncodeError::from)?))
            }
            Mechanism::XOAuth2 => {
                Steps::One(Some(sasl::xoauth2(user, pass).map_err(EncodeError::from)?))
            }
            Mechanism::Login => Steps::Login {
                user: Some(sasl::login_step(user)),
                pass: Some(sasl::login_step(pass.expose())),
            },
            Mechanism::CramMd5 => Steps::CramMd5 {
                user: user.to_owned(),
                pass: Some(pass.clone()),
            },
        };
        Ok(SaslExchange { mechanism, steps })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The response to send on the AUTH line, when the mechanism has one
    /// and the line fits RFC 5034's 255 octets; else the exchange waits for
    /// the first challenge.
    pub fn initial_response(&mut self) -> Option<Secret> {
        let Steps::One(response) = &mut self.steps else {
            return None;
        };
        let len = "AUTH ".len()
            + self.mechanism.name().len()
            + 1
            + response.as_ref().map_or(0, |r| r.expose().len());
        if len <= MAX_AUTH_LINE {
            response.take()
        } else {
            None
        }
    }

    /// The answer to a challenge (the text after `+ `).
    ///
    /// # Errors
    /// [`Error::Protocol`] for a challenge too many (XOAUTH2 sends its
    /// error that way) or one that cannot be answered (CRAM-MD5's not in
    /// base64). The caller then cancels with `*`.
    pub fn answer(&mut self, challenge: &str) -> Result<Secret, Error> {
        let next = match &mut self.steps {
            Steps::One(response) => response.take(),
            Steps::Login { user, pass } => user.take().or_else(|| pass.take()),
            Steps::CramMd5 { user, pass } => match pass.take() {
                None => None,
                Some(pass) => Some(sasl::cram_md5(user, &pass, challenge).map_err(|_| {
                    Error::Protocol(ParseError::new(
                        "a base64 CRAM-MD5 challenge",
                        challenge.as_bytes(),
                    ))
                })?),
            },
        };
        next.ok_or_else(|| {
            Error::Protocol(ParseError::new(
                "+OK after the SASL response",
                challenge.as_bytes(),
            ))
        })
    }

    /// What to do with `reply`, the server's answer to the `AUTH` line or
    /// to the last response: answer a challenge, cancel (a challenge that
    /// cannot be answered, or one after the last response, which is how
    /// XOAUTH2 reports its JSON error), or finish.
    ///
    /// # Errors
    /// [`Error::Rejected`] (with `AUTH`) for `-ERR`; [`Error::Protocol`]
    /// for `+OK` before every response was sent.
    pub fn step(&mut self, reply: Reply) -> Result<SaslStep, Error> {
        match reply.status {
            Status::Err => Err(Error::Rejected {
                command: "AUTH",
                reply,
            }),
            Status::Ok if self.is_done() => Ok(SaslStep::Done),
            Status::Ok => Err(Error::Protocol(ParseError::new(
                "a SASL challenge (+)",
                reply.text.as_bytes(),
            ))),
            Status::Continue if self.is_done() => Ok(SaslStep::Cancel(None)),
            Status::Continue => match self.answer(&reply.text) {
                Ok(response) => Ok(SaslStep::Respond(response)),
                Err(err) => Ok(SaslStep::Cancel(Some(err))),
            },
        }
    }

    /// The error that ends an exchange cancelled with `*` (RFC 5034 §4):
    /// the cause [`SaslStep::Cancel`] carried, or else the server's `-ERR`
    /// to the `*` as the rejection it is.
    pub fn cancelled(cause: Option<Error>, answer: Reply) -> Error {
        match (cause, answer.status) {
            (Some(cause), _) => cause,
            (None, Status::Err) => Error::Rejected {
                command: "AUTH",
                reply: answer,
            },
            (None, _) => Error::Protocol(ParseError::new("+OK after the SASL response", b"+")),
        }
    }

    /// True when every response has been handed out: a `+OK` is due.
    pub fn is_done(&self) -> bool {
        match &self.steps {
            Steps::One(response) => response.is_none(),
            Steps::Login { user, pass } => user.is_none() && pass.is_none(),
            Steps::CramMd5 { pass, .. } => pass.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_goes_on_the_auth_line_when_it_fits() {
        let mut plain = SaslExchange::new(Mechanism::Plain, "alice", &Secret::new("pw")).unwrap();
        assert_eq!(plain.initial_response().unwrap().expose(), "AGFsaWNlAHB3");
        assert!(plain.is_done());
        assert!(matches!(plain.answer(""), Err(Error::Protocol(_))));

        let long = Secret::new("p".repeat(300));
        let mut plain = SaslExchange::new(Mechanism::Plain, "alice", &long).unwrap();
        assert!(plain.initial_response().is_none());
        assert!(!plain.is_done());
        plain.answer("").unwrap();
        assert!(plain.is_done());
    }

    fn reply(status: Status, text: &str) -> Reply {
        Reply {
            status,
            text: text.to_owned(),
        }
    }

    #[test]
    fn steps_answer_challenges_then_finish_or_cancel() {
        let mut login = SaslExchange::new(Mechanism::Login, "alice", &Secret::new("pw")).unwrap();
        let SaslStep::Respond(user) = login.step(reply(Status::Continue, "VXNlcm5hbWU6")).unwrap()
        else {
            panic!("a response");
        };
        assert_eq!(user.expose(), "YWxpY2U=");
        assert!(matches!(
            login.step(reply(Status::Ok, "")),
            Err(Error::Protocol(_))
        ));
        assert!(matches!(
            login.step(reply(Status::Continue, "")),
            Ok(SaslStep::Respond(_))
        ));
        // A challenge after the last response: cancel, and the -ERR is the rejection.
        let Ok(SaslStep::Cancel(None)) = login.step(reply(Status::Continue, "eyJ9")) else {
            panic!("a cancel");
        };
        let err = SaslExchange::cancelled(None, reply(Status::Err, "[AUTH] bad token"));
        assert!(err.is_auth_failure(), "{err}");
        assert!(matches!(
            login.step(reply(Status::Ok, "")),
            Ok(SaslStep::Done)
        ));
        let err = login.step(reply(Status::Err, "no")).unwrap_err();
        assert!(err.is_auth_failure());

        let mut cram = SaslExchange::new(Mechanism::CramMd5, "tim", &Secret::new("pw")).unwrap();
        let Ok(SaslStep::Cancel(Some(cause))) = cram.step(reply(Status::Continue, "not base64!"))
        else {
            panic!("a cancel with its cause");
        };
        let err = SaslExchange::cancelled(Some(cause), reply(Status::Err, "cancelled"));
        assert!(err.is_protocol_violation(), "{err}");
    }

    #[test]
    fn cram_md5_answers_the_rfc_example_and_refuses_a_bad_challenge() {
        let pass = Secret::new("tanstaaftanstaaf");
        let mut cram = SaslExchange::new(Mechanism::CramMd5, "tim", &pass).unwrap();
        let response = cram
            .answer("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
            .unwrap();
        assert_eq!(
            response.expose(),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        let mut cram = SaslExchange::new(Mechanism::CramMd5, "tim", &pass).unwrap();
        assert!(matches!(
            cram.answer("not base64!"),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn text_that_cannot_travel_is_refused_up_front() {
        for (user, pass) in [("a\r\nb", "pw"), ("", "pw"), ("a", "p\nw")] {
            assert!(matches!(
                SaslExchange::new(Mechanism::Login, user, &Secret::new(pass)),
                Err(Error::Invalid(_))
            ));
        }
        assert!(matches!(
            SaslExchange::new(Mechanism::Plain, "a", &Secret::new("p\0w")),
            Err(Error::Invalid(_))
        ));
    }
}
