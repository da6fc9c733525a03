//! `application/x-www-form-urlencoded` bodies (WHATWG URL Standard §5.1):
//! `&`-separated `name=value` pairs, `+` for a space and `%XX` for any byte,
//! decoded to UTF-8 text.
//!
//! Unlike the original script, which turned only `%40` back into `@`, every
//! percent escape is decoded. A `%` not followed by two hex digits stays as
//! it is, as the standard says. Bytes that are not UTF-8 after decoding are
//! refused rather than replaced, so nothing is sent that the user did not type.

use crate::form::FormError;

/// Decodes a whole urlencoded body into its `(name, value)` pairs, in order.
///
/// # Errors
/// [`FormError::NotUtf8`] when a name or value is not UTF-8 once decoded.
pub fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let mut pairs = Vec::new();
    for piece in body.split(|&b| b == b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(eq) => (
                piece.get(..eq).unwrap_or_default(),
                piece.get(eq + 1..).unwrap_or_default(),
            ),
            None => (piece, &b""[..]),
        };
        let name = percent_decode(name)?;
        let value = percent_decode(value).map_err(|_| FormError::NotUtf8 {
            field: name.clone(),
        })?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Decodes `+` and every `%XX` escape of one name or value.
///
/// # Errors
/// [`FormError::NotUtf8`] when the decoded bytes are not UTF-8.
pub fn percent_decode(input: &[u8]) -> Result<String, FormError> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'+' => {
                out.push(b' ');
                rest = tail;
            }
            b'%' => match tail {
                [hi, lo, after @ ..] if hex_value(*hi).is_some() && hex_value(*lo).is_some() => {
                    let (hi, lo) = (hex_value(*hi).unwrap_or(0), hex_value(*lo).unwrap_or(0));
                    out.push(hi << 4 | lo);
                    rest = after;
                }
                _ => {
                    out.push(b'%');
                    rest = tail;
                }
            },
            _ => {
                out.push(b);
                rest = tail;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8 {
        field: String::from_utf8_lossy(input).into_owned(),
    })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_every_percent_escape() {
        let table: &[(&[u8], &str)] = &[
            (b"a%40b.test", "a@b.test"),
            (b"hello+world", "hello world"),
            (b"a%2Bb", "a+b"),
            (b"%25", "%"),
            (b"%26%3D%3F%23", "&=?#"),
            (b"%0D%0A", "\r\n"),
            (b"%ed%95%9c%EA%B8%80", "한글"),
            ("한글 raw".as_bytes(), "한글 raw"),
            (b"100%", "100%"),
            (b"%zz", "%zz"),
            (b"%4", "%4"),
            (b"%%41", "%A"),
            (b"", ""),
        ];
        for (input, expected) in table {
            assert_eq!(
                percent_decode(input).unwrap(),
                *expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn refuses_bytes_that_are_not_utf8() {
        for input in [&b"%ff"[..], b"%ed%95", b"%c3%28", b"\xff"] {
            assert!(
                matches!(percent_decode(input), Err(FormError::NotUtf8 { .. })),
                "{input:?}"
            );
        }
        let err = parse_urlencoded(b"subject=%ff").unwrap_err();
        assert_eq!(
            err,
            FormError::NotUtf8 {
                field: "subject".into()
            }
        );
    }

    #[test]
    fn splits_pairs_in_order() {
        let pairs = parse_urlencoded(
            b"to=a%40x.test&to=b%40x.test&&empty=&flag&subject=%EC%95%88%EB%85%95+hi",
        )
        .unwrap();
        let expect = [
            ("to", "a@x.test"),
            ("to", "b@x.test"),
            ("empty", ""),
            ("flag", ""),
            ("subject", "안녕 hi"),
        ];
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, expect);
        assert_eq!(
            parse_urlencoded(b"a=1=2").unwrap(),
            vec![("a".to_owned(), "1=2".to_owned())]
        );
    }
}
