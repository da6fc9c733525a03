//! AUTHENTICATE (RFC 3501 §6.2.2): the command with an optional initial
//! response (SASL-IR, RFC 4959), one answer per continuation, and the
//! tagged completion, for PLAIN, LOGIN, CRAM-MD5 and XOAUTH2.

use mail_wire::sasl::{self, Mechanism};
use mail_wire::Secret;

use crate::error::{rejection, Error};
use crate::response::{Response, Status, Tag, Tagged, Untagged};
use crate::sans_io::sending::{completion, Received};

/// What a response means to an AUTHENTICATE under way.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthEvent {
    /// Send `public`, then the secret if any, then CRLF; a transcript shows
    /// the secret masked.
    Respond {
        /// Bytes that may be shown (empty, or `*` to cancel).
        public: &'static [u8],
        /// The SASL response, never shown.
        secret: Option<Secret>,
    },
    /// Untagged data that came meanwhile.
    Untagged(Untagged),
    /// The tagged completion; [`Authenticate::outcome`] tells success from
    /// failure.
    Completed(Tagged),
}

/// One AUTHENTICATE exchange, with no I/O.
#[derive(Debug)]
pub struct Authenticate {
    tag: Tag,
    mechanism: Mechanism,
    user: String,
    password: Secret,
    initial: Option<Secret>,
    challenges: u32,
    error_challenge: Option<String>,
}

impl Authenticate {
    /// Prepares the exchange.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a user or password the mechanism cannot carry
    /// (NUL in PLAIN, `\x01` in XOAUTH2), before anything is sent.
    pub fn new(
        tag: Tag,
        mechanism: Mechanism,
        user: &str,
        password: &Secret,
    ) -> Result<Self, Error> {
        let initial = match mechanism {
            Mechanism::Plain => Some(sasl::plain(user, password)),
            Mechanism::XOAuth2 => Some(sasl::xoauth2(user, password)),
            Mechanism::Login | Mechanism::CramMd5 => None,
        }
        .transpose()
        .map_err(|e| Error::Invalid(e.into()))?;
        Ok(Authenticate {
            tag,
            mechanism,
            user: user.to_owned(),
            password: password.clone(),
            initial,
            challenges: 0,
            error_challenge: None,
        })
    }

    /// The command line: its public part and, with `sasl_ir` (the server
    /// offers SASL-IR) for a mechanism that has one, the initial response
    /// to send after it. Send them followed by CRLF.
    pub fn command_line(&mut self, sasl_ir: bool) -> (Vec<u8>, Option<Secret>) {
        let head = format!("{} AUTHENTICATE {}", self.tag, self.mechanism.name());
        match self.initial.take_if(|_| sasl_ir) {
            Some(response) => (format!("{head} ").into_bytes(), Some(response)),
            None => (head.into_bytes(), None),
        }
    }

    /// Takes a response that arrived.
    ///
    /// # Errors
    /// Another command's completion ([`Error::UnexpectedTag`]).
    pub fn receive(&mut self, response: Response) -> Result<AuthEvent, Error> {
        let challenge = match response {
            Response::Continuation(challenge) => challenge,
            other => {
                return match completion(&self.tag, "AUTHENTICATE", other)? {
                    Received::Completed(t) => Ok(AuthEvent::Completed(t)),
                    Received::Untagged(u) => Ok(AuthEvent::Untagged(u)),
                    Received::Continued => Err(Error::Unexpected("a continuation".into())),
                };
            }
        };
        self.challenges += 1;
        let response = match self.mechanism {
            Mechanism::Plain | Mechanism::XOAuth2 => self.initial.take(),
            Mechanism::Login if self.challenges == 1 => Some(sasl::login_step(&self.user)),
            Mechanism::Login if self.challenges == 2 => {
                Some(sasl::login_step(self.password.expose()))
            }
            Mechanism::CramMd5 if self.challenges == 1 => {
                sasl::cram_md5(&self.user, &self.password, &challenge).ok()
            }
            Mechanism::Login | Mechanism::CramMd5 => None,
        };
        Ok(match response {
            Some(secret) => AuthEvent::Respond {
                public: b"",
                secret: Some(secret),
            },
            None if self.mechanism == Mechanism::XOAuth2 => {
                // The server's JSON error: an empty response asks for the
                // tagged NO (Google's XOAUTH2 notes).
                self.error_challenge = sasl::decode_challenge(&challenge);
                AuthEvent::Respond {
                    public: b"",
                    secret: None,
                }
            }
            // A challenge the mechanism has no answer for: cancel (RFC 3501
            // §6.2.2); the server answers BAD.
            None => AuthEvent::Respond {
                public: b"*",
                secret: None,
            },
        })
    }

    /// The completion as a result.
    ///
    /// # Errors
    /// [`Error::SaslRejected`] after an XOAUTH2 error challenge, else
    /// [`Error::Rejected`] for NO or BAD.
    pub fn outcome(self, done: Tagged) -> Result<Tagged, Error> {
        match (done.status, self.error_challenge) {
            (Status::Ok, _) => Ok(done),
            (_, Some(detail)) => Err(Error::SaslRejected {
                mechanism: self.mechanism.name(),
                detail,
                reply: Box::new(done),
            }),
            (_, None) => Err(rejection("AUTHENTICATE", done)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::parse_response;

    fn response(bytes: &[u8]) -> Response {
        parse_response(bytes).unwrap().0
    }

    fn respond(event: AuthEvent) -> (Vec<u8>, Option<String>) {
        match event {
            AuthEvent::Respond { public, secret } => {
                (public.to_vec(), secret.map(|s| s.expose().to_owned()))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn login_answers_each_challenge_and_completes() {
        let mut auth = Authenticate::new(
            Tag("a1".into()),
            Mechanism::Login,
            "carol",
            &Secret::new("pw"),
        )
        .unwrap();
        assert_eq!(
            auth.command_line(true),
            (b"a1 AUTHENTICATE LOGIN".to_vec(), None)
        );
        let (_, user) = respond(auth.receive(response(b"+ VXNlcm5hbWU6\r\n")).unwrap());
        assert_eq!(user.as_deref(), Some("Y2Fyb2w="));
        let (_, pass) = respond(auth.receive(response(b"+ UGFzc3dvcmQ6\r\n")).unwrap());
        assert_eq!(pass.as_deref(), Some("cHc="));
        // A third challenge has no answer: cancel.
        let (public, secret) = respond(auth.receive(response(b"+ more\r\n")).unwrap());
        assert_eq!((public.as_slice(), secret), (&b"*"[..], None));
        let AuthEvent::Completed(t) = auth.receive(response(b"a1 OK in\r\n")).unwrap() else {
            panic!()
        };
        assert!(auth.outcome(t).is_ok());
    }

    #[test]
    fn plain_goes_with_sasl_ir_or_after_the_continuation() {
        let mut auth =
            Authenticate::new(Tag("a1".into()), Mechanism::Plain, "u", &Secret::new("p")).unwrap();
        let (public, secret) = auth.command_line(true);
        assert_eq!(public, b"a1 AUTHENTICATE PLAIN ");
        assert_eq!(secret.unwrap().expose(), "AHUAcA==");
        let mut auth =
            Authenticate::new(Tag("a1".into()), Mechanism::Plain, "u", &Secret::new("p")).unwrap();
        assert_eq!(auth.command_line(false).1, None);
        let (_, secret) = respond(auth.receive(response(b"+ \r\n")).unwrap());
        assert_eq!(secret.as_deref(), Some("AHUAcA=="));
        let AuthEvent::Completed(t) = auth.receive(response(b"a1 NO bad\r\n")).unwrap() else {
            panic!()
        };
        assert!(auth.outcome(t).unwrap_err().is_auth_failure());
    }

    #[test]
    fn a_nul_in_plain_is_refused_before_anything_is_sent() {
        let err = Authenticate::new(
            Tag("a1".into()),
            Mechanism::Plain,
            "u\0x",
            &Secret::new("p"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Invalid(_)));
    }
}
