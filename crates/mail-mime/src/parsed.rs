//! `ParsedMessage`: a received message read from bytes, with typed header
//! accessors and walks over its MIME tree.

use std::borrow::Cow;

use crate::header::HeaderField;
use crate::part::{Part, PartKind};
use crate::{address, charset, date, html, DateTime, Mailbox};

/// A message parsed from bytes it borrows (RFC 5322, MIME). Parsing never
/// fails: malformed input gives the best honest reading.
#[derive(Debug, Clone)]
pub struct ParsedMessage<'a> {
    root: Part<'a>,
}

impl<'a> ParsedMessage<'a> {
    /// Parses a whole message (CRLF or LF line endings).
    pub fn parse(bytes: &'a [u8]) -> ParsedMessage<'a> {
        Self::parse_nested(bytes, 0)
    }

    pub(crate) fn parse_nested(bytes: &'a [u8], depth: usize) -> ParsedMessage<'a> {
        ParsedMessage {
            root: Part::parse(bytes, "text/plain", depth),
        }
    }

    /// The top-level entity: the message's own headers and body.
    pub fn root(&self) -> &Part<'a> {
        &self.root
    }

    /// All top-level header fields, in order.
    pub fn headers(&self) -> &[HeaderField<'a>] {
        self.root.headers()
    }

    /// The first field called `name`, unfolded, RFC 2047-decoded, trimmed;
    /// raw 8-bit bytes are read as UTF-8, else in the declared charset.
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.root.header(name)
    }

    /// The `Subject:`.
    pub fn subject(&self) -> Option<Cow<'a, str>> {
        self.header("subject")
    }

    /// An address field read from its raw text: the structure (commas,
    /// quotes, angle brackets, comments) first, then the encoded-words in
    /// each display name, so `=?utf-8?Q?Doe=2C_J?=` stays one name.
    fn addresses(&self, name: &str) -> Vec<Mailbox> {
        let Some(field) = self.headers().iter().find(|f| f.is(name)) else {
            return Vec::new();
        };
        let raw = field.unfolded();
        address::parse_list(&charset::decode_raw_header(&raw, self.root.charset()))
    }

    /// The `From:` mailboxes (usually one).
    pub fn from(&self) -> Vec<Mailbox> {
        self.addresses("from")
    }

    /// The `To:` mailboxes, groups flattened.
    pub fn to(&self) -> Vec<Mailbox> {
        self.addresses("to")
    }

    /// The `Cc:` mailboxes, groups flattened.
    pub fn cc(&self) -> Vec<Mailbox> {
        self.addresses("cc")
    }

    /// The `Bcc:` mailboxes, groups flattened (a message as submitted may
    /// carry them; one as delivered should not).
    pub fn bcc(&self) -> Vec<Mailbox> {
        self.addresses("bcc")
    }

    /// The `Sender:` mailbox, when the message has one (RFC 5322 §3.6.2).
    pub fn sender(&self) -> Option<Mailbox> {
        self.addresses("sender").into_iter().next()
    }

    /// The `Date:`, RFC 5322 or an obsolete form; `None` when unreadable.
    pub fn date(&self) -> Option<DateTime> {
        self.header("date").and_then(|d| date::parse(&d))
    }

    /// The `Message-ID:` without angle brackets.
    pub fn message_id(&self) -> Option<String> {
        let v = self.header("message-id")?;
        let inner = match (v.find('<'), v.find('>')) {
            (Some(a), Some(b)) if a < b => v.get(a + 1..b).unwrap_or_default(),
            _ => v.trim(),
        };
        // Obsolete form (RFC 5322 §4.5.4): white space and comments inside.
        let inner = if inner.contains([' ', '\t', '(']) {
            let mut out = String::with_capacity(inner.len());
            let mut depth = 0u32;
            for c in inner.chars() {
                match c {
                    '(' => depth += 1,
                    ')' if depth > 0 => depth -= 1,
                    ' ' | '\t' => {}
                    c if depth == 0 => out.push(c),
                    _ => {}
                }
            }
            out
        } else {
            inner.to_string()
        };
        (!inner.is_empty()).then_some(inner)
    }

    /// Leaf parts depth-first, descending into multiparts and message/rfc822.
    pub fn parts(&self) -> impl Iterator<Item = &Part<'a>> {
        let mut leaves = Vec::new();
        collect_leaves(&self.root, &mut leaves);
        leaves.into_iter()
    }

    /// Leaf parts that are attachments (see [`Part::is_attachment`]).
    pub fn attachments(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts().filter(|p| p.is_attachment())
    }

    /// The message text for display: the first inline `text/plain` part,
    /// else the first `text/html` reduced to plain text.
    pub fn text_body(&self) -> Option<String> {
        let inline_text = |ct: &str| {
            let mut found = None;
            for p in self.parts() {
                if p.content_type() == ct && !p.is_attachment() {
                    found = Some(p);
                    break;
                }
            }
            found
        };
        if let Some(p) = inline_text("text/plain") {
            return Some(p.text().into_owned());
        }
        inline_text("text/html").map(|p| html::to_text(&p.text()))
    }
}

fn collect_leaves<'m, 'a>(part: &'m Part<'a>, out: &mut Vec<&'m Part<'a>>) {
    match part.kind() {
        PartKind::Leaf => out.push(part),
        PartKind::Multipart(children) => {
            for child in children {
                collect_leaves(child, out);
            }
        }
        PartKind::Message(msg) => collect_leaves(msg.root(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: &[u8] = b"From: =?utf-8?B?7ZmN6ri464+Z?= <hong@example.com>\r\n\
To: A Group: a@x.test, \"B, b\" <b@x.test>;, c@x.test\r\n\
Subject: =?ks_c_5601-1987?B?x9Gx2w==?= test\r\n\
Date: Mon, 5 Jan 2009 10:00:00 +0900 (KST)\r\n\
Message-ID: <abc@example.com>\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
preamble\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=euc-kr\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
x9Gx2w==\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
<p>=ED=95=9C</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Subject: inner\r\n\
\r\n\
forwarded body\r\n\
--outer\r\n\
Content-Type: application/octet-stream; name*=utf-8''%ED%8C%8C%EC%9D%BC.bin\r\n\
Content-Disposition: attachment\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAEC\r\n\
--outer--\r\n";

    #[test]
    fn typed_headers() {
        let m = ParsedMessage::parse(NESTED);
        assert_eq!(m.subject().as_deref(), Some("한글 test"));
        let from = m.from();
        assert_eq!(
            (from[0].name(), from[0].address()),
            (Some("홍길동"), "hong@example.com")
        );
        let to: Vec<_> = m.to().iter().map(|m| m.address().to_string()).collect();
        assert_eq!(to, ["a@x.test", "b@x.test", "c@x.test"]);
        assert_eq!(m.to()[1].name(), Some("B, b"));
        assert_eq!(m.date().unwrap().to_rfc3339(), "2009-01-05T01:00:00Z");
        assert_eq!(m.message_id().as_deref(), Some("abc@example.com"));
        assert!(m.cc().is_empty());
    }

    #[test]
    fn tree_walk_and_decoding() {
        let m = ParsedMessage::parse(NESTED);
        let parts: Vec<_> = m.parts().collect();
        let types: Vec<_> = parts.iter().map(|p| p.content_type()).collect();
        assert_eq!(
            types,
            [
                "text/plain",
                "text/html",
                "text/plain",
                "application/octet-stream"
            ]
        );
        assert_eq!(parts[0].text(), "한글");
        assert_eq!(parts[0].charset(), Some("euc-kr"));
        assert_eq!(parts[1].text(), "<p>한</p>");
        assert_eq!(parts[2].text(), "forwarded body");
        assert_eq!(parts[3].filename(), Some("파일.bin"));
        assert_eq!(parts[3].decoded().as_ref(), [0u8, 1, 2]);
        assert_eq!(m.attachments().count(), 1);
        assert_eq!(m.text_body().as_deref(), Some("한글"));
    }

    #[test]
    fn rfc5322_appendix_a5_white_space_and_comments() {
        let raw = b"From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\n\
To:A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)\r\n\
Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\r\n\
Date: Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)\r\n\
Message-ID:              <testabcd.1234@silly.test>\r\n\r\nTesting.\r\n";
        let m = ParsedMessage::parse(raw);
        assert_eq!(m.from()[0].address(), "pete@silly.test");
        assert_eq!(m.from()[0].name(), Some("Pete"));
        let to: Vec<_> = m.to().iter().map(|a| a.address().to_string()).collect();
        assert_eq!(to, ["c@public.example", "joe@example.org", "jdoe@one.test"]);
        assert!(m.cc().is_empty());
        assert_eq!(m.date().unwrap().to_rfc3339(), "1969-02-14T03:02:00Z");
        assert_eq!(m.date().unwrap().offset_minutes(), -210);
        assert_eq!(m.message_id().as_deref(), Some("testabcd.1234@silly.test"));
        assert_eq!(m.text_body().as_deref(), Some("Testing.\r\n"));
    }

    #[test]
    fn rfc5322_appendix_a6_obsolete_forms() {
        // A.6.1 obsolete addressing, A.6.2 obsolete dates, A.6.3 obsolete white space.
        let raw = b"From: John Doe <jdoe@machine.example>\r\n\
To: Mary Smith <@node.test:mary@example.net>, , jdoe@test   . example\r\n\
Date: 21 Nov 97 09:55:06 GMT\r\n\
Message-ID: <1234   @   local(blah)  .machine .example>\r\n\r\nThis is a message just to say hello.\r\n";
        let m = ParsedMessage::parse(raw);
        let to: Vec<_> = m
            .to()
            .iter()
            .map(|a| (a.name().map(str::to_string), a.address().to_string()))
            .collect();
        assert_eq!(
            to,
            [
                (
                    Some("Mary Smith".to_string()),
                    "mary@example.net".to_string()
                ),
                (None, "jdoe@test.example".to_string())
            ]
        );
        assert_eq!(m.date().unwrap().to_rfc3339(), "1997-11-21T09:55:06Z");
        assert_eq!(
            m.message_id().as_deref(),
            Some("1234@local.machine.example")
        );
    }

    #[test]
    fn html_only_body_becomes_text() {
        let m = ParsedMessage::parse(b"Content-Type: text/html\r\n\r\n<html><style>x{}</style><b>Hi</b><br>there &amp; you</html>");
        assert_eq!(m.text_body().as_deref(), Some("Hi\nthere & you"));
    }

    #[test]
    fn every_prefix_parses_without_panic() {
        for end in 0..=NESTED.len() {
            let m = ParsedMessage::parse(&NESTED[..end]);
            let _ = (
                m.subject(),
                m.from(),
                m.to(),
                m.date(),
                m.message_id(),
                m.text_body(),
            );
            for p in m.parts() {
                let _ = (p.text(), p.filename(), p.decoded());
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        for input in [
            &b""[..],
            b"\r\n",
            b":",
            b"Content-Type: multipart/mixed; boundary=",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x",
            b"\xff\xfe\x00",
        ] {
            let m = ParsedMessage::parse(input);
            let _ = (
                m.subject(),
                m.from(),
                m.date(),
                m.parts().count(),
                m.text_body(),
            );
        }
    }
}
