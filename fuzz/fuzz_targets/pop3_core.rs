//! Any bytes as everything a POP3 server says, fed to the sans-I/O core
//! `mail_pop3::core::Pop3` after six pipelined commands: once whole and once
//! cut in two at a position taken from the first two bytes. No panic; the
//! two runs fail together or give the same events (body pieces joined); a
//! body's reported size equals its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_pop3::core::{Event, Pop3};
use mail_pop3::{Command, MsgNum, Reply};
use mail_wire::Limits;

#[derive(Debug, PartialEq)]
enum Got {
    Greeting(String),
    Reply(&'static str, Reply),
    Tls(Reply),
    Body(Vec<u8>),
    End(u64),
}

fn run(chunks: &[&[u8]]) -> Option<Vec<Got>> {
    let mut pop3 = Pop3::new(Limits {
        max_line: 256,
        max_literal: 4096,
    });
    for command in [
        Command::Capa,
        Command::Stls,
        Command::Stat,
        Command::Retr(MsgNum(1)),
        Command::Uidl(None),
        Command::Quit,
    ] {
        pop3.send(&command).ok()?;
    }
    let mut events = Vec::new();
    let mut body_len = 0u64;
    let mut carry = Vec::new();
    for chunk in chunks {
        carry.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let (used, event) = pop3.feed(carry.get(at..).unwrap_or_default()).ok()?;
            assert!(used <= carry.len() - at);
            at += used;
            let got = match event {
                None => break,
                Some(Event::Greeting(g)) => Got::Greeting(g.text),
                Some(Event::Reply { command, reply }) => Got::Reply(command, reply),
                Some(Event::TlsReady(reply)) => {
                    pop3.tls_started();
                    Got::Tls(reply)
                }
                Some(Event::Body(piece)) => {
                    body_len += piece.len() as u64;
                    if let Some(Got::Body(body)) = events.last_mut() {
                        body.extend_from_slice(piece);
                        continue;
                    }
                    Got::Body(piece.to_vec())
                }
                Some(Event::BodyEnd { size }) => {
                    assert_eq!(size, body_len);
                    body_len = 0;
                    Got::End(size)
                }
                Some(_) => continue,
            };
            events.push(got);
        }
        carry.drain(..at);
    }
    Some(events)
}

fuzz_target!(|data: &[u8]| {
    let Some((cut, wire)) = data.split_first_chunk::<2>() else {
        return;
    };
    let cut = usize::from(u16::from_le_bytes(*cut)) % (wire.len() + 1);
    let whole = run(&[wire]);
    let (head, tail) = wire.split_at(cut);
    let split = run(&[head, tail]);
    assert_eq!(whole.is_some(), split.is_some(), "cut {cut}");
    assert_eq!(whole, split, "cut {cut}");
});
