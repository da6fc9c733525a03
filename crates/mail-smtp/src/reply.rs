//! Server replies: `Reply`, `ReplyCode`, `EnhancedStatus` and the
//! line-by-line `ReplyParser` (RFC 5321 §4.2, RFC 2034, RFC 3463).

use std::fmt;

use mail_wire::escape_for_display;

use crate::error::ParseError;

/// Most lines accepted in one reply (an EHLO reply has about a dozen).
pub const DEFAULT_MAX_REPLY_LINES: usize = 256;

/// A three-digit reply code (RFC 5321 §4.2.1): first digit 2 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// `220 <domain> Service ready`.
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `221 Service closing transmission channel`.
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// `235 Authentication successful` (RFC 4954).
    pub const AUTH_OK: ReplyCode = ReplyCode(235);
    /// `250 Requested mail action okay, completed`.
    pub const OK: ReplyCode = ReplyCode(250);
    /// `334` SASL challenge (RFC 4954).
    pub const AUTH_CHALLENGE: ReplyCode = ReplyCode(334);
    /// `354 Start mail input; end with <CRLF>.<CRLF>`.
    pub const START_DATA: ReplyCode = ReplyCode(354);
    /// `421 Service not available, closing transmission channel`.
    pub const SERVICE_UNAVAILABLE: ReplyCode = ReplyCode(421);

    /// A code from its number; `None` unless 200..=599.
    pub fn new(code: u16) -> Option<Self> {
        (200..=599).contains(&code).then_some(ReplyCode(code))
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }

    /// 2yz: the command succeeded.
    pub fn is_positive_completion(self) -> bool {
        self.0 / 100 == 2
    }

    /// 3yz: the server waits for more (354 after DATA, 334 during AUTH).
    pub fn is_positive_intermediate(self) -> bool {
        self.0 / 100 == 3
    }

    /// 4yz: failed now, may work later.
    pub fn is_transient(self) -> bool {
        self.0 / 100 == 4
    }

    /// 5yz: failed for good.
    pub fn is_permanent(self) -> bool {
        self.0 / 100 == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463), such as `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    /// 0 to 999: what kind of thing failed (1 addressing, 7 security...).
    pub subject: u16,
    /// 0 to 999: the detail within the subject.
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses `X.Y.Z` at the start of a reply text; returns it and the text
    /// after the following space. `None` when the text does not start with one.
    pub fn parse_prefix(text: &str) -> Option<(EnhancedStatus, &str)> {
        let (token, rest) = match text.split_once(' ') {
            Some((token, rest)) => (token, rest),
            None => (text, ""),
        };
        let mut parts = token.split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() || class.len() != 1 {
            return None;
        }
        let number = |s: &str| -> Option<u16> {
            (1..=3).contains(&s.len()).then_some(())?;
            s.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
            s.parse().ok()
        };
        let class = u8::try_from(number(class)?)
            .ok()
            .filter(|c| matches!(c, 2 | 4 | 5))?;
        Some((
            EnhancedStatus {
                class,
                subject: number(subject)?,
                detail: number(detail)?,
            },
            rest,
        ))
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One complete reply: its code and the text of every line (without the
/// code and separator), as received; invalid UTF-8 is replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    lines: Vec<String>,
}

impl Reply {
    /// A reply from parts (for tests and servers written with this crate).
    pub fn new(code: ReplyCode, lines: Vec<String>) -> Self {
        Reply { code, lines }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The text of each line, enhanced status codes included.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The enhanced status code of the first line, when it carries one whose
    /// class matches the reply code's first digit (RFC 3463 §2, RFC 2034 §4).
    pub fn enhanced_status(&self) -> Option<EnhancedStatus> {
        let first = self.lines.first()?;
        let (status, _) = EnhancedStatus::parse_prefix(first)?;
        (u16::from(status.class) == self.code.get() / 100).then_some(status)
    }

    /// The text of all lines joined by a space, without enhanced status codes.
    pub fn message(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let text = match EnhancedStatus::parse_prefix(line) {
                Some((_, rest)) => rest,
                None => line,
            };
            if !out.is_empty() && !text.is_empty() {
                out.push(' ');
            }
            out.push_str(text);
        }
        out
    }

    /// True for 2yz.
    pub fn is_positive(&self) -> bool {
        self.code.is_positive_completion()
    }

    /// Encodes the reply as a server would send it (`250-a\r\n250 b\r\n`).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let count = self.lines.len().max(1);
        for i in 0..count {
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            out.extend_from_slice(self.code.to_string().as_bytes());
            out.push(if i + 1 == count { b' ' } else { b'-' });
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `550 5.1.1 <bob@example.test>: user unknown`, lines joined by a space,
/// control characters escaped so a hostile server cannot drive a terminal.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for line in &self.lines {
            if !line.is_empty() {
                write!(f, " {}", escape_for_display(line.as_bytes()))?;
            }
        }
        Ok(())
    }
}

/// Collects the lines of one reply (`250-a`, `250-b`, `250 c`), bounded in
/// line count; line length is bounded by the connection's `Limits`.
#[derive(Debug)]
pub struct ReplyParser {
    code: Option<ReplyCode>,
    lines: Vec<String>,
    max_lines: usize,
}

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser::new(DEFAULT_MAX_REPLY_LINES)
    }
}

impl ReplyParser {
    /// A parser accepting at most `max_lines` lines per reply.
    pub fn new(max_lines: usize) -> Self {
        ReplyParser {
            code: None,
            lines: Vec::new(),
            max_lines: max_lines.max(1),
        }
    }

    /// Feeds one line without its CRLF; returns the reply after its last line,
    /// `None` while more lines are due.
    ///
    /// # Errors
    /// [`ParseError`] for a line that is not `code[-| ]text`, a code that
    /// changes within the reply, or too many lines. The parser is reset then.
    pub fn push_line(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        let result = self.push_inner(line);
        if !matches!(result, Ok(None)) {
            self.code = None;
            self.lines = Vec::new();
        }
        result
    }

    fn push_inner(&mut self, line: &[u8]) -> Result<Option<Reply>, ParseError> {
        let (code, is_last, text) = split_reply_line(line)?;
        if let Some(first) = self.code.filter(|&c| c != code) {
            return Err(ParseError::MixedCodes { first, then: code });
        }
        if self.lines.len() >= self.max_lines {
            return Err(ParseError::TooManyLines {
                limit: self.max_lines,
            });
        }
        self.code = Some(code);
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        Ok(is_last.then(|| Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        }))
    }

    /// The most lines accepted in one reply.
    pub fn max_lines(&self) -> usize {
        self.max_lines
    }

    /// True between the first and the last line of a reply.
    pub fn is_partial(&self) -> bool {
        self.code.is_some()
    }
}

/// Splits `250-text` into (250, false, "text"); `250 text` and a bare `250`
/// are last lines (RFC 5321 §4.2: `Reply-code [ SP textstring ] CRLF`).
fn split_reply_line(line: &[u8]) -> Result<(ReplyCode, bool, &[u8]), ParseError> {
    let malformed = || ParseError::Malformed {
        excerpt: mail_wire::excerpt(line, 40),
    };
    let digits = line.get(..3).ok_or_else(malformed)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(malformed());
    }
    let number = digits
        .iter()
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let code = ReplyCode::new(number).ok_or_else(malformed)?;
    match line.get(3) {
        None => Ok((code, true, b"")),
        Some(b' ') => Ok((code, true, line.get(4..).unwrap_or_default())),
        Some(b'-') => Ok((code, false, line.get(4..).unwrap_or_default())),
        Some(_) => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &[u8]) -> Result<Vec<Reply>, ParseError> {
        let mut parser = ReplyParser::default();
        let mut out = Vec::new();
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(reply) = parser.push_line(line)? {
                out.push(reply);
            }
        }
        Ok(out)
    }

    #[test]
    fn known_replies_parse() {
        let table: &[(&[u8], u16, &[&str])] = &[
            (
                b"220 mail.example.test ESMTP Postfix\r\n",
                220,
                &["mail.example.test ESMTP Postfix"],
            ),
            (
                b"250-mail.example.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
                250,
                &["mail.example.test", "PIPELINING", "CHUNKING"],
            ),
            (b"250\r\n", 250, &[""]),
            (b"354 \r\n", 354, &[""]),
            (
                b"220-first\r\n220-\r\n220 last\r\n",
                220,
                &["first", "", "last"],
            ),
            (
                b"550 5.1.1 <bob@example.test>: Recipient address rejected\r\n",
                550,
                &["5.1.1 <bob@example.test>: Recipient address rejected"],
            ),
        ];
        for (input, code, lines) in table {
            let replies = parse_all(input).unwrap();
            assert_eq!(replies.len(), 1, "{input:?}");
            assert_eq!(replies[0].code().get(), *code);
            assert_eq!(replies[0].lines(), *lines);
        }
    }

    #[test]
    fn malformed_lines_are_errors() {
        let table: &[&[u8]] = &[
            b"",
            b"25",
            b"abc ok",
            b"2500 x",
            b"250x",
            b"199 low",
            b"600 high",
            b"-250 x",
            b"25a ok",
        ];
        for input in table {
            let mut parser = ReplyParser::default();
            assert!(
                matches!(parser.push_line(input), Err(ParseError::Malformed { .. })),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn mixed_reply_codes_are_an_error() {
        let mut parser = ReplyParser::default();
        assert_eq!(parser.push_line(b"250-a").unwrap(), None);
        let err = parser.push_line(b"251 b").unwrap_err();
        assert!(matches!(err, ParseError::MixedCodes { .. }));
        // The parser starts afresh afterwards.
        assert_eq!(
            parser.push_line(b"221 bye").unwrap().unwrap().code(),
            ReplyCode::CLOSING
        );
    }

    #[test]
    fn too_many_lines_are_an_error() {
        let mut parser = ReplyParser::new(3);
        for _ in 0..3 {
            assert_eq!(parser.push_line(b"250-x").unwrap(), None);
        }
        assert!(matches!(
            parser.push_line(b"250 x"),
            Err(ParseError::TooManyLines { limit: 3 })
        ));
    }

    #[test]
    fn every_prefix_of_a_reply_is_need_more() {
        let lines: [&[u8]; 4] = [
            b"250-mail.example.test",
            b"250-SIZE 1000",
            b"250-8BITMIME",
            b"250 SMTPUTF8",
        ];
        let mut parser = ReplyParser::default();
        for (i, line) in lines.iter().enumerate() {
            let got = parser.push_line(line).unwrap();
            assert_eq!(got.is_some(), i == lines.len() - 1);
        }
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let replies = [
            Reply::new(ReplyCode::OK, vec!["a".into(), "b c".into(), "".into()]),
            Reply::new(ReplyCode::SERVICE_READY, vec!["hi".into()]),
            Reply::new(ReplyCode::new(550).unwrap(), vec!["5.7.1 no".into()]),
        ];
        for reply in replies {
            let mut bytes = Vec::new();
            reply.encode(&mut bytes);
            assert_eq!(parse_all(&bytes).unwrap(), vec![reply]);
        }
    }

    #[test]
    fn enhanced_status_codes_parse() {
        type Known<'a> = (&'a str, Option<(u8, u16, u16)>, &'a str);
        let table: &[Known<'_>] = &[
            ("5.1.1 user unknown", Some((5, 1, 1)), "user unknown"),
            (
                "2.0.0 Ok: queued as 4XyZ",
                Some((2, 0, 0)),
                "Ok: queued as 4XyZ",
            ),
            ("4.7.0", Some((4, 7, 0)), ""),
            ("5.123.999 long", Some((5, 123, 999)), "long"),
            ("3.0.0 bad class", None, ""),
            ("5.1 short", None, ""),
            ("5.1.1.1 long", None, ""),
            ("5.1.1000 detail too long", None, ""),
            ("55.1.1 class too long", None, ""),
            ("5.a.1 letter", None, ""),
            ("Ok", None, ""),
            ("", None, ""),
        ];
        for (text, expected, rest) in table {
            let got = EnhancedStatus::parse_prefix(text);
            assert_eq!(
                got.map(|(s, _)| (s.class, s.subject, s.detail)),
                *expected,
                "{text}"
            );
            if let Some((_, r)) = got {
                assert_eq!(r, *rest);
            }
        }
    }

    #[test]
    fn enhanced_status_must_match_the_reply_class() {
        let ok = Reply::new(ReplyCode::OK, vec!["2.1.0 Ok".into()]);
        assert_eq!(ok.enhanced_status().unwrap().to_string(), "2.1.0");
        let mismatch = Reply::new(ReplyCode::OK, vec!["5.1.0 odd".into()]);
        assert_eq!(mismatch.enhanced_status(), None);
        assert_eq!(ok.message(), "Ok");
    }

    #[test]
    fn display_escapes_control_characters() {
        let reply = Reply::new(
            ReplyCode::new(550).unwrap(),
            vec!["5.1.1 \x1b[2Jbad".into(), "more".into()],
        );
        assert_eq!(reply.to_string(), "550 5.1.1 \\x1b[2Jbad more");
    }

    #[test]
    fn random_lines_never_panic() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        // No LF: the connection splits lines there, so a line never holds one.
        let alphabet = b"0123456789 -\r\x00\xff.a25";
        let mut parser = ReplyParser::new(8);
        let mut parsed = 0;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let line: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i * 5)) % alphabet.len() as u64) as usize])
                .collect();
            if let Ok(Some(reply)) = parser.push_line(&line) {
                let mut bytes = Vec::new();
                reply.encode(&mut bytes);
                assert_eq!(parse_all(&bytes).unwrap_or_default().len(), 1);
                parsed += 1;
            }
        }
        assert!(
            parsed > 100,
            "only {parsed} replies parsed: the generator is too weak"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_a_panic() {
        let replies = parse_all(b"250 caf\xe9\r\n").unwrap();
        assert_eq!(replies[0].lines()[0], "caf\u{fffd}");
    }
}
