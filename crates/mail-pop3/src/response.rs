//! Replies, bytes to values (RFC 1939 §3, §5; RFC 2449 §8 response codes).
//!
//! A reply starts with a status line (`+OK text`, `-ERR text`, or `+ data`
//! during SASL). Listings (`LIST`, `UIDL`, `CAPA`) continue with lines up to
//! a lone `.`; each listing line is parsed by a function here. No I/O.

use std::fmt;

use crate::error::ParseError;

/// A message number: 1 for the first message of the maildrop (RFC 1939 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgNum(pub u32);

impl fmt::Display for MsgNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The status indicator of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `+OK`.
    Ok,
    /// `-ERR`.
    Err,
    /// `+` alone: a SASL challenge follows (RFC 5034 §4).
    Continue,
}

/// The first line of a reply: its status and the text after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `+OK`, `-ERR` or `+`.
    pub status: Status,
    /// The rest of the line, without the leading space (may be empty).
    pub text: String,
}

impl Reply {
    /// True for `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// The RFC 2449 §8 response code, e.g. `AUTH`, `IN-USE`, `SYS/TEMP`,
    /// `LOGIN-DELAY` from `-ERR [IN-USE] ...`.
    pub fn code(&self) -> Option<&str> {
        let rest = self.text.strip_prefix('[')?;
        let end = rest.find(']')?;
        rest.get(..end)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
            Status::Continue => "+",
        };
        if self.text.is_empty() {
            f.write_str(status)
        } else {
            write!(
                f,
                "{status} {}",
                mail_wire::escape_for_display(self.text.as_bytes())
            )
        }
    }
}

/// Parses a status line (without CRLF): `+OK`, `-ERR` or `+`, optionally
/// followed by a space and text.
///
/// # Errors
/// [`ParseError`] for any other line.
pub fn parse_reply(line: &[u8]) -> Result<Reply, ParseError> {
    let (status, rest) = if let Some(rest) = line.strip_prefix(b"+OK") {
        (Status::Ok, rest)
    } else if let Some(rest) = line.strip_prefix(b"-ERR") {
        (Status::Err, rest)
    } else if let Some(rest) = line.strip_prefix(b"+") {
        // `+ challenge`, or `+` alone for an empty challenge.
        if !(rest.is_empty() || rest.starts_with(b" ")) {
            return Err(ParseError::new("+OK, -ERR or a SASL challenge", line));
        }
        (Status::Continue, rest)
    } else {
        return Err(ParseError::new("+OK or -ERR", line));
    };
    let text = match rest {
        [] => &[][..],
        [b' ', text @ ..] => text,
        // Some servers use a tab; RFC 1939 only says "+OK" then text.
        [b'\t', text @ ..] => text,
        _ => return Err(ParseError::new("+OK or -ERR followed by a space", line)),
    };
    Ok(Reply {
        status,
        text: String::from_utf8_lossy(text).into_owned(),
    })
}

/// The server's greeting (RFC 1939 §4) and its APOP timestamp (§7), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// The greeting's text after `+OK`.
    pub text: String,
    /// `<process-ID.clock@hostname>`, angle brackets included, when present.
    pub timestamp: Option<String>,
}

/// Parses the greeting line.
///
/// # Errors
/// [`ParseError`] unless the line is `+OK ...`.
pub fn parse_greeting(line: &[u8]) -> Result<Greeting, ParseError> {
    let reply = parse_reply(line)?;
    if reply.status != Status::Ok {
        return Err(ParseError::new("a +OK greeting", line));
    }
    let timestamp = reply.text.find('<').and_then(|start| {
        let tail = reply.text.get(start..)?;
        let end = tail.find('>')?;
        let stamp = tail.get(..=end)?;
        // RFC 1939 §7: a msg-id, `<...@...>`; no spaces inside.
        (stamp.contains('@') && !stamp.contains(' ')).then(|| stamp.to_owned())
    });
    Ok(Greeting {
        text: reply.text,
        timestamp,
    })
}

/// The `STAT` answer (RFC 1939 §5): number of messages and their total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Messages in the maildrop (not counting those marked deleted).
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
}

/// Parses the text of `+OK nn mm` after STAT.
///
/// # Errors
/// [`ParseError`] unless the text starts with two numbers.
pub fn parse_stat(text: &str) -> Result<Stat, ParseError> {
    let mut words = text.split_ascii_whitespace();
    let count = words.next().and_then(|w| w.parse().ok());
    let size = words.next().and_then(|w| w.parse().ok());
    match (count, size) {
        (Some(count), Some(size)) => Ok(Stat { count, size }),
        _ => Err(ParseError::new(
            "STAT: a message count and a size",
            text.as_bytes(),
        )),
    }
}

/// One line of a `LIST` answer: a message and its size in octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListEntry {
    /// The message.
    pub msg: MsgNum,
    /// Its size in octets (as the server counts it).
    pub size: u64,
}

/// Parses `1 2048` (a LIST line, or the text of `+OK 1 2048` after `LIST 1`).
///
/// # Errors
/// [`ParseError`] unless it starts with a message number and a size.
pub fn parse_list_entry(line: &[u8]) -> Result<ListEntry, ParseError> {
    let text = std::str::from_utf8(line)
        .map_err(|_| ParseError::new("LIST: a number and a size", line))?;
    let mut words = text.split_ascii_whitespace();
    let msg = words.next().and_then(|w| w.parse().ok());
    let size = words.next().and_then(|w| w.parse().ok());
    match (msg, size) {
        (Some(msg), Some(size)) if msg > 0 => Ok(ListEntry {
            msg: MsgNum(msg),
            size,
        }),
        _ => Err(ParseError::new("LIST: a message number and a size", line)),
    }
}

/// One line of a `UIDL` answer: a message and its unique id (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uidl {
    /// The message.
    pub msg: MsgNum,
    /// 1 to 70 characters in 0x21..0x7E, stable across sessions.
    pub uid: String,
}

/// Parses `1 whqtswO00WBw418f9t5JxYwZ` (a UIDL line, or the text after `UIDL 1`).
///
/// # Errors
/// [`ParseError`] unless it is a message number and an id of printable
/// ASCII (0x21..0x7E), at most 70 characters.
pub fn parse_uidl(line: &[u8]) -> Result<Uidl, ParseError> {
    let bad = || ParseError::new("UIDL: a message number and a unique id", line);
    let text = std::str::from_utf8(line).map_err(|_| bad())?;
    let mut words = text.split_ascii_whitespace();
    let msg: u32 = words
        .next()
        .and_then(|w| w.parse().ok())
        .filter(|&n| n > 0)
        .ok_or_else(bad)?;
    let uid = words.next().ok_or_else(bad)?;
    if uid.len() > 70 || !uid.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(bad());
    }
    Ok(Uidl {
        msg: MsgNum(msg),
        uid: uid.to_owned(),
    })
}

/// The answer to `CAPA` (RFC 2449 §5): one capability per line, a name and
/// optional arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    entries: Vec<(String, Vec<String>)>,
}

impl Capabilities {
    /// Adds one CAPA line (`SASL PLAIN LOGIN`). Names are kept upper-case.
    pub fn push_line(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_ascii_whitespace();
        if let Some(name) = words.next() {
            let args = words.map(str::to_owned).collect();
            self.entries.push((name.to_ascii_uppercase(), args));
        }
    }

    /// Parses the lines of a CAPA listing.
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut caps = Capabilities::default();
        for line in lines {
            caps.push_line(line);
        }
        caps
    }

    /// True when the capability is listed (case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The arguments of a capability, if listed.
    pub fn args(&self, name: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, a)| a.as_slice())
    }

    /// The SASL mechanisms offered (`SASL PLAIN LOGIN` → `["PLAIN", "LOGIN"]`).
    pub fn sasl_mechanisms(&self) -> &[String] {
        self.args("SASL").unwrap_or_default()
    }

    /// True when the server accepts pipelined commands (RFC 2449 §6.6).
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }

    /// The capability names, in the server's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }
}

/// One line of a listing: the end (`.`), or a data line with its leading
/// dot removed (RFC 1939 §3 byte-stuffing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingLine<'a> {
    /// The terminating `.`.
    End,
    /// A data line, unstuffed.
    Data(&'a [u8]),
}

/// Classifies one line (without CRLF) of a multi-line reply.
pub fn parse_listing_line(line: &[u8]) -> ListingLine<'_> {
    match line {
        b"." => ListingLine::End,
        [b'.', rest @ ..] => ListingLine::Data(rest),
        _ => ListingLine::Data(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_known_answers() {
        let table: &[(&[u8], Status, &str)] = &[
            (b"+OK", Status::Ok, ""),
            (b"+OK 2 320", Status::Ok, "2 320"),
            (
                b"-ERR [AUTH] Authentication failed.",
                Status::Err,
                "[AUTH] Authentication failed.",
            ),
            (b"-ERR", Status::Err, ""),
            (b"+ ", Status::Continue, ""),
            (b"+", Status::Continue, ""),
            (b"+ PDEyMzQ+", Status::Continue, "PDEyMzQ+"),
            (b"+OK\tfine", Status::Ok, "fine"),
        ];
        for (line, status, text) in table {
            let reply = parse_reply(line).unwrap();
            assert_eq!(
                (reply.status, reply.text.as_str()),
                (*status, *text),
                "{line:?}"
            );
        }
    }

    #[test]
    fn malformed_status_lines_are_errors() {
        for line in [
            &b""[..],
            b"OK",
            b"+OKAY",
            b"-ERROR x",
            b"+x",
            b"* OK imap",
            b"220 smtp",
            b"ok fine",
        ] {
            let err = parse_reply(line).unwrap_err();
            assert!(err.to_string().starts_with("expected "), "{line:?}: {err}");
        }
    }

    #[test]
    fn response_codes_are_found() {
        let reply = parse_reply(b"-ERR [IN-USE] Mailbox locked").unwrap();
        assert_eq!(reply.code(), Some("IN-USE"));
        assert_eq!(
            parse_reply(b"-ERR [SYS/TEMP] x").unwrap().code(),
            Some("SYS/TEMP")
        );
        assert_eq!(parse_reply(b"-ERR no code").unwrap().code(), None);
        assert_eq!(parse_reply(b"-ERR [unterminated").unwrap().code(), None);
    }

    #[test]
    fn reply_display_escapes_server_text() {
        let reply = parse_reply(b"-ERR bad \x1b[2J").unwrap();
        assert_eq!(reply.to_string(), "-ERR bad \\x1b[2J");
        assert_eq!(parse_reply(b"+OK").unwrap().to_string(), "+OK");
    }

    #[test]
    fn greeting_timestamp_is_extracted() {
        let g =
            parse_greeting(b"+OK Dovecot (Debian) ready. <3336.d.6b02694d.yj0bVCe@vm>").unwrap();
        assert_eq!(g.timestamp.as_deref(), Some("<3336.d.6b02694d.yj0bVCe@vm>"));
        let g = parse_greeting(b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap();
        assert_eq!(
            g.timestamp.as_deref(),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        for line in [
            &b"+OK ready"[..],
            b"+OK <no-at-sign>",
            b"+OK <a@b",
            b"+OK <a b@c>",
        ] {
            assert_eq!(parse_greeting(line).unwrap().timestamp, None, "{line:?}");
        }
        assert!(parse_greeting(b"-ERR go away").is_err());
    }

    #[test]
    fn stat_list_and_uidl_known_answers() {
        assert_eq!(
            parse_stat("2 320").unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        assert_eq!(parse_stat("0 0 extra").unwrap(), Stat { count: 0, size: 0 });
        assert_eq!(
            parse_list_entry(b"1 120").unwrap(),
            ListEntry {
                msg: MsgNum(1),
                size: 120
            }
        );
        assert_eq!(
            parse_list_entry(b"3 18446744073709551615").unwrap().size,
            u64::MAX
        );
        assert_eq!(
            parse_uidl(b"1 whqtswO00WBw418f9t5JxYwZ").unwrap(),
            Uidl {
                msg: MsgNum(1),
                uid: "whqtswO00WBw418f9t5JxYwZ".into()
            }
        );
    }

    #[test]
    fn malformed_listing_lines_are_errors() {
        for text in ["", "2", "x 1", "-1 5", "1 -5"] {
            assert!(parse_stat(text).is_err(), "{text:?}");
        }
        for line in [
            &b""[..],
            b"1",
            b"0 10",
            b"a b",
            b"1 x",
            b"4294967296 1",
            b"\xff 1",
        ] {
            assert!(parse_list_entry(line).is_err(), "{line:?}");
        }
        let long = format!("1 {}", "a".repeat(71));
        for line in [&b"1"[..], b"0 abc", b"x abc", b"1 \x7f", long.as_bytes()] {
            assert!(parse_uidl(line).is_err(), "{line:?}");
        }
        let err = parse_uidl(b"1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected UIDL: a message number and a unique id, got \"1\""
        );
    }

    #[test]
    fn encode_then_parse_round_trips() {
        for (n, size) in [(1u32, 0u64), (42, 20_790), (u32::MAX, u64::MAX)] {
            let line = format!("{n} {size}");
            assert_eq!(
                parse_list_entry(line.as_bytes()).unwrap(),
                ListEntry {
                    msg: MsgNum(n),
                    size
                }
            );
            let stat = format!("{n} {size}");
            assert_eq!(parse_stat(&stat).unwrap(), Stat { count: n, size });
        }
        let reply = parse_reply(b"-ERR [AUTH] no").unwrap();
        assert_eq!(parse_reply(reply.to_string().as_bytes()).unwrap(), reply);
    }

    #[test]
    fn capabilities_are_case_insensitive_with_arguments() {
        let lines: [&[u8]; 5] = [
            b"TOP",
            b"UIDL",
            b"pipelining",
            b"SASL PLAIN LOGIN CRAM-MD5",
            b"STLS",
        ];
        let caps = Capabilities::from_lines(lines);
        assert!(caps.has("top") && caps.pipelining() && caps.has("STLS"));
        assert!(!caps.has("USER"));
        assert_eq!(caps.sasl_mechanisms(), ["PLAIN", "LOGIN", "CRAM-MD5"]);
        assert_eq!(caps.names().count(), 5);
    }

    #[test]
    fn listing_lines_are_unstuffed() {
        assert_eq!(parse_listing_line(b"."), ListingLine::End);
        assert_eq!(parse_listing_line(b".."), ListingLine::Data(b"."));
        assert_eq!(parse_listing_line(b"..x"), ListingLine::Data(b".x"));
        assert_eq!(parse_listing_line(b"x."), ListingLine::Data(b"x."));
        assert_eq!(parse_listing_line(b""), ListingLine::Data(b""));
    }
}
