//! Commands, values to bytes (RFC 1939 §4-7, RFC 2449 §5, RFC 2595 §4,
//! RFC 5034 §4). No I/O.

use mail_wire::Secret;

use crate::error::EncodeError;
use crate::response::MsgNum;

/// One POP3 command. Secrets (`PASS`, the APOP digest, SASL responses) stay
/// [`Secret`]s so the connection can mask them in the transcript.
#[derive(Debug, Clone, Copy)]
pub enum Command<'a> {
    /// `CAPA` (RFC 2449).
    Capa,
    /// `STLS` (RFC 2595).
    Stls,
    /// `USER name`.
    User(&'a str),
    /// `PASS secret`.
    Pass(&'a Secret),
    /// `APOP name digest`.
    Apop {
        /// The mailbox name.
        user: &'a str,
        /// The MD5 digest in lower-case hex.
        digest: &'a Secret,
    },
    /// `AUTH mechanism [initial-response]` (RFC 5034).
    Auth {
        /// `PLAIN`, `LOGIN`, `CRAM-MD5`...
        mechanism: &'a str,
        /// Base64 initial response, `=` for an empty one.
        initial: Option<&'a Secret>,
    },
    /// `STAT`.
    Stat,
    /// `LIST [msg]`.
    List(Option<MsgNum>),
    /// `RETR msg`.
    Retr(MsgNum),
    /// `TOP msg n`: the headers and the first `n` body lines.
    Top(MsgNum, u32),
    /// `UIDL [msg]`.
    Uidl(Option<MsgNum>),
    /// `DELE msg`.
    Dele(MsgNum),
    /// `NOOP`.
    Noop,
    /// `RSET`.
    Rset,
    /// `QUIT`.
    Quit,
}

impl<'a> Command<'a> {
    /// The verb, as used in errors (`"RETR"`).
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Auth { .. } => "AUTH",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Top(..) => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
        }
    }

    /// True when a `+OK` answer to this command is followed by lines up to `.`.
    pub fn is_multiline(&self) -> bool {
        matches!(
            self,
            Command::Capa
                | Command::List(None)
                | Command::Uidl(None)
                | Command::Retr(_)
                | Command::Top(..)
        )
    }

    /// Writes the public part of the command (no CRLF) to `out` and returns
    /// the secret that must follow it on the wire, if any.
    ///
    /// # Errors
    /// [`EncodeError`] for CR, LF or NUL in any argument, or an empty user
    /// name or mechanism; nothing is written then.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<Option<&'a Secret>, EncodeError> {
        let mut line = String::from(self.verb());
        let mut secret = None;
        match *self {
            Command::User(user) => push_arg(&mut line, "user name", user)?,
            Command::Pass(pass) => {
                check_text("password", pass.expose(), true)?;
                line.push(' ');
                secret = Some(pass);
            }
            Command::Apop { user, digest } => {
                push_arg(&mut line, "user name", user)?;
                check_text("APOP digest", digest.expose(), false)?;
                line.push(' ');
                secret = Some(digest);
            }
            Command::Auth { mechanism, initial } => {
                push_arg(&mut line, "SASL mechanism", mechanism)?;
                if let Some(initial) = initial {
                    check_text("SASL response", initial.expose(), false)?;
                    line.push(' ');
                    secret = Some(initial);
                }
            }
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => {
                line.push_str(&format!(" {n}"));
            }
            Command::Top(n, lines) => line.push_str(&format!(" {n} {lines}")),
            Command::Capa
            | Command::Stls
            | Command::Stat
            | Command::List(None)
            | Command::Uidl(None)
            | Command::Noop
            | Command::Rset
            | Command::Quit => {}
        }
        out.extend_from_slice(line.as_bytes());
        Ok(secret)
    }
}

fn push_arg(line: &mut String, what: &'static str, arg: &str) -> Result<(), EncodeError> {
    check_text(what, arg, false)?;
    line.push(' ');
    line.push_str(arg);
    Ok(())
}

/// Refuses CR, LF and NUL, and (unless `may_be_empty`) empty text.
pub(crate) fn check_text(
    what: &'static str,
    text: &str,
    may_be_empty: bool,
) -> Result<(), EncodeError> {
    if let Some(at) = text.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(EncodeError::LineBreak { what, at });
    }
    if text.is_empty() && !may_be_empty {
        return Err(EncodeError::Empty { what });
    }
    Ok(())
}

/// True when a `+OK` answer to a command line typed by a person is followed
/// by lines up to `.`: `CAPA`, `LIST` and `UIDL` without argument, `RETR`,
/// `TOP`, and `AUTH` without argument (a mechanism list on many servers).
pub fn expects_multiline(verb: &str, has_argument: bool) -> bool {
    let verb = verb.to_ascii_uppercase();
    match verb.as_str() {
        "CAPA" | "RETR" | "TOP" => true,
        "LIST" | "UIDL" | "AUTH" => !has_argument,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(command: Command<'_>) -> (String, Option<String>) {
        let mut out = Vec::new();
        let secret = command.encode(&mut out).unwrap();
        (
            String::from_utf8(out).unwrap(),
            secret.map(|s| s.expose().to_owned()),
        )
    }

    #[test]
    fn commands_encode_known_answers() {
        let pass = Secret::new("c4rol pa\"ss\\word");
        let digest = Secret::new("c4c9334bac560ecc979e58001b3e22fb");
        let table: Vec<(Command<'_>, &str, Option<&str>)> = vec![
            (Command::Capa, "CAPA", None),
            (Command::Stls, "STLS", None),
            (
                Command::User("alice@example.test"),
                "USER alice@example.test",
                None,
            ),
            (Command::Pass(&pass), "PASS ", Some("c4rol pa\"ss\\word")),
            (
                Command::Apop {
                    user: "mrose",
                    digest: &digest,
                },
                "APOP mrose ",
                Some("c4c9334bac560ecc979e58001b3e22fb"),
            ),
            (
                Command::Auth {
                    mechanism: "PLAIN",
                    initial: None,
                },
                "AUTH PLAIN",
                None,
            ),
            (
                Command::Auth {
                    mechanism: "PLAIN",
                    initial: Some(&digest),
                },
                "AUTH PLAIN ",
                Some("c4c9334bac560ecc979e58001b3e22fb"),
            ),
            (Command::Stat, "STAT", None),
            (Command::List(None), "LIST", None),
            (Command::List(Some(MsgNum(2))), "LIST 2", None),
            (Command::Retr(MsgNum(17)), "RETR 17", None),
            (Command::Top(MsgNum(1), 0), "TOP 1 0", None),
            (Command::Uidl(None), "UIDL", None),
            (Command::Uidl(Some(MsgNum(9))), "UIDL 9", None),
            (Command::Dele(MsgNum(3)), "DELE 3", None),
            (Command::Noop, "NOOP", None),
            (Command::Rset, "RSET", None),
            (Command::Quit, "QUIT", None),
        ];
        for (command, public, secret) in table {
            assert_eq!(
                encoded(command),
                (public.to_owned(), secret.map(str::to_owned)),
                "{command:?}"
            );
        }
    }

    #[test]
    fn rejects_line_breaks_and_empty_names_before_writing() {
        let bad_pass = Secret::new("pw\r\nDELE 1");
        let table: Vec<(Command<'_>, EncodeError)> = vec![
            (
                Command::User("alice\r\nDELE 1"),
                EncodeError::LineBreak {
                    what: "user name",
                    at: 5,
                },
            ),
            (
                Command::User("a\0"),
                EncodeError::LineBreak {
                    what: "user name",
                    at: 1,
                },
            ),
            (Command::User(""), EncodeError::Empty { what: "user name" }),
            (
                Command::Pass(&bad_pass),
                EncodeError::LineBreak {
                    what: "password",
                    at: 2,
                },
            ),
            (
                Command::Auth {
                    mechanism: "",
                    initial: None,
                },
                EncodeError::Empty {
                    what: "SASL mechanism",
                },
            ),
        ];
        for (command, expected) in table {
            let mut out = Vec::new();
            assert_eq!(command.encode(&mut out).unwrap_err(), expected);
            assert!(out.is_empty(), "{command:?} wrote bytes");
        }
    }

    #[test]
    fn multiline_commands_are_known() {
        assert!(Command::Retr(MsgNum(1)).is_multiline());
        assert!(Command::List(None).is_multiline());
        assert!(!Command::List(Some(MsgNum(1))).is_multiline());
        assert!(!Command::Stat.is_multiline());
        let table = [
            ("list", false, true),
            ("LIST", true, false),
            ("uidl", false, true),
            ("Uidl", true, false),
            ("retr", true, true),
            ("top", true, true),
            ("capa", false, true),
            ("auth", false, true),
            ("auth", true, false),
            ("stat", false, false),
            ("dele", true, false),
            ("quit", false, false),
            ("xyzzy", false, false),
        ];
        for (verb, arg, expected) in table {
            assert_eq!(expects_multiline(verb, arg), expected, "{verb} {arg}");
        }
    }
}
