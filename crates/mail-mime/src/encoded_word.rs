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

/// One encoded-word found in header text, not yet decoded.
struct Word<'a> {
    /// The charset label, an RFC 2231 §5 language suffix (`utf-8*ko`) removed.
    charset: &'a str,
    b: bool,
    text: &'a [u8],
    /// Bytes of the input the word used, from `=?` through `?=`.
    len: usize,
}

impl Word<'_> {
    /// Appends the word's octets to `out`.
    fn decode_into(&self, out: &mut Vec<u8>) {
        if self.b {
            let mut dec = base64::Decoder::default();
            dec.push(self.text, out);
            dec.flush(out);
        } else {
            decode_q(self.text, out);
        }
    }
}

/// Parses an encoded-word at the start of `s`, leniently: white space is
/// tolerated inside the text (broken mailers), `?=` ends it.
fn parse_word(s: &[u8]) -> Option<Word<'_>> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = memchr::memchr(b'?', rest)?;
    let cs = rest.get(..q1)?;
    if cs.is_empty() || cs.iter().any(|b| b.is_ascii_whitespace() || *b == b'=') {
        return None;
    }
    let cs = std::str::from_utf8(cs).ok()?;
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
    Some(Word {
        charset,
        b: enc == b'B',
        text,
        len: 2 + text_start + end + 2,
    })
}

fn decode_q(text: &[u8], out: &mut Vec<u8>) {
    out.reserve(text.len());
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
        Cow::Owned(
            raw.iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    };
    if !has_ew {
        return Cow::Owned(charset::decode_raw_header(&unfolded, fallback).into_owned());
    }
    Cow::Owned(decode_words(&unfolded, fallback))
}

/// Decodes the encoded-words in `s` (RFC 2047 §6.2): white space between
/// two encoded-words is dropped, white space between an encoded-word and
/// other text is kept, and the octets of a run of adjacent words whose
/// charsets name the same decoder (B and Q mixed) are joined in one buffer
/// before charset decoding, so a character or an ISO-2022-JP escape
/// sequence split across words decodes whole. Malformed words stay text.
fn decode_words(s: &[u8], fallback: Option<&str>) -> String {
    let mut out = String::with_capacity(s.len());
    // Octets of the current run of adjacent words, and the run's charset.
    let mut run: Vec<u8> = Vec::new();
    let mut run_charset: Option<&str> = None;
    let mut plain_start = 0;
    let mut i = 0;
    while i < s.len() {
        match find_ew_start(s.get(i..).unwrap_or_default()) {
            Some(off) => i += off,
            None => break,
        }
        let Some(word) = s.get(i..).and_then(parse_word) else {
            i += 1;
            continue;
        };
        let between = s.get(plain_start..i).unwrap_or_default();
        let only_ws = between.iter().all(|b| matches!(b, b' ' | b'\t'));
        match run_charset {
            Some(cs) if only_ws && charset::same(cs, word.charset) => {}
            _ => {
                if let Some(cs) = run_charset {
                    charset::decode_into(&run, cs, &mut out);
                    run.clear();
                }
                if !(only_ws && run_charset.is_some()) {
                    out.push_str(&charset::decode_raw_header(between, fallback));
                }
                run_charset = Some(word.charset);
            }
        }
        word.decode_into(&mut run);
        i += word.len;
        plain_start = i;
    }
    if let Some(cs) = run_charset {
        charset::decode_into(&run, cs, &mut out);
    }
    out.push_str(&charset::decode_raw_header(
        s.get(plain_start..).unwrap_or_default(),
        fallback,
    ));
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
        assert_eq!(
            d("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?="),
            "Keld Jørn Simonsen"
        );
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
        assert_eq!(
            decode_text(b"raw \xc7\xd1\xb1\xdb", Some("euc-kr")),
            "raw 한글"
        );
        assert_eq!(
            decode_text("raw 한글".as_bytes(), Some("euc-kr")),
            "raw 한글"
        );
    }

    #[test]
    fn adjacent_words_join_by_decoder_not_by_label() {
        // "日本語の" and "件名です", each a well-formed ISO-2022-JP word that
        // returns to ASCII: the joined stream holds `ESC ( B ESC $ B`.
        let jp =
            "=?ISO-2022-JP?B?GyRCRnxLXDhsJE4bKEI=?=\r\n =?iso-2022-jp?B?GyRCN29MPiRHJDkbKEI=?=";
        assert_eq!(d(jp), "日本語の件名です");
        // An escape sequence split across two words ("日本", ESC $ | B ...).
        assert_eq!(
            d("=?ISO-2022-JP?B?GyQ=?= =?ISO-2022-JP?Q?BF|K=5C=1B(B?="),
            "日本"
        );
        // "한글" split inside the first character, labels differing in name only.
        assert_eq!(
            d("=?ks_c_5601-1987?B?xw==?= =?EUC-KR?Q?=D1=B1=DB?="),
            "한글"
        );
        assert_eq!(d("=?utf-8*ko?B?7ZU=?= =?UTF8?Q?=9C?="), "한");
        // Different decoders: each word alone, the white space still dropped.
        assert_eq!(d("=?utf-8?Q?=ED=95=9C?= =?iso-8859-1?Q?=E9?="), "한é");
        // White space beside plain text is kept; a malformed word is text.
        assert_eq!(d("Re: =?utf-8?Q?a?= b =?utf-8?Q?c?="), "Re: a b c");
        assert_eq!(
            d("=?utf-8?Q?a?= =?utf-8?Z?b?= =?utf-8?Q?c?="),
            "a =?utf-8?Z?b?= c"
        );
        assert_eq!(d("=??Q?abc?= =?utf-8?Q?abc"), "=??Q?abc?= =?utf-8?Q?abc");
        assert_eq!(d("=?utf-8?B?@@@?=x"), "x");
    }

    #[test]
    fn token_soup_never_panics() {
        // Pieces of encoded-words, comments, quotes and ISO-2022-JP escapes
        // in random order: decoding and comment removal never panic, and
        // comment removal never grows the value.
        let pieces: &[&[u8]] = &[
            b"=?",
            b"?=",
            b"?B?",
            b"?Q?",
            b"utf-8",
            b"iso-2022-jp*ja",
            b"ks_c_5601-1987",
            b"GyQ=",
            b"7ZW",
            b"=ED=95",
            b"=9C",
            b"=",
            b"?",
            b" ",
            b"\t",
            b"\r\n ",
            b"(",
            b")",
            b"\"",
            b"\\",
            b";",
            b"\x1b$B",
            b"\x1b(B",
            b"\xff",
            b"a",
        ];
        let mut rng = fastrand::Rng::with_seed(2047);
        for _ in 0..20_000 {
            let mut input = Vec::new();
            for _ in 0..rng.usize(1..24) {
                input.extend_from_slice(pieces[rng.usize(..pieces.len())]);
            }
            let _ = decode_text(&input, Some("euc-kr"));
            assert!(crate::header::remove_comments(&input).len() <= input.len());
            let _ = crate::params::parse(&input);
        }
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
