//! Any bytes through mail-pop3's parsers: no panic.
//!
//! - Each line (split at LF, one trailing CR dropped) goes through
//!   `parse_reply`, `parse_greeting`, `parse_stat`, `parse_list_entry`,
//!   `parse_uidl`, `parse_listing_line` and `Capabilities`. What parses is
//!   written back in its wire form and must re-parse equal (the crate has no
//!   response encoder, so the target writes `+OK text`, `n size`, `n uid`).
//! - The whole input is served as the body of a `RETR` through a
//!   `ScriptedStream` (buffered reads and one-byte reads), which drives the
//!   dot-unstuffing stream: when it succeeds its output must equal a plain
//!   model of RFC 1939 §3 unstuffing, whichever way the bytes were split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_pop3::{
    parse_greeting, parse_list_entry, parse_listing_line, parse_reply, parse_stat, parse_uidl, Capabilities, Client,
    ListingLine, MsgNum, Status,
};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l))
}

fn check_line(line: &[u8]) {
    if let Ok(reply) = parse_reply(line) {
        let _ = (reply.is_ok(), reply.code(), reply.to_string());
        if !reply.text.contains(['\r', '\n']) {
            let status = match reply.status {
                Status::Ok => "+OK",
                Status::Err => "-ERR",
                Status::Continue => "+",
            };
            let wire = if reply.text.is_empty() { status.to_owned() } else { format!("{status} {}", reply.text) };
            assert_eq!(parse_reply(wire.as_bytes()).ok(), Some(reply.clone()), "reply round trip of {wire:?}");
        }
        if let Ok(stat) = parse_stat(&reply.text) {
            let wire = format!("{} {}", stat.count, stat.size);
            assert_eq!(parse_stat(&wire).ok(), Some(stat), "STAT round trip");
        }
    }
    if let Ok(greeting) = parse_greeting(line) {
        if let Some(stamp) = &greeting.timestamp {
            assert!(stamp.starts_with('<') && stamp.ends_with('>') && greeting.text.contains(stamp.as_str()));
        }
    }
    if let Ok(entry) = parse_list_entry(line) {
        let wire = format!("{} {}", entry.msg, entry.size);
        assert_eq!(parse_list_entry(wire.as_bytes()).ok(), Some(entry), "LIST round trip");
    }
    if let Ok(uidl) = parse_uidl(line) {
        let wire = format!("{} {}", uidl.msg, uidl.uid);
        assert_eq!(parse_uidl(wire.as_bytes()).ok(), Some(uidl), "UIDL round trip");
    }
    match parse_listing_line(line) {
        ListingLine::End => assert_eq!(line, b"."),
        ListingLine::Data(rest) => assert!(line == rest || line.get(1..) == Some(rest)),
    }
}

/// RFC 1939 §3 unstuffing of a multi-line body: `None` when no lone `.`
/// line ends it.
fn model_unstuff(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let newline = rest.iter().position(|&b| b == b'\n')?;
        let (line, tail) = rest.split_at(newline);
        rest = tail.get(1..).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line == b"." {
            return Some(out);
        }
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        out.extend_from_slice(b"\r\n");
    }
}

/// A logged-in session whose `RETR 1` answer is `+OK` followed by `body`.
fn retr(body: &[u8], one_byte: bool) -> Option<Vec<u8>> {
    let mut served = b"+OK ready\r\n+OK\r\n+OK\r\n+OK message follows\r\n".to_vec();
    served.extend_from_slice(body);
    let mut stream = ScriptedStream::raw(&served);
    if one_byte {
        stream = stream.one_byte_reads();
    }
    let limits = Limits { max_line: 256, max_literal: 1 << 20 };
    let client = Client::new(Connection::new(stream, limits)).ok()?;
    let mut session = client.login("fuzz", &Secret::new("fuzz")).ok()?;
    let mut out = Vec::new();
    let size = session.retr(MsgNum(1), &mut out).ok()?;
    assert_eq!(size, out.len() as u64, "RETR size is not the bytes written");
    Some(out)
}

fuzz_target!(|data: &[u8]| {
    let mut caps = Capabilities::default();
    for line in lines(data) {
        check_line(line);
        caps.push_line(line);
    }
    let _ = (caps.sasl_mechanisms(), caps.pipelining(), caps.names().count());

    let model = model_unstuff(data);
    for one_byte in [false, true] {
        if let Some(out) = retr(data, one_byte) {
            assert_eq!(Some(&out), model.as_ref(), "unstuffed RETR (one-byte reads: {one_byte}) differs from the model");
        }
    }
});
