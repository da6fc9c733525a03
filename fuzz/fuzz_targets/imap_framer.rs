//! Any bytes through mail-imap's sans-I/O `ResponseFramer`: no panic, no
//! hang, and the chunking of the input never changes what comes out.
//!
//! The input is framed three times, with body sections kept and streamed:
//! whole, split at a position taken from its first byte, and one byte at a
//! time. The events (body chunks merged) and the first error must be the
//! same each time; streamed body bytes never exceed the input; memory held
//! stays within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_imap::sans_io::{FrameEvent, FrameLimits, ResponseFramer};

const LIMITS: FrameLimits = FrameLimits { max_line: 256, max_literal: 4096 };

/// Events as text (body chunks merged), then the error if any.
fn frame(chunks: &[&[u8]], stream: bool) -> (Vec<String>, Option<String>) {
    let mut framer = ResponseFramer::new(LIMITS);
    framer.set_stream_bodies(stream);
    let mut events: Vec<String> = Vec::new();
    let mut body = Vec::new();
    for chunk in chunks {
        framer.feed(chunk);
        loop {
            match framer.next() {
                Ok(FrameEvent::NeedMore) => break,
                Ok(FrameEvent::BodyChunk(piece)) => body.extend_from_slice(piece),
                Ok(FrameEvent::BodyEnd) => events.push(format!("body {:?} end", std::mem::take(&mut body))),
                Ok(other) => events.push(format!("{other:?}")),
                Err(err) => return (events, Some(err.to_string())),
            }
        }
        assert!(framer.buffered().len() <= LIMITS.max_line + 1, "held past a line");
    }
    if !body.is_empty() {
        events.push(format!("body {body:?} open"));
    }
    (events, framer.end_of_input().err().map(|e| e.to_string()))
}

fuzz_target!(|data: &[u8]| {
    let at = usize::from(data.first().copied().unwrap_or(0)) % (data.len() + 1);
    let (a, b) = data.split_at(at);
    let bytes: Vec<&[u8]> = data.chunks(1).collect();
    for stream in [false, true] {
        let whole = frame(&[data], stream);
        assert_eq!(frame(&[a, b], stream), whole, "split at {at}");
        assert_eq!(frame(&bytes, stream), whole, "byte by byte");
    }
});
