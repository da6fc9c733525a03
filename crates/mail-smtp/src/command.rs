//! Commands to bytes (RFC 5321 §4.1). User text is checked before a byte is
//! written: CR, LF and NUL are refused with [`EncodeError::LineBreak`].

use crate::envelope::xtext;
use crate::error::EncodeError;

/// Longest command line, CRLF included (RFC 5321 §4.5.3.1.4), with room
/// for the parameters of RFC 1870/3461/6531 that extend it.
pub const MAX_COMMAND_LINE: usize = 512 + 1000;

/// The body type of `BODY=` (RFC 6152).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyType {
    /// `BODY=7BIT`.
    SevenBit,
    /// `BODY=8BITMIME`.
    EightBitMime,
}

/// Parameters of `MAIL FROM` (already decided against the capabilities).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=` (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152).
    pub body: Option<BodyType>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` value (RFC 3461).
    pub ret: Option<&'static str>,
    /// `ENVID=` raw value, xtext-encoded on encoding (RFC 3461).
    pub envid: Option<String>,
}

/// Parameters of `RCPT TO`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcptParams {
    /// `NOTIFY=` value (RFC 3461).
    pub notify: Option<String>,
    /// `ORCPT=rfc822;` address, xtext-encoded on encoding (RFC 3461).
    pub orcpt: Option<String>,
}

/// One SMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO domain` (RFC 5321 §4.1.1.1).
    Ehlo(&'a str),
    /// `HELO domain`.
    Helo(&'a str),
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `MAIL FROM:<path> params`; an empty path is the null sender.
    MailFrom(&'a str, &'a MailParams),
    /// `RCPT TO:<path> params`.
    RcptTo(&'a str, &'a RcptParams),
    /// `DATA`.
    Data,
    /// `BDAT size [LAST]` (RFC 3030).
    Bdat {
        /// Octets in the chunk.
        size: u64,
        /// True for the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `NOOP`.
    Noop,
    /// `VRFY string`.
    Vrfy(&'a str),
    /// `HELP [string]`.
    Help(Option<&'a str>),
    /// `QUIT`.
    Quit,
}

impl Command<'_> {
    /// The verb, for errors and logs (never the arguments).
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::MailFrom(..) => "MAIL",
            Command::RcptTo(..) => "RCPT",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Vrfy(_) => "VRFY",
            Command::Help(_) => "HELP",
            Command::Quit => "QUIT",
        }
    }

    /// Appends the command line, without CRLF, to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] for CR, LF, NUL or another forbidden character in an
    /// argument; nothing is appended then.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let result = self.encode_inner(out);
        match result {
            Ok(()) if out.len() - start > MAX_COMMAND_LINE => {
                let len = out.len() - start;
                out.truncate(start);
                Err(EncodeError::TooLong {
                    what: "command line",
                    len,
                })
            }
            Ok(()) => Ok(()),
            Err(err) => {
                out.truncate(start);
                Err(err)
            }
        }
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Command::Ehlo(domain) | Command::Helo(domain) => {
                check_domain(domain)?;
                out.extend_from_slice(self.verb().as_bytes());
                out.push(b' ');
                out.extend_from_slice(domain.as_bytes());
            }
            Command::MailFrom(path, params) => {
                if !path.is_empty() {
                    check_address(path, "sender")?;
                }
                out.extend_from_slice(b"MAIL FROM:<");
                out.extend_from_slice(path.as_bytes());
                out.push(b'>');
                if let Some(size) = params.size {
                    out.extend_from_slice(format!(" SIZE={size}").as_bytes());
                }
                match params.body {
                    Some(BodyType::SevenBit) => out.extend_from_slice(b" BODY=7BIT"),
                    Some(BodyType::EightBitMime) => out.extend_from_slice(b" BODY=8BITMIME"),
                    None => {}
                }
                if params.smtputf8 {
                    out.extend_from_slice(b" SMTPUTF8");
                }
                if let Some(ret) = params.ret {
                    out.extend_from_slice(b" RET=");
                    out.extend_from_slice(ret.as_bytes());
                }
                if let Some(envid) = &params.envid {
                    if envid.is_empty() {
                        return Err(EncodeError::Empty { what: "ENVID" });
                    }
                    out.extend_from_slice(b" ENVID=");
                    out.extend_from_slice(xtext(envid).as_bytes());
                }
            }
            Command::RcptTo(path, params) => {
                check_address(path, "recipient")?;
                out.extend_from_slice(b"RCPT TO:<");
                out.extend_from_slice(path.as_bytes());
                out.push(b'>');
                if let Some(notify) = &params.notify {
                    check_text(notify, "NOTIFY value")?;
                    out.extend_from_slice(b" NOTIFY=");
                    out.extend_from_slice(notify.as_bytes());
                }
                if let Some(orcpt) = &params.orcpt {
                    out.extend_from_slice(b" ORCPT=rfc822;");
                    out.extend_from_slice(xtext(orcpt).as_bytes());
                }
            }
            Command::Bdat { size, last } => {
                out.extend_from_slice(format!("BDAT {size}").as_bytes());
                if *last {
                    out.extend_from_slice(b" LAST");
                }
            }
            Command::Vrfy(arg) => {
                check_text(arg, "VRFY argument")?;
                if arg.is_empty() {
                    return Err(EncodeError::Empty {
                        what: "VRFY argument",
                    });
                }
                out.extend_from_slice(b"VRFY ");
                out.extend_from_slice(arg.as_bytes());
            }
            Command::Help(arg) => {
                out.extend_from_slice(b"HELP");
                if let Some(arg) = arg.filter(|a| !a.is_empty()) {
                    check_text(arg, "HELP argument")?;
                    out.push(b' ');
                    out.extend_from_slice(arg.as_bytes());
                }
            }
            Command::StartTls | Command::Data | Command::Rset | Command::Noop | Command::Quit => {
                out.extend_from_slice(self.verb().as_bytes());
            }
        }
        Ok(())
    }
}

fn line_break_at(text: &str) -> Option<usize> {
    text.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0))
}

/// Free text (VRFY, HELP): no line breaks, no other control characters.
fn check_text(text: &str, what: &'static str) -> Result<(), EncodeError> {
    if let Some(at) = line_break_at(text) {
        return Err(EncodeError::LineBreak { what, at });
    }
    if let Some(at) = text
        .bytes()
        .position(|b| b < 0x20 && b != b'\t' || b == 0x7f)
    {
        return Err(EncodeError::Forbidden { what, at });
    }
    Ok(())
}

/// A domain or address literal for EHLO/HELO: no spaces or controls.
fn check_domain(domain: &str) -> Result<(), EncodeError> {
    let what = "HELO name";
    if domain.is_empty() {
        return Err(EncodeError::Empty { what });
    }
    if let Some(at) = line_break_at(domain) {
        return Err(EncodeError::LineBreak { what, at });
    }
    if let Some(at) = domain.bytes().position(|b| b <= b' ' || b == 0x7f) {
        return Err(EncodeError::Forbidden { what, at });
    }
    Ok(())
}

/// A mailbox inside `<...>`: no line breaks, controls or angle brackets,
/// and spaces only inside a quoted local part (RFC 5321 §4.1.2).
pub(crate) fn check_address(address: &str, what: &'static str) -> Result<(), EncodeError> {
    if address.is_empty() {
        return Err(EncodeError::Empty { what });
    }
    if let Some(at) = line_break_at(address) {
        return Err(EncodeError::LineBreak { what, at });
    }
    let mut quoted = false;
    let mut escaped = false;
    for (at, b) in address.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b' ' | b'\t' if quoted => {}
            0..=0x20 | 0x7f | b'<' | b'>' => return Err(EncodeError::Forbidden { what, at }),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(cmd: Command<'_>) -> String {
        let mut out = Vec::new();
        cmd.encode(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_commands_encode() {
        let plain = MailParams::default();
        let full = MailParams {
            size: Some(2048),
            body: Some(BodyType::EightBitMime),
            smtputf8: true,
            ret: Some("HDRS"),
            envid: Some("id+1".into()),
        };
        let none = RcptParams::default();
        let rcpt = RcptParams {
            notify: Some("SUCCESS,FAILURE".into()),
            orcpt: Some("bob@example.test".into()),
        };
        let table: Vec<(Command<'_>, &str)> = vec![
            (Command::Ehlo("client.example.test"), "EHLO client.example.test"),
            (Command::Helo("[127.0.0.1]"), "HELO [127.0.0.1]"),
            (Command::StartTls, "STARTTLS"),
            (Command::MailFrom("alice@example.test", &plain), "MAIL FROM:<alice@example.test>"),
            (Command::MailFrom("", &plain), "MAIL FROM:<>"),
            (
                Command::MailFrom("alice@example.test", &full),
                "MAIL FROM:<alice@example.test> SIZE=2048 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1",
            ),
            (Command::RcptTo("bob@example.test", &none), "RCPT TO:<bob@example.test>"),
            (
                Command::RcptTo("bob@example.test", &rcpt),
                "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test",
            ),
            (Command::RcptTo("\"john doe\"@example.test", &none), "RCPT TO:<\"john doe\"@example.test>"),
            (Command::Data, "DATA"),
            (Command::Bdat { size: 10, last: false }, "BDAT 10"),
            (Command::Bdat { size: 0, last: true }, "BDAT 0 LAST"),
            (Command::Rset, "RSET"),
            (Command::Noop, "NOOP"),
            (Command::Vrfy("bob"), "VRFY bob"),
            (Command::Help(None), "HELP"),
            (Command::Help(Some("MAIL")), "HELP MAIL"),
            (Command::Quit, "QUIT"),
        ];
        for (cmd, expected) in table {
            assert_eq!(encoded(cmd), expected);
        }
    }

    #[test]
    fn rejects_lf_in_recipient() {
        let params = RcptParams::default();
        let mut out = b"kept".to_vec();
        let err = Command::RcptTo("bob@example.test>\r\nDATA", &params)
            .encode(&mut out)
            .unwrap_err();
        assert_eq!(
            err,
            EncodeError::LineBreak {
                what: "recipient",
                at: 17
            }
        );
        assert_eq!(out, b"kept", "nothing appended on error");
    }

    #[test]
    fn rejects_hostile_arguments() {
        let p = MailParams::default();
        let r = RcptParams::default();
        let cases: Vec<(Command<'_>, EncodeError)> = vec![
            (
                Command::MailFrom("a@b\nRSET", &p),
                EncodeError::LineBreak {
                    what: "sender",
                    at: 3,
                },
            ),
            (
                Command::MailFrom("a@b\0", &p),
                EncodeError::LineBreak {
                    what: "sender",
                    at: 3,
                },
            ),
            (
                Command::MailFrom("a@b> SIZE=1", &p),
                EncodeError::Forbidden {
                    what: "sender",
                    at: 3,
                },
            ),
            (
                Command::RcptTo("a b@c", &r),
                EncodeError::Forbidden {
                    what: "recipient",
                    at: 1,
                },
            ),
            (
                Command::RcptTo("", &r),
                EncodeError::Empty { what: "recipient" },
            ),
            (
                Command::RcptTo("<a@b", &r),
                EncodeError::Forbidden {
                    what: "recipient",
                    at: 0,
                },
            ),
            (
                Command::Ehlo("a\rb"),
                EncodeError::LineBreak {
                    what: "HELO name",
                    at: 1,
                },
            ),
            (
                Command::Ehlo("a b"),
                EncodeError::Forbidden {
                    what: "HELO name",
                    at: 1,
                },
            ),
            (Command::Ehlo(""), EncodeError::Empty { what: "HELO name" }),
            (
                Command::Vrfy("x\r\nQUIT"),
                EncodeError::LineBreak {
                    what: "VRFY argument",
                    at: 1,
                },
            ),
            (
                Command::Vrfy("\x1b"),
                EncodeError::Forbidden {
                    what: "VRFY argument",
                    at: 0,
                },
            ),
            (
                Command::Help(Some("a\n")),
                EncodeError::LineBreak {
                    what: "HELP argument",
                    at: 1,
                },
            ),
        ];
        for (cmd, expected) in cases {
            let mut out = Vec::new();
            assert_eq!(cmd.encode(&mut out), Err(expected), "{cmd:?}");
            assert!(out.is_empty());
        }
    }

    #[test]
    fn xtext_keeps_envid_on_one_line() {
        let p = MailParams {
            envid: Some("a\r\nRSET".into()),
            ..MailParams::default()
        };
        assert_eq!(
            encoded(Command::MailFrom("a@b", &p)),
            "MAIL FROM:<a@b> ENVID=a+0D+0ARSET"
        );
    }

    #[test]
    fn overlong_commands_are_refused() {
        let long = format!("{}@example.test", "a".repeat(2000));
        let mut out = Vec::new();
        let err = Command::RcptTo(&long, &RcptParams::default())
            .encode(&mut out)
            .unwrap_err();
        assert!(matches!(err, EncodeError::TooLong { .. }));
        assert!(out.is_empty());
    }
}
