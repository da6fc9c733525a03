//! Random and mutated server bytes never make a parser or the multi-line
//! reader panic, and what parses re-encodes and parses the same (a seeded
//! stand-in for the `pop3_response` fuzz target).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mail_pop3::{
    parse_greeting, parse_list_entry, parse_reply, parse_stat, parse_uidl, Client, MsgNum,
};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

const SEEDS: &[&[u8]] = &[
    b"+OK 2 320",
    b"-ERR [IN-USE] locked",
    b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+",
    b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>",
    b"1 whqtswO00WBw418f9t5JxYwZ",
    b"2 200",
    b"..stuffed",
    b".",
];

fn mutate(rng: &mut fastrand::Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..rng.usize(0..4) {
        match rng.u8(0..3) {
            0 if !bytes.is_empty() => {
                let at = rng.usize(0..bytes.len());
                bytes[at] = rng.u8(..);
            }
            1 => {
                let at = rng.usize(0..=bytes.len());
                bytes.insert(at, *rng.choice(b" .+-\r\n\0\xff9<>@[]".iter()).unwrap());
            }
            _ if !bytes.is_empty() => {
                bytes.truncate(rng.usize(0..bytes.len()));
            }
            _ => {}
        }
    }
    bytes
}

#[test]
fn parsers_never_panic_and_round_trip() {
    let mut rng = fastrand::Rng::with_seed(1939);
    for round in 0..20_000 {
        let input = if round % 4 == 0 {
            (0..rng.usize(0..40)).map(|_| rng.u8(..)).collect()
        } else {
            mutate(&mut rng, SEEDS[round % SEEDS.len()])
        };
        if let Ok(reply) = parse_reply(&input) {
            assert_eq!(
                parse_reply(reply.to_string().as_bytes()).map(|r| r.status),
                Ok(reply.status)
            );
        }
        let _ = parse_greeting(&input);
        if let Ok(entry) = parse_list_entry(&input) {
            assert_eq!(
                parse_list_entry(format!("{} {}", entry.msg, entry.size).as_bytes()),
                Ok(entry)
            );
        }
        if let Ok(uidl) = parse_uidl(&input) {
            assert_eq!(
                parse_uidl(format!("{} {}", uidl.msg, uidl.uid).as_bytes()).as_ref(),
                Ok(&uidl)
            );
        }
        let _ = parse_stat(&String::from_utf8_lossy(&input));
    }
}

#[test]
fn the_multi_line_reader_never_panics_on_random_streams() {
    let mut rng = fastrand::Rng::with_seed(2449);
    let login = "S: +OK ready\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\nC: RETR 1\nS: +OK\n";
    for _ in 0..500 {
        let mut body = Vec::new();
        for _ in 0..rng.usize(0..30) {
            let seed = SEEDS[rng.usize(0..SEEDS.len())];
            body.extend(mutate(&mut rng, seed));
            body.extend_from_slice(if rng.bool() { b"\r\n" } else { b"\n" });
        }
        let mut stream = ScriptedStream::from_transcript(login).then_serve(&body);
        if rng.bool() {
            stream = stream.one_byte_reads();
        }
        let limits = Limits {
            max_line: 64,
            max_literal: 4096,
        };
        let mut conn = Connection::new(stream, Limits::default());
        conn.set_limits(limits);
        let client = Client::new(conn).unwrap();
        let mut session = client
            .login("a", &Secret::new("pw"))
            .map_err(|(e, _)| e)
            .unwrap();
        let mut out = Vec::new();
        match session.retr(MsgNum(1), &mut out) {
            // Whatever was written is CRLF-terminated lines.
            Ok(size) => assert!(size == 0 || out.ends_with(b"\r\n")),
            Err(err) => assert!(!err.to_string().is_empty()),
        }
    }
}
