//! The text body: CRLF line ends and the transfer encoding that suits it.

use crate::{base64, quoted_printable};

/// The longest line RFC 5322 §2.1.1 allows, without CRLF.
const MAX_LINE: usize = 998;

pub(super) fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// Picks the transfer encoding of a CRLF-normalised text: 7bit when ASCII
/// with lines of at most 998 octets and no NUL, else the shorter of
/// quoted-printable and base64.
pub(super) fn encode_text(text: &str) -> (&'static str, Vec<u8>) {
    let bytes = text.as_bytes();
    let seven_bit = bytes.is_ascii()
        && !bytes.contains(&0)
        && bytes
            .split(|&b| b == b'\n')
            .all(|l| l.len() <= MAX_LINE + 1);
    if seven_bit {
        return ("7bit", bytes.to_vec());
    }
    let b64_len = base64::encoded_lines_len(bytes.len() as u64);
    let qp_len = quoted_printable::encoded_len(bytes) as u64;
    let mut out = Vec::new();
    if qp_len <= b64_len {
        quoted_printable::encode(bytes, &mut out);
        ("quoted-printable", out)
    } else {
        base64::encode_lines(bytes, &mut out);
        ("base64", out)
    }
}
