//! Library-level POP3 download for the benchmark: log in over POP3S and
//! RETR every message pipelined into memory sinks that discard, so the
//! number excludes file writes (`scripts/bench-pop3` compares it with
//! `pop3-cli --fetch-all`, which writes and syncs every file).
//!
//! usage: pop3_fetch ENV_FILE USER_KEY   (USER_KEY: ALICE, BOB or CAROL)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{self, Write};
use std::time::Instant;

use mail_pop3::{Client, MessageSink, MsgNum};
use mail_wire::testing::TestEnv;
use mail_wire::Security;

struct Discard(u64);

impl MessageSink for Discard {
    type Writer = io::Sink;
    fn open(&mut self, _: MsgNum) -> io::Result<io::Sink> {
        Ok(io::sink())
    }
    fn finish(&mut self, _: MsgNum, _: io::Sink, size: u64) -> io::Result<()> {
        self.0 += size;
        Ok(())
    }
    fn abandon(&mut self, _: MsgNum, _: io::Sink) {}
}

fn main() {
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
    .unwrap();
    let connected = start.elapsed();
    let mut session = client.login(&user, &pass).map_err(|(e, _)| e).unwrap();
    let count = session.stat().unwrap().count;
    let msgs: Vec<MsgNum> = (1..=count).map(MsgNum).collect();
    let mut sink = Discard(0);
    session.retr_many(&msgs, &mut sink).unwrap();
    session.quit().unwrap();
    let secs = start.elapsed().as_secs_f64();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{{\"mode\": \"mail-pop3 retr_many\", \"msgs\": {count}, \"bytes\": {}, \"secs\": {secs:.4}, \"connect_secs\": {:.4}, \"MB_per_s\": {:.1}, \"msgs_per_s\": {:.1}}}",
        sink.0,
        connected.as_secs_f64(),
        sink.0 as f64 / secs / 1e6,
        f64::from(count) / secs
    )
    .unwrap();
}
