//! `Client::send_message` streams: a message with a 24 MiB attachment file
//! goes out while the process's peak memory grows by far less than the
//! message. One test in its own binary, so no other test shares the peak.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

mod memory_sink;

use std::sync::{Arc, Mutex};

use mail_smtp::{Client, Options};
use mail_wire::{Connection, Limits};
use memory_sink::{check, large_message, peak_rss, Seen, Sink};

#[test]
fn a_large_attachment_is_streamed_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let message = large_message(dir.path());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let conn = Connection::new(Sink::new(Arc::clone(&seen)), Limits::default());
    let mut client = Client::new(conn, Options::default()).unwrap();
    let before = peak_rss();
    let delivery = client.send_message(&message).unwrap();
    let growth = peak_rss().saturating_sub(before);
    client.quit().unwrap();
    assert_eq!(delivery.accepted().count(), 1);
    check(&seen.lock().unwrap(), &message, growth);
}
