//! Credentials as they go on the wire: the APOP digest (RFC 1939 §7) and the
//! SASL mechanisms PLAIN (RFC 4616), LOGIN and CRAM-MD5 (RFC 2195). Each
//! result is a [`Secret`], so it is masked in the transcript.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use mail_wire::Secret;

/// A SASL mechanism this client can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// `PLAIN`: user and password in one base64 response.
    Plain,
    /// `LOGIN`: user, then password, each after a challenge.
    Login,
    /// `CRAM-MD5`: an HMAC-MD5 of the server's challenge; the password never travels.
    CramMd5,
}

impl Mechanism {
    /// The name used in `AUTH` and in the `SASL` capability.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
        }
    }

    /// The mechanism of that name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

/// `APOP` digest: lower-case hex MD5 of the greeting's timestamp followed by
/// the password (RFC 1939 §7).
pub fn apop_digest(timestamp: &str, password: &Secret) -> Secret {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(password.expose().as_bytes());
    Secret::new(hex(&md5.finalize()))
}

/// PLAIN response: base64 of `\0user\0password` (RFC 4616).
pub fn plain(user: &str, password: &Secret) -> Secret {
    let raw = format!("\0{user}\0{}", password.expose());
    Secret::new(STANDARD.encode(raw))
}

/// One LOGIN response: base64 of the user name or the password.
pub fn login_response(text: &str) -> Secret {
    Secret::new(STANDARD.encode(text))
}

/// CRAM-MD5 response to a base64 challenge: base64 of `user hex(hmac-md5)`
/// (RFC 2195). `None` when the challenge is not base64.
pub fn cram_md5(challenge_b64: &str, user: &str, password: &Secret) -> Option<Secret> {
    let challenge = STANDARD.decode(challenge_b64.trim()).ok()?;
    let mut mac = Hmac::<Md5>::new_from_slice(password.expose().as_bytes()).ok()?;
    mac.update(&challenge);
    let digest = hex(&mac.finalize().into_bytes());
    Some(Secret::new(STANDARD.encode(format!("{user} {digest}"))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_digest_matches_rfc_1939_example() {
        let digest = apop_digest("<1896.697170952@dbc.mtview.ca.us>", &Secret::new("tanstaaf"));
        assert_eq!(digest.expose(), "c4c9334bac560ecc979e58001b3e22fb");
    }

    #[test]
    fn cram_md5_matches_rfc_2195_example() {
        let challenge = STANDARD.encode("<1896.697170952@postoffice.reston.mci.net>");
        let response = cram_md5(&challenge, "tim", &Secret::new("tanstaaftanstaaf")).unwrap();
        let decoded = STANDARD.decode(response.expose()).unwrap();
        assert_eq!(decoded, b"tim b913a602c7eda7a495b4e6e7334d3890");
        assert!(cram_md5("not base64!", "tim", &Secret::new("x")).is_none());
    }

    #[test]
    fn plain_and_login_encode_credentials() {
        assert_eq!(plain("alice", &Secret::new("pw")).expose(), "AGFsaWNlAHB3");
        assert_eq!(login_response("alice").expose(), "YWxpY2U=");
        assert_eq!(Mechanism::from_name("cram-md5"), Some(Mechanism::CramMd5));
        assert_eq!(Mechanism::from_name("SCRAM-SHA-1"), None);
    }
}
