//! The `C:` / `S:` view of a session: every line in both directions, with
//! secrets masked and control characters escaped before anyone sees them.

use std::sync::{Arc, Mutex, PoisonError};

use crate::Secret;

/// What a masked secret looks like in a transcript.
pub const MASK: &str = "********";

/// Which side sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by us (`C:`).
    Client,
    /// Received from the server (`S:`).
    Server,
}

impl Direction {
    /// The transcript prefix: `"C"` or `"S"`.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Client => "C",
            Direction::Server => "S",
        }
    }
}

/// An observer of the session's lines.
pub trait Transcript {
    /// One call per line, without its line ending, already masked and escaped.
    fn line(&mut self, direction: Direction, shown: &str);
}

impl<F: FnMut(Direction, &str)> Transcript for F {
    fn line(&mut self, direction: Direction, shown: &str) {
        self(direction, shown)
    }
}

/// One command line to send: `public` is shown as is, `secret` (if any)
/// follows it on the wire and is shown as `********`.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The part shown in the transcript.
    pub public: &'a [u8],
    /// The part masked in the transcript, sent right after `public`.
    pub secret: Option<&'a Secret>,
}

impl<'a> Line<'a> {
    /// A line with nothing to hide.
    pub fn public(public: &'a [u8]) -> Self {
        Line {
            public,
            secret: None,
        }
    }

    /// A line whose tail is a secret, e.g. `AUTH PLAIN ` + the credentials.
    pub fn with_secret(public: &'a [u8], secret: &'a Secret) -> Self {
        Line {
            public,
            secret: Some(secret),
        }
    }
}

/// A transcript that keeps every line, shareable between threads: tests read
/// it, and a web page can show it after the session.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    lines: Arc<Mutex<Vec<(Direction, String)>>>,
}

impl Recording {
    /// An empty recording.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines so far, each as `C: ...` or `S: ...`.
    pub fn lines(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines
            .iter()
            .map(|(d, text)| format!("{}: {text}", d.label()))
            .collect()
    }
}

impl Transcript for Recording {
    fn line(&mut self, direction: Direction, shown: &str) {
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines.push((direction, shown.to_owned()));
    }
}

/// Makes server bytes safe for a terminal: valid UTF-8 text stays readable
/// (Korean subjects included), while control characters, bidirectional
/// overrides and invalid bytes become visible escapes such as `\x1b` and `\xff`.
pub fn escape_for_display(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// At most `max` bytes of server input, escaped by [`escape_for_display`],
/// with `...` when there was more: the "found" part of a parse error. The
/// cut backs off to a character boundary so a multi-byte character is not
/// shown as escapes.
///
/// ```
/// assert_eq!(mail_wire::excerpt(b"250 ok\x1b", 40), "250 ok\\x1b");
/// assert_eq!(mail_wire::excerpt(b"0123456789", 4), "0123...");
/// assert_eq!(mail_wire::excerpt("안녕".as_bytes(), 4), "안...");
/// ```
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return escape_for_display(bytes);
    }
    let mut end = max;
    // Back off over UTF-8 continuation bytes (at most three).
    for _ in 0..3 {
        match bytes.get(end) {
            Some(b) if (0x80..0xc0).contains(b) && end > 0 => end -= 1,
            _ => break,
        }
    }
    let mut shown = escape_for_display(bytes.get(..end).unwrap_or(bytes));
    shown.push_str("...");
    shown
}

fn push_escaped_char(out: &mut String, c: char) {
    let code = u32::from(c);
    let is_control = c != '\t' && (c.is_control() || (0x80..0xa0).contains(&code));
    let is_bidi = matches!(code, 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069);
    if is_control || is_bidi {
        if code <= 0xff {
            out.push_str(&format!("\\x{code:02x}"));
        } else {
            out.push_str(&format!("\\u{{{code:x}}}"));
        }
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_cut_escaped_and_marked() {
        let cases: &[(&[u8], usize, &str)] = &[
            (b"", 10, ""),
            (b"short", 10, "short"),
            (b"exactly10!", 10, "exactly10!"),
            (b"0123456789abc", 10, "0123456789..."),
            (b"\x1b[31mred", 4, "\\x1b[31..."),
            (b"\xff\xfe", 1, "\\xff..."),
            ("ab안녕".as_bytes(), 3, "ab..."),
            ("ab안녕".as_bytes(), 5, "ab안..."),
            ("안녕".as_bytes(), 0, "..."),
        ];
        for (input, max, want) in cases {
            assert_eq!(excerpt(input, *max), *want, "{input:?} cut at {max}");
        }
    }

    #[test]
    fn escapes_control_and_invalid_bytes_but_keeps_text() {
        let table: &[(&[u8], &str)] = &[
            (b"250 OK", "250 OK"),
            (b"tab\there", "tab\there"),
            (b"\x1b[31mred", "\\x1b[31mred"),
            (b"bell\x07", "bell\\x07"),
            (b"del\x7f", "del\\x7f"),
            (b"bad \xff\xfe end", "bad \\xff\\xfe end"),
            ("내게쓴메일함".as_bytes(), "내게쓴메일함"),
            ("c1 \u{9b}31m".as_bytes(), "c1 \\x9b31m"),
            ("rtl \u{202e}txt".as_bytes(), "rtl \\u{202e}txt"),
            (b"cr\rlf\n", "cr\\x0dlf\\x0a"),
        ];
        for (input, expected) in table {
            assert_eq!(escape_for_display(input), *expected, "input {input:?}");
        }
    }

    #[test]
    fn hostile_text_is_escaped_and_escaping_twice_changes_nothing() {
        let once = escape_for_display(crate::testing::HOSTILE);
        assert_eq!(once, crate::testing::HOSTILE_ESCAPED);
        assert_eq!(escape_for_display(once.as_bytes()), once);
        crate::testing::assert_terminal_safe(once.as_bytes(), "escaped");
        let lossy = String::from_utf8_lossy(crate::testing::HOSTILE);
        assert_eq!(
            escape_for_display(lossy.as_bytes()),
            crate::testing::HOSTILE_TEXT_ESCAPED
        );
    }

    #[test]
    fn recording_keeps_lines_in_order() {
        let rec = Recording::new();
        let mut sink = rec.clone();
        sink.line(Direction::Server, "220 hi");
        sink.line(Direction::Client, "QUIT");
        assert_eq!(rec.lines(), vec!["S: 220 hi", "C: QUIT"]);
    }
}
