//! One process over a directory of mail, the same work for each parser:
//! `mime_onepass (mail-mime|mailparse|mail-parser) DIR` reads every file,
//! parses it, transfer-decodes every leaf, converts text leaves to UTF-8,
//! hashes each decoded leaf with SHA-256 and prints one JSON line per file;
//! the throughput (input MB/s) goes to stderr. scripts/bench-mime runs it
//! over the corpus of bench/mime_corpus.py.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use sha2::{Digest, Sha256};

/// One decoded leaf: content type, file name, decoded bytes, UTF-8 text length.
struct Leaf {
    ctype: String,
    filename: Option<String>,
    sha256: [u8; 32],
    size: usize,
    text_len: Option<usize>,
}

fn leaf(ctype: &str, filename: Option<&str>, decoded: &[u8], text: Option<&str>) -> Leaf {
    Leaf {
        ctype: ctype.to_owned(),
        filename: filename.map(str::to_owned),
        sha256: Sha256::digest(decoded).into(),
        size: decoded.len(),
        text_len: text.map(str::len),
    }
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn line(file: &str, subject: Option<&str>, leaves: &[Leaf]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"file\":");
    json_str(file, &mut out);
    out.push_str(",\"subject\":");
    match subject {
        Some(s) => json_str(s, &mut out),
        None => out.push_str("null"),
    }
    out.push_str(",\"parts\":[");
    for (i, l) in leaves.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"type\":");
        json_str(&l.ctype, &mut out);
        out.push_str(",\"filename\":");
        match &l.filename {
            Some(s) => json_str(s, &mut out),
            None => out.push_str("null"),
        }
        let _ = write!(out, ",\"size\":{},\"text\":", l.size);
        match l.text_len {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"sha256\":\"");
        for b in l.sha256 {
            let _ = write!(out, "{b:02x}");
        }
        out.push_str("\"}");
    }
    out.push_str("]}");
    out
}

fn ours(file: &str, bytes: &[u8]) -> String {
    let m = mail_mime::ParsedMessage::parse(bytes);
    let subject = m.subject();
    let mut leaves = Vec::new();
    for p in m.parts() {
        let ctype = p.content_type();
        let decoded = p.decoded();
        let text = ctype
            .starts_with("text/")
            .then(|| mail_mime::charset::decode(&decoded, p.charset()));
        leaves.push(leaf(ctype, p.filename(), &decoded, text.as_deref()));
    }
    line(file, subject.as_deref(), &leaves)
}

fn mailparse_leaves(p: &mailparse::ParsedMail<'_>, leaves: &mut Vec<Leaf>) {
    if p.subparts.is_empty() {
        let decoded = p.get_body_raw().unwrap_or_default();
        let text = p
            .ctype
            .mimetype
            .starts_with("text/")
            .then(|| p.get_body().unwrap_or_default());
        let disp = p.get_content_disposition();
        let filename = disp
            .params
            .get("filename")
            .or_else(|| p.ctype.params.get("name"));
        leaves.push(leaf(
            &p.ctype.mimetype,
            filename.map(String::as_str),
            &decoded,
            text.as_deref(),
        ));
    }
    for s in &p.subparts {
        mailparse_leaves(s, leaves);
    }
}

fn mailparse(file: &str, bytes: &[u8]) -> String {
    use mailparse::MailHeaderMap;
    let Ok(m) = mailparse::parse_mail(bytes) else {
        return line(file, None, &[]);
    };
    let subject = m.headers.get_first_value("Subject");
    let mut leaves = Vec::new();
    mailparse_leaves(&m, &mut leaves);
    line(file, subject.as_deref(), &leaves)
}

fn mail_parser(file: &str, bytes: &[u8]) -> String {
    use mail_parser::MimeHeaders;
    let Some(m) = mail_parser::MessageParser::default().parse(bytes) else {
        return line(file, None, &[]);
    };
    let mut leaves = Vec::new();
    for p in &m.parts {
        let ctype = p
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{s}", c.ctype()),
                None => c.ctype().to_owned(),
            })
            .unwrap_or_default();
        match &p.body {
            mail_parser::PartType::Text(t) | mail_parser::PartType::Html(t) => {
                // mail-parser keeps only the converted text.
                leaves.push(leaf(&ctype, p.attachment_name(), t.as_bytes(), Some(t)));
            }
            mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) => {
                leaves.push(leaf(&ctype, p.attachment_name(), b, None));
            }
            _ => {}
        }
    }
    line(file, m.subject(), &leaves)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (which, dir) = (args[1].as_str(), &args[2]);
    let run: fn(&str, &[u8]) -> String = match which {
        "mail-mime" => ours,
        "mailparse" => mailparse,
        "mail-parser" => mail_parser,
        other => {
            eprintln!("unknown parser {other}: mail-mime, mailparse or mail-parser");
            std::process::exit(2);
        }
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let start = Instant::now();
    let mut total = 0u64;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        total += bytes.len() as u64;
        writeln!(out, "{}", run(&f.display().to_string(), &bytes)).unwrap();
    }
    out.flush().unwrap();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{which:<12} {} files, {:.1} MB in {secs:.3} s: {:.0} MB/s",
        files.len(),
        total as f64 / 1e6,
        total as f64 / 1e6 / secs
    );
}
