//! Replays sessions recorded from real servers (`fixtures/pop3/`) through
//! the client, so the parsers meet real bytes without a server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mail_pop3::{Client, Error, ListEntry, MsgNum};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

const DOVECOT: &str = include_str!("../../../fixtures/pop3/dovecot-session.txt");

fn replay(stream: ScriptedStream) {
    let mut client = Client::new(Connection::new(stream.clone(), Limits::default())).unwrap();
    assert!(client
        .greeting()
        .timestamp
        .as_deref()
        .is_some_and(|t| t.ends_with("@vm>")));
    let caps = client.capa().unwrap();
    assert!(caps.pipelining() && caps.has("UIDL") && caps.has("RESP-CODES"));
    assert!(caps.sasl_mechanisms().iter().any(|m| m == "CRAM-MD5"));
    let mut session = client
        .login("bob@example.test", &Secret::new("bob-secret"))
        .map_err(|(e, _)| e)
        .unwrap();
    let stat = session.stat().unwrap();
    assert_eq!((stat.count, stat.size), (2, 230));
    let list = session.list().unwrap();
    assert_eq!(
        list,
        [
            ListEntry {
                msg: MsgNum(1),
                size: 169
            },
            ListEntry {
                msg: MsgNum(2),
                size: 61
            }
        ]
    );
    let uidl = session.uidl().unwrap();
    assert_eq!(uidl[1].uid, "000000026b026e9a");
    let mut message = Vec::new();
    assert_eq!(
        session.retr(MsgNum(1), &mut message).unwrap(),
        169,
        "RETR size equals LIST size"
    );
    assert!(message
        .ends_with(b"\r\n\r\nA line.\r\n.A line starting with a dot.\r\n.\r\n..\r\nEnd.\r\n"));
    let mut head = Vec::new();
    session.top(MsgNum(2), 0, &mut head).unwrap();
    assert_eq!(
        head,
        b"From: Alice <alice@example.test>\r\nSubject: second\r\n\r\n"
    );
    session.dele(MsgNum(2)).unwrap();
    assert_eq!(session.list().unwrap().len(), 1);
    session.rset().unwrap();
    let err = session.list_one(MsgNum(3)).unwrap_err();
    assert!(matches!(
        &err,
        Error::Rejected {
            command: "LIST",
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "server rejected LIST: -ERR There's no message 3."
    );
    session.quit().unwrap();
    stream.assert_done();
}

#[test]
fn dovecot_session_replays() {
    replay(ScriptedStream::from_transcript(DOVECOT));
}

#[test]
fn dovecot_session_replays_one_byte_at_a_time() {
    replay(ScriptedStream::from_transcript(DOVECOT).one_byte_reads());
}
