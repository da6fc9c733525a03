//! The client side of one AUTH exchange (RFC 4954): the AUTH line and the
//! answer to each 334 challenge for PLAIN, LOGIN, CRAM-MD5 and XOAUTH2. The
//! encoders are `mail_wire::sasl`, shared with POP3 and IMAP. No I/O.

use mail_wire::sasl::{self, Mechanism};
use mail_wire::Secret;

use crate::error::Error;
use crate::reply::Reply;

/// What answers a 334 challenge.
#[derive(Debug)]
pub(crate) enum Answer {
    /// A line that is all secret (shown as `********`).
    Secret(Secret),
    /// An empty line: XOAUTH2's error challenge asks for it before the
    /// final reply (Google's XOAUTH2 notes).
    Empty,
    /// `*`: the client cannot go on (RFC 4954 §4).
    Cancel,
}

#[derive(Debug)]
enum Steps {
    /// PLAIN: everything went on the AUTH line.
    Sent,
    /// XOAUTH2: the token went on the AUTH line; a challenge carries an error.
    XOAuth2Sent,
    /// LOGIN: the user name, then the password.
    Login(Vec<Secret>),
    /// CRAM-MD5: the response depends on the challenge.
    CramMd5 { user: String, pass: Secret },
}

/// One exchange in progress.
#[derive(Debug)]
pub(crate) struct AuthSteps {
    pub(crate) mechanism: Mechanism,
    steps: Steps,
}

impl AuthSteps {
    /// The AUTH line's public part, its secret initial response if any, and
    /// the steps after it.
    pub(crate) fn start(
        mechanism: Mechanism,
        user: &str,
        secret: &Secret,
    ) -> Result<(&'static [u8], Option<Secret>, Self), Error> {
        let (public, initial, steps): (&'static [u8], _, _) = match mechanism {
            Mechanism::Plain => (
                b"AUTH PLAIN ",
                Some(sasl::plain(user, secret)?),
                Steps::Sent,
            ),
            Mechanism::XOAuth2 => (
                b"AUTH XOAUTH2 ",
                Some(sasl::xoauth2(user, secret)?),
                Steps::XOAuth2Sent,
            ),
            Mechanism::Login => (
                b"AUTH LOGIN",
                None,
                // Popped from the end: the user name first.
                Steps::Login(vec![
                    sasl::login_step(secret.expose()),
                    sasl::login_step(user),
                ]),
            ),
            Mechanism::CramMd5 => (
                b"AUTH CRAM-MD5",
                None,
                Steps::CramMd5 {
                    user: user.to_owned(),
                    pass: secret.clone(),
                },
            ),
        };
        Ok((public, initial, AuthSteps { mechanism, steps }))
    }

    /// The answer to a 334 `challenge`.
    pub(crate) fn answer(&mut self, challenge: &Reply) -> Answer {
        match std::mem::replace(&mut self.steps, Steps::Sent) {
            Steps::Sent => Answer::Cancel,
            Steps::XOAuth2Sent => Answer::Empty,
            Steps::Login(mut rest) => match rest.pop() {
                Some(step) => {
                    self.steps = Steps::Login(rest);
                    Answer::Secret(step)
                }
                None => Answer::Cancel,
            },
            Steps::CramMd5 { user, pass } => {
                let text = challenge.lines().first().map_or("", String::as_str);
                match sasl::cram_md5(&user, &pass, text) {
                    Ok(response) => Answer::Secret(response),
                    Err(_) => Answer::Cancel,
                }
            }
        }
    }
}
