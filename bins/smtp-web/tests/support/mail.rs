//! Reading a delivered message back from a maildir and decoding what the
//! tests compare: RFC 2047 encoded-words, RFC 2231 parameters, multipart
//! bodies, base64 and quoted-printable. Independent of the code under test,
//! so a test cannot pass by decoding with the same bug it encoded with.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// One decoded leaf part (or the whole message when it is not multipart).
#[derive(Debug, Clone)]
pub struct Leaf {
    pub content_type: String,
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Message {
    pub raw: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub leaves: Vec<Leaf>,
}

impl Message {
    pub fn parse(raw: &[u8]) -> Message {
        let (headers, body) = split_entity(raw);
        let mut leaves = Vec::new();
        collect_leaves(&headers, body, &mut leaves);
        Message {
            raw: raw.to_vec(),
            headers,
            leaves,
        }
    }

    /// A header's raw (unfolded) value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A header's value with encoded-words decoded.
    pub fn decoded(&self, name: &str) -> Option<String> {
        self.header(name).map(decode_words)
    }

    /// The first text/plain leaf without a file name, as text.
    pub fn text_body(&self) -> Option<String> {
        self.leaves
            .iter()
            .find(|l| {
                l.filename.is_none()
                    && l.content_type
                        .to_ascii_lowercase()
                        .starts_with("text/plain")
            })
            .map(|l| String::from_utf8(l.body.clone()).unwrap())
    }

    /// Leaves that carry a file name.
    pub fn attachments(&self) -> Vec<&Leaf> {
        self.leaves
            .iter()
            .filter(|l| l.filename.is_some())
            .collect()
    }
}

/// Polls `maildir/new` and `maildir/cur` until a message satisfies `pick`.
pub fn wait_for(maildir: &Path, timeout: Duration, pick: impl Fn(&Message) -> bool) -> Message {
    let deadline = Instant::now() + timeout;
    loop {
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(raw) = std::fs::read(entry.path()) {
                    let message = Message::parse(&raw);
                    if pick(&message) {
                        return message;
                    }
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no matching message arrived in {} within {timeout:?}",
            maildir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn split_entity(raw: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(at) => (&raw[..at], &raw[at + 4..]),
        None => match find(raw, b"\n\n") {
            Some(at) => (&raw[..at], &raw[at + 2..]),
            None => (raw, &b""[..]),
        },
    };
    let head = String::from_utf8_lossy(head).replace("\r\n", "\n");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line); // unfold: drop the line break, keep the space (RFC 5322 §2.2.3)
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn collect_leaves(headers: &[(String, String)], body: &[u8], out: &mut Vec<Leaf>) {
    let content_type = header(headers, "Content-Type")
        .unwrap_or("text/plain")
        .to_owned();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = param(&content_type, "boundary").expect("multipart without boundary");
        let delimiter = format!("--{boundary}");
        let text = body;
        let mut parts = Vec::new();
        let mut rest = text;
        // Skip the preamble, then cut at each delimiter line.
        let Some(first) = find(rest, delimiter.as_bytes()) else {
            return;
        };
        rest = &rest[first + delimiter.len()..];
        loop {
            if rest.starts_with(b"--") {
                break;
            }
            let line_end = find(rest, b"\n").map_or(rest.len(), |i| i + 1);
            rest = &rest[line_end..];
            let next =
                find(rest, format!("\n{delimiter}").as_bytes()).expect("unterminated multipart");
            let mut part = &rest[..next];
            if part.ends_with(b"\r") {
                part = &part[..part.len() - 1];
            }
            parts.push(part);
            rest = &rest[next + 1 + delimiter.len()..];
        }
        for part in parts {
            let (h, b) = split_entity(part);
            collect_leaves(&h, b, out);
        }
        return;
    }
    let encoding = header(headers, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .to_ascii_lowercase();
    let body = match encoding.as_str() {
        "base64" => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            BASE64.decode(clean).expect("bad base64")
        }
        "quoted-printable" => decode_qp(body),
        _ => body.to_vec(),
    };
    let disposition = header(headers, "Content-Disposition").unwrap_or("");
    let filename = param(disposition, "filename").or_else(|| param(&content_type, "name"));
    out.push(Leaf {
        content_type,
        filename,
        body,
    });
}

/// A parameter value: plain, quoted (with encoded-words decoded), or RFC 2231
/// (`name*=utf-8''%XX`, and continuations `name*0*=`, `name*1*=`).
pub fn param(value: &str, name: &str) -> Option<String> {
    let mut plain = None;
    let mut pieces: Vec<(u32, String, bool)> = Vec::new();
    for item in split_params(value).into_iter().skip(1) {
        let Some((key, val)) = item.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let val = val.trim();
        let val = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .map_or(val.to_owned(), |v| {
                v.replace("\\\"", "\"").replace("\\\\", "\\")
            });
        if key == name {
            plain = Some(decode_words(&val));
        } else if let Some(rest) = key.strip_prefix(&format!("{name}*")) {
            let extended = rest.ends_with('*') || rest.is_empty();
            let index = rest.trim_end_matches('*').parse().unwrap_or(0);
            pieces.push((index, val, extended));
        }
    }
    if pieces.is_empty() {
        return plain;
    }
    pieces.sort_by_key(|p| p.0);
    let mut bytes = Vec::new();
    for (i, (_, val, extended)) in pieces.iter().enumerate() {
        let mut val = val.as_str();
        if i == 0 && *extended {
            val = val.splitn(3, '\'').nth(2).unwrap_or(val); // charset'language'value
        }
        if *extended {
            bytes.extend(percent_decode(val));
        } else {
            bytes.extend_from_slice(val.as_bytes());
        }
    }
    Some(String::from_utf8(bytes).unwrap())
}

fn split_params(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            out.push(String::new());
            continue;
        }
        out.last_mut().unwrap().push(c);
    }
    out
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Decodes RFC 2047 encoded-words (B and Q, UTF-8); whitespace between two
/// adjacent encoded-words is dropped (§6.2).
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while !rest.is_empty() {
        let Some(start) = rest.find("=?") else {
            out.push_str(rest);
            break;
        };
        let (before, from) = rest.split_at(start);
        let word = from[2..].splitn(3, '?').collect::<Vec<_>>();
        let decoded = if word.len() == 3 {
            let (charset, enc, tail) = (word[0], word[1], word[2]);
            tail.find("?=").map(|end| {
                let text = &tail[..end];
                assert!(
                    charset.eq_ignore_ascii_case("utf-8"),
                    "unexpected charset {charset}"
                );
                let bytes = if enc.eq_ignore_ascii_case("b") {
                    BASE64.decode(text).expect("bad B word")
                } else {
                    decode_qp(text.replace('_', " ").as_bytes())
                };
                let consumed = 2 + charset.len() + 1 + enc.len() + 1 + end + 2;
                (String::from_utf8(bytes).unwrap(), consumed)
            })
        } else {
            None
        };
        match decoded {
            Some((text, consumed)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &from[consumed..];
                last_was_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &from[2..];
                last_was_word = false;
            }
        }
    }
    out
}

fn decode_qp(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'=' if body.get(i + 1) == Some(&b'\r') && body.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' if body.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < body.len() => {
                let hex = std::str::from_utf8(&body[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("bad QP escape"));
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Known answers for this helper (run by the browser test file).
pub fn self_test() {
    assert_eq!(
        decode_words("=?UTF-8?B?7ZWc6riA?= =?utf-8?Q?_=ED=95=9C?= plain"),
        "한글 한 plain"
    );
    assert_eq!(
        param("attachment; filename*=UTF-8''%ED%95%9C.txt", "filename").unwrap(),
        "한.txt"
    );
    assert_eq!(
        param(
            "attachment; filename*0*=UTF-8''%ED%95; filename*1*=%9C.txt",
            "filename"
        )
        .unwrap(),
        "한.txt"
    );
    assert_eq!(
        param("attachment; filename=\"=?UTF-8?B?7ZWc?=.txt\"", "filename").unwrap(),
        "한.txt"
    );
    let raw = b"Subject: =?UTF-8?B?7ZWc?=\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
pre\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ED=95=9C=\r\n!\r\n\
--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\n";
    let m = Message::parse(raw);
    assert_eq!(m.decoded("subject").unwrap(), "한");
    assert_eq!(m.text_body().unwrap(), "한!");
    assert_eq!(m.attachments()[0].body, [0, 1, 2]);
}
