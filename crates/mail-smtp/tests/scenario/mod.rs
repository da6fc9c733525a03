#![allow(dead_code)]
//! One session recorded from the real Postfix into `fixtures/smtp/` and
//! replayed offline: AUTH PLAIN, three messages with `send_all` (the middle
//! one to an unknown user), NOOP, QUIT.

use std::io::{Read, Write};

use mail_smtp::{dot::BodyEncoder, Client, Delivery, Envelope, Error};
use mail_wire::Secret;

pub const BODIES: [&[u8]; 3] = [
    b"Subject: one\r\n\r\n.leading dot\r\n",
    b"Subject: two\r\n\r\nnever delivered\r\n",
    b"Subject: three\r\n\r\n..two dots\nbare LF\r\n.\r\nend\r\n",
];

pub fn envelopes() -> [Envelope; 3] {
    [
        Envelope::new("alice@example.test", ["bob@example.test"]),
        Envelope::new("alice@example.test", ["nobody@example.test"]),
        Envelope::new("alice@example.test", ["bob@example.test"]),
    ]
}

/// Runs the scenario and checks what any server must answer.
pub fn run<S: Read + Write>(mut client: Client<S>, user: &str, pass: &Secret) {
    client
        .auth(user, pass, Some(mail_smtp::Mechanism::Plain))
        .unwrap();
    let envelopes = envelopes();
    let results: Vec<Result<Delivery, Error>> =
        client.send_all(envelopes.iter().zip(BODIES)).unwrap();
    assert!(results[0].as_ref().unwrap().queue_id().is_some());
    assert!(
        matches!(results[1], Err(Error::AllRecipientsRejected { .. })),
        "{:?}",
        results[1]
    );
    assert!(results[2].as_ref().unwrap().queue_id().is_some());
    client.noop().unwrap();
    client.quit().unwrap();
}

/// Turns a recorded transcript into a replayable script: each
/// `<message body: N bytes>` note becomes the body's lines as sent.
pub fn to_script(lines: &[String], chunking: bool) -> String {
    let mut out = String::new();
    for line in lines {
        let Some(n) = line
            .strip_prefix("C: <message body: ")
            .and_then(|r| r.strip_suffix(" bytes>"))
        else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let n: usize = n.parse().unwrap();
        let wire = BODIES
            .iter()
            .map(|body| {
                let mut encoder = if chunking {
                    BodyEncoder::bdat()
                } else {
                    BodyEncoder::data()
                };
                let mut wire = Vec::new();
                encoder.push(body, &mut wire);
                encoder.finish(&mut wire);
                if !chunking {
                    wire.truncate(wire.len() - 3); // the "." line is its own note
                }
                (body.len(), wire)
            })
            .find(|(len, wire)| if chunking { wire.len() == n } else { *len == n })
            .unwrap()
            .1;
        for wire_line in String::from_utf8(wire).unwrap().split_terminator("\r\n") {
            out.push_str("C: ");
            out.push_str(wire_line);
            out.push('\n');
        }
    }
    out
}
