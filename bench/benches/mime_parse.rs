//! MIME parse throughput: mail-mime beside mail-parser and mailparse, on the
//! fixture corpus and on large messages (scripts/bench-mime runs this and
//! Python's `email` in the same run; results in docs/benchmarks/mime.md).
//!
//! Two workloads:
//! - `structure`: headers and the MIME tree (subject, from, part types,
//!   file names), no body decoding. mail-parser has no lazy mode, so its
//!   cheapest call (a full parse) stands in.
//! - `full`: also every leaf body transfer-decoded and text parts converted
//!   from their charset.
//!
//! Inputs: `realistic` (about 50 MB from bench/mime_corpus.py, when
//! generated), `corpus` (the fixtures) and `large` (built below).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mail_mime::{Mailbox, MessageBuilder, ParsedMessage};

fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/mime");
    let mut out = Vec::new();
    for suite in ["generated", "malformed"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(suite))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|x| x == "eml") {
                out.push(std::fs::read(f).unwrap());
            }
        }
    }
    out
}

/// A few large messages: 3 x 2 MB binary attachments; 1 MB of Korean text
/// in EUC-KR quoted-printable plus an HTML alternative.
fn large() -> Vec<Vec<u8>> {
    let mut data = Vec::with_capacity(2 << 20);
    let mut x: u32 = 12345;
    while data.len() < 2 << 20 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        data.push((x >> 16) as u8);
    }
    let mut b = MessageBuilder::new()
        .from(Mailbox::parse("홍길동 <hong@example.com>").unwrap())
        .to(Mailbox::parse("bob@example.test").unwrap())
        .subject("큰 첨부 파일 세 개")
        .text("see attached\n");
    for name in ["a.bin", "보고서.pdf", "c.zip"] {
        b = b.attach_bytes(name, None, data.clone()).unwrap();
    }
    let mut attachments = Vec::new();
    b.build().unwrap().write_to(&mut attachments).unwrap();

    let line =
        "안녕하세요. 이것은 한국어 본문의 한 줄입니다. 메일 파서의 문자셋 변환을 시험합니다.\r\n";
    let text = line.repeat(1 << 20 >> 7);
    let (euc, _, _) = encoding_rs::EUC_KR.encode(&text);
    let mut qp = Vec::new();
    for chunk in euc.chunks(24) {
        for &byte in chunk {
            qp.extend_from_slice(format!("={byte:02X}").as_bytes());
        }
        qp.extend_from_slice(b"=\r\n");
    }
    let mut korean = b"From: =?euc-kr?B?yKux5rW/?= <hong@example.com>\r\nTo: bob@example.test\r\nSubject: =?ks_c_5601-1987?B?x9Gx2yC6u7mu?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=ks_c_5601-1987\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".to_vec();
    korean.extend_from_slice(&qp);
    korean.extend_from_slice(b"\r\n--alt\r\nContent-Type: text/html; charset=euc-kr\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<p>");
    korean.extend_from_slice(&euc);
    korean.extend_from_slice(b"</p>\r\n--alt--\r\n");
    vec![attachments, korean]
}

fn ours_structure(bytes: &[u8]) -> usize {
    let m = ParsedMessage::parse(bytes);
    let mut n = m.subject().map_or(0, |s| s.len()) + m.from().len();
    for p in m.parts() {
        n += p.content_type().len() + p.filename().map_or(0, str::len) + p.raw_body().len();
    }
    n
}

fn ours_full(bytes: &[u8]) -> usize {
    let m = ParsedMessage::parse(bytes);
    let mut n = m.subject().map_or(0, |s| s.len())
        + m.from().len()
        + m.to().len()
        + m.date().map_or(0, |_| 1);
    for p in m.parts() {
        n += p.content_type().len() + p.filename().map_or(0, str::len);
        if p.content_type().starts_with("text/") {
            n += p.text().len();
        } else {
            n += p.decoded().len();
        }
    }
    n
}

fn mail_parser_full(bytes: &[u8]) -> usize {
    let Some(m) = mail_parser::MessageParser::default().parse(bytes) else {
        return 0;
    };
    let mut n = m.subject().map_or(0, str::len)
        + m.from().map_or(0, |a| a.iter().count())
        + m.to().map_or(0, |a| a.iter().count());
    for p in &m.parts {
        n += p.len();
        n += match &p.body {
            mail_parser::PartType::Text(t) | mail_parser::PartType::Html(t) => t.len(),
            mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) => b.len(),
            _ => 0,
        };
    }
    n
}

fn mailparse_walk(p: &mailparse::ParsedMail<'_>, decode: bool, n: &mut usize) {
    if p.subparts.is_empty() {
        *n += p.ctype.mimetype.len()
            + p.get_content_disposition()
                .params
                .get("filename")
                .map_or(0, String::len);
        if decode {
            if p.ctype.mimetype.starts_with("text/") {
                *n += p.get_body().map_or(0, |b| b.len());
            } else {
                *n += p.get_body_raw().map_or(0, |b| b.len());
            }
        }
    }
    for s in &p.subparts {
        mailparse_walk(s, decode, n);
    }
}

fn mailparse_run(bytes: &[u8], decode: bool) -> usize {
    let Ok(m) = mailparse::parse_mail(bytes) else {
        return 0;
    };
    use mailparse::MailHeaderMap;
    let mut n = m.headers.get_first_value("Subject").map_or(0, |s| s.len());
    n += m.headers.get_first_value("From").map_or(0, |s| s.len());
    mailparse_walk(&m, decode, &mut n);
    n
}

fn bench_set(c: &mut Criterion, name: &str, msgs: &[Vec<u8>]) {
    let total: u64 = msgs.iter().map(|m| m.len() as u64).sum();
    for (workload, decode) in [("structure", false), ("full", true)] {
        let mut g = c.benchmark_group(format!("{workload}/{name}"));
        g.throughput(Throughput::Bytes(total));
        g.sample_size(20);
        g.bench_function("mail-mime", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| {
                        if decode {
                            ours_full(black_box(m))
                        } else {
                            ours_structure(black_box(m))
                        }
                    })
                    .sum::<usize>()
            })
        });
        g.bench_function("mail-parser", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| mail_parser_full(black_box(m)))
                    .sum::<usize>()
            })
        });
        g.bench_function("mailparse", |b| {
            b.iter(|| {
                msgs.iter()
                    .map(|m| mailparse_run(black_box(m), decode))
                    .sum::<usize>()
            })
        });
        g.finish();
    }
}

/// The realistic corpus of `bench/mime_corpus.py` (scripts/bench-mime
/// writes it; `MIME_CORPUS=DIR` points elsewhere), if it is there.
fn realistic() -> Option<Vec<Vec<u8>>> {
    let dir = std::env::var_os("MIME_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mime-bench/corpus"),
        Into::into,
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    Some(files.iter().map(|f| std::fs::read(f).unwrap()).collect())
}

fn benches(c: &mut Criterion) {
    if let Some(msgs) = realistic() {
        bench_set(c, "realistic", &msgs);
    }
    bench_set(c, "corpus", &corpus());
    let large = large();
    // Saved for the Python `email` run of scripts/bench-mime.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mime-bench");
    if std::fs::create_dir_all(&dir).is_ok() {
        for (i, m) in large.iter().enumerate() {
            let _ = std::fs::write(dir.join(format!("large-{i}.eml")), m);
        }
    }
    bench_set(c, "large", &large);
}

criterion_group!(mime, benches);
criterion_main!(mime);
