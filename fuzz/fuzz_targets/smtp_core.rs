//! Any bytes as everything an SMTP server says, fed to the sans-I/O core
//! `mail_smtp::core::Smtp` driving a session (EHLO, AUTH LOGIN, one message
//! to two recipients by DATA, one by BDAT, QUIT): once whole and once cut in
//! two at a position taken from the first two bytes. No panic; the two runs
//! fail together or give the same events and the same output; a recipient
//! list never holds more replies than RCPTs sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_smtp::core::{Event, Smtp};
use mail_smtp::{Envelope, Mechanism};
use mail_wire::Secret;

/// Answers each event as a driver would.
fn react(smtp: &mut Smtp, event: &Event, messages: &mut u8) -> Option<()> {
    match event {
        Event::Greeting(_) => smtp.ehlo("fuzz.example").ok()?,
        Event::Hello(_) => smtp
            .auth(Mechanism::Login, "alice", &Secret::new("pw"))
            .ok()?,
        Event::Authenticated { .. } | Event::Reply { command: "AUTH", .. } => {
            let envelope = Envelope::new("a@x", ["b@x", "c@x"]);
            smtp.send_envelope(&envelope, Some(10), true).ok()?;
        }
        Event::Envelope(replies) => {
            assert!(replies.recipients.len() <= 2);
            if replies.can_send_data() && replies.data.is_some() {
                smtp.data(b"Subject: x\n\n.dot\n").ok()?;
                smtp.data_end().ok()?;
            } else if replies.can_send_data() {
                smtp.bdat(b"hello\n", true).ok()?;
            }
        }
        Event::Message(_) => {
            *messages += 1;
            if *messages == 1 {
                smtp.send_envelope(&Envelope::new("a@x", ["d@x"]), None, false)
                    .ok()?;
            } else {
                smtp.command(&mail_smtp::command::Command::Quit).ok()?;
            }
        }
        _ => {}
    }
    Some(())
}

fn run(chunks: &[&[u8]]) -> Option<(Vec<Event>, Vec<u8>)> {
    let mut smtp = Smtp::new(256, 16);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut messages = 0;
    for chunk in chunks {
        let mut rest: &[u8] = chunk;
        loop {
            let (used, event) = smtp.feed(rest).ok()?;
            assert!(used <= rest.len());
            rest = rest.get(used..).unwrap_or_default();
            if let Some(event) = event {
                react(&mut smtp, &event, &mut messages)?;
                events.push(event);
            }
            out.extend(smtp.take_output());
            if used == 0 {
                break;
            }
        }
    }
    Some((events, out))
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
