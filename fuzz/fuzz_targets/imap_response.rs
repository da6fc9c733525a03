//! Any bytes through mail-imap's response parser and its streaming
//! exchange: no panic, no hang.
//!
//! - `parse_response` is applied repeatedly along the input (skipping to the
//!   next line after a malformed response). What parses must report a length
//!   within the input that ends in LF, parse again equal from exactly those
//!   bytes, and every shorter prefix of them must be `Incomplete` (the
//!   function's documented contract). The crate has no response encoder, so
//!   this stands in for the encode round trip.
//! - The input, prefixed with a greeting, is served through
//!   `ScriptedStream::raw` to a client that logs in, selects INBOX and
//!   streams `UID FETCH 1:* BODY.PEEK[]`: the exchange, literal reader and
//!   tag matching meet hostile bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_imap::response::{parse_response, ParseError};
use mail_imap::{Client, FetchEvent, SequenceSet};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

/// Checks every prefix up to this length; longer responses get a sample.
const ALL_PREFIXES: usize = 256;

fn check_parsed(input: &[u8]) {
    let Ok((response, used)) = parse_response(input) else { return };
    assert!(used > 0 && used <= input.len(), "used {used} of {}", input.len());
    let bytes = input.get(..used).unwrap_or_default();
    assert_eq!(bytes.last(), Some(&b'\n'), "a response must end with its line");
    assert_eq!(parse_response(bytes), Ok((response, used)), "re-parse of exactly the used bytes");
    let prefixes: Vec<usize> = if used <= ALL_PREFIXES {
        (0..used).collect()
    } else {
        (0..8).map(|i| used * i / 8).chain([used - 1, used - 2]).collect()
    };
    for len in prefixes {
        let prefix = bytes.get(..len).unwrap_or_default();
        assert_eq!(parse_response(prefix).err(), Some(ParseError::Incomplete), "prefix of {len} bytes of {bytes:?}");
    }
}

fn parse_all(data: &[u8]) {
    let mut rest = data;
    while !rest.is_empty() {
        check_parsed(rest);
        match parse_response(rest) {
            Ok((_, used)) => rest = rest.get(used..).unwrap_or_default(),
            Err(ParseError::Incomplete) => return,
            Err(err) => {
                let _ = err.to_string();
                match rest.iter().position(|&b| b == b'\n') {
                    Some(newline) => rest = rest.get(newline + 1..).unwrap_or_default(),
                    None => return,
                }
            }
        }
    }
}

/// Logs in, selects INBOX and streams every body, over hostile bytes.
fn session(data: &[u8]) {
    let mut served = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n".to_vec();
    served.extend_from_slice(data);
    let limits = Limits { max_line: 4096, max_literal: 1 << 20 };
    let Ok(client) = Client::new(Connection::new(ScriptedStream::raw(&served), limits)) else { return };
    let Ok(session) = client.login("fuzz", &Secret::new("fuzz")) else { return };
    let Ok(mut inbox) = session.select("INBOX") else { return };
    let _ = inbox.mailbox();
    let Ok(mut stream) = inbox.uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]") else { return };
    let mut body = Vec::new();
    loop {
        match stream.next() {
            Ok(Some(FetchEvent::Body(reader))) => {
                let _ = &reader.context;
                if reader.copy_to(&mut body).is_err() {
                    break;
                }
            }
            Ok(Some(FetchEvent::Fetch(fetch))) => {
                let _ = (fetch.uid(), fetch.flags(), fetch.body());
            }
            Ok(None) | Err(_) => break,
        }
    }
    assert!(body.len() <= served.len(), "more body bytes than were served");
}

fuzz_target!(|data: &[u8]| {
    parse_all(data);
    session(data);
});
