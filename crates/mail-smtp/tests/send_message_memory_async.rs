//! `mail_smtp::tokio::Client::send_message` streams as the blocking one
//! does: the 24 MiB attachment is read on tokio's blocking pool one piece
//! at a time while the process's peak memory grows by far less than the
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

use mail_smtp::tokio::Client;
use mail_smtp::{Limits, Options};
use memory_sink::{check, large_message, peak_rss, Seen, Sink};

#[tokio::test(flavor = "current_thread")]
async fn a_large_attachment_is_streamed_not_held_by_the_async_client() {
    let dir = tempfile::tempdir().unwrap();
    let message = large_message(dir.path());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let conn = mail_wire::tokio::Connection::new(Sink::new(Arc::clone(&seen)), Limits::default());
    let mut client = Client::new(conn, Options::default()).await.unwrap();
    let before = peak_rss();
    let delivery = client.send_message(&message).await.unwrap();
    let growth = peak_rss().saturating_sub(before);
    client.quit().await.unwrap();
    assert_eq!(delivery.accepted().count(), 1);
    check(&seen.lock().unwrap(), &message, growth);
}
