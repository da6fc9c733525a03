//! `:show N`: a simple decoded view of a message. All decoding lives in
//! [`render`], so it can switch to `mail-mime` when that crate lands.

use base64::Engine;

/// Unfolded `(name, value)` header fields.
type Headers = Vec<(String, String)>;

/// Headers worth showing, in order.
const SHOWN: &[&str] = &["Date", "From", "To", "Cc", "Subject"];

/// Renders a raw RFC 5322 message: the main headers with RFC 2047 words
/// decoded, then the first text part with its transfer encoding undone.
pub(crate) fn render(raw: &[u8]) -> String {
    let (head, body) = split_head(raw);
    let headers = unfold(head);
    let mut out = String::new();
    for name in SHOWN {
        for (n, v) in &headers {
            if n.eq_ignore_ascii_case(name) {
                out.push_str(&format!("{name}: {}\n", decode_words(v)));
            }
        }
    }
    out.push('\n');
    let content_type = header(&headers, "Content-Type").unwrap_or_default();
    let (text_headers, text_body) = match boundary(&content_type) {
        Some(b) => first_text_part(body, &b).unwrap_or((Vec::new(), body)),
        None => (headers.clone(), body),
    };
    let encoding = header(&text_headers, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    let charset = param(&header(&text_headers, "Content-Type").unwrap_or_default(), "charset").unwrap_or_else(|| "utf-8".into());
    let decoded = match encoding.trim() {
        "base64" => {
            let clean: Vec<u8> = text_body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(clean).unwrap_or_else(|_| text_body.to_vec())
        }
        "quoted-printable" => quoted_printable(text_body, false),
        _ => text_body.to_vec(),
    };
    out.push_str(&to_text(&decoded, &charset));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (sep, len) in [(&b"\r\n\r\n"[..], 4), (&b"\n\n"[..], 2)] {
        if let Some(at) = raw.windows(len).position(|w| w == sep) {
            return (raw.get(..at).unwrap_or_default(), raw.get(at + len..).unwrap_or_default());
        }
    }
    (raw, &[])
}

fn unfold(head: &[u8]) -> Headers {
    let text = String::from_utf8_lossy(head);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

fn param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.trim().to_ascii_lowercase().starts_with("multipart/").then(|| param(content_type, "boundary")).flatten()
}

fn first_text_part<'a>(body: &'a [u8], boundary: &str) -> Option<(Headers, &'a [u8])> {
    let delimiter = format!("--{boundary}");
    let text = body;
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter.as_bytes()) {
        parts.push(rest.get(..at).unwrap_or_default());
        rest = rest.get(at + delimiter.len()..).unwrap_or_default();
    }
    for part in parts.into_iter().skip(1) {
        let part = part.strip_prefix(b"\r\n").or_else(|| part.strip_prefix(b"\n")).unwrap_or(part);
        let (head, body) = split_head(part);
        let headers = unfold(head);
        let ct = header(&headers, "Content-Type").unwrap_or_else(|| "text/plain".into()).to_ascii_lowercase();
        if ct.starts_with("text/plain") {
            return Some((headers, body));
        }
    }
    None
}

fn quoted_printable(input: &[u8], underscore_is_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        match b {
            b'=' => {
                let hex = input.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                } else if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') {
                    i += 3;
                } else if input.get(i + 1) == Some(&b'\n') {
                    i += 2;
                } else {
                    out.push(b);
                    i += 1;
                }
            }
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

fn to_text(bytes: &[u8], charset: &str) -> String {
    match encoding_rs::Encoding::for_label(charset.trim().as_bytes()) {
        Some(enc) => enc.decode(bytes).0.into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded words (`=?UTF-8?B?...?=`).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, after) = rest.split_at(start);
        let word = after.get(2..).and_then(|w| {
            let mut it = w.splitn(3, '?');
            let (charset, enc, tail) = (it.next()?, it.next()?, it.next()?);
            let end = tail.find("?=")?;
            let text = tail.get(..end)?;
            let bytes = match enc.to_ascii_uppercase().as_str() {
                "B" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
                "Q" => quoted_printable(text.as_bytes(), true),
                _ => return None,
            };
            let consumed = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
            Some((to_text(&bytes, charset), consumed))
        });
        match word {
            Some((text, consumed)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = after.get(consumed..).unwrap_or_default();
                last_was_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = after.get(2..).unwrap_or_default();
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words_and_base64_bodies() {
        let raw = b"From: =?UTF-8?B?7Lmc6rWs?= <friend@naver.com>\r\nSubject: =?UTF-8?B?7JWI64WV?=\r\n =?UTF-8?Q?_=ED=95=98?=\r\nContent-Transfer-Encoding: base64\r\n\r\n7JWI64WV\r\n";
        let shown = render(raw);
        assert!(shown.contains("From: 친구 <friend@naver.com>"), "{shown}");
        assert!(shown.contains("Subject: 안녕 하"), "{shown}");
        assert!(shown.ends_with("\n안녕\n"), "{shown}");
    }

    #[test]
    fn shows_the_first_text_part_of_a_multipart() {
        let raw = b"Subject: x\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>no</p>\r\n--b1\r\nContent-Type: text/plain; charset=euc-kr\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C7=D1=B1=DB=\r\n ok\r\n--b1--\r\n";
        let shown = render(raw);
        assert!(shown.contains("한글 ok"), "{shown}");
        assert!(!shown.contains("<p>"));
    }

    #[test]
    fn broken_input_never_panics() {
        for raw in [&b""[..], b"=?", b"Subject: =?x?Q?=?=\r\n\r\n=", b"Subject: =?UTF-8?B?!!?=", b"\xff\xfe"] {
            let _ = render(raw);
        }
    }
}
