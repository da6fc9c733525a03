//! SASL mechanisms for AUTH (RFC 4954): PLAIN (RFC 4616), LOGIN
//! (draft-murchison-sasl-login), CRAM-MD5 (RFC 2195) and XOAUTH2 (Google's
//! and Microsoft's OAuth 2.0 bearer form). Each encoder returns the
//! base64 text as a [`Secret`], so it is masked in the transcript.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use mail_wire::Secret;

use crate::error::EncodeError;

/// A SASL mechanism this crate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `PLAIN`: user and password in one base64 line (RFC 4616).
    Plain,
    /// `LOGIN`: user, then password, each base64 after a 334 prompt.
    Login,
    /// `CRAM-MD5`: HMAC-MD5 of the server's challenge; the password never
    /// crosses the wire (RFC 2195).
    CramMd5,
    /// `XOAUTH2`: an OAuth 2.0 access token instead of a password.
    XOAuth2,
}

impl Mechanism {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::XOAuth2 => "XOAUTH2",
        }
    }

    /// The mechanism named (case-insensitive), if this crate speaks it.
    pub fn from_name(name: &str) -> Option<Self> {
        [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5, Mechanism::XOAuth2]
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

fn check_no_nul(text: &str, what: &'static str) -> Result<(), EncodeError> {
    match text.bytes().position(|b| b == 0) {
        Some(at) => Err(EncodeError::Forbidden { what, at }),
        None => Ok(()),
    }
}

/// `base64("\0" user "\0" password)` for AUTH PLAIN (RFC 4616 §2), with an
/// empty authorization identity.
///
/// # Errors
/// [`EncodeError::Forbidden`] when the user or password holds NUL.
pub fn plain(user: &str, password: &Secret) -> Result<Secret, EncodeError> {
    check_no_nul(user, "user name")?;
    check_no_nul(password.expose(), "password")?;
    let mut raw = Vec::with_capacity(user.len() + password.expose().len() + 2);
    raw.push(0);
    raw.extend_from_slice(user.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password.expose().as_bytes());
    Ok(Secret::new(STANDARD.encode(raw)))
}

/// `base64(text)`: one step of AUTH LOGIN.
pub fn login_step(text: &str) -> Secret {
    Secret::new(STANDARD.encode(text))
}

/// The CRAM-MD5 answer to a base64 `challenge`:
/// `base64(user " " hex(HMAC-MD5(password, challenge)))` (RFC 2195 §2).
///
/// # Errors
/// [`EncodeError::Forbidden`] when the challenge is not base64 (the
/// position of the first bad byte is approximate).
pub fn cram_md5(user: &str, password: &Secret, challenge_b64: &str) -> Result<Secret, EncodeError> {
    let challenge = STANDARD
        .decode(challenge_b64.trim())
        .map_err(|_| EncodeError::Forbidden { what: "CRAM-MD5 challenge", at: 0 })?;
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<md5::Md5>::new_from_slice(password.expose().as_bytes())
        .map_err(|_| EncodeError::Empty { what: "password" })?;
    mac.update(&challenge);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Secret::new(STANDARD.encode(format!("{user} {hex}"))))
}

/// `base64("user=" user "\x01auth=Bearer " token "\x01\x01")` for XOAUTH2.
///
/// # Errors
/// [`EncodeError::Forbidden`] when the user or token holds a `\x01`.
pub fn xoauth2(user: &str, token: &Secret) -> Result<Secret, EncodeError> {
    for (text, what) in [(user, "user name"), (token.expose(), "token")] {
        if let Some(at) = text.bytes().position(|b| b == 1 || b == 0) {
            return Err(EncodeError::Forbidden { what, at });
        }
    }
    Ok(Secret::new(STANDARD.encode(format!("user={user}\x01auth=Bearer {}\x01\x01", token.expose()))))
}

/// Decodes a 334 challenge for display in logs (LOGIN's `Username:`).
pub fn decode_challenge(text: &str) -> Option<String> {
    STANDARD.decode(text.trim()).ok().map(|raw| String::from_utf8_lossy(&raw).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_matches_rfc_4616() {
        let got = plain("tim", &Secret::new("tanstaaftanstaaf")).unwrap();
        assert_eq!(got.expose(), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
        assert!(plain("a\0b", &Secret::new("x")).is_err());
    }

    #[test]
    fn cram_md5_matches_rfc_2195() {
        // RFC 2195 §2's example.
        let challenge = STANDARD.encode("<1896.697170952@postoffice.reston.mci.net>");
        let got = cram_md5("tim", &Secret::new("tanstaaftanstaaf"), &challenge).unwrap();
        assert_eq!(
            String::from_utf8(STANDARD.decode(got.expose()).unwrap()).unwrap(),
            "tim b913a602c7eda7a495b4e6e7334d3890"
        );
        assert!(cram_md5("tim", &Secret::new("x"), "not base64!").is_err());
    }

    #[test]
    fn xoauth2_matches_googles_example() {
        let got = xoauth2("someuser@example.com", &Secret::new("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")).unwrap();
        assert_eq!(
            got.expose(),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn login_steps_and_challenges() {
        assert_eq!(login_step("alice").expose(), "YWxpY2U=");
        assert_eq!(decode_challenge("VXNlcm5hbWU6").as_deref(), Some("Username:"));
    }

    #[test]
    fn best_mechanism_depends_on_tls() {
        let all = [Mechanism::Login, Mechanism::CramMd5, Mechanism::Plain, Mechanism::XOAuth2];
        assert_eq!(Mechanism::best(&all, true), Some(Mechanism::Plain));
        assert_eq!(Mechanism::best(&all, false), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::best(&[Mechanism::Login], true), Some(Mechanism::Login));
        assert_eq!(Mechanism::best(&[Mechanism::XOAuth2], true), None);
        assert_eq!(Mechanism::from_name("cram-md5"), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::from_name("SCRAM-SHA-256"), None);
    }
}
