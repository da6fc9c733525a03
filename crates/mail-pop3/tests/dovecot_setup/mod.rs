//! What the tests against the real Dovecot share, blocking and async: the
//! port of each security, the recorded options, and unique messages.

#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mail_pop3::{Options, Recording, Security};
use mail_wire::testing::TestEnv;

/// A token no other message of any test run carries.
pub fn unique() -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t}.{n}.{}", std::process::id())
}

/// A message from Bob to Alice with a unique Message-ID.
pub fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: {subject}\r\n\
         Date: Sun, 22 Nov 2026 04:00:00 +0000\r\nMessage-ID: <{}@example.test>\r\n\r\n{body}",
        unique()
    )
    .into_bytes()
}

/// The variable naming Dovecot's port for `security`.
pub fn port(security: Security) -> &'static str {
    if security == Security::Implicit {
        "MAILTEST_POP3S_PORT"
    } else {
        "MAILTEST_POP3_PORT"
    }
}

/// Default options with a transcript into the returned recording.
pub fn recorded_options() -> (Options, Recording) {
    let rec = Recording::new();
    let options = Options {
        transcript: Some(Box::new(rec.clone())),
        ..Options::default()
    };
    (options, rec)
}

/// One body for both clients: sends Bob a message whose lines start with
/// dots through Postfix, fetches his mailbox with `fetch_all` (each client
/// logs in its own way and returns every message) until it is there, and
/// checks that what we sent comes back byte for byte.
pub async fn dot_lines_round_trip<F: Future<Output = Vec<Vec<u8>>>>(
    env: &TestEnv,
    mut fetch_all: impl FnMut() -> F,
) {
    env.empty_mailbox("BOB");
    let body =
        "Dots at the start of lines:\r\n.\r\n..\r\n.hidden\r\n... three\r\n\r\n.\r\nlast line\r\n";
    let sent = message("dots", body);
    env.deliver_raw("bob@example.test", "bob@example.test", &sent);
    let deadline = Instant::now() + Duration::from_secs(15);
    let retrieved = loop {
        if let Some(m) = fetch_all().await.into_iter().next() {
            break m;
        }
        assert!(Instant::now() < deadline, "the message never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Postfix adds Return-Path/Received/Date headers above ours; our part is byte-exact.
    assert!(
        retrieved.ends_with(&sent),
        "{}",
        String::from_utf8_lossy(&retrieved)
    );
}

/// Runs a shared test body from a blocking test, on a runtime with a clock.
pub fn block_on(body: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(body);
}
