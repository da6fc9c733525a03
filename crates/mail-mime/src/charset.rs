//! Charset conversion for parsed mail through `encoding_rs`, with the
//! aliases mail uses beyond the WHATWG label list (`cp949`, `ks_c_5601`...).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// What a charset label names.
enum Charset {
    Ascii,
    Utf8,
    Latin1,
    Other(&'static Encoding),
    Unknown,
}

fn lookup(label: &str) -> Charset {
    let label = label.trim().trim_matches('"').trim();
    if label.eq_ignore_ascii_case("utf-8") {
        return Charset::Utf8;
    }
    if label.eq_ignore_ascii_case("us-ascii") {
        return Charset::Ascii;
    }
    let lower = label.to_ascii_lowercase();
    match lower.as_str() {
        "us-ascii" | "ascii" | "us" | "ansi_x3.4-1968" | "iso646-us" | "646" => Charset::Ascii,
        "utf-8" | "utf8" | "unicode-1-1-utf-8" | "x-unicode20utf8" => Charset::Utf8,
        // WHATWG maps these to windows-1252; the label means ISO 8859-1.
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" | "iso-ir-100"
        | "cp819" | "ibm819" | "iso_8859-1:1987" => Charset::Latin1,
        "cp949" | "ms949" | "uhc" | "ks_c_5601" | "ksc5601" | "ksc_5601" | "ks_c_5601_1987"
        | "euc_kr" | "euckr" | "x-uhc" | "x-windows-949" => Charset::Other(encoding_rs::EUC_KR),
        "cp936" | "ms936" | "936" | "gb_2312" | "euc-cn" | "euccn" | "x-euc-cn" => {
            Charset::Other(encoding_rs::GBK)
        }
        "cp932" | "ms932" | "sjis" | "shift-jis" | "x-sjis" | "s-jis" => {
            Charset::Other(encoding_rs::SHIFT_JIS)
        }
        "euc_jp" | "eucjp" => Charset::Other(encoding_rs::EUC_JP),
        "cp1252" => Charset::Other(encoding_rs::WINDOWS_1252),
        _ => match Encoding::for_label_no_replacement(lower.as_bytes()) {
            Some(enc) => Charset::Other(enc),
            None => Charset::Unknown,
        },
    }
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
                Cow::Owned(bytes.iter().map(|&b| if b < 128 { char::from(b) } else { '\u{fffd}' }).collect())
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
        Charset::Other(enc) => enc.decode_without_bom_handling(bytes).0,
    }
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
        for label in ["euc-kr", "EUC-KR", "ks_c_5601-1987", "cp949", "\"ks_c_5601-1987\"", "ks_c_5601"] {
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
    fn ascii_latin1_and_unknown() {
        assert_eq!(decode(b"caf\xe9", None), "caf\u{fffd}");
        assert_eq!(decode(b"caf\xe9", Some("iso-8859-1")), "caf\u{e9}");
        assert_eq!(decode(b"\x80", Some("latin1")), "\u{80}");
        assert_eq!(decode("é".as_bytes(), Some("x-unknown-charset")), "é");
        assert!(matches!(decode(b"plain", Some("utf-8")), Cow::Borrowed(_)));
    }
}
