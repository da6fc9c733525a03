//! The core driven from plain byte buffers.

use super::*;
use crate::response::MsgNum;

/// An event with its borrowed bytes copied, to compare runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Greeting(Greeting),
    Reply(&'static str, Reply),
    TlsReady(Reply),
    Body(Vec<u8>),
    BodyEnd(u64),
}

/// Feeds `chunks` one after the other, calling `on_greeting` when the
/// greeting arrives (to queue commands); returns the events, body pieces
/// joined, and the bytes left unconsumed.
fn run(pop3: &mut Pop3, chunks: &[&[u8]]) -> Result<(Vec<Got>, Vec<u8>), Error> {
    let mut events: Vec<Got> = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    for chunk in chunks {
        carry.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let (used, event) = pop3.feed(carry.get(at..).unwrap_or_default())?;
            at += used;
            let got = match event {
                None => break,
                Some(Event::Greeting(g)) => Got::Greeting(g),
                Some(Event::Reply { command, reply }) => Got::Reply(command, reply),
                Some(Event::TlsReady(reply)) => Got::TlsReady(reply),
                Some(Event::Body(piece)) => {
                    if let Some(Got::Body(body)) = events.last_mut() {
                        body.extend_from_slice(piece);
                        continue;
                    }
                    Got::Body(piece.to_vec())
                }
                Some(Event::BodyEnd { size }) => Got::BodyEnd(size),
            };
            events.push(got);
        }
        carry.drain(..at);
    }
    Ok((events, carry))
}

fn ok(text: &str) -> Reply {
    Reply {
        status: Status::Ok,
        text: text.to_owned(),
    }
}

fn err(text: &str) -> Reply {
    Reply {
        status: Status::Err,
        text: text.to_owned(),
    }
}

/// A session recorded from a server: greeting, then (pipelined) STAT,
/// LIST, RETR 1 with stuffed dots and a bare LF, RETR 9 refused, DELE 1,
/// UIDL, QUIT.
const RECORDED: &[u8] = b"+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n\
+OK 1 120\r\n\
+OK 1 messages\r\n1 120\r\n.\r\n\
+OK 120 octets\r\nSubject: dots\r\n\r\n..leading\r\n...\r\nbare lf\n.\r\n\
-ERR no such message\r\n\
+OK deleted\r\n\
+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n.\r\n\
+OK bye\r\n";

fn queue_recorded(pop3: &mut Pop3) {
    for command in [
        Command::Stat,
        Command::List(None),
        Command::Retr(MsgNum(1)),
        Command::Retr(MsgNum(9)),
        Command::Dele(MsgNum(1)),
        Command::Uidl(None),
        Command::Quit,
    ] {
        pop3.send(&command).unwrap();
    }
}

fn recorded_events() -> Vec<Got> {
    vec![
        Got::Greeting(Greeting {
            text: "POP3 ready <1896.697170952@dbc.mtview.ca.us>".to_owned(),
            timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".to_owned()),
        }),
        Got::Reply("STAT", ok("1 120")),
        Got::Reply("LIST", ok("1 messages")),
        Got::Body(b"1 120\r\n".to_vec()),
        Got::BodyEnd(7),
        Got::Reply("RETR", ok("120 octets")),
        Got::Body(b"Subject: dots\r\n\r\n.leading\r\n..\r\nbare lf\r\n".to_vec()),
        Got::BodyEnd(40),
        Got::Reply("RETR", err("no such message")),
        Got::Reply("DELE", ok("deleted")),
        Got::Reply("UIDL", ok("")),
        Got::Body(b"1 whqtswO00WBw418f9t5JxYwZ\r\n".to_vec()),
        Got::BodyEnd(28),
        Got::Reply("QUIT", ok("bye")),
    ]
}

#[test]
fn a_recorded_session_gives_its_events_in_one_buffer() {
    let mut pop3 = Pop3::new(Limits::default());
    queue_recorded(&mut pop3);
    assert_eq!(
        pop3.take_output(),
        b"STAT\r\nLIST\r\nRETR 1\r\nRETR 9\r\nDELE 1\r\nUIDL\r\nQUIT\r\n"
    );
    let (events, rest) = run(&mut pop3, &[RECORDED]).unwrap();
    assert_eq!(events, recorded_events());
    assert!(rest.is_empty());
    assert_eq!((pop3.in_flight(), pop3.phase()), (0, Phase::Closed));
}

#[test]
fn every_split_of_a_recorded_session_gives_the_same_events() {
    let expected = recorded_events();
    for cut in 0..=RECORDED.len() {
        let (head, tail) = RECORDED.split_at(cut);
        let mut pop3 = Pop3::new(Limits::default());
        queue_recorded(&mut pop3);
        let (events, rest) = run(&mut pop3, &[head, tail]).unwrap();
        assert_eq!(events, expected, "split at {cut}");
        assert!(rest.is_empty());
    }
    let bytes: Vec<&[u8]> = RECORDED.chunks(1).collect();
    let mut pop3 = Pop3::new(Limits::default());
    queue_recorded(&mut pop3);
    assert_eq!(run(&mut pop3, &bytes).unwrap().0, expected);
}

#[test]
fn every_pair_of_splits_around_dots_and_line_ends_gives_the_same_body() {
    let wire: &[u8] = b"+OK\r\n.\r\r\n..\r\n.x\n\r\n\n.\r\n+OK\r\n";
    let mut expected = None;
    for a in 0..=wire.len() {
        for b in a..=wire.len() {
            let mut pop3 = Pop3::new(Limits::default());
            pop3.phase = Phase::Transaction;
            pop3.send(&Command::Retr(MsgNum(1))).unwrap();
            pop3.send(&Command::Noop).unwrap();
            let chunks = [
                wire.get(..a).unwrap(),
                wire.get(a..b).unwrap(),
                wire.get(b..).unwrap(),
            ];
            let (events, _) = run(&mut pop3, &chunks).unwrap();
            let expected = expected.get_or_insert_with(|| events.clone());
            assert_eq!(&events, expected, "cuts {a} {b}");
        }
    }
    assert_eq!(
        expected.as_ref().unwrap().get(1),
        Some(&Got::Body(b"\r\r\n.\r\nx\r\n\r\n\r\n".to_vec()))
    );
}

#[test]
fn pipelined_replies_are_matched_in_order_and_a_refusal_has_no_body() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    for n in 1..=3 {
        pop3.send(&Command::Retr(MsgNum(n))).unwrap();
    }
    pop3.send(&Command::Dele(MsgNum(1))).unwrap();
    assert_eq!(pop3.in_flight(), 4);
    let (events, _) = run(
        &mut pop3,
        &[b"+OK\r\none\r\n.\r\n-ERR gone\r\n+OK\r\n..three\r\n.\r\n+OK\r\n"],
    )
    .unwrap();
    assert_eq!(
        events,
        [
            Got::Reply("RETR", ok("")),
            Got::Body(b"one\r\n".to_vec()),
            Got::BodyEnd(5),
            Got::Reply("RETR", err("gone")),
            Got::Reply("RETR", ok("")),
            Got::Body(b".three\r\n".to_vec()),
            Got::BodyEnd(8),
            Got::Reply("DELE", ok("")),
        ]
    );
    assert_eq!(pop3.in_flight(), 0);
}

#[test]
fn feeding_stops_after_each_event_and_leaves_the_rest() {
    let mut pop3 = Pop3::new(Limits::default());
    let input = b"+OK hi\r\n+OK 1 2\r\n";
    let (used, event) = pop3.feed(input).unwrap();
    assert_eq!(used, 8);
    assert!(matches!(event, Some(Event::Greeting(_))));
    pop3.send(&Command::Stat).unwrap();
    let (used, event) = pop3.feed(input.get(8..).unwrap()).unwrap();
    assert_eq!(
        (used, event),
        (
            9,
            Some(Event::Reply {
                command: "STAT",
                reply: ok("1 2")
            })
        )
    );
}

#[test]
fn logins_and_sasl_steps_mask_secrets_and_change_the_phase() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    let shown = pop3
        .send(&Command::Auth {
            mechanism: "LOGIN",
            initial: None,
        })
        .unwrap();
    assert_eq!(shown, "AUTH LOGIN");
    assert!(
        pop3.sasl_response(&Secret::new("x")).is_err(),
        "no challenge yet"
    );
    let (events, _) = run(&mut pop3, &[b"+ VXNlcm5hbWU6\r\n"]).unwrap();
    assert_eq!(
        events,
        [Got::Reply(
            "AUTH",
            Reply {
                status: Status::Continue,
                text: "VXNlcm5hbWU6".to_owned()
            }
        )]
    );
    assert!(pop3.awaiting_sasl_response());
    assert_eq!(pop3.sasl_response(&Secret::new("YWxpY2U=")).unwrap(), MASK);
    run(&mut pop3, &[b"+ UGFzc3dvcmQ6\r\n"]).unwrap();
    assert_eq!(pop3.sasl_response(&Secret::new("cHc=")).unwrap(), MASK);
    assert_eq!(
        pop3.take_output(),
        b"AUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n".to_vec()
    );
    assert_eq!(pop3.phase(), Phase::Authorization);
    let (events, _) = run(&mut pop3, &[b"+OK logged in\r\n"]).unwrap();
    assert_eq!(events, [Got::Reply("AUTH", ok("logged in"))]);
    assert_eq!(pop3.phase(), Phase::Transaction);

    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    let secret = Secret::new("hunter2");
    assert_eq!(pop3.send(&Command::User("a")).unwrap(), "USER a");
    assert_eq!(pop3.send(&Command::Pass(&secret)).unwrap(), "PASS ********");
    assert_eq!(pop3.take_output(), b"USER a\r\nPASS hunter2\r\n".to_vec());
    // A challenge to anything but AUTH is not POP3.
    assert!(matches!(
        run(&mut pop3, &[b"+ what\r\n"]),
        Err(Error::Protocol(_))
    ));
}

#[test]
fn a_refused_challenge_is_cancelled_with_a_star() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    let token = Secret::new("dG9r");
    pop3.send(&Command::Auth {
        mechanism: "XOAUTH2",
        initial: Some(&token),
    })
    .unwrap();
    run(&mut pop3, &[b"+ eyJzdGF0dXMiOiI0MDEifQ==\r\n"]).unwrap();
    pop3.sasl_cancel().unwrap();
    assert!(pop3.take_output().ends_with(b"\r\n*\r\n"));
    let (events, _) = run(&mut pop3, &[b"-ERR [AUTH] Invalid token\r\n"]).unwrap();
    assert_eq!(events, [Got::Reply("AUTH", err("[AUTH] Invalid token"))]);
    assert_eq!(pop3.phase(), Phase::Authorization);
}

#[test]
fn stls_tells_the_driver_and_refuses_injected_bytes() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    pop3.send(&Command::Stls).unwrap();
    let input = b"+OK Begin TLS\r\n+OK injected\r\n";
    let (used, event) = pop3.feed(input).unwrap();
    assert_eq!(used, 15);
    assert_eq!(event, Some(Event::TlsReady(ok("Begin TLS"))));
    assert_eq!(pop3.phase(), Phase::StartTls);
    assert!(matches!(
        pop3.feed(input.get(used..).unwrap()),
        Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
            bytes: 14
        }))
    ));
    assert!(matches!(
        pop3.send(&Command::Capa),
        Err(Error::OutOfSequence(_))
    ));
    pop3.tls_started();
    assert_eq!(pop3.phase(), Phase::Authorization);
    pop3.send(&Command::Capa).unwrap();
}

#[test]
fn typed_lines_are_masked_and_choose_their_body() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    assert_eq!(pop3.send_raw("pass hunter2").unwrap(), "pass ********");
    assert_eq!(pop3.send_raw("list").unwrap(), "list");
    assert_eq!(pop3.send_raw("list 1").unwrap(), "list 1");
    let (events, _) = run(
        &mut pop3,
        &[b"+OK\r\n+OK 1 messages\r\n1 5\r\n.\r\n+OK 1 5\r\n"],
    )
    .unwrap();
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(events.get(3), Some(&Got::BodyEnd(5)));
    assert!(matches!(pop3.send_raw("a\r\nb"), Err(Error::Invalid(_))));
    assert!(matches!(pop3.send_raw("  "), Err(Error::Invalid(_))));
    pop3.send_raw("AUTH LOGIN").unwrap();
    run(&mut pop3, &[b"+ VXNlcm5hbWU6\r\n"]).unwrap();
    assert_eq!(pop3.send_raw("YWxpY2U=").unwrap(), MASK);
    assert!(!pop3.awaiting_sasl_response());
}

#[test]
fn an_endless_status_line_is_refused_at_the_limit() {
    let limits = Limits {
        max_line: 1000,
        max_literal: 1_000_000,
    };
    let mut pop3 = Pop3::new(limits);
    let chunk = [b'x'; 64];
    let mut fed = 0;
    let error = loop {
        match pop3.feed(&chunk) {
            Ok((used, _)) => fed += used,
            Err(err) => break err,
        }
        assert!(fed < 10_000, "still reading after {fed} bytes");
    };
    assert!(
        matches!(
            error,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 1000 })
        ),
        "{error}"
    );
    assert!(pop3.line.capacity() < 4096);
}

#[test]
fn an_endless_body_line_is_refused_at_the_limit() {
    let limits = Limits {
        max_line: 1000,
        max_literal: u64::MAX,
    };
    let mut pop3 = Pop3::new(limits);
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    pop3.send(&Command::Retr(MsgNum(1))).unwrap();
    run(&mut pop3, &[b"+OK\r\n"]).unwrap();
    let chunk = [b'y'; 100];
    let mut fed = 0u64;
    let error = loop {
        match run(&mut pop3, &[&chunk]) {
            Ok(_) => fed += 100,
            Err(err) => break err,
        }
        assert!(fed < 100_000);
    };
    assert!(matches!(
        error,
        Error::Wire(mail_wire::Error::LineTooLong { limit: 1000 })
    ));
}

#[test]
fn hostile_replies_are_typed_errors() {
    let table: &[&[u8]] = &[
        b"* OK IMAP4rev1\r\n",
        b"-ERR go away\r\n",
        b"+OKAY\r\n",
        b"\r\n",
    ];
    for wire in table {
        let mut pop3 = Pop3::new(Limits::default());
        assert!(
            matches!(run(&mut pop3, &[wire]), Err(Error::Protocol(_))),
            "{wire:?}"
        );
    }
    // Bytes nobody asked for.
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    assert!(matches!(
        run(&mut pop3, &[b"+OK surprise\r\n"]),
        Err(Error::Protocol(_))
    ));
    // Random bytes never panic.
    let mut rng = fastrand::Rng::with_seed(13);
    for _ in 0..2000 {
        let len = rng.usize(0..64);
        let wire: Vec<u8> = (0..len)
            .map(|_| *rng.choice(b"+OK-ERR .\r\n x".iter()).unwrap_or(&b'x'))
            .collect();
        let mut pop3 = Pop3::new(Limits::default());
        pop3.send(&Command::Retr(MsgNum(1))).unwrap();
        pop3.send(&Command::Capa).unwrap();
        let _ = run(&mut pop3, &[&wire]);
    }
}

#[test]
fn nothing_is_sent_after_quit() {
    let mut pop3 = Pop3::new(Limits::default());
    run(&mut pop3, &[b"+OK ready\r\n"]).unwrap();
    pop3.send(&Command::Quit).unwrap();
    run(&mut pop3, &[b"+OK bye\r\n"]).unwrap();
    assert!(matches!(
        pop3.send(&Command::Noop),
        Err(Error::OutOfSequence(_))
    ));
}

#[test]
fn split_secret_known_answers() {
    let table: &[(&str, bool, &str, Option<&str>)] = &[
        ("pass hunter2", false, "pass ", Some("hunter2")),
        (
            "apop mrose c4c9334b",
            false,
            "apop mrose ",
            Some("c4c9334b"),
        ),
        (
            "AUTH PLAIN AGFsaWNlAHB3",
            false,
            "AUTH PLAIN ",
            Some("AGFsaWNlAHB3"),
        ),
        ("AUTH LOGIN", false, "AUTH LOGIN", None),
        ("list 1", false, "list 1", None),
        ("YWxpY2U=", true, "", Some("YWxpY2U=")),
    ];
    for (line, sasl, public, secret) in table {
        assert_eq!(split_secret(line, *sasl), (*public, *secret), "{line}");
    }
}

/// Events until the first error, body pieces joined; `Err` holds the
/// events before it.
fn events_of(chunks: &[&[u8]]) -> Result<Vec<Got>, Vec<Got>> {
    let mut pop3 = Pop3::new(Limits {
        max_line: 40,
        max_literal: 200,
    });
    for command in [
        Command::Capa,
        Command::Stat,
        Command::Retr(MsgNum(1)),
        Command::List(None),
        Command::Dele(MsgNum(1)),
        Command::Quit,
    ] {
        pop3.send(&command).unwrap();
    }
    let mut events = Vec::new();
    let mut carry: Vec<u8> = Vec::new();
    for chunk in chunks {
        carry.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            let (used, event) = match pop3.feed(carry.get(at..).unwrap_or_default()) {
                Ok(step) => step,
                Err(_) => return Err(events),
            };
            at += used;
            let got = match event {
                None => break,
                Some(Event::Greeting(g)) => Got::Greeting(g),
                Some(Event::Reply { command, reply }) => Got::Reply(command, reply),
                Some(Event::TlsReady(reply)) => Got::TlsReady(reply),
                Some(Event::Body(piece)) => {
                    if let Some(Got::Body(body)) = events.last_mut() {
                        body.extend_from_slice(piece);
                        continue;
                    }
                    Got::Body(piece.to_vec())
                }
                Some(Event::BodyEnd { size }) => Got::BodyEnd(size),
            };
            events.push(got);
        }
        carry.drain(..at);
    }
    Ok(events)
}

#[test]
fn random_sessions_give_the_same_events_in_any_two_chunks() {
    const PIECES: &[&[u8]] = &[
        b"+OK", b"-ERR", b" ", b"x", b"\r\n", b"\n", b"\r", b".", b"..", b".\r\n", b"1 2",
    ];
    let mut rng = fastrand::Rng::with_seed(1939);
    let mut compared = 0;
    for _ in 0..3000 {
        let mut wire = b"+OK hi\r\n".to_vec();
        for _ in 0..rng.usize(0..40) {
            wire.extend_from_slice(PIECES[rng.usize(0..PIECES.len())]);
        }
        let whole = events_of(&[&wire]);
        let cut = rng.usize(0..=wire.len());
        let (head, tail) = wire.split_at(cut);
        let split = events_of(&[head, tail]);
        match (&whole, &split) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "wire {wire:?} cut {cut}");
                compared += 1;
            }
            (Err(_), Err(_)) => {}
            _ => panic!("one errs, the other not: {wire:?} cut {cut}: {whole:?} {split:?}"),
        }
    }
    assert!(compared > 300, "only {compared} sessions without errors");
}

#[test]
fn debug_never_shows_a_queued_password() {
    let mut pop3 = Pop3::new(Limits::default());
    let secret = Secret::new("hunter2");
    pop3.send(&Command::Pass(&secret)).unwrap();
    let shown = format!("{pop3:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("104, 117"),
        "{shown}"
    );
}
