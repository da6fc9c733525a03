//! Sessions recorded from the real Postfix (`fixtures/smtp/`), replayed
//! offline byte for byte: the client must send exactly what it sent then.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

use std::path::Path;

use mail_smtp::{Client, Options};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

mod scenario;

fn replay(name: &str, chunking: bool) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/smtp")
        .join(name);
    let script = std::fs::read_to_string(&path).unwrap();
    let server = ScriptedStream::from_transcript(&script);
    let options = Options {
        helo_name: "client.example.test".into(),
        chunking,
        ..Options::default()
    };
    let client = Client::new(Connection::new(server.clone(), Limits::default()), options)
        .unwrap()
        .assume_tls();
    scenario::run(
        client,
        "alice@example.test",
        &Secret::new("any password: the script masks it"),
    );
    server.assert_done();
}

#[test]
fn recorded_postfix_bdat_session_replays() {
    replay("postfix-smtps-send-all-bdat.txt", true);
}

#[test]
fn recorded_postfix_data_session_replays() {
    replay("postfix-smtps-send-all-data.txt", false);
}
