//! One message -> one JSON object (the `mime-dump` format). Shared by the
//! example and the fixture tests (`#[path]`-included there).

use mail_mime::{Mailbox, ParsedMessage};
use sha2::{Digest, Sha256};

/// Appends `s` as a JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt(s: Option<&str>, out: &mut String) {
    match s {
        Some(s) => json_str(s, out),
        None => out.push_str("null"),
    }
}

fn json_mailboxes(list: &[Mailbox], out: &mut String) {
    out.push('[');
    for (i, m) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json_opt(m.name(), out);
        out.push_str(",\"address\":");
        json_str(m.address(), out);
        out.push('}');
    }
    out.push(']');
}

/// The JSON line for a readable file.
pub fn dump(file: &str, bytes: &[u8]) -> String {
    let msg = ParsedMessage::parse(bytes);
    let mut out = String::with_capacity(1024);
    out.push_str("{\"file\":");
    json_str(file, &mut out);
    out.push_str(",\"subject\":");
    json_opt(msg.subject().as_deref(), &mut out);
    out.push_str(",\"from\":");
    json_mailboxes(&msg.from(), &mut out);
    out.push_str(",\"to\":");
    json_mailboxes(&msg.to(), &mut out);
    out.push_str(",\"cc\":");
    json_mailboxes(&msg.cc(), &mut out);
    out.push_str(",\"date\":");
    json_opt(msg.date().map(|d| d.to_rfc3339()).as_deref(), &mut out);
    out.push_str(",\"message_id\":");
    json_opt(msg.message_id().as_deref(), &mut out);
    out.push_str(",\"headers\":[");
    let charset = msg.root().charset();
    for (i, field) in msg.headers().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        json_str(&field.name(), &mut out);
        out.push(',');
        json_str(&field.decoded(charset), &mut out);
        out.push(']');
    }
    out.push_str("],\"parts\":[");
    for (i, part) in msg.parts().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Size and digest through the incremental decoder: no second whole
        // copy of a large attachment.
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut reader = part.reader();
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            if n == 0 {
                break;
            }
            hasher.update(buf.get(..n).unwrap_or_default());
            size += n as u64;
        }
        out.push_str("{\"content_type\":");
        json_str(part.content_type(), &mut out);
        out.push_str(",\"charset\":");
        json_opt(
            part.charset().map(str::to_ascii_lowercase).as_deref(),
            &mut out,
        );
        out.push_str(",\"filename\":");
        json_opt(part.filename(), &mut out);
        out.push_str(",\"disposition\":");
        json_opt(part.disposition(), &mut out);
        out.push_str(&format!(",\"size\":{size},\"sha256\":\""));
        for b in hasher.finalize() {
            out.push_str(&format!("{b:02x}"));
        }
        out.push_str("\",\"text\":");
        if part.content_type().starts_with("text/") {
            json_str(&part.text(), &mut out);
        } else {
            out.push_str("null");
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

/// The JSON line for a file that cannot be read.
pub fn dump_error(file: &str, err: &std::io::Error) -> String {
    let mut out = String::from("{\"file\":");
    json_str(file, &mut out);
    out.push_str(",\"error\":");
    json_str(&err.to_string(), &mut out);
    out.push('}');
    out
}
