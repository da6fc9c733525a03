//! AUTH (RFC 4954): choosing the mechanism and reading the outcome; the
//! exchange itself runs in the core.

use mail_wire::sasl::Mechanism;
use mail_wire::Secret;

use super::{into_reply, Driver, Link};
use crate::core::Event;
use crate::error::Error;
use crate::reply::{Reply, ReplyCode};

impl Driver {
    /// Authenticates with `mechanism`, or the best one offered when `None`;
    /// returns the mechanism used.
    pub(crate) async fn auth(
        &mut self,
        link: &mut impl Link,
        user: &str,
        secret: &Secret,
        mechanism: Option<Mechanism>,
    ) -> Result<Mechanism, Error> {
        self.check_usable()?;
        if !self.tls && !self.allow_plaintext_auth {
            return Err(Error::PlaintextAuth);
        }
        let caps = self.core.capabilities();
        let offered = caps.auth_mechanisms();
        if !caps.has("AUTH") {
            return Err(Error::Unsupported("AUTH"));
        }
        let mechanism = match mechanism {
            Some(m) if offered.contains(&m) => m,
            Some(m) => return Err(Error::Unsupported(auth_name(m))),
            None => Mechanism::best(&offered, self.tls)
                .ok_or(Error::Unsupported("AUTH PLAIN, LOGIN or CRAM-MD5"))?,
        };
        self.core.auth(mechanism, user, secret)?;
        match self.next_event(link).await? {
            Event::Authenticated { .. } => {
                log::debug!("authenticated with {mechanism}");
                Ok(mechanism)
            }
            Event::AuthCancelled { challenge, .. } => Err(Error::UnexpectedReply {
                command: "AUTH",
                reply: challenge,
            }),
            other => Err(auth_failure(mechanism, into_reply(other))),
        }
    }
}
fn auth_name(m: Mechanism) -> &'static str {
    match m {
        Mechanism::Plain => "AUTH PLAIN",
        Mechanism::Login => "AUTH LOGIN",
        Mechanism::CramMd5 => "AUTH CRAM-MD5",
        Mechanism::XOAuth2 => "AUTH XOAUTH2",
    }
}

fn auth_failure(mechanism: Mechanism, reply: Reply) -> Error {
    if reply.code() == ReplyCode::AUTH_CHALLENGE || reply.is_positive() {
        Error::UnexpectedReply {
            command: "AUTH",
            reply,
        }
    } else {
        Error::AuthRejected {
            mechanism: mechanism.name(),
            reply,
        }
    }
}
