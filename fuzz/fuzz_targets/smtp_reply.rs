//! Any bytes, split into lines at LF (a trailing CR dropped, as
//! `Connection::read_line` does), fed to `mail_smtp::ReplyParser`: no panic;
//! every complete reply's accessors run; and a reply whose text has no CR/LF
//! re-encodes with `Reply::encode` and re-parses equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_smtp::{Reply, ReplyParser};

/// Parses CRLF-encoded reply bytes back, expecting exactly one reply.
fn reparse(encoded: &[u8], max_lines: usize) -> Reply {
    let mut parser = ReplyParser::new(max_lines);
    let mut replies = Vec::new();
    for line in encoded.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match parser.push_line(line) {
            Ok(Some(reply)) => replies.push(reply),
            Ok(None) => {}
            Err(err) => panic!("re-encoded reply {encoded:?} does not parse: {err}"),
        }
    }
    assert!(!parser.is_partial(), "re-encoded reply {encoded:?} left the parser mid-reply");
    assert_eq!(replies.len(), 1, "re-encoded reply {encoded:?} gave {} replies", replies.len());
    replies.remove(0)
}

/// Lines per reply; the EHLO replies of the seeds have more.
const MAX_LINES: usize = 8;

fuzz_target!(|data: &[u8]| {
    // A small limit, so TooManyLines is reached too (seeds have up to 11 lines).
    let max_lines = MAX_LINES;
    let mut parser = ReplyParser::new(max_lines);
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match parser.push_line(line) {
            Ok(Some(reply)) => {
                assert!(!parser.is_partial());
                assert!(!reply.lines().is_empty() && reply.lines().len() <= max_lines);
                let code = reply.code().get();
                assert!((200..600).contains(&code), "code {code}");
                let _ = (reply.enhanced_status(), reply.message(), reply.is_positive(), reply.to_string());
                if let Some(status) = reply.enhanced_status() {
                    let _ = status.to_string();
                }
                if reply.lines().iter().any(|l| l.contains(['\r', '\n'])) {
                    continue;
                }
                let mut encoded = Vec::new();
                reply.encode(&mut encoded);
                let again = reparse(&encoded, max_lines);
                assert_eq!(again, reply, "encode/parse round trip of {encoded:?}");
            }
            Ok(None) => assert!(parser.is_partial()),
            Err(err) => {
                assert!(!parser.is_partial(), "parser not reset after {err}");
                let _ = err.to_string();
            }
        }
    }
});
