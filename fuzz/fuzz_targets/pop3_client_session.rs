//! Any bytes as everything a POP3 server says, served through
//! `ScriptedStream::raw` (then EOF) to a `mail_pop3::Client`: greeting, CAPA,
//! USER/PASS, STAT, LIST, UIDL, TOP, RETR of several messages (pipelined
//! when CAPA says PIPELINING), DELE and QUIT: no panic, no hang, and every
//! streamed size equals the bytes written.
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use mail_pop3::{Client, MessageSink, MsgNum};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

/// Collects each message; checks the size reported for it.
struct Sink;

impl MessageSink for Sink {
    type Writer = Vec<u8>;

    fn open(&mut self, _msg: MsgNum) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }

    fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, size: u64) -> io::Result<()> {
        assert_eq!(writer.len() as u64, size, "size of message {msg}");
        Ok(())
    }

    fn abandon(&mut self, _msg: MsgNum, _writer: Vec<u8>) {}
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_line: 512, max_literal: 1 << 20 };
    let Ok(mut client) = Client::new(Connection::new(ScriptedStream::raw(data), limits)) else { return };
    let _ = client.greeting().timestamp.as_deref();
    let _ = client.capa().map(|caps| caps.pipelining());
    let Ok(mut session) = client.login("fuzz", &Secret::new("fuzz")) else { return };
    let _ = session.stat();
    let _ = session.list();
    let _ = session.uidl();
    let mut out = Vec::new();
    if let Ok(size) = session.top(MsgNum(1), 2, &mut out) {
        assert_eq!(size, out.len() as u64);
    }
    let msgs = [MsgNum(1), MsgNum(2), MsgNum(3)];
    if let Ok(refused) = session.retr_many(&msgs, &mut Sink) {
        assert!(refused.len() <= msgs.len());
    }
    let _ = session.dele_many(&msgs);
    let _ = session.quit();
});
