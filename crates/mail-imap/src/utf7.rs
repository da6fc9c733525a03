//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Printable US-ASCII stands for itself except `&`, written `&-`; any other
//! run of characters is UTF-16BE in modified BASE64 (`,` for `/`, no
//! padding) between `&` and `-`.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// A mailbox name that is not valid modified UTF-7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utf7Error {
    /// Byte offset of the problem in the encoded name.
    pub at: usize,
    /// What was wrong.
    pub reason: &'static str,
}

impl fmt::Display for Utf7Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid modified UTF-7 mailbox name at byte {}: {}",
            self.at, self.reason
        )
    }
}

impl std::error::Error for Utf7Error {}

/// Encodes a mailbox name into modified UTF-7.
///
/// ```
/// assert_eq!(mail_imap::utf7::encode("내게쓴메일함"), "&sLSsjMT0ulTHfNVo-");
/// assert_eq!(mail_imap::utf7::encode("R&D"), "R&-D");
/// ```
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush_run(&mut run, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut units = [0u16; 2];
            run.extend_from_slice(ch.encode_utf16(&mut units));
        }
    }
    flush_run(&mut run, &mut out);
    out
}

fn flush_run(run: &mut Vec<u16>, out: &mut String) {
    if run.is_empty() {
        return;
    }
    let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(
                ALPHABET.get(index as usize).copied().unwrap_or(b'A'),
            ));
        }
    }
    out.push('-');
    run.clear();
}

fn sextet(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// Decodes a modified UTF-7 mailbox name.
///
/// # Errors
/// [`Utf7Error`] for an unterminated `&` run, a byte outside the modified
/// BASE64 alphabet, non-zero padding bits, a lone surrogate, or a raw
/// non-ASCII byte.
///
/// ```
/// assert_eq!(mail_imap::utf7::decode("&sLSsjMT0ulTHfNVo-").unwrap(), "내게쓴메일함");
/// assert!(mail_imap::utf7::decode("&sLS").is_err());
/// ```
pub fn decode(name: &str) -> Result<String, Utf7Error> {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'&' {
            if !(0x20..=0x7e).contains(&b) {
                return Err(Utf7Error {
                    at: i,
                    reason: "byte outside printable US-ASCII",
                });
            }
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let start = i;
        let Some(len) = bytes
            .get(i + 1..)
            .and_then(|rest| rest.iter().position(|&c| c == b'-'))
        else {
            return Err(Utf7Error {
                at: start,
                reason: "`&` without a closing `-`",
            });
        };
        let encoded = bytes.get(i + 1..i + 1 + len).unwrap_or_default();
        i += len + 2;
        if encoded.is_empty() {
            out.push('&');
            continue;
        }
        let mut bits: u32 = 0;
        let mut nbits = 0;
        let mut units = Vec::with_capacity(encoded.len() * 6 / 16);
        for (k, &c) in encoded.iter().enumerate() {
            let Some(v) = sextet(c) else {
                return Err(Utf7Error {
                    at: start + 1 + k,
                    reason: "byte outside the modified BASE64 alphabet",
                });
            };
            bits = ((bits << 6) | v) & 0xff_ffff;
            nbits += 6;
            if nbits >= 16 {
                nbits -= 16;
                units.push(((bits >> nbits) & 0xffff) as u16);
            }
        }
        if nbits >= 6 || bits & ((1 << nbits) - 1) != 0 {
            return Err(Utf7Error {
                at: start,
                reason: "leftover BASE64 bits",
            });
        }
        for ch in char::decode_utf16(units.iter().copied()) {
            match ch {
                Ok(ch) if (' '..='~').contains(&ch) => {
                    return Err(Utf7Error {
                        at: start,
                        reason: "printable ASCII must not be BASE64-encoded",
                    })
                }
                Ok(ch) => out.push(ch),
                Err(_) => {
                    return Err(Utf7Error {
                        at: start,
                        reason: "unpaired UTF-16 surrogate",
                    })
                }
            }
        }
    }
    Ok(out)
}

/// The decoded name when it is valid modified UTF-7 and differs from the
/// raw one; for display beside the raw name.
pub fn decoded_if_different(name: &str) -> Option<String> {
    decode(name).ok().filter(|decoded| decoded != name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[(&str, &str)] = &[
        ("INBOX", "INBOX"),
        ("내게쓴메일함", "&sLSsjMT0ulTHfNVo-"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
        ("R&D", "R&-D"),
        ("&", "&-"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("😀 smile", "&2D3eAA- smile"),
        ("", ""),
        ("a&b&c", "a&-b&-c"),
    ];

    #[test]
    fn known_answers_encode_and_decode() {
        for (plain, encoded) in KNOWN {
            assert_eq!(encode(plain), *encoded, "encode {plain}");
            assert_eq!(decode(encoded).unwrap(), *plain, "decode {encoded}");
        }
    }

    #[test]
    fn malformed_names_are_errors() {
        let bad = [
            ("&sLS", "`&` without a closing `-`"),
            ("&sL*-", "byte outside the modified BASE64 alphabet"),
            ("&AGE-", "printable ASCII must not be BASE64-encoded"),
            ("&2D0-", "unpaired UTF-16 surrogate"),
            ("&AAB-", "leftover BASE64 bits"),
            ("&2D0A6Q-", "unpaired UTF-16 surrogate"),
            ("caf\u{e9}", "byte outside printable US-ASCII"),
            ("&AP-", "leftover BASE64 bits"),
        ];
        for (name, reason) in bad {
            assert_eq!(decode(name).unwrap_err().reason, reason, "{name}");
        }
    }

    #[test]
    fn round_trips_many_strings() {
        let samples = [
            "",
            "a",
            "ü",
            "üü",
            "üüü",
            "a&ü&b",
            "中文 名字",
            "x\u{10000}y",
            "\u{7f}",
            "\u{1}\u{2}",
        ];
        for s in samples {
            assert_eq!(decode(&encode(s)).unwrap(), s, "{s:?}");
            assert!(encode(s).is_ascii());
        }
        // Every code point class, in runs of one to four.
        let chars = ['é', '한', '\u{ffff}', '\u{10ffff}', '~', '&', ' '];
        for a in chars {
            for b in chars {
                for c in chars {
                    let s: String = [a, b, c, a].iter().collect();
                    assert_eq!(decode(&encode(&s)).unwrap(), s);
                }
            }
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics() {
        let mut seed = 7u32;
        for _ in 0..2000 {
            let len = (seed % 12) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    char::from(b"&-AZaz09+,/ \x7f"[(seed >> 16) as usize % 13])
                })
                .collect();
            let _ = decode(&s);
        }
    }
}
