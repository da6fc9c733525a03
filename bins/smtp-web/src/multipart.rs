//! `multipart/form-data` bodies (RFC 7578 on RFC 2046 §5.1.1), parsed from a
//! body already read into memory within the upload limit.
//!
//! The parser is small and bounded on purpose: at most [`MAX_PARTS`] parts,
//! at most [`MAX_HEADER_BYTES`] of headers per part, boundaries found with
//! `memchr::memmem` (linear time on any input), no allocation driven by a
//! number taken from the body, and every malformed shape is a typed
//! [`FormError::Multipart`] naming what was expected.

use memchr::memmem;

use crate::form::FormError;

/// Most parts accepted in one form (fields plus files).
pub const MAX_PARTS: usize = 200;
/// Most header bytes accepted for one part.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// One part of a form: a text field, or a file when `filename` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The form control's name (`name=` of Content-Disposition).
    pub name: String,
    /// The file name the browser sent, as given (may be empty for an empty
    /// file input).
    pub filename: Option<String>,
    /// The part's Content-Type, if it had one.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub data: Vec<u8>,
}

/// The boundary from a `multipart/form-data; boundary=...` Content-Type.
///
/// # Errors
/// [`FormError::Multipart`] when the type is not multipart/form-data or the
/// boundary is missing or not 1 to 70 allowed characters (RFC 2046 §5.1.1).
pub fn boundary(content_type: &str) -> Result<String, FormError> {
    let mut params = content_type.split(';');
    let mime = params.next().unwrap_or_default().trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(FormError::Multipart("a multipart/form-data content type"));
    }
    for param in params {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        let allowed = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
        if value.is_empty()
            || value.len() > 70
            || !value.chars().all(allowed)
            || value.ends_with(' ')
        {
            return Err(FormError::Multipart(
                "a boundary of 1 to 70 allowed characters",
            ));
        }
        return Ok(value.to_owned());
    }
    Err(FormError::Multipart("a boundary parameter"))
}

/// Splits a multipart body into its parts.
///
/// # Errors
/// [`FormError::Multipart`] for a missing delimiter, a part without its
/// header block or Content-Disposition, a body cut before the close
/// delimiter, or more than [`MAX_PARTS`] parts / [`MAX_HEADER_BYTES`] of headers.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, FormError> {
    let mut parts = Vec::new();
    parse_into(body, boundary, &mut parts)?;
    Ok(parts)
}

/// The parts that are whole at the start of a body cut short (a form over
/// the upload limit, read up to it): a part counts only when the delimiter
/// after it was read, so no field comes back truncated.
pub fn complete_parts(body: &[u8], boundary: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let _cut_or_malformed = parse_into(body, boundary, &mut parts);
    parts
}

/// Parses parts into `parts` until the close delimiter or the first error.
fn parse_into(body: &[u8], boundary: &str, parts: &mut Vec<Part>) -> Result<(), FormError> {
    let dash = [b"--", boundary.as_bytes()].concat();
    let next_delimiter = memmem::Finder::new(&[b"\r\n", dash.as_slice()].concat()).into_owned();
    // The first delimiter may open the body or follow a preamble.
    let mut rest = if body.starts_with(&dash) {
        body.get(dash.len()..).unwrap_or_default()
    } else {
        let at = next_delimiter
            .find(body)
            .ok_or(FormError::Multipart("the first boundary delimiter"))?;
        body.get(at + 2 + dash.len()..).unwrap_or_default()
    };
    loop {
        if rest.starts_with(b"--") {
            return Ok(()); // close delimiter; the epilogue is ignored
        }
        let after_padding = rest
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(rest.len());
        rest = rest
            .get(after_padding..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .ok_or(FormError::Multipart("CRLF after a boundary delimiter"))?;
        if parts.len() == MAX_PARTS {
            return Err(FormError::Multipart("at most 200 parts"));
        }
        let (head, content) = split_head(rest)?;
        let at = next_delimiter
            .find(content)
            .ok_or(FormError::Multipart("the close delimiter (body cut short)"))?;
        let data = content.get(..at).unwrap_or_default();
        parts.push(parse_head(head, data)?);
        rest = content.get(at + 2 + dash.len()..).unwrap_or_default();
    }
}

/// Splits a part into its header block (without the blank line) and the rest.
fn split_head(part: &[u8]) -> Result<(&[u8], &[u8]), FormError> {
    if let Some(content) = part.strip_prefix(b"\r\n") {
        return Ok((&[], content)); // no headers at all
    }
    let window = part
        .get(..part.len().min(MAX_HEADER_BYTES + 4))
        .unwrap_or(part);
    let end = memmem::find(window, b"\r\n\r\n").ok_or(if window.len() < part.len() {
        FormError::Multipart("part headers within 8 KiB")
    } else {
        FormError::Multipart("a blank line after the part headers")
    })?;
    Ok((
        part.get(..end).unwrap_or_default(),
        part.get(end + 4..).unwrap_or_default(),
    ))
}

fn parse_head(head: &[u8], data: &[u8]) -> Result<Part, FormError> {
    let head = std::str::from_utf8(head).map_err(|_| FormError::Multipart("UTF-8 part headers"))?;
    let mut disposition = None;
    let mut content_type = None;
    for line in head.split("\r\n").filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or(FormError::Multipart("`Name: value` part header lines"))?;
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.trim());
        } else if name.trim().eq_ignore_ascii_case("content-type") {
            let value = value.trim();
            let valid =
                !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
            content_type = valid.then(|| value.to_owned());
        }
    }
    let disposition = disposition.ok_or(FormError::Multipart(
        "a Content-Disposition header in every part",
    ))?;
    let (kind, params) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(FormError::Multipart("Content-Disposition: form-data"));
    }
    let params = disposition_params(params)?;
    let param = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    let name = param("name").ok_or(FormError::Multipart("a name= parameter in every part"))?;
    Ok(Part {
        name,
        filename: param("filename"),
        content_type,
        data: data.to_vec(),
    })
}

/// `; key=value; key="quoted value"` parameters. As browsers write them
/// (HTML's form-data encoding), a quoted value ends at the next `"`: browsers
/// send `"` and line breaks inside names as `%22`, `%0D`, `%0A`, and no
/// backslash escapes.
fn disposition_params(mut text: &str) -> Result<Vec<(String, String)>, FormError> {
    let mut params = Vec::new();
    loop {
        text = text.trim_start_matches([' ', '\t', ';']);
        if text.is_empty() {
            return Ok(params);
        }
        let (key, after) = text
            .split_once('=')
            .ok_or(FormError::Multipart("key=value disposition parameters"))?;
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => quoted
                .split_once('"')
                .ok_or(FormError::Multipart("a closing quote in a parameter"))?,
            None => after
                .split_once(';')
                .map_or((after, ""), |(v, r)| (v.trim_end(), r)),
        };
        params.push((key.trim().to_owned(), value.to_owned()));
        text = remaining;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=----WebKitFormBoundaryAbC123";

    fn body(parts: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for part in parts {
            out.extend_from_slice(b"------WebKitFormBoundaryAbC123\r\n");
            out.extend_from_slice(part.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"------WebKitFormBoundaryAbC123--\r\n");
        out
    }

    #[test]
    fn reads_fields_and_files_as_a_browser_sends_them() {
        let body = body(&[
            "Content-Disposition: form-data; name=\"subject\"\r\n\r\n안녕하세요",
            "Content-Disposition: form-data; name=\"body\"\r\n\r\nline 1\r\n\r\nline 3\r\n",
            "Content-Disposition: form-data; name=\"files\"; filename=\"보고서 %22a%22.txt\"\r\nContent-Type: text/plain\r\n\r\n--not a boundary\r\n",
            "Content-Disposition: form-data; name=\"files\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n",
        ]);
        let parts = parse_multipart(&body, &boundary(CT).unwrap()).unwrap();
        assert_eq!(parts.len(), 4);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].data.as_slice()),
            ("subject", "안녕하세요".as_bytes())
        );
        assert_eq!(parts[1].data, b"line 1\r\n\r\nline 3\r\n");
        assert_eq!(parts[2].filename.as_deref(), Some("보고서 %22a%22.txt"));
        assert_eq!(parts[2].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[2].data, b"--not a boundary\r\n");
        assert_eq!(
            (parts[3].filename.as_deref(), parts[3].data.len()),
            (Some(""), 0)
        );
    }

    #[test]
    fn filename_with_percent_escapes_stays_as_sent() {
        let body = body(&[
            "Content-Disposition: form-data; name=\"f\"; filename=\"a%22b%0D%0A.txt\"\r\n\r\nx",
        ]);
        let parts = parse_multipart(&body, "----WebKitFormBoundaryAbC123").unwrap();
        assert_eq!(parts[0].filename.as_deref(), Some("a%22b%0D%0A.txt"));
    }

    #[test]
    fn preamble_epilogue_padding_and_binary_data() {
        let mut data: Vec<u8> = (0..=255u8).collect();
        data.extend_from_slice(b"\r\n-X \n--X\r--X--\r\n"); // near-boundaries inside the data
        let mut body = b"preamble\r\n--X  \r\nContent-Disposition: form-data; name=bin; filename=b.bin\r\n\r\n".to_vec();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n--X--\r\nepilogue --X\r\n");
        let parts = parse_multipart(&body, "X").unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].filename.as_deref(), Some("b.bin"));
        assert_eq!(parts[0].data, data);
    }

    #[test]
    fn content_type_boundary_table() {
        let ok = [
            ("multipart/form-data; boundary=abc", "abc"),
            ("Multipart/Form-Data;boundary=\"a b:c\"", "a b:c"),
            ("multipart/form-data; charset=utf-8; BOUNDARY=x", "x"),
        ];
        for (ct, expect) in ok {
            assert_eq!(boundary(ct).unwrap(), expect, "{ct}");
        }
        let bad = [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\"\"",
            "multipart/mixed; boundary=x",
            "multipart/form-data; boundary=a\u{0}b",
            "multipart/form-data; boundary=a\"b",
        ];
        for ct in bad {
            assert!(
                matches!(boundary(ct), Err(FormError::Multipart(_))),
                "{ct:?}"
            );
        }
        let long = format!("multipart/form-data; boundary={}", "x".repeat(71));
        assert!(boundary(&long).is_err());
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        let table: &[(&[u8], &str)] = &[
            (b"", "the first boundary delimiter"),
            (b"no delimiter here", "the first boundary delimiter"),
            (
                b"--X\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue",
                "the close delimiter (body cut short)",
            ),
            (
                b"--X\r\nContent-Disposition: form-data; name=a\r\n",
                "a blank line after the part headers",
            ),
            (b"--Xjunk\r\n", "CRLF after a boundary delimiter"),
            (
                b"--X\r\nContent-Type: text/plain\r\n\r\nv\r\n--X--",
                "a Content-Disposition header in every part",
            ),
            (
                b"--X\r\n\r\nv\r\n--X--",
                "a Content-Disposition header in every part",
            ),
            (
                b"--X\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--X--",
                "Content-Disposition: form-data",
            ),
            (
                b"--X\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--X--",
                "a name= parameter in every part",
            ),
            (
                b"--X\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--X--",
                "a closing quote in a parameter",
            ),
            (
                b"--X\r\nContent-Disposition: form-data; name=\"a\"b\"\r\n\r\nv\r\n--X--",
                "key=value disposition parameters",
            ),
            (
                b"--X\r\nbroken header\r\n\r\nv\r\n--X--",
                "`Name: value` part header lines",
            ),
            (
                b"--X\r\nContent-Disposition: form-data; name=\xff\r\n\r\nv\r\n--X--",
                "UTF-8 part headers",
            ),
        ];
        for (body, expected) in table {
            assert_eq!(
                parse_multipart(body, "X"),
                Err(FormError::Multipart(expected)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn hostile_sizes_are_bounded() {
        let mut many = Vec::new();
        for _ in 0..=MAX_PARTS {
            many.extend_from_slice(b"--X\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n");
        }
        many.extend_from_slice(b"--X--");
        assert_eq!(
            parse_multipart(&many, "X"),
            Err(FormError::Multipart("at most 200 parts"))
        );

        let mut huge_head = b"--X\r\nContent-Disposition: form-data; name=a\r\nX-Pad: ".to_vec();
        huge_head.extend(std::iter::repeat_n(b'a', MAX_HEADER_BYTES * 4));
        huge_head.extend_from_slice(b"\r\n\r\nv\r\n--X--");
        assert_eq!(
            parse_multipart(&huge_head, "X"),
            Err(FormError::Multipart("part headers within 8 KiB"))
        );

        // A megabyte of almost-boundaries parses quickly and keeps every byte.
        let data = b"\r\n--Y".repeat(200_000);
        let mut body =
            b"--X\r\nContent-Disposition: form-data; name=f; filename=f\r\n\r\n".to_vec();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\r\n--X--");
        let parts = parse_multipart(&body, "X").unwrap();
        assert_eq!(parts[0].data, data);
    }

    #[test]
    fn every_prefix_of_a_valid_body_is_an_error_not_a_panic() {
        let body = body(&[
            "Content-Disposition: form-data; name=\"a\"\r\n\r\n1",
            "Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n22",
        ]);
        let full_len = body.len() - 2; // without the final CRLF (epilogue)
        for end in 0..full_len {
            let prefix = &body[..end];
            assert!(
                parse_multipart(prefix, "----WebKitFormBoundaryAbC123").is_err(),
                "prefix {end}"
            );
        }
        assert_eq!(
            parse_multipart(&body[..full_len], "----WebKitFormBoundaryAbC123")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn mutated_bodies_never_panic() {
        let valid = body(&[
            "Content-Disposition: form-data; name=\"a\"\r\n\r\n1",
            "Content-Disposition: form-data; name=\"f\"; filename=\"x\"\r\nContent-Type: text/plain\r\n\r\n22",
        ]);
        let alphabet = b"-\r\n\"; =:abcX\xff\x00";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let mut mutated = valid.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % mutated.len();
                match next() % 3 {
                    0 => mutated[at] = alphabet[(next() as usize) % alphabet.len()],
                    1 => {
                        mutated.remove(at);
                    }
                    _ => mutated.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                }
            }
            if let Ok(parts) = parse_multipart(&mutated, "----WebKitFormBoundaryAbC123") {
                assert!(parts.iter().map(|p| p.data.len()).sum::<usize>() <= mutated.len());
            }
        }
    }
}
