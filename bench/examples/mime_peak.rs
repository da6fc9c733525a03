//! Peak memory of parsing one large message with full decoding:
//! `mime_peak (mail-mime|mail-mime-stream|mail-parser|mailparse) FILE`
//! prints the process's peak RSS (Linux VmHWM) after the run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::Read;

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (which, file) = (args[1].as_str(), &args[2]);
    let bytes = std::fs::read(file).unwrap();
    let mut decoded = 0u64;
    match which {
        "mail-mime" => {
            let m = mail_mime::ParsedMessage::parse(&bytes);
            for p in m.parts() {
                decoded += p.decoded().len() as u64;
            }
        }
        "mail-mime-stream" => {
            let m = mail_mime::ParsedMessage::parse(&bytes);
            let mut buf = vec![0u8; 64 * 1024];
            for p in m.parts() {
                let mut r = p.reader();
                loop {
                    let n = r.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    decoded += n as u64;
                }
            }
        }
        "mail-parser" => {
            let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            for p in &m.parts {
                decoded += p.len() as u64;
            }
        }
        "mailparse" => {
            fn walk(p: &mailparse::ParsedMail<'_>, n: &mut u64) {
                if p.subparts.is_empty() {
                    *n += p.get_body_raw().map_or(0, |b| b.len() as u64);
                }
                for s in &p.subparts {
                    walk(s, n);
                }
            }
            let m = mailparse::parse_mail(&bytes).unwrap();
            walk(&m, &mut decoded);
        }
        other => panic!("unknown parser {other}"),
    }
    println!(
        "{which:<17} input {:>4} MiB  decoded {:>4} MiB  peak RSS {:>4} MiB",
        bytes.len() >> 20,
        decoded >> 20,
        peak_kib() >> 10
    );
}
