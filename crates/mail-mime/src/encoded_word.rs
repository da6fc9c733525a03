//! RFC 2047 encoded-words (`=?charset?B|Q?text?=`): the encoder the builder
//! uses for non-ASCII header text, and a lenient decoder for parsed mail.

use std::borrow::Cow;

use crate::{base64, charset};

/// The longest encoded-word RFC 2047 §2 allows.
const MAX_WORD: usize = 75;
/// The longest encoded text the decoder looks at (broken mailers exceed 75).
const MAX_LENIENT_TEXT: usize = 4096;
const PREFIX_B: &str = "=?utf-8?B?";
const PREFIX_Q: &str = "=?utf-8?Q?";

/// Characters Q may leave as they are in any header position (RFC 2047 §5 (3)).
fn q_literal(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'!' | b'*' | b'+' | b'-' | b'/')
}

fn q_char(c: char, out: &mut String) {
    let mut buf = [0u8; 4];
    for &b in c.encode_utf8(&mut buf).as_bytes() {
        if b == b' ' {
            out.push('_');
        } else if q_literal(b) {
            out.push(char::from(b));
        } else {
            out.push('=');
            out.push(char::from(hex(b >> 4)));
            out.push(char::from(hex(b)));
        }
    }
}

fn hex(v: u8) -> u8 {
    match v & 15 {
        d @ 0..=9 => b'0' + d,
        d => b'A' + (d - 10),
    }
}

fn encode_b(text: &str) -> Vec<String> {
    // 63 characters of payload = 15 groups = 45 input bytes.
    let max_bytes = (MAX_WORD - PREFIX_B.len() - 2) / 4 * 3;
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() - start > max_bytes && end > start {
            words.push(b_word(text.get(start..end).unwrap_or_default()));
            start = end;
        }
        end = i + c.len_utf8();
    }
    if end > start {
        words.push(b_word(text.get(start..end).unwrap_or_default()));
    }
    words
}

fn b_word(chunk: &str) -> String {
    let mut out = Vec::with_capacity(PREFIX_B.len() + chunk.len() * 4 / 3 + 6);
    out.extend_from_slice(PREFIX_B.as_bytes());
    base64::encode(chunk.as_bytes(), &mut out);
    out.extend_from_slice(b"?=");
    String::from_utf8(out).unwrap_or_default()
}

fn encode_q(text: &str) -> Vec<String> {
    let max_payload = MAX_WORD - PREFIX_Q.len() - 2;
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        q_char(c, &mut piece);
        if cur.len() + piece.len() > max_payload && !cur.is_empty() {
            words.push(format!("{PREFIX_Q}{cur}?="));
            cur.clear();
        }
        cur.push_str(&piece);
    }
    if !cur.is_empty() {
        words.push(format!("{PREFIX_Q}{cur}?="));
    }
    words
}

/// Encodes `text` as UTF-8 encoded-words, B or Q whichever is shorter, each
/// at most 75 characters; join them with a space (folding white space).
pub(crate) fn encode(text: &str) -> Vec<String> {
    let b = encode_b(text);
    let q = encode_q(text);
    let len = |w: &Vec<String>| w.iter().map(|s| s.len() + 1).sum::<usize>();
    if len(&q) <= len(&b) {
        q
    } else {
        b
    }
}

/// One encoded-word found in header text.
struct Word<'a> {
    charset: &'a str,
    bytes: Vec<u8>,
    /// Bytes of the input the word used, from `=?` through `?=`.
    len: usize,
}

/// Parses an encoded-word at the start of `s`, leniently: white space is
/// tolerated inside the text (broken mailers), `?=` ends it.
fn parse_word(s: &[u8]) -> Option<Word<'_>> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = rest.iter().position(|&b| b == b'?')?;
    let cs = rest.get(..q1)?;
    if cs.is_empty() || cs.iter().any(|b| b.is_ascii_whitespace() || *b == b'=') {
        return None;
    }
    let cs = std::str::from_utf8(cs).ok()?;
    // RFC 2231 §5 language suffix: `utf-8*ko`.
    let charset = cs.split('*').next().unwrap_or(cs);
    let enc = rest.get(q1 + 1)?.to_ascii_uppercase();
    if rest.get(q1 + 2) != Some(&b'?') || !(enc == b'B' || enc == b'Q') {
        return None;
    }
    let text_start = q1 + 3;
    let tail = rest.get(text_start..)?;
    // Bounded search keeps hostile input (many `=?x?Q?` without `?=`) linear.
    let window = tail.get(..tail.len().min(MAX_LENIENT_TEXT)).unwrap_or(tail);
    let end = memchr::memchr_iter(b'?', window).find(|&i| window.get(i + 1) == Some(&b'='))?;
    let text = tail.get(..end)?;
    let bytes = if enc == b'B' {
        base64::decode(text)
    } else {
        decode_q(text)
    };
    Some(Word { charset, bytes, len: 2 + text_start + end + 2 })
}

fn decode_q(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = text.get(i + 1).and_then(|&h| (h as char).to_digit(16));
                let lo = text.get(i + 2).and_then(|&h| (h as char).to_digit(16));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'=');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// Offset of the first `=?` (cheaper than a substring searcher on the
/// short values headers have).
fn find_ew_start(s: &[u8]) -> Option<usize> {
    memchr::memchr_iter(b'=', s).find(|&i| s.get(i + 1) == Some(&b'?'))
}

/// Decodes header text: CR and LF deleted (unfolding), encoded-words
/// decoded, white space between adjacent encoded-words dropped (and their
/// bytes joined when the charset is the same, so a character split across
/// two words survives), raw 8-bit bytes read as UTF-8 or `fallback`.
/// Borrows when there is nothing to decode.
pub(crate) fn decode_text<'a>(raw: &'a [u8], fallback: Option<&str>) -> Cow<'a, str> {
    let has_ew = find_ew_start(raw).is_some();
    let has_eol = memchr::memchr2(b'\r', b'\n', raw).is_some();
    if !has_ew && !has_eol {
        return charset::decode_raw_header(raw, fallback);
    }
    let unfolded: Cow<'_, [u8]> = if has_eol {
        Cow::Owned(raw.iter().copied().filter(|&b| b != b'\r' && b != b'\n').collect())
    } else {
        Cow::Borrowed(raw)
    };
    if !has_ew {
        return Cow::Owned(charset::decode_raw_header(&unfolded, fallback).into_owned());
    }
    Cow::Owned(decode_words(&unfolded, fallback))
}

fn decode_words(s: &[u8], fallback: Option<&str>) -> String {
    let mut out = String::with_capacity(s.len());
    // Pending decoded bytes of adjacent encoded-words in one charset.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut plain_start = 0;
    let mut i = 0;
    let flush = |pending: &mut Option<(String, Vec<u8>)>, out: &mut String| {
        if let Some((cs, bytes)) = pending.take() {
            out.push_str(&charset::decode(&bytes, Some(&cs)));
        }
    };
    while i < s.len() {
        match find_ew_start(s.get(i..).unwrap_or_default()) {
            Some(off) => i += off,
            None => break,
        }
        if let Some(word) = s.get(i..).and_then(parse_word) {
            let between = s.get(plain_start..i).unwrap_or_default();
            let only_ws = between.iter().all(|b| matches!(b, b' ' | b'\t'));
            let joinable = only_ws
                && matches!(&pending, Some((cs, _)) if cs.eq_ignore_ascii_case(word.charset));
            if joinable {
                if let Some((_, bytes)) = pending.as_mut() {
                    bytes.extend_from_slice(&word.bytes);
                }
            } else {
                if !(only_ws && pending.is_some()) {
                    flush(&mut pending, &mut out);
                    out.push_str(&charset::decode_raw_header(between, fallback));
                }
                flush(&mut pending, &mut out);
                pending = Some((word.charset.to_string(), word.bytes));
            }
            i += word.len;
            plain_start = i;
            continue;
        }
        i += 1;
    }
    flush(&mut pending, &mut out);
    out.push_str(&charset::decode_raw_header(s.get(plain_start..).unwrap_or_default(), fallback));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        decode_text(s.as_bytes(), None).into_owned()
    }

    #[test]
    fn rfc2047_section8_examples() {
        // RFC 2047 §8, the table of encoded-word white space handling.
        assert_eq!(d("(=?ISO-8859-1?Q?a?=)"), "(a)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
        assert_eq!(d("(=?ISO-8859-1?Q?a_b?=)"), "(a b)");
        assert_eq!(d("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)"), "(a b)");
        assert_eq!(d("=?US-ASCII?Q?Keith_Moore?="), "Keith Moore");
        assert_eq!(d("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="), "Keld Jørn Simonsen");
        assert_eq!(d("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
        assert_eq!(
            d("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="),
            "If you can read this you understand the example."
        );
        assert_eq!(d("=?ISO-8859-1?Q?Olle_J=E4rlstr=F6m?="), "Olle Järlström");
    }

    #[test]
    fn lenient_real_world_forms() {
        assert_eq!(d("=?utf-8?b?7JWI64WV?="), "안녕");
        assert_eq!(d("=?UTF-8*ko?Q?=ED=95=9C?="), "한");
        assert_eq!(d("=?ks_c_5601-1987?B?x9Gx2w==?="), "한글");
        // A character split across two words.
        assert_eq!(d("=?utf-8?Q?=ED=95?= =?utf-8?Q?=9C?="), "한");
        // No space before the next word, text glued after.
        assert_eq!(d("=?utf-8?Q?a?==?utf-8?Q?b?=c"), "abc");
        assert_eq!(d("=?utf-8?Q?with space?="), "with space");
        assert_eq!(d("not =? an encoded word"), "not =? an encoded word");
        assert_eq!(d("=?utf-8?X?zz?="), "=?utf-8?X?zz?=");
        assert_eq!(d("=?utf-8?B?"), "=?utf-8?B?");
        assert_eq!(decode_text(b"raw \xc7\xd1\xb1\xdb", Some("euc-kr")), "raw 한글");
        assert_eq!(decode_text("raw 한글".as_bytes(), Some("euc-kr")), "raw 한글");
    }

    #[test]
    fn encode_round_trips_and_limits_word_length() {
        for text in [
            "안녕하세요 report",
            "Ünïcödé with spaces and = signs? and _underscores_",
            &"가".repeat(100),
            &"x".repeat(200),
            "😀 emoji 😀",
        ] {
            let words = encode(text);
            assert!(words.iter().all(|w| w.len() <= MAX_WORD), "{words:?}");
            assert!(words.iter().all(|w| w.is_ascii()));
            assert_eq!(d(&words.join("\r\n ")), text);
        }
    }

    #[test]
    fn encode_picks_the_shorter_encoding() {
        assert!(encode("café au lait")[0].starts_with("=?utf-8?Q?"));
        assert!(encode("안녕하세요")[0].starts_with("=?utf-8?B?"));
    }
}
