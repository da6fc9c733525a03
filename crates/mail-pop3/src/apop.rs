//! The APOP digest (RFC 1939 §7), the one credential encoding that is
//! POP3's own. The SASL responses (PLAIN, LOGIN, CRAM-MD5, XOAUTH2) are
//! shared with SMTP and IMAP in [`mail_wire::sasl`].

use mail_wire::Secret;
use md5::{Digest, Md5};

/// `APOP` digest: lower-case hex MD5 of the greeting's timestamp followed by
/// the password (RFC 1939 §7).
pub fn apop_digest(timestamp: &str, password: &Secret) -> Secret {
    let mut md5 = Md5::new();
    md5.update(timestamp.as_bytes());
    md5.update(password.expose().as_bytes());
    Secret::new(mail_wire::sasl::hex(&md5.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apop_digest_matches_rfc_1939_example() {
        let digest = apop_digest(
            "<1896.697170952@dbc.mtview.ca.us>",
            &Secret::new("tanstaaf"),
        );
        assert_eq!(digest.expose(), "c4c9334bac560ecc979e58001b3e22fb");
    }
}
