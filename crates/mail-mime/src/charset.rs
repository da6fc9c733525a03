//! Charset conversion for parsed mail through `encoding_rs`, with the
//! aliases mail uses beyond the WHATWG label list (`cp949`, `ks_c_5601`...).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// What a charset label names.
#[derive(Clone, Copy, PartialEq)]
enum Charset {
    Ascii,
    Utf8,
    Latin1,
    Other(&'static Encoding),
    Unknown,
}

/// Longest label looked up in the alias table (longer ones go straight to
/// `encoding_rs`, which matches labels case-insensitively itself).
const MAX_ALIAS: usize = 24;

fn lookup(label: &str) -> Charset {
    let label = label.trim().trim_matches('"').trim();
    if label.eq_ignore_ascii_case("utf-8") {
        return Charset::Utf8;
    }
    if label.eq_ignore_ascii_case("us-ascii") {
        return Charset::Ascii;
    }
    // Lower-cased on the stack: this runs once per encoded-word.
    let mut buf = [0u8; MAX_ALIAS];
    let lower = match buf.get_mut(..label.len()) {
        Some(dst) => {
            dst.copy_from_slice(label.as_bytes());
            dst.make_ascii_lowercase();
            std::str::from_utf8(dst).unwrap_or_default()
        }
        None => "",
    };
    match lower {
        "us-ascii" | "ascii" | "us" | "ansi_x3.4-1968" | "iso646-us" | "646" => Charset::Ascii,
        "utf-8" | "utf8" | "unicode-1-1-utf-8" | "x-unicode20utf8" => Charset::Utf8,
        // WHATWG maps these to windows-1252; the label means ISO 8859-1.
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" | "iso-ir-100"
        | "cp819" | "ibm819" | "iso_8859-1:1987" => Charset::Latin1,
        // What Korean mail means by these is CP949 (UHC), the superset of
        // EUC-KR that encoding_rs decodes for every EUC-KR label.
        "cp949" | "ms949" | "uhc" | "ks_c_5601" | "ksc5601" | "ksc_5601" | "ks_c_5601_1987"
        | "euc_kr" | "euckr" | "x-uhc" | "x-windows-949" => Charset::Other(encoding_rs::EUC_KR),
        // GB2312 mail is GBK or GB18030 in practice; encoding_rs decodes
        // all three alike (its GBK decoder is the GB18030 decoder).
        "cp936" | "ms936" | "936" | "gb_2312" | "euc-cn" | "euccn" | "x-euc-cn" => {
            Charset::Other(encoding_rs::GBK)
        }
        "cp932" | "ms932" | "sjis" | "shift-jis" | "x-sjis" | "s-jis" | "windows-31j" => {
            Charset::Other(encoding_rs::SHIFT_JIS)
        }
        "euc_jp" | "eucjp" => Charset::Other(encoding_rs::EUC_JP),
        "iso2022jp" | "iso-2022-jp-ms" => Charset::Other(encoding_rs::ISO_2022_JP),
        "cp1252" => Charset::Other(encoding_rs::WINDOWS_1252),
        _ => match Encoding::for_label_no_replacement(label.as_bytes()) {
            Some(enc) => Charset::Other(enc),
            None => Charset::Unknown,
        },
    }
}

/// Whether two labels name the same decoder (`EUC-KR` and
/// `ks_c_5601-1987`, `utf-8` and `UTF8`): encoded-words in both may be joined.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || lookup(a) == lookup(b)
}

/// Whether `label` is a charset this crate can convert from.
pub fn is_known(label: &str) -> bool {
    !matches!(lookup(label), Charset::Unknown)
}

/// Decodes `bytes` in the charset `label` names (US-ASCII when `None`).
///
/// Bytes that are invalid in the charset become U+FFFD; an unknown label
/// is read as UTF-8. Borrows when the bytes need no conversion.
pub fn decode<'a>(bytes: &'a [u8], label: Option<&str>) -> Cow<'a, str> {
    let charset = match label {
        Some(label) => lookup(label),
        None => Charset::Ascii,
    };
    match charset {
        Charset::Ascii => {
            if bytes.is_ascii() {
                Cow::Borrowed(ascii_str(bytes))
            } else {
                Cow::Owned(
                    bytes
                        .iter()
                        .map(|&b| if b < 128 { char::from(b) } else { '\u{fffd}' })
                        .collect(),
                )
            }
        }
        Charset::Utf8 | Charset::Unknown => String::from_utf8_lossy(bytes),
        Charset::Latin1 => {
            if bytes.is_ascii() {
                Cow::Borrowed(ascii_str(bytes))
            } else {
                Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())
            }
        }
        Charset::Other(enc) if enc == encoding_rs::ISO_2022_JP => match drop_idle_escapes(bytes) {
            Cow::Borrowed(b) => enc.decode_without_bom_handling(b).0,
            Cow::Owned(b) => Cow::Owned(enc.decode_without_bom_handling(&b).0.into_owned()),
        },
        Charset::Other(enc) => enc.decode_without_bom_handling(bytes).0,
    }
}

/// Appends `bytes` decoded as [`decode`] does to `out`, without an
/// intermediate string for the common charsets.
pub(crate) fn decode_into(bytes: &[u8], label: &str, out: &mut String) {
    match lookup(label) {
        Charset::Other(enc) if enc != encoding_rs::ISO_2022_JP => {
            let mut decoder = enc.new_decoder_without_bom_handling();
            if let Some(max) = decoder.max_utf8_buffer_length(bytes.len()) {
                out.reserve(max);
                let _ = decoder.decode_to_string(bytes, out, true);
                return;
            }
            out.push_str(&decode(bytes, Some(label)));
        }
        Charset::Utf8 | Charset::Unknown => out.push_str(&String::from_utf8_lossy(bytes)),
        _ => out.push_str(&decode(bytes, Some(label))),
    }
}

/// The ISO-2022-JP escape sequences (RFC 1468, and JIS X 0201 katakana).
fn jis_escape(b: &[u8]) -> bool {
    matches!(
        b,
        [0x1b, b'(', b'B' | b'J' | b'I', ..] | [0x1b, b'$', b'@' | b'B', ..]
    )
}

/// Drops an ISO-2022-JP escape sequence directly followed by another one.
///
/// The WHATWG decoder in `encoding_rs` reports such a pair as an error
/// (U+FFFD), a guard meant for the Web. In mail the pair is what joining
/// two well-formed encoded-words makes (`...ESC ( B` + `ESC $ B...`), and
/// the first sequence has no effect, so it goes.
fn drop_idle_escapes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let idle = |i: usize| {
        bytes.get(i..).is_some_and(jis_escape) && bytes.get(i + 3..).is_some_and(jis_escape)
    };
    if !memchr::memchr_iter(0x1b, bytes).any(idle) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == 0x1b && idle(i) {
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Like [`decode`], reusing the buffer when the bytes already are the text.
pub(crate) fn decode_owned(bytes: Vec<u8>, label: Option<&str>) -> String {
    let reusable = match label {
        None => bytes.is_ascii(),
        Some(label) => match lookup(label) {
            Charset::Utf8 | Charset::Unknown => true,
            Charset::Ascii | Charset::Latin1 => bytes.is_ascii(),
            Charset::Other(_) => false,
        },
    };
    if reusable {
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    } else {
        decode(&bytes, label).into_owned()
    }
}

/// Decodes raw 8-bit header bytes: UTF-8 when they are valid UTF-8, else in
/// `fallback` (the message's declared charset) when known, else lossy UTF-8.
pub(crate) fn decode_raw_header<'a>(bytes: &'a [u8], fallback: Option<&str>) -> Cow<'a, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => match fallback {
            Some(label) if is_known(label) => decode(bytes, Some(label)),
            _ => String::from_utf8_lossy(bytes),
        },
    }
}

fn ascii_str(bytes: &[u8]) -> &str {
    // Only called on ASCII bytes, which are always valid UTF-8.
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_korean_aliases() {
        // "한글" in EUC-KR / CP949.
        let euc = [0xc7, 0xd1, 0xb1, 0xdb];
        for label in [
            "euc-kr",
            "EUC-KR",
            "ks_c_5601-1987",
            "cp949",
            "\"ks_c_5601-1987\"",
            "ks_c_5601",
        ] {
            assert_eq!(decode(&euc, Some(label)), "한글", "{label}");
        }
    }

    #[test]
    fn decodes_chinese_and_japanese_aliases() {
        // "中文" in GBK.
        let gbk = [0xd6, 0xd0, 0xce, 0xc4];
        for label in ["gb2312", "GBK", "x-gbk", "cp936", "gb18030"] {
            assert_eq!(decode(&gbk, Some(label)), "中文", "{label}");
        }
        assert_eq!(decode(&[0x93, 0xfa, 0x96, 0x7b], Some("shift_jis")), "日本");
    }

    #[test]
    fn iso_2022_jp_back_to_back_escapes_are_not_errors() {
        // "日本" as two runs, each returning to ASCII: `ESC ( B ESC $ B` between.
        let jis = b"\x1b$BF|\x1b(B\x1b$BK\\\x1b(B";
        assert_eq!(decode(jis, Some("ISO-2022-JP")), "日本");
        // A lone escape at the end and an unknown sequence are left alone.
        assert_eq!(decode(b"a\x1b(B", Some("iso-2022-jp")), "a");
        assert!(decode(b"\x1b$Z", Some("iso-2022-jp")).contains('\u{fffd}'));
        assert!(
            same("EUC-KR", "ks_c_5601-1987") && same("utf-8", "UTF8") && !same("utf-8", "euc-kr")
        );
    }

    #[test]
    fn ascii_latin1_and_unknown() {
        assert_eq!(decode(b"caf\xe9", None), "caf\u{fffd}");
        assert_eq!(decode(b"caf\xe9", Some("iso-8859-1")), "caf\u{e9}");
        assert_eq!(decode(b"\x80", Some("latin1")), "\u{80}");
        assert_eq!(decode("é".as_bytes(), Some("x-unknown-charset")), "é");
        assert!(matches!(decode(b"plain", Some("utf-8")), Cow::Borrowed(_)));
    }
}
