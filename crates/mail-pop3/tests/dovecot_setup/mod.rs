//! What the tests against the real Dovecot share, blocking and async: the
//! port of each security, the recorded options, and unique messages.

#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use mail_pop3::{Options, Recording, Security};

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
