//! Any bytes: parsing never panics, every accessor and decoder runs, and
//! what the builder makes from the parsed subject and text parses back equal.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use mail_mime::{Mailbox, MessageBuilder, ParsedMessage};

fuzz_target!(|data: &[u8]| {
    let msg = ParsedMessage::parse(data);
    let subject = msg.subject();
    let _ = (msg.from(), msg.to(), msg.cc(), msg.date(), msg.message_id(), msg.text_body());
    for field in msg.headers() {
        let _ = (field.name(), field.value());
    }
    let mut sink = [0u8; 4096];
    for part in msg.parts() {
        let decoded = part.decoded();
        let _ = (part.content_type(), part.charset(), part.filename(), part.disposition(), part.text());
        let mut total = 0;
        let mut reader = part.reader();
        while let Ok(n) = reader.read(&mut sink) {
            if n == 0 {
                break;
            }
            total += n;
        }
        assert_eq!(total, decoded.len(), "PartReader and decoded() disagree");
    }
    // Round trip: a subject read from hostile bytes, rebuilt and re-parsed.
    if let Some(subject) = subject {
        if subject.contains(['\r', '\n', '\0']) {
            return;
        }
        let built = MessageBuilder::new()
            .from(Mailbox::parse("fuzz@example.com").unwrap())
            .subject(subject.as_ref())
            .text(msg.text_body().unwrap_or_default())
            .build();
        let Ok(built) = built else { return };
        let mut out = Vec::new();
        built.write_to(&mut out).unwrap();
        assert_eq!(out.len() as u64, built.size());
        let again = ParsedMessage::parse(&out);
        assert_eq!(again.subject().as_deref(), Some(subject.trim_matches([' ', '\t'])));
    }
});
