//! Any bytes as everything an SMTP server says, served through
//! `ScriptedStream::raw` (then EOF) to a `mail_smtp::Client` that reads the
//! greeting, sends EHLO, authenticates, sends one message, pipelines two
//! more with `send_all`, and quits: no panic, no hang, and the results agree
//! with what was asked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_smtp::{Client, Options, Envelope};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

const MESSAGE: &[u8] = b"Subject: fuzz\r\n\r\n.leading dot\r\nbare\nlf\r\n";

fuzz_target!(|data: &[u8]| {
    let options = Options { allow_plaintext_auth: true, max_line: 512, max_reply_lines: 16, ..Options::default() };
    let conn = Connection::new(ScriptedStream::raw(data), Limits::default());
    let Ok(mut client) = Client::new(conn, options) else { return };
    let _ = (client.greeting().to_string(), client.capabilities());
    let _ = client.auth("fuzz", &Secret::new("fuzz"), None);
    let envelope = Envelope::new("a@example.test", ["b@example.test", "c@example.test"]);
    let mut body = MESSAGE;
    if let Ok(delivery) = client.send(&envelope, &mut body, Some(MESSAGE.len() as u64)) {
        assert_eq!(delivery.recipients.len(), 2);
        assert!(delivery.accepted().count() >= 1, "a delivery with no accepted recipient");
        assert_eq!(delivery.size, MESSAGE.len() as u64);
        let _ = delivery.queue_id();
    }
    let one = Envelope::new("a@example.test", ["d@example.test"]);
    if let Ok(results) = client.send_all([(&one, MESSAGE), (&envelope, MESSAGE)]) {
        assert!(results.len() <= 2, "{} results for 2 messages", results.len());
    }
    let _ = client.quit();
});
