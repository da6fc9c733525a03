//! Response-parser throughput on recorded FETCH responses: mail-imap's
//! `parse_response` against imap-codec's `ResponseCodec`.
//!
//! Corpora: the ENVELOPE/BODYSTRUCTURE responses recorded from Dovecot in
//! `fixtures/imap/dovecot-fetch.txt` (repeated to 2000 responses), and 200
//! `UID FETCH ... BODY[]` responses with 20 KB literals in Dovecot's format.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use imap_codec::decode::Decoder;
use imap_codec::ResponseCodec;

fn envelope_corpus() -> Vec<u8> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/imap/dovecot-fetch.txt"
    ))
    .unwrap();
    let fetches: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("S: "))
        .filter(|l| l.contains(" FETCH (UID") && l.contains("ENVELOPE"))
        .collect();
    assert_eq!(fetches.len(), 3);
    let mut out = Vec::new();
    for i in 0..2000 {
        let line = fetches[i % 3].replacen(
            "* 1 FETCH (UID 1",
            &format!("* {} FETCH (UID {}", i + 1, i + 1),
            1,
        );
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn body_corpus() -> Vec<u8> {
    let mut body = String::from(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: bench\r\n\r\n",
    );
    while body.len() < 20_790 {
        body.push_str(
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n",
        );
    }
    body.truncate(20_788);
    body.push_str("\r\n");
    let mut out = Vec::new();
    for i in 1..=200 {
        out.extend_from_slice(
            format!("* {i} FETCH (UID {i} BODY[] {{{}}}\r\n", body.len()).as_bytes(),
        );
        out.extend_from_slice(body.as_bytes());
        out.extend_from_slice(b")\r\n");
    }
    out
}

fn ours(mut input: &[u8]) -> usize {
    let mut n = 0;
    while !input.is_empty() {
        let (_, used) = mail_imap::response::parse_response(input).unwrap();
        input = &input[used..];
        n += 1;
    }
    n
}

fn codec(mut input: &[u8]) -> usize {
    let codec = ResponseCodec::default();
    let mut n = 0;
    while !input.is_empty() {
        let (rest, _) = codec.decode(input).unwrap();
        input = rest;
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    for (name, corpus) in [
        ("envelope_bodystructure", envelope_corpus()),
        ("body_20k", body_corpus()),
    ] {
        assert_eq!(ours(&corpus), codec(&corpus), "both parse every response");
        let mut group = c.benchmark_group(format!("imap_fetch_{name}"));
        group.throughput(Throughput::Bytes(corpus.len() as u64));
        group.bench_function("mail-imap", |b| {
            b.iter(|| ours(std::hint::black_box(&corpus)))
        });
        group.bench_function("imap-codec", |b| {
            b.iter(|| codec(std::hint::black_box(&corpus)))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
