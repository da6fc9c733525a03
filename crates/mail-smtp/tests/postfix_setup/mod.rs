//! What the tests against the real Postfix share, blocking and async: the
//! client's options, how long a delivery may take, and attachment bytes.

#![allow(dead_code)]

use std::time::Duration;

use mail_smtp::{Options, Recording};

/// How long a delivery into Dovecot may take (it is asynchronous).
pub const DELIVERY: Duration = Duration::from_secs(20);

/// The options of every test session: a fixed HELO name and `transcript`.
pub fn options(transcript: &Recording) -> Options {
    Options {
        helo_name: "client.example.test".into(),
        transcript: Some(Box::new(transcript.clone())),
        ..Options::default()
    }
}

/// Bytes of every value, in an order no encoder bug could keep by luck.
pub fn binary(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}
