//! MIME header parameters (RFC 2045 §5.1) and their RFC 2231 extensions:
//! the builder's `filename*=utf-8''...` encoder, and the parser's reader
//! of `Content-Type`/`Content-Disposition` values.

use crate::{charset, encoded_word, header};

/// Parameters read per header; real ones have a handful, and the cap keeps
/// the name matching in `assemble` (quadratic in the count) cheap on hostile input.
const MAX_PARAMS: usize = 256;
/// Longest ASCII filename written as a plain quoted string.
const MAX_PLAIN_NAME: usize = 60;
/// Characters of percent-encoded value per RFC 2231 continuation.
const CHUNK: usize = 60;

fn is_attribute_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn plain_ok(name: &str) -> bool {
    name.len() <= MAX_PLAIN_NAME
        && name.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !name.contains("=?")
}

/// `filename` parameters for Content-Disposition: a quoted string for short
/// ASCII names, else RFC 2231 `filename*0*=utf-8''...` continuations.
pub(crate) fn filename_params(name: &str) -> Vec<String> {
    if plain_ok(name) {
        return vec![format!("filename={}", quote(name))];
    }
    let mut encoded = String::from("utf-8''");
    for &b in name.as_bytes() {
        if is_attribute_char(b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    if encoded.len() <= CHUNK {
        return vec![format!("filename*={encoded}")];
    }
    let mut params = Vec::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        // Never split a %XX escape.
        if let Some(pct) = rest
            .get(cut.saturating_sub(2)..cut)
            .and_then(|t| t.find('%'))
        {
            cut = cut - 2 + pct;
        }
        let (chunk, tail) = rest.split_at(cut);
        params.push(format!("filename*{}*={chunk}", params.len()));
        rest = tail;
    }
    params
}

/// The Content-Type `name` parameter old clients read: quoted, with
/// encoded-words for non-ASCII names.
pub(crate) fn name_param(name: &str) -> String {
    if plain_ok(name)
        || (name.is_ascii() && !name.contains("=?") && !name.bytes().any(|b| b < 0x20 || b == 0x7f))
    {
        format!("name={}", quote(name))
    } else {
        format!("name=\"{}\"", encoded_word::encode(name).join(" "))
    }
}

/// A parsed `type/subtype; param=value ...` header value.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderParams {
    /// Lower-cased `type/subtype` or disposition type; empty when missing.
    pub(crate) value: String,
    /// Parameters, names lower-cased, RFC 2231 continuations joined and decoded.
    pub(crate) params: Vec<(String, String)>,
}

impl HeaderParams {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One raw `attr=value` before RFC 2231 assembly.
struct RawParam {
    name: String,
    section: Option<u32>,
    extended: bool,
    value: Vec<u8>,
}

/// Parses a Content-Type or Content-Disposition value (already unfolded),
/// comments removed, leniently: unquoted values with spaces, missing `;`,
/// junk are tolerated.
pub(crate) fn parse(raw: &[u8]) -> HeaderParams {
    let raw = &*header::remove_comments(raw);
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while raw.get(*i).is_some_and(|b| b.is_ascii_whitespace()) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    let start = i;
    while raw
        .get(i)
        .is_some_and(|&b| b != b';' && !b.is_ascii_whitespace())
    {
        i += 1;
    }
    let value = String::from_utf8_lossy(raw.get(start..i).unwrap_or_default()).to_ascii_lowercase();
    let mut raws: Vec<RawParam> = Vec::new();
    loop {
        // Skip to after the next ';'.
        while let Some(&b) = raw.get(i) {
            i += 1;
            if b == b';' {
                break;
            }
        }
        if i >= raw.len() {
            break;
        }
        skip_ws(&mut i);
        let name_start = i;
        while raw
            .get(i)
            .is_some_and(|&b| b != b'=' && b != b';' && !b.is_ascii_whitespace())
        {
            i += 1;
        }
        let name = String::from_utf8_lossy(raw.get(name_start..i).unwrap_or_default())
            .to_ascii_lowercase();
        skip_ws(&mut i);
        if raw.get(i) != Some(&b'=') || name.is_empty() {
            continue;
        }
        i += 1;
        skip_ws(&mut i);
        let value = if raw.get(i) == Some(&b'"') {
            i += 1;
            let mut v = Vec::new();
            while let Some(&b) = raw.get(i) {
                i += 1;
                match b {
                    b'"' => break,
                    b'\\' => {
                        if let Some(&n) = raw.get(i) {
                            v.push(n);
                            i += 1;
                        }
                    }
                    _ => v.push(b),
                }
            }
            v
        } else {
            let vs = i;
            while raw.get(i).is_some_and(|&b| b != b';') {
                i += 1;
            }
            let v = raw.get(vs..i).unwrap_or_default();
            let end = v
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |p| p + 1);
            v.get(..end).unwrap_or_default().to_vec()
        };
        let (base, section, extended) = split_param_name(&name);
        raws.push(RawParam {
            name: base.to_string(),
            section,
            extended,
            value,
        });
        if raws.len() >= MAX_PARAMS {
            break;
        }
    }
    HeaderParams {
        value,
        params: assemble(raws),
    }
}

fn split_param_name(name: &str) -> (&str, Option<u32>, bool) {
    let (name, extended) = match name.strip_suffix('*') {
        Some(n) => (n, true),
        None => (name, false),
    };
    if let Some((base, num)) = name.rsplit_once('*') {
        if let Ok(n) = num.parse::<u32>() {
            return (base, Some(n), extended);
        }
    }
    (name, None, extended)
}

fn percent_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'%' {
            let hi = v.get(i + 1).and_then(|&h| char::from(h).to_digit(16));
            let lo = v.get(i + 2).and_then(|&h| char::from(h).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// RFC 2231 §3-4: joins `name*0`, `name*1*`... in section order, decodes
/// `charset'lang'%XX` values; plain values get RFC 2047 decoding (what
/// many clients write) and raw 8-bit bytes are read as UTF-8.
fn assemble(raws: Vec<RawParam>) -> Vec<(String, String)> {
    if raws.iter().all(|r| !r.extended && r.section.is_none()) {
        // The common case: plain parameters, the first of each name wins.
        let mut out: Vec<(String, String)> = Vec::with_capacity(raws.len());
        for r in raws {
            if out.iter().any(|(n, _)| *n == r.name) {
                continue;
            }
            let text = match String::from_utf8(r.value) {
                Ok(t) if !t.contains("=?") => t,
                Ok(t) => encoded_word::decode_text(t.as_bytes(), None).into_owned(),
                Err(e) => encoded_word::decode_text(e.as_bytes(), None).into_owned(),
            };
            out.push((r.name, text));
        }
        return out;
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut done: Vec<String> = Vec::new();
    for idx in 0..raws.len() {
        let Some(first) = raws.get(idx) else { continue };
        if done.contains(&first.name) {
            continue;
        }
        done.push(first.name.clone());
        let mut same: Vec<&RawParam> = raws.iter().filter(|r| r.name == first.name).collect();
        // A plain `name=` beside `name*=`: RFC 2231 wins.
        let has_ext = same.iter().any(|r| r.extended || r.section.is_some());
        if has_ext {
            same.retain(|r| r.extended || r.section.is_some());
        } else {
            same.truncate(1);
        }
        same.sort_by_key(|r| r.section.unwrap_or(0));
        let mut charset_label: Option<String> = None;
        let mut bytes = Vec::new();
        for (n, r) in same.iter().enumerate() {
            if r.extended {
                let mut value: &[u8] = &r.value;
                if n == 0 {
                    // charset'language'value
                    let mut parts = value.splitn(3, |&b| b == b'\'');
                    if let (Some(cs), Some(_lang), Some(v)) =
                        (parts.next(), parts.next(), parts.next())
                    {
                        if !cs.is_empty() {
                            charset_label = Some(String::from_utf8_lossy(cs).into_owned());
                        }
                        value = v;
                    }
                }
                bytes.extend(percent_decode(value));
            } else {
                bytes.extend_from_slice(&r.value);
            }
        }
        let text: String = match (&charset_label, has_ext) {
            (Some(cs), _) => charset::decode(&bytes, Some(cs)).into_owned(),
            (None, true) => String::from_utf8_lossy(&bytes).into_owned(),
            (None, false) => encoded_word::decode_text(&bytes, None).into_owned(),
        };
        out.push((first.name.clone(), text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filename_params_encode_rfc2231() {
        assert_eq!(filename_params("report.pdf"), ["filename=\"report.pdf\""]);
        assert_eq!(
            filename_params("a \"b\".txt"),
            ["filename=\"a \\\"b\\\".txt\""]
        );
        assert_eq!(
            filename_params("보고서.pdf"),
            ["filename*=utf-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf"]
        );
        let long = "가".repeat(30) + ".pdf";
        let params = filename_params(&long);
        assert!(params.len() > 1);
        assert!(params.iter().all(|p| p.len() <= CHUNK + 16));
        let joined = params.join("; ");
        let parsed = parse(format!("attachment; {joined}").as_bytes());
        assert_eq!(parsed.get("filename"), Some(long.as_str()));
    }

    #[test]
    fn rfc2231_examples() {
        // RFC 2231 §3 (continuations) and §4 (charset and language).
        let p = parse(b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
        assert_eq!(p.value, "message/external-body");
        assert_eq!(
            p.get("url"),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        let p =
            parse(b"application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
        assert_eq!(p.get("title"), Some("This is ***fun***"));
        let p = parse(b"application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"");
        assert_eq!(
            p.get("title"),
            Some("This is even more ***fun*** isn't it!")
        );
    }

    #[test]
    fn lenient_parameter_forms() {
        let p = parse(b"Text/Plain;charset=\"EUC-KR\"");
        assert_eq!(
            (p.value.as_str(), p.get("charset")),
            ("text/plain", Some("EUC-KR"))
        );
        let p = parse(b"attachment; filename==?UTF-8?B?67O06rOg7IScLnBkZg==?=");
        assert_eq!(p.get("filename"), Some("보고서.pdf"));
        let p = parse(b"attachment; filename=my file.txt ; size=3");
        assert_eq!(p.get("filename"), Some("my file.txt"));
        let p = parse("attachment; filename=\"한글.txt\"".as_bytes());
        assert_eq!(p.get("filename"), Some("한글.txt"));
        let p = parse(b"multipart/mixed; boundary=\"unterminated");
        assert_eq!(p.get("boundary"), Some("unterminated"));
        let p = parse(b"");
        assert_eq!(p.value, "");
        let p = parse(b"attachment; filename*=ks_c_5601-1987''%C7%D1.txt");
        assert_eq!(p.get("filename"), Some("한.txt"));
        // Comments (RFC 2045 §5.1), not inside quoted strings.
        let p = parse(b"text/plain; charset=utf-8 (plain text)");
        assert_eq!(p.get("charset"), Some("utf-8"));
        let p =
            parse(b"Text/HTML (rich) ; (c; with ; semicolons) charset = (x) \"iso-2022-jp\" (y)");
        assert_eq!(
            (p.value.as_str(), p.get("charset")),
            ("text/html", Some("iso-2022-jp"))
        );
        let p = parse(b"attachment (a); filename=\"x (1).txt\"");
        assert_eq!(
            (p.value.as_str(), p.get("filename")),
            ("attachment", Some("x (1).txt"))
        );
        let comments = format!("text/plain;{} charset=utf-8 ((((", "() ".repeat(50_000));
        assert_eq!(parse(comments.as_bytes()).get("charset"), Some("utf-8"));
        let hostile: String = (0..100_000).map(|i| format!("; p{i}*{i}*=x")).collect();
        let p = parse(format!("text/plain{hostile}").as_bytes());
        assert_eq!(p.params.len(), MAX_PARAMS);
    }
}
