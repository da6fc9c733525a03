//! Header field values the builder writes: unstructured text as RFC 2047
//! encoded-words, and the `Message-ID:` (checked or generated).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::encoded_word;
use crate::{BuildError, Mailbox};

pub(super) fn random_token(n: usize) -> String {
    (0..n).map(|_| fastrand::alphanumeric()).collect()
}

/// Unstructured header text (RFC 5322 §3.2.5): printable ASCII words stay
/// as they are; each run of words needing encoding (non-ASCII, control
/// characters, or something that looks like an encoded-word) becomes UTF-8
/// encoded-words. A run keeps the spaces inside it, since white space
/// between adjacent encoded-words is dropped by readers (RFC 2047 §6.2).
pub(super) fn unstructured(text: &str) -> String {
    let needs =
        |w: &str| !w.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') || w.contains("=?");
    if !needs(text) {
        return text.to_string();
    }
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while let Some(&word) = words.get(i) {
        if !needs(word) {
            out.push(word.to_string());
            i += 1;
            continue;
        }
        // Extend the run over encodable and empty words, ending on an encodable one.
        let mut end = i + 1;
        let mut j = i + 1;
        while let Some(&w) = words.get(j) {
            if needs(w) {
                end = j + 1;
            } else if !w.is_empty() {
                break;
            }
            j += 1;
        }
        let run = words.get(i..end).unwrap_or_default().join(" ");
        out.push(encoded_word::encode(&run).join(" "));
        i = end;
    }
    out.join(" ")
}

pub(super) fn check_message_id(id: &str) -> Result<String, BuildError> {
    if id.contains(['\r', '\n', '\0']) {
        return Err(BuildError::LineBreak { what: "message id" });
    }
    let trimmed = id.trim();
    let inner = trimmed
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(trimmed);
    let ok = inner
        .split_once('@')
        .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty())
        && inner
            .bytes()
            .all(|b| (33..=126).contains(&b) && !b"<>()[]\\,;:\"".contains(&b) || b == b'@');
    if !ok {
        return Err(BuildError::InvalidMessageId(id.to_string()));
    }
    Ok(format!("<{inner}>"))
}

pub(super) fn generate_message_id(from: &Mailbox) -> String {
    let domain = from.domain();
    let usable = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let domain = if usable { domain } else { "mailkit.invalid" };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "<{}.{:06}.{}@{domain}>",
        now.as_secs(),
        now.subsec_micros(),
        random_token(16).to_ascii_lowercase()
    )
}
