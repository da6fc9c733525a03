//! SASL responses, independent of the protocol that frames them: PLAIN
//! (RFC 4616), LOGIN (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195) and
//! XOAUTH2 (Google's and Microsoft's OAuth 2.0 bearer form).
//!
//! Each function returns the base64 text that goes on the wire as a
//! [`Secret`], so the transcript shows `********`. The framing stays in the
//! protocol crates: SMTP's `AUTH PLAIN <ir>` and 334 challenges (RFC 4954),
//! POP3's `AUTH` and `+ ` challenges (RFC 5034), IMAP's `AUTHENTICATE` and
//! continuation requests (RFC 3501 §6.2.2, RFC 4959 SASL-IR).
//!
//! ```
//! use mail_wire::sasl;
//! use mail_wire::Secret;
//!
//! // RFC 4616 §4's example, with an empty authorization identity.
//! let response = sasl::plain("tim", &Secret::new("tanstaaftanstaaf"))?;
//! assert_eq!(response.expose(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
//! assert_eq!(format!("{response:?}"), "********");
//! # Ok::<(), sasl::SaslError>(())
//! ```

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};

use crate::Secret;

/// A SASL mechanism the protocol crates speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `PLAIN`: user and password in one base64 response (RFC 4616).
    Plain,
    /// `LOGIN`: user, then password, each base64 after a challenge.
    Login,
    /// `CRAM-MD5`: HMAC-MD5 of the server's challenge; the password never
    /// crosses the wire (RFC 2195).
    CramMd5,
    /// `XOAUTH2`: an OAuth 2.0 access token instead of a password.
    XOAuth2,
}

impl Mechanism {
    /// The name on the wire and in capability lists.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
        }
    }

    /// The mechanism named (case-insensitive), if it is one of these.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Mechanism::Plain,
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::XOAuth2,
        ]
        .into_iter()
        .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// The best password mechanism among those `offered`. Over TLS: PLAIN,
    /// then LOGIN, then CRAM-MD5 (all protected by TLS; PLAIN is the
    /// standard one and needs one round trip). Without TLS: CRAM-MD5 first,
    /// since it keeps the password off the wire. XOAUTH2 needs a token, so
    /// it is used only when asked for.
    pub fn best(offered: &[Mechanism], tls: bool) -> Option<Mechanism> {
        let order: &[Mechanism] = if tls {
            &[Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
        } else {
            &[Mechanism::CramMd5, Mechanism::Plain, Mechanism::Login]
        };
        order.iter().copied().find(|m| offered.contains(m))
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a SASL response cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SaslError {
    /// A byte the mechanism uses as a separator (NUL for PLAIN, `\x01` or
    /// NUL for XOAUTH2) inside the user's text.
    Forbidden {
        /// What held it (`"user name"`, `"password"`, `"token"`).
        what: &'static str,
        /// Byte offset of the character.
        at: usize,
    },
    /// The server's challenge is not base64 (CRAM-MD5 needs to decode it).
    BadChallenge {
        /// The mechanism that needed the challenge.
        mechanism: Mechanism,
    },
}

impl fmt::Display for SaslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaslError::Forbidden { what, at } => {
                write!(
                    f,
                    "the {what} holds a character SASL uses as a separator at byte {at}"
                )
            }
            SaslError::BadChallenge { mechanism } => {
                write!(f, "the server's {mechanism} challenge is not base64")
            }
        }
    }
}

impl std::error::Error for SaslError {}

fn refuse(text: &str, what: &'static str, forbidden: &[u8]) -> Result<(), SaslError> {
    match text.bytes().position(|b| forbidden.contains(&b)) {
        Some(at) => Err(SaslError::Forbidden { what, at }),
        None => Ok(()),
    }
}

/// `base64("\0" user "\0" password)`: the PLAIN response with an empty
/// authorization identity (RFC 4616 §2).
///
/// # Errors
/// [`SaslError::Forbidden`] when the user or password holds NUL, which
/// would shift the fields.
pub fn plain(user: &str, password: &Secret) -> Result<Secret, SaslError> {
    refuse(user, "user name", b"\0")?;
    refuse(password.expose(), "password", b"\0")?;
    let mut raw = Vec::with_capacity(user.len() + password.expose().len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.expose().as_bytes());
    Ok(Secret::new(STANDARD.encode(raw)))
}

/// `base64(text)`: one LOGIN response (the user name, then the password).
pub fn login_step(text: &str) -> Secret {
    Secret::new(STANDARD.encode(text))
}

/// The CRAM-MD5 response to a base64 `challenge_b64`:
/// `base64(user " " hex(HMAC-MD5(password, challenge)))` (RFC 2195 §2).
///
/// # Errors
/// [`SaslError::BadChallenge`] when the challenge is not base64.
pub fn cram_md5(user: &str, password: &Secret, challenge_b64: &str) -> Result<Secret, SaslError> {
    let bad = SaslError::BadChallenge {
        mechanism: Mechanism::CramMd5,
    };
    let challenge = STANDARD
        .decode(challenge_b64.trim())
        .map_err(|_| bad.clone())?;
    // HMAC takes keys of any length, so this error cannot happen.
    let mut mac =
        Hmac::<md5::Md5>::new_from_slice(password.expose().as_bytes()).map_err(|_| bad)?;
    mac.update(&challenge);
    let digest = hex(&mac.finalize().into_bytes());
    Ok(Secret::new(STANDARD.encode(format!("{user} {digest}"))))
}

/// `base64("user=" user "\x01auth=Bearer " token "\x01\x01")` for XOAUTH2.
///
/// # Errors
/// [`SaslError::Forbidden`] when the user or token holds `\x01` or NUL.
pub fn xoauth2(user: &str, token: &Secret) -> Result<Secret, SaslError> {
    refuse(user, "user name", b"\x01\0")?;
    refuse(token.expose(), "token", b"\x01\0")?;
    Ok(Secret::new(STANDARD.encode(format!(
        "user={user}\x01auth=Bearer {}\x01\x01",
        token.expose()
    ))))
}

/// Decodes a base64 challenge for logs (LOGIN's `Username:`, XOAUTH2's
/// JSON error); `None` when it is not base64.
pub fn decode_challenge(text: &str) -> Option<String> {
    STANDARD
        .decode(text.trim())
        .ok()
        .map(|raw| String::from_utf8_lossy(&raw).into_owned())
}

/// Lower-case hex of `bytes`, as CRAM-MD5 and APOP write digests.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_matches_rfc_4616() {
        // RFC 4616 §4: "\0tim\0tanstaaftanstaaf".
        let got = plain("tim", &Secret::new("tanstaaftanstaaf")).unwrap();
        assert_eq!(got.expose(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        assert_eq!(
            plain("alice", &Secret::new("pw")).unwrap().expose(),
            "AGFsaWNlAHB3"
        );
    }

    #[test]
    fn plain_refuses_nul_in_user_or_password() {
        assert_eq!(
            plain("a\0b", &Secret::new("x")).unwrap_err(),
            SaslError::Forbidden {
                what: "user name",
                at: 1
            }
        );
        assert_eq!(
            plain("ab", &Secret::new("xy\0")).unwrap_err(),
            SaslError::Forbidden {
                what: "password",
                at: 2
            }
        );
    }

    #[test]
    fn cram_md5_matches_rfc_2195() {
        // RFC 2195 §2's example.
        let challenge = STANDARD.encode("<1896.697170952@postoffice.reston.mci.net>");
        assert_eq!(
            challenge,
            "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
        );
        let got = cram_md5("tim", &Secret::new("tanstaaftanstaaf"), &challenge).unwrap();
        assert_eq!(
            got.expose(),
            "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
        );
        assert_eq!(
            String::from_utf8(STANDARD.decode(got.expose()).unwrap()).unwrap(),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
    }

    #[test]
    fn cram_md5_refuses_a_challenge_that_is_not_base64() {
        assert_eq!(
            cram_md5("tim", &Secret::new("x"), "not base64!").unwrap_err(),
            SaslError::BadChallenge {
                mechanism: Mechanism::CramMd5
            }
        );
    }

    #[test]
    fn xoauth2_matches_googles_example() {
        let got = xoauth2(
            "someuser@example.com",
            &Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"),
        )
        .unwrap();
        assert_eq!(
            got.expose(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
        assert_eq!(
            xoauth2("a\x01b", &Secret::new("t")).unwrap_err(),
            SaslError::Forbidden {
                what: "user name",
                at: 1
            }
        );
        assert_eq!(
            xoauth2("ab", &Secret::new("\0")).unwrap_err(),
            SaslError::Forbidden {
                what: "token",
                at: 0
            }
        );
    }

    #[test]
    fn login_steps_and_challenges() {
        assert_eq!(login_step("alice").expose(), "YWxpY2U=");
        assert_eq!(
            decode_challenge("VXNlcm5hbWU6").as_deref(),
            Some("Username:")
        );
        assert_eq!(decode_challenge("not base64!"), None);
    }

    #[test]
    fn responses_are_masked_in_debug() {
        let got = plain("tim", &Secret::new("tanstaaftanstaaf")).unwrap();
        assert_eq!(format!("{got:?}"), "********");
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x0f]), "00ab0f");
    }

    #[test]
    fn best_mechanism_depends_on_tls() {
        let all = [
            Mechanism::Login,
            Mechanism::CramMd5,
            Mechanism::Plain,
            Mechanism::XOAuth2,
        ];
        assert_eq!(Mechanism::best(&all, true), Some(Mechanism::Plain));
        assert_eq!(Mechanism::best(&all, false), Some(Mechanism::CramMd5));
        assert_eq!(
            Mechanism::best(&[Mechanism::Login], true),
            Some(Mechanism::Login)
        );
        assert_eq!(Mechanism::best(&[Mechanism::XOAuth2], true), None);
        assert_eq!(Mechanism::from_name("cram-md5"), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::from_name("xoauth2"), Some(Mechanism::XOAuth2));
        assert_eq!(Mechanism::from_name("SCRAM-SHA-256"), None);
        assert_eq!(Mechanism::CramMd5.to_string(), "CRAM-MD5");
    }
}
