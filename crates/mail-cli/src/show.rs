//! The consoles' decoded views of received mail, built on
//! [`mail_mime::ParsedMessage`]: `:show N` ([`render`]) and the decoded
//! line shown beneath a server line that carries RFC 2047 encoded-words
//! ([`Annotated`]). Everything a message supplies is escaped for the
//! terminal ([`mail_wire::escape_for_display`]): no control character from
//! a message reaches the screen.

use std::io::Write;

use mail_mime::{Mailbox, ParsedMessage};
use mail_wire::{escape_for_display, Direction, Transcript};

/// A message for the terminal: `From`, `To`, `Cc`, `Date` and `Subject`
/// decoded (those present), a blank line, the text (the first inline
/// `text/plain` part, else `text/html` reduced to text), then one
/// `[attachment: name (type, N bytes)]` line per attachment.
pub fn render(raw: &[u8]) -> String {
    let msg = ParsedMessage::parse(raw);
    let mut out = String::new();
    for (label, name, list) in [
        ("From", "from", msg.from()),
        ("To", "to", msg.to()),
        ("Cc", "cc", msg.cc()),
    ] {
        if let Some(value) = addresses(&list).or_else(|| msg.header(name).map(|v| v.into_owned())) {
            push_line(&mut out, &format!("{label}: {value}"));
        }
    }
    for (label, name) in [("Date", "date"), ("Subject", "subject")] {
        if let Some(value) = msg.header(name) {
            push_line(&mut out, &format!("{label}: {value}"));
        }
    }
    out.push('\n');
    match text(&msg) {
        Some(text) => {
            for line in text.lines() {
                push_line(&mut out, line);
            }
        }
        None => out.push_str("(no text part)\n"),
    }
    for part in msg.attachments() {
        let name = part.filename().unwrap_or("(no name)");
        let line = format!(
            "[attachment: {name} ({}, {} bytes)]",
            part.content_type(),
            part.decoded().len()
        );
        push_line(&mut out, &line);
    }
    out
}

/// The message text. A `text/plain` part that declares no charset but is
/// valid UTF-8 is read as UTF-8 (mail-mime reads it as US-ASCII, RFC 2045's
/// default, which turns every 8-bit byte into U+FFFD; much mail from
/// webmail and scripts is UTF-8 without saying so).
fn text(msg: &ParsedMessage<'_>) -> Option<String> {
    let plain = msg
        .parts()
        .find(|p| p.content_type() == "text/plain" && !p.is_attachment());
    if let Some(part) = plain.filter(|p| p.charset().is_none()) {
        if let Ok(text) = String::from_utf8(part.decoded().into_owned()) {
            return Some(text);
        }
    }
    msg.text_body()
}

/// `Name <address>, ...`, or `None` when nothing parsed.
fn addresses(list: &[Mailbox]) -> Option<String> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// Appends one line, escaped (a stray CR from the message is dropped).
fn push_line(out: &mut String, line: &str) {
    out.push_str(&escape_for_display(line.trim_end_matches('\r').as_bytes()));
    out.push('\n');
}

/// The text of `line` with its RFC 2047 encoded-words decoded, escaped for
/// the terminal; `None` when it has none (or none that decode).
pub fn decoded_words(line: &str) -> Option<String> {
    if !line.contains("=?") || !line.contains("?=") {
        return None;
    }
    // mail-mime decodes encoded-words inside a header field's value (its
    // decoder is not public on its own): read the line as one such field.
    let mut field = b"X: ".to_vec();
    field.extend(line.bytes().filter(|&b| b != b'\r' && b != b'\n'));
    field.extend_from_slice(b"\r\n\r\n");
    let decoded = ParsedMessage::parse(&field).header("x")?.into_owned();
    (decoded != line.trim()).then(|| escape_for_display(decoded.as_bytes()))
}

/// A folded field longer than this is not followed further.
const MAX_FIELD: usize = 8 * 1024;

/// A transcript that prints, beneath each server line with encoded-words
/// (a header in a FETCH or TOP reply, an ENVELOPE), that line decoded:
/// `   (decoded) Subject: 안녕하세요`. Beneath a continuation line of a
/// folded header field the whole field so far is shown decoded. The server
/// line itself is passed on unchanged.
pub struct Annotated {
    inner: Box<dyn Transcript + Send>,
    /// The unfolded field the last server line belongs to.
    field: String,
}

impl Annotated {
    /// Wraps the transcript that prints the lines.
    pub fn wrap(inner: Box<dyn Transcript + Send>) -> Box<dyn Transcript + Send> {
        Box::new(Annotated {
            inner,
            field: String::new(),
        })
    }

    /// The decoded note for one more server line, if it has encoded-words.
    fn note(&mut self, shown: &str) -> Option<String> {
        if shown.starts_with([' ', '\t'])
            && !self.field.is_empty()
            && self.field.len() + shown.len() <= MAX_FIELD
        {
            self.field.push_str(shown);
        } else {
            self.field.clear();
            if shown.len() <= MAX_FIELD {
                self.field.push_str(shown);
            }
        }
        if !shown.contains("=?") {
            return None;
        }
        decoded_words(if self.field.is_empty() {
            shown
        } else {
            &self.field
        })
    }
}

impl Transcript for Annotated {
    fn line(&mut self, direction: Direction, shown: &str) {
        self.inner.line(direction, shown);
        if direction == Direction::Server {
            if let Some(decoded) = self.note(shown) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "   (decoded) {decoded}");
                let _ = out.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_message_shows_headers_and_text() {
        let raw = b"Received: x\r\nFrom: Bob <bob@example.test>\r\nSubject: =?UTF-8?B?7ZWc6riA?=\r\n \
            folded\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            caf=C3=A9 =\r\nsoft\r\n\x1b[2Jevil\r\n";
        assert_eq!(
            render(raw),
            "From: Bob <bob@example.test>\nSubject: 한글 folded\n\ncafé soft\n\\x1b[2Jevil\n"
        );
    }

    #[test]
    fn encoded_words_and_base64_bodies() {
        let raw = b"From: =?UTF-8?B?7Lmc6rWs?= <friend@naver.com>\r\nSubject: =?UTF-8?B?7JWI64WV?=\r\n =?UTF-8?Q?_=ED=95=98?=\r\nContent-Transfer-Encoding: base64\r\n\r\n7JWI64WV\r\n";
        let shown = render(raw);
        assert!(shown.contains("From: 친구 <friend@naver.com>"), "{shown}");
        assert!(shown.contains("Subject: 안녕 하"), "{shown}");
        assert!(shown.ends_with("\n안녕\n"), "{shown}");
    }

    #[test]
    fn plain_is_preferred_attachments_are_listed() {
        let raw = "From: =?euc-kr?B?yKux5rW/?= <hong@example.test>\r\nTo: a@x.test, =?utf-8?Q?B=C3=A9?= <b@x.test>\r\n\
            Cc: c@x.test\r\nDate: Mon, 5 Jan 2009 10:00:00 +0900\r\nSubject: =?ks_c_5601-1987?B?x9Gx2w==?= test\r\n\
            Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n\
            Content-Type: multipart/alternative; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>no</p>\r\n\
            --b1\r\nContent-Type: text/plain; charset=ks_c_5601-1987\r\nContent-Transfer-Encoding: base64\r\n\r\nx9Gx2w==\r\n--b1--\r\n\
            --XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf\r\n\
            Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX--\r\n";
        let shown = render(raw.as_bytes());
        assert_eq!(
            shown,
            "From: 홍길동 <hong@example.test>\nTo: a@x.test, Bé <b@x.test>\nCc: c@x.test\n\
             Date: Mon, 5 Jan 2009 10:00:00 +0900\nSubject: 한글 test\n\n한글\n\
             [attachment: 보고서.pdf (application/pdf, 5 bytes)]\n"
        );
    }

    #[test]
    fn html_only_is_reduced_to_text_and_escaped() {
        let raw = b"Subject: =?utf-8?Q?=1B]0;x=07?=\r\nContent-Type: text/html\r\n\r\n<b>Hi</b><br>\x1b[2J&amp; you";
        let shown = render(raw);
        assert_eq!(shown, "Subject: \\x1b]0;x\\x07\n\nHi\n\\x1b[2J& you\n");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for raw in [
            &b""[..],
            b"\r\n\r\n",
            b"Content-Type: multipart/mixed\r\n\r\nx",
            b"=?",
            b"a: =?UTF-8?B?!!?=",
            b"\xff\xfe: \xff",
        ] {
            let shown = render(raw);
            assert!(!shown.contains('\x1b'));
        }
    }

    #[test]
    fn lines_with_encoded_words_are_decoded() {
        let table = [
            ("Subject: =?euc-kr?B?x9Gx2w==?= =?utf-8?B?7ZWc6riA?=", Some("Subject: 한글한글")),
            (
                "* 1 FETCH (ENVELOPE (\"Mon\" \"=?utf-8?B?7JWI64WV?=\" ((\"=?euc-kr?B?yKux5rW/?=\" NIL \"hong\" \"x.test\"))))",
                Some("* 1 FETCH (ENVELOPE (\"Mon\" \"안녕\" ((\"홍길동\" NIL \"hong\" \"x.test\"))))"),
            ),
            ("Subject: =?utf-8?Q?=1B[2J?=", Some("Subject: \\x1b[2J")),
            ("Subject: plain", None),
            ("x =?bogus", None),
        ];
        for (line, expected) in table {
            assert_eq!(decoded_words(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn a_folded_field_is_decoded_whole_beneath_its_last_line() {
        let mut notes = Annotated {
            inner: Box::new(mail_wire::Recording::default()),
            field: String::new(),
        };
        let lines = [
            "Subject: =?ks_c_5601-1987?B?yLjAxyA=?=",
            " =?utf-8?B?7J6Q66OMIOyViOuCtA==?=",
            "X: plain",
            " more",
        ];
        let got: Vec<_> = lines.iter().map(|l| notes.note(l)).collect();
        let subject = Some("Subject: 회의 자료 안내".to_string());
        assert_eq!(
            got,
            [Some("Subject: 회의".to_string()), subject, None, None]
        );
    }
}

#[cfg(test)]
mod korean {
    use super::render;

    #[test]
    fn a_korean_webmail_message_with_an_rfc2231_attachment() {
        let raw = include_bytes!("../tests/fixtures/korean.eml");
        assert_eq!(
            render(raw),
            "From: 홍길동 <hong@example.test>\nTo: 김철수 <kim@example.test>, lee@example.test\n\
             Cc: 박영희 <park@example.test>\nDate: Sun, 22 Nov 2026 13:00:00 +0900\nSubject: 회의 자료 안내\n\n\
             안녕하세요.\n회의 자료를 보냅니다.\n[attachment: 회의 자료.pdf (application/pdf, 265 bytes)]\n"
        );
    }
}
