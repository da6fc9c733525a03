//! `:show N`: a simple decoded view of a message, the main headers (RFC 2047
//! words decoded) and its first text part (base64 / quoted-printable and the
//! charset decoded).
//!
//! Deliberately small and kept behind the one function [`decoded_view`], so
//! it can switch to `mail-mime`'s parser once that crate is ready.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use encoding_rs::{Encoding, UTF_8};

/// Headers shown, in this order.
const SHOWN: [&str; 5] = ["Date", "From", "To", "Cc", "Subject"];

/// The message as a person reads it: headers, a blank line, the text.
/// Control characters are escaped, so the view is safe on a terminal.
pub fn decoded_view(raw: &[u8]) -> String {
    let (headers, body) = split_message(raw);
    let mut out = String::new();
    for name in SHOWN {
        for value in header_values(&headers, name) {
            out.push_str(&format!("{name}: {}\n", safe(&decode_words(&value))));
        }
    }
    out.push('\n');
    for line in body_text(&headers, body, 0).lines() {
        out.push_str(&safe(line));
        out.push('\n');
    }
    out
}

fn safe(text: &str) -> String {
    mail_wire::escape_for_display(text.trim_end_matches('\r').as_bytes())
}

/// Unfolded header fields and the body.
fn split_message(raw: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(at) => (raw.get(..at).unwrap_or_default(), raw.get(at + 4..).unwrap_or_default()),
        None => match find(raw, b"\n\n") {
            Some(at) => (raw.get(..at).unwrap_or_default(), raw.get(at + 2..).unwrap_or_default()),
            None => (raw, &[][..]),
        },
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in String::from_utf8_lossy(head).lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn header_values(headers: &[(String, String)], name: &str) -> Vec<String> {
    headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
}

fn header(headers: &[(String, String)], name: &str) -> String {
    header_values(headers, name).into_iter().next().unwrap_or_default()
}

/// `text/plain; charset="euc-kr"` → (`text/plain`, parameter lookup).
fn param(value: &str, key: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn media_type(value: &str) -> String {
    let main = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if main.is_empty() {
        "text/plain".to_owned()
    } else {
        main
    }
}

fn body_text(headers: &[(String, String)], body: &[u8], depth: u32) -> String {
    let content_type = header(headers, "Content-Type");
    let media = media_type(&content_type);
    if media.starts_with("multipart/") {
        let Some(boundary) = param(&content_type, "boundary").filter(|_| depth < 5) else {
            return format!("[{media} without a usable boundary]\n");
        };
        return multipart_text(body, &boundary, depth);
    }
    if !media.starts_with("text/") {
        return format!("[{media} part]\n");
    }
    let encoding = header(headers, "Content-Transfer-Encoding").to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let clean: Vec<u8> = body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            STANDARD.decode(clean).unwrap_or_else(|_| body.to_vec())
        }
        "quoted-printable" => quoted_printable(body, false),
        _ => body.to_vec(),
    };
    decode_charset(param(&content_type, "charset").as_deref(), &bytes)
}

/// The first text/plain part (else the first text part) of a multipart
/// body, and a line for every other part.
fn multipart_text(body: &[u8], boundary: &str, depth: u32) -> String {
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == delimiter || trimmed == format!("{delimiter}--") {
            if let Some(part) = current.take() {
                parts.push(part);
            }
            if trimmed.ends_with("--") && trimmed != delimiter {
                break;
            }
            current = Some(String::new());
        } else if let Some(part) = current.as_mut() {
            part.push_str(line);
        }
    }
    let mut shown = None;
    let mut others = String::new();
    for part in &parts {
        let (headers, part_body) = split_message(part.as_bytes());
        let media = media_type(&header(&headers, "Content-Type"));
        let wanted = media == "text/plain" || media.starts_with("multipart/");
        if shown.is_none() && wanted {
            shown = Some(body_text(&headers, part_body, depth + 1));
        } else {
            let disposition = header(&headers, "Content-Disposition");
            let name = param(&disposition, "filename")
                .or_else(|| param(&header(&headers, "Content-Type"), "name"))
                .map(|n| format!(" {}", decode_words(&n)))
                .unwrap_or_default();
            others.push_str(&format!("[part: {media}{name}]\n"));
        }
    }
    let mut out = shown.unwrap_or_default();
    if !others.is_empty() {
        out.push('\n');
        out.push_str(&others);
    }
    out
}

fn decode_charset(charset: Option<&str>, bytes: &[u8]) -> String {
    let encoding = charset.and_then(|c| Encoding::for_label(c.as_bytes())).unwrap_or(UTF_8);
    encoding.decode(bytes).0.into_owned()
}

fn quoted_printable(input: &[u8], underscore_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'=' => match (input.get(i + 1).copied(), input.get(i + 2).copied()) {
                (Some(b'\r'), Some(b'\n')) => i += 3,
                (Some(b'\n'), _) => i += 2,
                (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                    let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                    out.push(u8::try_from(value).unwrap_or(b'?'));
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`); whitespace between
/// two encoded words disappears.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match decode_word(candidate) {
            Some((text, used)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = candidate.get(used..).unwrap_or_default();
                last_was_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = candidate.get(2..).unwrap_or_default();
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One `=?charset?enc?text?=` at the start of `s`: its text and its length.
fn decode_word(s: &str) -> Option<(String, usize)> {
    let inner = s.strip_prefix("=?")?;
    let (charset, inner) = inner.split_once('?')?;
    let (encoding, inner) = inner.split_once('?')?;
    let end = inner.find("?=")?;
    let text = inner.get(..end)?;
    if text.contains(' ') {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => STANDARD.decode(text).ok()?,
        "Q" | "q" => quoted_printable(text.as_bytes(), true),
        _ => return None,
    };
    let used = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    // RFC 2231 language suffix: `UTF-8*ko`.
    let charset = charset.split('*').next().unwrap_or(charset);
    Some((decode_charset(Some(charset), &bytes), used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_are_decoded() {
        let table = [
            ("=?UTF-8?B?7ZWc6riA?=", "한글"),
            ("=?EUC-KR?B?x9Gx2w==?= test", "한글 test"),
            ("=?iso-8859-1?Q?caf=E9_au_lait?=", "café au lait"),
            ("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"),
            ("plain =?bogus", "plain =?bogus"),
            ("x =?UTF-8?X?abc?= y", "x =?UTF-8?X?abc?= y"),
        ];
        for (raw, expected) in table {
            assert_eq!(decode_words(raw), expected, "{raw}");
        }
    }

    #[test]
    fn a_simple_message_shows_headers_and_text() {
        let raw = b"Received: x\r\nFrom: Bob <bob@example.test>\r\nSubject: =?UTF-8?B?7ZWc6riA?=\r\n \
            folded\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
            caf=C3=A9 =\r\nsoft\r\n\x1b[2Jevil\r\n";
        let view = decoded_view(raw);
        assert_eq!(view, "From: Bob <bob@example.test>\nSubject: 한글 folded\n\ncafé soft\n\\x1b[2Jevil\n");
    }

    #[test]
    fn multipart_shows_the_text_part_and_lists_the_others() {
        let raw = b"Subject: m\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n\
            Content-Type: text/plain; charset=euc-kr\r\nContent-Transfer-Encoding: base64\r\n\r\nx9Gx2w==\r\n--XX\r\n\
            Content-Type: application/pdf; name=\"a.pdf\"\r\n\r\nJVBERi0=\r\n--XX--\r\n";
        let view = decoded_view(raw);
        assert!(view.starts_with("Subject: m\n\n한글\n"), "{view}");
        assert!(view.contains("[part: application/pdf a.pdf]"), "{view}");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for raw in [&b""[..], b"\r\n\r\n", b"Content-Type: multipart/mixed\r\n\r\nx", b"=?", b"a: =?UTF-8?B?!!?=", b"\xff\xfe: \xff"] {
            let _ = decoded_view(raw);
        }
    }
}
