//! The async twin of `src/bin/pop3_fetch.rs`: mail-pop3's async client
//! (`mail_pop3::tokio`, bench feature `tokio-pop3`) logs in over POP3S and
//! retrieves every message with `retr_many` (pipelined, as the blocking
//! program does) into sinks that discard, nothing written to disk,
//! on a current-thread tokio runtime. Prints one JSON line in the blocking
//! program's format.
//!
//! usage: pop3_fetch_async ENV_FILE USER_KEY   (USER_KEY: ALICE, BOB or CAROL)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Instant;

use mail_pop3::tokio::{Client, MessageSink};
use mail_pop3::{MsgNum, Security};
use mail_wire::testing::TestEnv;

/// Discards every body and counts its bytes.
struct Discard(u64);

impl MessageSink for Discard {
    type Writer = tokio::io::Sink;
    async fn open(&mut self, _: MsgNum) -> std::io::Result<tokio::io::Sink> {
        Ok(tokio::io::sink())
    }
    async fn finish(&mut self, _: MsgNum, _: tokio::io::Sink, size: u64) -> std::io::Result<()> {
        self.0 += size;
        Ok(())
    }
    fn abandon(&mut self, _: MsgNum, _: tokio::io::Sink) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::env::set_var("MAILTEST_ENV_FILE", &args[1]);
    let env = TestEnv::load().expect("env file");
    let (user, pass) = env.account(&args[2]);
    let start = Instant::now();
    let client = Client::connect(
        &env.server("MAILTEST_POP3S_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_pop3::Options::default(),
    )
    .await
    .unwrap();
    let connected = start.elapsed();
    let mut session = client
        .login(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let count = session.stat().await.unwrap().count;
    let msgs: Vec<MsgNum> = (1..=count).map(MsgNum).collect();
    let mut sink = Discard(0);
    session.retr_many(&msgs, &mut sink).await.unwrap();
    let bytes = sink.0;
    session.quit().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"mode\": \"mail-pop3 async retr_many\", \"msgs\": {count}, \"bytes\": {bytes}, \"secs\": {secs:.4}, \"connect_secs\": {:.4}, \"MB_per_s\": {:.1}, \"msgs_per_s\": {:.1}}}",
        connected.as_secs_f64(),
        bytes as f64 / secs / 1e6,
        f64::from(count) / secs
    );
}
