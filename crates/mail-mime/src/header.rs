//! Header fields of a parsed message or part (RFC 5322 §2.2): split into
//! name and raw value without copying; unfolding and decoding on demand.

use std::borrow::Cow;

use crate::encoded_word;

/// One header field as it appears in the message: name and raw value
/// (folding line breaks included, nothing decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderField<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

impl<'a> HeaderField<'a> {
    /// The field name as written (`Subject`, `X-Mailer`).
    pub fn name(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The field name's bytes.
    pub(crate) fn name_bytes(&self) -> &'a [u8] {
        self.name
    }

    /// The raw value after the colon, folding and all.
    pub fn raw_value(&self) -> &'a [u8] {
        self.value
    }

    /// Whether the field is called `name` (ASCII case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value unfolded (CR and LF deleted), RFC 2047-decoded and trimmed;
    /// raw 8-bit bytes read as UTF-8.
    pub fn value(&self) -> Cow<'a, str> {
        self.decoded(None)
    }

    /// Like [`value`](Self::value), reading raw 8-bit bytes that are not
    /// UTF-8 in `fallback_charset` (the message's declared charset).
    pub fn decoded(&self, fallback_charset: Option<&str>) -> Cow<'a, str> {
        match encoded_word::decode_text(self.value, fallback_charset) {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim_matches(is_ws)),
            Cow::Owned(s) => {
                let t = s.trim_matches(is_ws);
                if t.len() == s.len() {
                    Cow::Owned(s)
                } else {
                    Cow::Owned(t.to_string())
                }
            }
        }
    }

    /// The value unfolded and trimmed, encoded-words left as they are.
    pub(crate) fn unfolded(&self) -> Cow<'a, [u8]> {
        let v = trim_bytes(self.value);
        if v.iter().any(|&b| b == b'\r' || b == b'\n') {
            Cow::Owned(
                v.iter()
                    .copied()
                    .filter(|&b| b != b'\r' && b != b'\n')
                    .collect(),
            )
        } else {
            Cow::Borrowed(v)
        }
    }
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

pub(crate) fn trim_bytes(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b" \t\r\n".contains(b))
        .map_or(start, |p| p + 1);
    v.get(start..end).unwrap_or_default()
}

/// Removes the comments of a structured field value (RFC 5322 §3.2.2,
/// RFC 2045 §5.1): `(...)` outside quoted strings, nested, with quoted-pairs,
/// each replaced by one space. Quoted strings are copied as they are (a `(`
/// inside one is text). One lenient exception: parentheses with value text
/// right before and after them (`filename=report (1).pdf`, a name a broken
/// mailer left unquoted) are kept as text, which is what the sender meant.
/// An unclosed comment runs to the end. Borrows when there is no `(`.
pub(crate) fn remove_comments(v: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'(', v).is_none() {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    // The last byte written that is not white space (no scan back: linear
    // even on `() () () ...`).
    let mut prev: Option<u8> = None;
    let is_value_byte = |b: Option<&u8>| b.is_some_and(|b| !b" \t;=\"(".contains(b));
    while let Some(&b) = v.get(i) {
        match b {
            b'"' => {
                let start = i;
                i += 1;
                while let Some(&c) = v.get(i) {
                    i += if c == b'\\' { 2 } else { 1 };
                    if c == b'"' {
                        break;
                    }
                }
                out.extend_from_slice(v.get(start..i.min(v.len())).unwrap_or_default());
                prev = Some(b'"');
            }
            b'(' => {
                let start = i;
                let mut depth = 0u32;
                while let Some(&c) = v.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let i_end = i.min(v.len());
                let after = v
                    .get(i_end..)
                    .unwrap_or_default()
                    .iter()
                    .find(|c| !c.is_ascii_whitespace());
                if is_value_byte(prev.as_ref())
                    && is_value_byte(after)
                    && out.last().is_some_and(|c| c.is_ascii_whitespace())
                {
                    out.extend_from_slice(v.get(start..i_end).unwrap_or_default());
                    prev = Some(b')');
                } else {
                    out.push(b' ');
                }
                i = i_end;
            }
            _ => {
                out.push(b);
                if !b.is_ascii_whitespace() {
                    prev = Some(b);
                }
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// The line starting at `pos`: (line without its ending, offset after the ending).
fn line_at(bytes: &[u8], pos: usize) -> (&[u8], usize) {
    let rest = bytes.get(pos..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(n) => {
            let line = rest.get(..n).unwrap_or_default();
            (line.strip_suffix(b"\r").unwrap_or(line), pos + n + 1)
        }
        None => (rest, bytes.len()),
    }
}

/// Splits a header block from the body: the fields, and the offset where
/// the body starts. The block ends at an empty line (consumed) or at the
/// first line that is neither a field nor a continuation (kept in the body,
/// as Python's `email` does). A leading mbox `From ` line is skipped.
pub(crate) fn parse_fields(bytes: &[u8]) -> (Vec<HeaderField<'_>>, usize) {
    let mut fields: Vec<HeaderField<'_>> = Vec::with_capacity(16);
    let mut pos = 0;
    if bytes.starts_with(b"From ") {
        pos = line_at(bytes, 0).1;
    }
    // (name, value start) of the field being read.
    let mut current: Option<(&[u8], usize)> = None;
    let mut value_end = pos;
    loop {
        if pos >= bytes.len() {
            push(&mut fields, current.take(), value_end, bytes);
            return (fields, bytes.len());
        }
        let (line, next) = line_at(bytes, pos);
        if line.is_empty() {
            push(&mut fields, current.take(), value_end, bytes);
            return (fields, next);
        }
        match line.first() {
            Some(b' ' | b'\t') => {
                if current.is_some() {
                    value_end = pos + line.len();
                }
                // A continuation with no field before it is dropped.
            }
            _ => {
                let colon = memchr::memchr(b':', line);
                let name = colon.and_then(|c| line.get(..c)).map(|n| {
                    let end = n
                        .iter()
                        .rposition(|b| *b != b' ' && *b != b'\t')
                        .map_or(0, |p| p + 1);
                    n.get(..end).unwrap_or_default()
                });
                match (colon, name) {
                    (Some(c), Some(name))
                        if !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b)) =>
                    {
                        push(&mut fields, current.take(), value_end, bytes);
                        current = Some((name, pos + c + 1));
                        value_end = pos + line.len();
                    }
                    _ => {
                        push(&mut fields, current.take(), value_end, bytes);
                        return (fields, pos);
                    }
                }
            }
        }
        pos = next;
    }
}

fn push<'a>(
    fields: &mut Vec<HeaderField<'a>>,
    current: Option<(&'a [u8], usize)>,
    end: usize,
    bytes: &'a [u8],
) {
    if let Some((name, start)) = current {
        let value = bytes.get(start..end.max(start)).unwrap_or_default();
        // The value of the field on the last line of the block may end in CR.
        let value = value.strip_suffix(b"\r").unwrap_or(value);
        fields.push(HeaderField { name, value });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_and_body() {
        let msg = b"From: a@b\r\nSubject: hello\r\n  world\r\nX-Empty:\r\n\r\nbody\r\n";
        let (fields, body) = parse_fields(msg);
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].name(), "From");
        assert_eq!(fields[1].value(), "hello  world");
        assert_eq!(fields[1].raw_value(), b" hello\r\n  world");
        assert_eq!(fields[2].value(), "");
        assert_eq!(&msg[body..], b"body\r\n");
    }

    #[test]
    fn lf_only_mbox_line_and_missing_separator() {
        let msg = b"From someone Mon Jan 1\nA: 1\nB: 2\nnot a header\nmore";
        let (fields, body) = parse_fields(msg);
        assert_eq!(
            fields.iter().map(|f| f.name()).collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(&msg[body..], b"not a header\nmore");
        let (fields, body) = parse_fields(b"A: 1");
        assert_eq!((fields.len(), body), (1, 4));
        assert_eq!(fields[0].value(), "1");
        let (fields, body) = parse_fields(b"");
        assert_eq!((fields.len(), body), (0, 0));
        let (fields, _) = parse_fields(b" orphan continuation\r\nA: 1\r\n\r\n");
        assert_eq!(fields.len(), 1);
        let (fields, _) = parse_fields(b"Subject : obsolete space\r\n\r\n");
        assert_eq!(fields[0].name(), "Subject");
    }

    #[test]
    fn comments_are_removed_outside_quoted_strings() {
        let r = |s: &str| String::from_utf8(remove_comments(s.as_bytes()).into_owned()).unwrap();
        assert_eq!(
            r("text/plain; charset=utf-8 (plain text)"),
            "text/plain; charset=utf-8  "
        );
        assert_eq!(
            r("text/plain(a (nested) \\) b);charset=(x)us-ascii"),
            "text/plain ;charset= us-ascii"
        );
        assert_eq!(
            r("attachment; filename=\"a (b).txt\" (c)"),
            "attachment; filename=\"a (b).txt\"  "
        );
        assert_eq!(
            r("attachment; filename=\"x\\\" (y)\""),
            "attachment; filename=\"x\\\" (y)\""
        );
        assert_eq!(
            r("attachment; filename=report (1).pdf"),
            "attachment; filename=report (1).pdf"
        );
        assert_eq!(r("base64 (unclosed"), "base64  ");
        assert_eq!(r("7bit"), "7bit");
    }
}
