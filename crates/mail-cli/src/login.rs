//! How the programs ask for a login method: the `--auth` flag, and the one
//! sentence for a mechanism the server does not offer.

use clap::ValueEnum;
use mail_wire::sasl::Mechanism;

use crate::exit::{CliError, AUTH};

/// `--auth` values: the SASL mechanisms `smtp-send`, `pop3-cli` and
/// `imap-cli` speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// PLAIN (RFC 4616).
    Plain,
    /// LOGIN.
    Login,
    /// CRAM-MD5 (RFC 2195).
    CramMd5,
    /// XOAUTH2: the password is an OAuth 2.0 access token (Gmail, Outlook).
    Xoauth2,
}

impl AuthArg {
    /// The mechanism this value names.
    pub fn mechanism(self) -> Mechanism {
        match self {
            AuthArg::Plain => Mechanism::Plain,
            AuthArg::Login => Mechanism::Login,
            AuthArg::CramMd5 => Mechanism::CramMd5,
            AuthArg::Xoauth2 => Mechanism::XOAuth2,
        }
    }
}

/// Exit 4 with one sentence naming what the server offers instead, e.g.
/// `the server does not offer AUTH CRAM-MD5; it offers AUTH PLAIN, AUTH LOGIN and USER/PASS`.
///
/// `asked` is what the user wanted as the protocol writes it (`AUTH
/// CRAM-MD5`, `AUTHENTICATE XOAUTH2`); `offered` lists the login methods the
/// server's capabilities show, written the same way.
pub fn not_offered(asked: &str, offered: &[String]) -> CliError {
    let offers = match offered {
        [] => "it offers no way to log in".to_owned(),
        [one] => format!("it offers only {one}"),
        [init @ .., last] => format!("it offers {} and {last}", init.join(", ")),
    };
    CliError::new(AUTH, format!("the server does not offer {asked}; {offers}"))
}

/// `prefix` + each name (`AUTH ` + `PLAIN`), for [`not_offered`]'s list.
pub fn with_prefix<'a>(prefix: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names
        .into_iter()
        .map(|name| format!("{prefix}{name}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_offered_names_what_the_server_offers_in_one_sentence() {
        let table: &[(&[&str], &str)] = &[
            (&[], "the server does not offer AUTH CRAM-MD5; it offers no way to log in"),
            (&["AUTH PLAIN"], "the server does not offer AUTH CRAM-MD5; it offers only AUTH PLAIN"),
            (
                &["AUTH PLAIN", "AUTH LOGIN", "USER/PASS"],
                "the server does not offer AUTH CRAM-MD5; it offers AUTH PLAIN, AUTH LOGIN and USER/PASS",
            ),
        ];
        for (offered, sentence) in table {
            let offered: Vec<String> = offered.iter().map(|s| (*s).to_owned()).collect();
            let err = not_offered("AUTH CRAM-MD5", &offered);
            assert_eq!(err.code, AUTH);
            assert_eq!(err.message, *sentence);
        }
    }

    #[test]
    fn auth_values_map_to_mechanisms() {
        assert_eq!(
            AuthArg::from_str("cram-md5", true).unwrap().mechanism(),
            Mechanism::CramMd5
        );
        assert_eq!(
            AuthArg::from_str("xoauth2", true).unwrap().mechanism(),
            Mechanism::XOAuth2
        );
        assert_eq!(
            with_prefix("AUTH ", ["PLAIN", "LOGIN"]),
            ["AUTH PLAIN", "AUTH LOGIN"]
        );
    }
}
