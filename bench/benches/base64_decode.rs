//! Base64 body decoding: mail-mime's lenient decoder (through
//! `Part::decoded`, on a one-part message) beside the `base64` crate and
//! `base64-simd`, on 8 MB of 76-column CRLF base64. The crates decode
//! strict base64 only, so their line breaks are removed first (counted),
//! or skipped by base64-simd's forgiving mode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;

use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn without_breaks(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    for line in input.split(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
    }
    out
}

fn benches(c: &mut Criterion) {
    let data: Vec<u8> = (0..8_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let plain = base64::engine::general_purpose::STANDARD.encode(&data);
    let mut body = Vec::new();
    for line in plain.as_bytes().chunks(76) {
        body.extend_from_slice(line);
        body.extend_from_slice(b"\r\n");
    }
    let mut msg =
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
    msg.extend_from_slice(&body);
    let parsed = mail_mime::ParsedMessage::parse(&msg);
    let part = parsed.parts().next().unwrap();
    assert_eq!(part.decoded(), data);

    let mut g = c.benchmark_group("base64-76col");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.sample_size(20);
    g.bench_function("mail-mime", |b| b.iter(|| black_box(&part).decoded().len()));
    g.bench_function("base64", |b| {
        b.iter(|| {
            let strict = without_breaks(black_box(&body));
            base64::engine::general_purpose::STANDARD
                .decode(strict)
                .unwrap()
                .len()
        })
    });
    g.bench_function("base64-simd", |b| {
        b.iter(|| {
            let strict = without_breaks(black_box(&body));
            base64_simd::STANDARD.decode_to_vec(strict).unwrap().len()
        })
    });
    g.bench_function("base64-simd-forgiving", |b| {
        b.iter(|| {
            base64_simd::forgiving_decode_to_vec(black_box(&body))
                .unwrap()
                .len()
        })
    });
    g.finish();
}

criterion_group!(base64_decode, benches);
criterion_main!(base64_decode);
