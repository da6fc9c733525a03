//! A submitted HTML form: text fields and uploaded files, decoded from either
//! form encoding a browser uses.

use std::fmt;

use crate::multipart;
use crate::urlencoded;

/// Why a request body is not a usable form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormError {
    /// The body is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The Content-Type is neither form encoding.
    ContentType(String),
    /// A field's value is not UTF-8 text.
    NotUtf8 {
        /// The field's name.
        field: String,
    },
    /// A multipart body is malformed; the text says what was expected.
    Multipart(&'static str),
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormError::TooLarge { limit } => {
                write!(
                    f,
                    "the form with its attachments is larger than the limit of {}",
                    human_size(*limit)
                )
            }
            FormError::ContentType(ct) => {
                write!(f, "the form was sent as {ct:?}, not as form data")
            }
            FormError::NotUtf8 { field } => write!(f, "the field {field:?} is not UTF-8 text"),
            FormError::Multipart(expected) => {
                write!(f, "malformed multipart form: expected {expected}")
            }
        }
    }
}

impl std::error::Error for FormError {}

/// `1536` -> `"1.5 KiB"`, for messages about sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let name = UNITS.get(unit).copied().unwrap_or("bytes");
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {name}")
    } else {
        format!("{value:.1} {name}")
    }
}

/// One uploaded file.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The file name the browser gave, as sent.
    pub filename: String,
    /// The browser's guess at the type, if any.
    pub content_type: Option<String>,
    /// The file's bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// The decoded form: text fields in order (names may repeat) and files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData {
    /// `(name, value)` text fields.
    pub fields: Vec<(String, String)>,
    /// Files, with the name of the input they came from.
    pub files: Vec<(String, Upload)>,
}

impl FormData {
    /// Decodes a body by its Content-Type: urlencoded or multipart/form-data.
    /// An empty file input (no name, no bytes) is left out.
    ///
    /// # Errors
    /// [`FormError`] for another content type, text that is not UTF-8, or a
    /// malformed multipart body.
    pub fn parse(content_type: &str, body: &[u8]) -> Result<FormData, FormError> {
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Ok(FormData {
                fields: urlencoded::parse_urlencoded(body)?,
                files: Vec::new(),
            });
        }
        if !mime.eq_ignore_ascii_case("multipart/form-data") {
            return Err(FormError::ContentType(
                content_type.chars().take(80).collect(),
            ));
        }
        let boundary = multipart::boundary(content_type)?;
        let mut form = FormData::default();
        for part in multipart::parse_multipart(body, &boundary)? {
            match part.filename {
                Some(filename) if filename.is_empty() && part.data.is_empty() => {}
                Some(filename) => form.files.push((
                    part.name,
                    Upload {
                        filename,
                        content_type: part.content_type,
                        data: part.data,
                    },
                )),
                None => {
                    let value = String::from_utf8(part.data).map_err(|_| FormError::NotUtf8 {
                        field: part.name.clone(),
                    })?;
                    form.fields.push((part.name, value));
                }
            }
        }
        Ok(form)
    }

    /// The text fields that are whole in the first bytes of a body too
    /// large to read (the browser sends the fields before the files), so a
    /// refused form can come back filled in. Files, a field cut at the end,
    /// and fields that are not UTF-8 are left out.
    pub fn text_fields_of_cut_body(content_type: &str, prefix: &[u8]) -> FormData {
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        let mut form = FormData::default();
        if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            let whole = prefix
                .iter()
                .rposition(|&b| b == b'&')
                .and_then(|end| prefix.get(..end))
                .unwrap_or_default();
            form.fields = urlencoded::parse_urlencoded(whole).unwrap_or_default();
        } else if let Ok(boundary) = multipart::boundary(content_type) {
            for part in multipart::complete_parts(prefix, &boundary) {
                if part.filename.is_none() {
                    if let Ok(value) = String::from_utf8(part.data) {
                        form.fields.push((part.name, value));
                    }
                }
            }
        }
        form
    }

    /// The first value of a field, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a field, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_and_multipart_give_the_same_fields() {
        let a = FormData::parse(
            "application/x-www-form-urlencoded",
            b"subject=%ED%95%9C+1&to=a%40b",
        )
        .unwrap();
        let multipart = "--B\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n한 1\r\n\
                         --B\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@b\r\n\
                         --B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n\r\n\r\n--B--\r\n";
        let b = FormData::parse("multipart/form-data; boundary=B", multipart.as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get("subject"), "한 1");
        assert_eq!(a.get("missing"), "");
    }

    #[test]
    fn other_content_types_and_bad_text_are_refused() {
        assert!(matches!(
            FormData::parse("text/plain", b"a=b"),
            Err(FormError::ContentType(_))
        ));
        let body = b"--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n\xff\xfe\r\n--B--";
        assert_eq!(
            FormData::parse("multipart/form-data; boundary=B", body),
            Err(FormError::NotUtf8 {
                field: "body".into()
            })
        );
    }

    #[test]
    fn a_cut_body_gives_its_whole_text_fields_only() {
        let full: &[u8] = b"--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
--B\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n\xec\x95\x88\xeb\x85\x95\r\n\
--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nline one\r\nline two\r\n\
--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.bin\"\r\n\r\nxxxx\r\n\
--B--\r\n";
        let ct = "multipart/form-data; boundary=B";
        let names = |form: &FormData| -> Vec<String> {
            form.fields.iter().map(|(n, _)| n.clone()).collect()
        };
        // Cut inside the body field: it is left out, not truncated.
        let cut = full.windows(8).position(|w| w == b"line two").unwrap();
        let form = FormData::text_fields_of_cut_body(ct, &full[..cut]);
        assert_eq!(names(&form), ["csrf", "subject"]);
        assert_eq!(form.get("subject"), "안녕");
        // Cut inside the file: every text field, no file.
        let cut = full.windows(4).position(|w| w == b"xxxx").unwrap() + 2;
        let form = FormData::text_fields_of_cut_body(ct, &full[..cut]);
        assert_eq!(names(&form), ["csrf", "subject", "body"]);
        assert_eq!(form.get("body"), "line one\r\nline two");
        assert!(form.files.is_empty());
        // Every prefix: no panic, never a field that is not whole.
        for end in 0..full.len() {
            let form = FormData::text_fields_of_cut_body(ct, &full[..end]);
            for (name, value) in &form.fields {
                let whole = FormData::parse(ct, full).unwrap();
                assert_eq!(whole.get(name), value, "prefix {end}");
            }
        }
        let form =
            FormData::text_fields_of_cut_body("application/x-www-form-urlencoded", b"a=1&b=2&c=3x");
        assert_eq!(names(&form), ["a", "b"]);
        assert!(FormData::text_fields_of_cut_body("text/plain", full)
            .fields
            .is_empty());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(10), "10 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(25 * 1024 * 1024), "25 MiB");
        assert_eq!(
            FormError::TooLarge { limit: 1024 }.to_string(),
            "the form with its attachments is larger than the limit of 1 KiB"
        );
    }
}
