//! One MIME entity of a parsed message (RFC 2045 §2.4, RFC 2046 §5): its
//! header fields, content type, raw body, and children for multipart and
//! message/rfc822 entities; decoding of the body on demand.

use std::borrow::Cow;
use std::io::{self, Read};

use memchr::memmem;

use crate::header::{self, HeaderField};
use crate::params::{self, HeaderParams};
use crate::{base64, charset, quoted_printable, ParsedMessage};

/// Nesting deeper than this is kept as an opaque leaf (hostile input).
const MAX_DEPTH: usize = 64;

/// Content-Transfer-Encoding of a part (RFC 2045 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferEncoding {
    /// `7bit`, `8bit`, `binary`, absent, or unknown: bytes as they are.
    Identity,
    /// `base64`.
    Base64,
    /// `quoted-printable`.
    QuotedPrintable,
}

/// What a part holds besides its own bytes.
#[derive(Debug, Clone)]
pub enum PartKind<'a> {
    /// A leaf: text, an attachment, or anything not descended into.
    Leaf,
    /// `multipart/*`: the body parts between the boundaries.
    Multipart(Vec<Part<'a>>),
    /// `message/rfc822` (or `message/global`): a whole message inside.
    Message(Box<ParsedMessage<'a>>),
}

/// One MIME entity: headers, content type, raw body and children.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    headers: Vec<HeaderField<'a>>,
    content_type: HeaderParams,
    disposition: Option<HeaderParams>,
    encoding: TransferEncoding,
    filename: Option<String>,
    body: &'a [u8],
    kind: PartKind<'a>,
}

impl<'a> Part<'a> {
    /// Parses an entity; `default_type` applies when Content-Type is missing
    /// or malformed (`text/plain`, or `message/rfc822` in a digest).
    pub(crate) fn parse(bytes: &'a [u8], default_type: &str, depth: usize) -> Part<'a> {
        let (headers, body_start) = header::parse_fields(bytes);
        let body = bytes.get(body_start..).unwrap_or_default();
        // One pass over the fields for the three this entity needs.
        let (mut ct_field, mut disp_field, mut cte_field) = (None, None, None);
        for f in &headers {
            let name = f.name_bytes();
            if name.len() < 12
                || !name
                    .get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"content-"))
            {
                continue;
            }
            if ct_field.is_none() && f.is("content-type") {
                ct_field = Some(f);
            } else if disp_field.is_none() && f.is("content-disposition") {
                disp_field = Some(f);
            } else if cte_field.is_none() && f.is("content-transfer-encoding") {
                cte_field = Some(f);
            }
        }
        let mut content_type = ct_field
            .map(|f| params::parse(&f.unfolded()))
            .unwrap_or_default();
        let valid_type = content_type
            .value
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty());
        if !valid_type {
            content_type.value = default_type.to_string();
        }
        let disposition = disp_field.map(|f| params::parse(&f.unfolded()));
        let encoding = match cte_field {
            Some(f) => {
                let v = header::remove_comments(f.raw_value());
                let v = header::trim_bytes(&v);
                if v.eq_ignore_ascii_case(b"base64") {
                    TransferEncoding::Base64
                } else if v.eq_ignore_ascii_case(b"quoted-printable") {
                    TransferEncoding::QuotedPrintable
                } else {
                    TransferEncoding::Identity
                }
            }
            None => TransferEncoding::Identity,
        };
        let filename = disposition
            .as_ref()
            .and_then(|d| d.get("filename"))
            .or_else(|| content_type.get("name"))
            .map(|s| s.trim().to_string());
        let mut part = Part {
            headers,
            content_type,
            disposition,
            encoding,
            filename,
            body,
            kind: PartKind::Leaf,
        };
        if depth >= MAX_DEPTH {
            return part;
        }
        let ct = part.content_type.value.as_str();
        if let Some(sub) = ct.strip_prefix("multipart/") {
            if let Some(boundary) = part.content_type.get("boundary").filter(|b| !b.is_empty()) {
                let child_default = if sub == "digest" {
                    "message/rfc822"
                } else {
                    "text/plain"
                };
                if let Some(bodies) = split_multipart(body, boundary.as_bytes()) {
                    let children = bodies
                        .into_iter()
                        .map(|b| Part::parse(b, child_default, depth + 1))
                        .collect();
                    part.kind = PartKind::Multipart(children);
                }
            }
        } else if (ct == "message/rfc822" || ct == "message/global")
            && part.encoding == TransferEncoding::Identity
        {
            part.kind = PartKind::Message(Box::new(ParsedMessage::parse_nested(body, depth + 1)));
        }
        part
    }

    /// Header fields of this part, in order.
    pub fn headers(&self) -> &[HeaderField<'a>] {
        &self.headers
    }

    /// The first field called `name`, decoded (see [`HeaderField::value`]).
    pub fn header(&self, name: &str) -> Option<Cow<'a, str>> {
        self.headers
            .iter()
            .find(|f| f.is(name))
            .map(|f| f.decoded(self.charset()))
    }

    /// `type/subtype`, lower-cased; `text/plain` when missing or malformed.
    pub fn content_type(&self) -> &str {
        &self.content_type.value
    }

    /// A Content-Type parameter (name lower-case), RFC 2231 and 2047 decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.content_type.get(name)
    }

    /// The declared charset, lower-cased; `None` when none is declared.
    pub fn charset(&self) -> Option<&str> {
        self.content_type.get("charset")
    }

    /// The file name: Content-Disposition `filename`, else Content-Type
    /// `name`, RFC 2231 and RFC 2047 decoded.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The disposition type (`inline`, `attachment`), lower-cased.
    pub fn disposition(&self) -> Option<&str> {
        self.disposition
            .as_ref()
            .map(|d| d.value.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The Content-Transfer-Encoding.
    pub fn transfer_encoding(&self) -> TransferEncoding {
        self.encoding
    }

    /// The body as it is in the message (still transfer-encoded).
    pub fn raw_body(&self) -> &'a [u8] {
        self.body
    }

    /// Children of a multipart or message/rfc822 part.
    pub fn kind(&self) -> &PartKind<'a> {
        &self.kind
    }

    /// Whether this part is an attachment: disposition `attachment`, or a
    /// file name on a part that is not text shown inline.
    pub fn is_attachment(&self) -> bool {
        matches!(self.kind, PartKind::Leaf)
            && (self.disposition() == Some("attachment")
                || (self.filename.is_some() && self.disposition() != Some("inline"))
                || (self.filename.is_some() && !self.content_type().starts_with("text/")))
    }

    /// The body with its transfer encoding undone; borrowed when it needs no decoding.
    pub fn decoded(&self) -> Cow<'a, [u8]> {
        match self.encoding {
            TransferEncoding::Identity => Cow::Borrowed(self.body),
            TransferEncoding::Base64 => Cow::Owned(base64::decode(self.body)),
            TransferEncoding::QuotedPrintable => Cow::Owned(quoted_printable::decode(self.body)),
        }
    }

    /// The decoded body as text in the declared charset (US-ASCII when none,
    /// UTF-8 for an unknown label); invalid bytes become U+FFFD.
    pub fn text(&self) -> Cow<'a, str> {
        match self.decoded() {
            Cow::Borrowed(b) => charset::decode(b, self.charset()),
            Cow::Owned(b) => Cow::Owned(charset::decode_owned(b, self.charset())),
        }
    }

    /// A reader that undoes the transfer encoding chunk by chunk, so a large
    /// attachment can be written to disk without a second whole copy.
    pub fn reader(&self) -> PartReader<'a> {
        PartReader {
            input: self.body,
            encoding: self.encoding,
            base64: base64::Decoder::default(),
            out: Vec::new(),
            out_pos: 0,
        }
    }
}

/// Finds the body parts of a multipart body (RFC 2046 §5.1.1): delimiter
/// lines are `--boundary` with optional trailing white space, the line
/// break before a delimiter belongs to it, the close delimiter adds `--`.
/// A missing close delimiter ends the last part at the end of the body.
/// `None` when no delimiter is found at all.
fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Option<Vec<&'a [u8]>> {
    let mut dash = Vec::with_capacity(boundary.len() + 3);
    dash.extend_from_slice(b"\n--");
    dash.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&dash);
    // (content end before this delimiter, offset after the delimiter line, is_close)
    let mut delimiters: Vec<(usize, usize, bool)> = Vec::new();
    let check = |line_start: usize| -> Option<(usize, bool)> {
        let after = body.get(line_start + 2 + boundary.len()..)?;
        let (close, rest) = match after.strip_prefix(b"--") {
            Some(r) => (true, r),
            None => (false, after),
        };
        let ws = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let rest = rest.get(ws..)?;
        let eol = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") || rest.starts_with(b"\r") {
            1
        } else if rest.is_empty() {
            0
        } else {
            return None;
        };
        Some((body.len() - rest.len() + eol, close))
    };
    if dash.get(1..).is_some_and(|d| body.starts_with(d)) {
        if let Some((next, close)) = check(0) {
            delimiters.push((0, next, close));
        }
    }
    if !delimiters.last().is_some_and(|d| d.2) {
        for m in finder.find_iter(body) {
            let line_start = m + 1;
            if delimiters.last().is_some_and(|d| d.1 > line_start) {
                continue;
            }
            if let Some((next, close)) = check(line_start) {
                let content_end = if m > 0 && body.get(m - 1) == Some(&b'\r') {
                    m - 1
                } else {
                    m
                };
                delimiters.push((content_end, next, close));
                if close {
                    break;
                }
            }
        }
    }
    if delimiters.is_empty() {
        return None;
    }
    let mut parts = Vec::with_capacity(delimiters.len());
    for pair in delimiters.windows(2) {
        if let [(_, start, close), (end, _, _)] = pair {
            if !close {
                parts.push(body.get(*start..(*end).max(*start)).unwrap_or_default());
            }
        }
    }
    if let Some(&(_, start, false)) = delimiters.last() {
        // No close delimiter: the end of the body closes the last part, and
        // its final line break goes with that implied delimiter (as Python's
        // `email` reads it).
        let last = body.get(start..).unwrap_or_default();
        let last = last
            .strip_suffix(b"\n")
            .map_or(last, |l| l.strip_suffix(b"\r").unwrap_or(l));
        parts.push(last);
    }
    Some(parts)
}

/// Decodes a part's body incrementally; see [`Part::reader`].
#[derive(Debug)]
pub struct PartReader<'a> {
    input: &'a [u8],
    encoding: TransferEncoding,
    base64: base64::Decoder,
    out: Vec<u8>,
    out_pos: usize,
}

/// Encoded bytes consumed per refill.
const READ_CHUNK: usize = 64 * 1024;

impl PartReader<'_> {
    fn refill(&mut self) {
        self.out.clear();
        self.out_pos = 0;
        if self.input.is_empty() {
            return;
        }
        let mut take = self.input.len().min(READ_CHUNK);
        if self.encoding == TransferEncoding::QuotedPrintable && take < self.input.len() {
            // Whole lines only, so `=` escapes and soft breaks stay intact.
            let window = self.input.get(..take).unwrap_or_default();
            take = match memchr::memrchr(b'\n', window) {
                Some(p) => p + 1,
                None => memchr::memchr(b'\n', self.input).map_or(self.input.len(), |p| p + 1),
            };
        }
        let (chunk, rest) = self.input.split_at(take.min(self.input.len()));
        self.input = rest;
        match self.encoding {
            TransferEncoding::Identity => self.out.extend_from_slice(chunk),
            TransferEncoding::Base64 => {
                self.base64.push(chunk, &mut self.out);
                if self.input.is_empty() {
                    self.base64.flush(&mut self.out);
                }
            }
            TransferEncoding::QuotedPrintable => self.out = quoted_printable::decode(chunk),
        }
    }
}

impl Read for PartReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if self.input.is_empty() {
                return Ok(0);
            }
            self.refill();
        }
        let rest = self.out.get(self.out_pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_rfc2046_example() {
        // RFC 2046 §5.1.1's example body.
        let body = b"This is the preamble.  It is to be ignored, though it\r\nis a handy place for composition agents to include an\r\nexplanatory note to non-MIME conformant readers.\r\n\r\n--simple boundary\r\n\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.\r\n--simple boundary\r\nContent-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n\r\n--simple boundary--\r\n\r\nThis is the epilogue.  It is also to be ignored.\r\n";
        let parts = split_multipart(body, b"simple boundary").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], b"\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.");
        assert!(parts[1].ends_with(b"It DOES end with a linebreak.\r\n"));
    }

    #[test]
    fn tolerates_missing_close_and_rejects_lookalikes() {
        let parts = split_multipart(
            b"--b\r\nA: 1\r\n\r\none\r\n--bb\r\n--b \r\n\r\ntwo\r\n",
            b"b",
        )
        .unwrap();
        assert_eq!(parts, [&b"A: 1\r\n\r\none\r\n--bb"[..], b"\r\ntwo"]);
        assert!(split_multipart(b"no delimiters here", b"b").is_none());
        let parts = split_multipart(b"--b--", b"b").unwrap();
        assert!(parts.is_empty());
        let parts = split_multipart(b"\n--b\n\nx\n--b--\n", b"b").unwrap();
        assert_eq!(parts, [&b"\nx"[..]]);
    }

    #[test]
    fn reader_matches_decoded() {
        let mut b64 = Vec::new();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        base64::encode_lines(&data, &mut b64);
        let msg = [
            b"Content-Transfer-Encoding: base64\r\n\r\n".as_slice(),
            &b64,
        ]
        .concat();
        let part = Part::parse(&msg, "text/plain", 0);
        let mut out = Vec::new();
        part.reader().read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(part.decoded(), data);
        let mut qp = Vec::new();
        let text = "línea con acentos y = signos\r\n".repeat(5000);
        quoted_printable::encode(text.as_bytes(), &mut qp);
        let msg = [
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n".as_slice(),
            &qp,
        ]
        .concat();
        let part = Part::parse(&msg, "text/plain", 0);
        let mut out = Vec::new();
        part.reader().read_to_end(&mut out).unwrap();
        assert_eq!(out, text.as_bytes());
    }
}
