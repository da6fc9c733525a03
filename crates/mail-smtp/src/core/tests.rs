use super::*;
use crate::Envelope;

const EHLO_PIPELINING: &[u8] = b"250-mx.example\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n250 CHUNKING\r\n";

/// Feeds `input` whole, answering as `react` says; returns the events and
/// everything written.
fn run(
    smtp: &mut Smtp,
    mut input: &[u8],
    mut react: impl FnMut(&mut Smtp, &Event),
) -> Result<(Vec<Event>, Vec<u8>), Error> {
    let mut events = Vec::new();
    let mut out = smtp.take_output();
    loop {
        let (used, event) = smtp.feed(input)?;
        input = input.get(used..).unwrap_or_default();
        if let Some(event) = event {
            react(smtp, &event);
            events.push(event);
        }
        out.extend(smtp.take_output());
        if used == 0 && input.is_empty() {
            return Ok((events, out));
        }
    }
}

/// Feeds `input` cut at `cut` in two calls, the driver's way.
fn run_split(
    input: &[u8],
    cut: usize,
    mut react: impl FnMut(&mut Smtp, &Event),
) -> Result<(Vec<Event>, Vec<u8>), Error> {
    let mut smtp = Smtp::new(1000, 100);
    let (first, second) = input.split_at(cut);
    let (mut events, mut out) = run(&mut smtp, first, &mut react)?;
    let (more, more_out) = run(&mut smtp, second, &mut react)?;
    events.extend(more);
    out.extend(more_out);
    Ok((events, out))
}

fn session_input() -> Vec<u8> {
    let mut input = b"220 mx.example ESMTP\r\n".to_vec();
    input.extend_from_slice(EHLO_PIPELINING);
    input.extend_from_slice(
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550-5.1.1 no such\r\n550 5.1.1 user\r\n\
          250 2.1.5 Ok\r\n354 go\r\n250 2.0.0 Ok: queued as 4Xy\r\n221 bye\r\n",
    );
    input
}

fn session_react(smtp: &mut Smtp, event: &Event) {
    match event {
        Event::Greeting(_) => smtp.ehlo("client.example").unwrap(),
        Event::Hello(_) => {
            let envelope = Envelope::new("a@example", ["b@example", "x@example", "c@example"]);
            smtp.send_envelope(&envelope, None, true).unwrap();
        }
        Event::Envelope(_) => {
            smtp.data(b"Subject: t\n\n.hidden\n").unwrap();
            smtp.data_end().unwrap();
        }
        Event::Message(_) => smtp.command(&Command::Quit).unwrap(),
        _ => {}
    }
}

#[test]
fn every_split_position_gives_the_same_events_and_output() {
    let input = session_input();
    let (events, out) = run_split(&input, 0, session_react).unwrap();
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(
        out,
        b"EHLO client.example\r\nMAIL FROM:<a@example>\r\nRCPT TO:<b@example>\r\n\
          RCPT TO:<x@example>\r\nRCPT TO:<c@example>\r\nDATA\r\n\
          Subject: t\r\n\r\n..hidden\r\n.\r\nQUIT\r\n"
    );
    for cut in 1..input.len() {
        let (split_events, split_out) = run_split(&input, cut, session_react).unwrap();
        assert_eq!(split_events, events, "cut at {cut}");
        assert_eq!(split_out, out, "cut at {cut}");
    }
    // One byte at a time.
    let mut smtp = Smtp::new(1000, 100);
    let mut one_by_one = Vec::new();
    for byte in &input {
        let (more, _) = run(&mut smtp, std::slice::from_ref(byte), session_react).unwrap();
        one_by_one.extend(more);
    }
    assert_eq!(one_by_one, events);
    assert_eq!(smtp.phase(), Phase::Closed);
}

#[test]
fn pipelined_replies_are_matched_in_order_with_one_refused_rcpt() {
    let (events, _) = run_split(&session_input(), 0, session_react).unwrap();
    let Some(Event::Envelope(replies)) = events.get(2) else {
        panic!("{events:?}");
    };
    assert_eq!(replies.mail.code().get(), 250);
    let codes: Vec<u16> = replies.recipients.iter().map(|r| r.code().get()).collect();
    assert_eq!(codes, [250, 550, 250]);
    assert_eq!(
        replies.recipients[1].lines(),
        ["5.1.1 no such", "5.1.1 user"]
    );
    assert_eq!(replies.data.as_ref().map(|r| r.code().get()), Some(354));
    assert!(replies.can_send_data());
    assert!(matches!(&events[3], Event::Message(r) if r.code().get() == 250));
}

#[test]
fn without_pipelining_one_command_at_a_time() {
    let mut smtp = Smtp::new(1000, 100);
    smtp.set_pipelining(false);
    let mut input = b"220 mx\r\n".to_vec();
    input.extend_from_slice(EHLO_PIPELINING);
    let (_, out) = run(&mut smtp, &input, |smtp, event| {
        if matches!(event, Event::Greeting(_)) {
            smtp.ehlo("c").unwrap();
        }
    })
    .unwrap();
    assert_eq!(out, b"EHLO c\r\n");
    let envelope = Envelope::new("a@example", ["b@example", "x@example"]);
    smtp.send_envelope(&envelope, None, true).unwrap();
    assert_eq!(smtp.take_output(), b"MAIL FROM:<a@example>\r\n");
    let (events, out) = run(&mut smtp, b"250 ok\r\n", |_, _| {}).unwrap();
    assert!(events.is_empty());
    assert_eq!(out, b"RCPT TO:<b@example>\r\n");
    let (_, out) = run(&mut smtp, b"550 no\r\n", |_, _| {}).unwrap();
    assert_eq!(out, b"RCPT TO:<x@example>\r\n");
    // Every RCPT refused: DATA is never sent.
    let (events, out) = run(&mut smtp, b"550 no\r\n", |_, _| {}).unwrap();
    assert!(out.is_empty());
    let [Event::Envelope(replies)] = &events[..] else {
        panic!("{events:?}");
    };
    assert!(!replies.is_usable());
    assert_eq!(replies.data, None);
    assert_eq!(smtp.in_flight(), 0);
    // A refused MAIL stops the group at once.
    smtp.send_envelope(&envelope, None, true).unwrap();
    let _ = smtp.take_output();
    let (events, out) = run(&mut smtp, b"451 later\r\n", |_, _| {}).unwrap();
    assert!(out.is_empty());
    assert!(matches!(&events[..], [Event::Envelope(r)] if r.recipients.is_empty()));
    assert_eq!(smtp.in_flight(), 0);
}

#[test]
fn a_354_after_a_refused_envelope_ends_an_empty_message() {
    let mut input = b"220 mx\r\n".to_vec();
    input.extend_from_slice(EHLO_PIPELINING);
    input.extend_from_slice(b"250 ok\r\n550 no\r\n354 go\r\n250 empty\r\n250 reset\r\n");
    let (events, out) = run_split(&input, 0, |smtp, event| match event {
        Event::Greeting(_) => smtp.ehlo("c").unwrap(),
        Event::Hello(_) => smtp
            .send_envelope(&Envelope::new("a@x", ["b@x"]), None, true)
            .unwrap(),
        Event::Envelope(r) => {
            assert!(!r.can_send_data());
            smtp.command(&Command::Rset).unwrap();
        }
        _ => {}
    })
    .unwrap();
    assert!(out.ends_with(b"DATA\r\n.\r\nRSET\r\n"), "{out:?}");
    assert!(
        matches!(events.last(), Some(Event::Reply { command: "RSET", reply }) if reply.lines() == ["reset"])
    );
}

#[test]
fn bdat_chunks_carry_their_size_and_the_last_reply_is_the_message() {
    let mut smtp = Smtp::new(1000, 100);
    let mut input = b"220 mx\r\n".to_vec();
    input.extend_from_slice(EHLO_PIPELINING);
    input.extend_from_slice(b"250 ok\r\n250 ok\r\n");
    let (events, _) = run(&mut smtp, &input, |smtp, event| match event {
        Event::Greeting(_) => smtp.ehlo("c").unwrap(),
        Event::Hello(_) => smtp
            .send_envelope(&Envelope::new("a@x", ["b@x"]), None, false)
            .unwrap(),
        _ => {}
    })
    .unwrap();
    assert!(matches!(events.last(), Some(Event::Envelope(r)) if r.can_send_data()));
    assert_eq!(smtp.bdat(b"a\nb", false).unwrap(), 4);
    assert_eq!(smtp.bdat(b"\n.c", true).unwrap(), 6);
    assert_eq!(
        smtp.take_output(),
        b"BDAT 4\r\na\r\nbBDAT 6 LAST\r\n\r\n.c\r\n"
    );
    let (events, _) = run(&mut smtp, b"250 chunk\r\n250 queued\r\n", |_, _| {}).unwrap();
    assert!(matches!(
        &events[0],
        Event::Reply {
            command: "BDAT",
            ..
        }
    ));
    assert!(matches!(&events[1], Event::Message(r) if r.lines() == ["queued"]));
}

fn greeted() -> Smtp {
    let mut smtp = Smtp::new(1000, 100);
    let mut input = b"220 mx\r\n".to_vec();
    input.extend_from_slice(EHLO_PIPELINING);
    run(&mut smtp, &input, |smtp, event| {
        if matches!(event, Event::Greeting(_)) {
            smtp.ehlo("c").unwrap();
        }
    })
    .unwrap();
    let _ = smtp.take_shown();
    smtp
}

#[test]
fn auth_steps_answer_challenges_and_mask_secrets() {
    // LOGIN: user name, then password, each after a 334.
    let mut smtp = greeted();
    smtp.auth(Mechanism::Login, "alice", &Secret::new("pw"))
        .unwrap();
    let (events, out) = run(
        &mut smtp,
        b"334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n",
        |_, _| {},
    )
    .unwrap();
    assert_eq!(out, b"AUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n");
    assert_eq!(smtp.take_shown(), ["AUTH LOGIN", "********", "********"]);
    assert!(matches!(
        &events[..],
        [Event::Authenticated {
            mechanism: Mechanism::Login,
            ..
        }]
    ));
    assert_eq!(smtp.authenticated(), Some(Mechanism::Login));

    // XOAUTH2: the error challenge is answered with an empty line.
    let mut smtp = greeted();
    smtp.auth(Mechanism::XOAuth2, "a@x", &Secret::new("tok"))
        .unwrap();
    let (events, out) = run(
        &mut smtp,
        b"334 eyJzdGF0dXMiOiI0MDEifQ==\r\n535 no\r\n",
        |_, _| {},
    )
    .unwrap();
    assert!(out.starts_with(b"AUTH XOAUTH2 "));
    assert!(out.ends_with(b"\r\n\r\n"));
    assert_eq!(smtp.take_shown(), ["AUTH XOAUTH2 ********", ""]);
    assert!(
        matches!(&events[..], [Event::Reply { command: "AUTH", reply }] if reply.code().get() == 535)
    );

    // CRAM-MD5 with a challenge that is not base64: cancelled with `*`.
    let mut smtp = greeted();
    smtp.auth(Mechanism::CramMd5, "a", &Secret::new("p"))
        .unwrap();
    let (events, out) = run(&mut smtp, b"334 !!!\r\n501 cancelled\r\n", |_, _| {}).unwrap();
    assert_eq!(out, b"AUTH CRAM-MD5\r\n*\r\n");
    assert!(
        matches!(&events[..], [Event::AuthCancelled { challenge, .. }] if challenge.lines() == ["!!!"])
    );

    // PLAIN: a challenge after the initial response is cancelled too.
    let mut smtp = greeted();
    smtp.auth(Mechanism::Plain, "a", &Secret::new("p")).unwrap();
    let (events, out) = run(&mut smtp, b"334 \r\n501 no\r\n", |_, _| {}).unwrap();
    assert!(out.ends_with(b"\r\n*\r\n"));
    assert!(matches!(&events[..], [Event::AuthCancelled { .. }]));
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    let mut smtp = Smtp::new(1000, 100);
    let (events, out) = run(
        &mut smtp,
        b"220 old\r\n502 what\r\n250 old.example\r\n",
        |smtp, event| {
            if matches!(event, Event::Greeting(_)) {
                smtp.ehlo("c").unwrap();
            }
        },
    )
    .unwrap();
    assert_eq!(out, b"EHLO c\r\nHELO c\r\n");
    assert!(matches!(events.last(), Some(Event::Hello(_))));
    assert!(!smtp.capabilities().is_esmtp());
}

#[test]
fn an_endless_reply_line_is_refused_at_the_limit() {
    let mut smtp = Smtp::new(64, 100);
    let long = vec![b'2'; 200];
    let mut input = b"220 mx\r\n".to_vec();
    input.extend_from_slice(&long);
    let mut fed = 0;
    let err = loop {
        match smtp.feed(input.get(fed..).unwrap_or_default()) {
            Ok((used, _)) => {
                assert!(used > 0, "no progress");
                fed += used;
                if matches!(smtp.phase(), Phase::Command) && smtp.in_flight() == 0 {
                    smtp.ehlo("c").unwrap();
                }
            }
            Err(err) => break err,
        }
    };
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 64 })
        ),
        "{err:?}"
    );
    assert!(matches!(smtp.feed(b"250 ok\r\n"), Err(Error::Broken)));
}

#[test]
fn too_many_lines_in_one_reply_is_an_error() {
    let mut smtp = Smtp::new(100, 3);
    let err = smtp
        .feed(b"220-a\r\n220-b\r\n220-c\r\n220 d\r\n")
        .unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ParseError::TooManyLines { limit: 3 })),
        "{err:?}"
    );
}

#[test]
fn a_reply_to_no_command_sent_is_refused() {
    let mut smtp = greeted();
    let err = smtp.feed(b"250 surprise\r\n").unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ParseError::Unsolicited { .. })),
        "{err:?}"
    );
    assert!(err.is_protocol_violation());
    // Also after the last expected reply, in the same buffer.
    let mut smtp = greeted();
    smtp.command(&Command::Noop).unwrap();
    let (used, event) = smtp.feed(b"250 ok\r\n250 more\r\n").unwrap();
    assert_eq!(used, 8);
    assert!(matches!(
        event,
        Some(Event::Reply {
            command: "NOOP",
            ..
        })
    ));
    assert!(smtp.feed(b"250 more\r\n").is_err());
}

#[test]
fn bytes_after_the_starttls_go_ahead_are_refused_as_injection() {
    let mut smtp = greeted();
    smtp.starttls().unwrap();
    assert_eq!(smtp.take_output(), b"STARTTLS\r\n");
    let input = b"220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n";
    let (used, event) = smtp.feed(input).unwrap();
    assert!(matches!(event, Some(Event::TlsReady(_))));
    assert_eq!(smtp.phase(), Phase::StartTls);
    let err = smtp.feed(&input[used..]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::BufferedAfterStartTls { bytes: 30 })
        ),
        "{err:?}"
    );
}

#[test]
fn starttls_forgets_capabilities_and_refuses_commands_until_the_handshake() {
    let mut smtp = greeted();
    assert!(smtp.capabilities().pipelining());
    smtp.starttls().unwrap();
    let (_, event) = smtp.feed(b"220 go\r\n").unwrap();
    assert!(matches!(event, Some(Event::TlsReady(_))));
    assert!(matches!(smtp.ehlo("c"), Err(Error::OutOfSequence(_))));
    smtp.tls_started();
    assert!(!smtp.capabilities().pipelining());
    smtp.ehlo("c").unwrap();
    assert_eq!(smtp.take_output(), b"STARTTLS\r\nEHLO c\r\n");
}

#[test]
fn message_data_before_354_and_commands_before_the_greeting_are_refused() {
    let mut smtp = Smtp::new(100, 10);
    assert!(matches!(smtp.ehlo("c"), Err(Error::OutOfSequence(_))));
    let mut smtp = greeted();
    assert!(matches!(smtp.data(b"x"), Err(Error::OutOfSequence(_))));
    assert!(matches!(
        smtp.command(&Command::Data),
        Err(Error::OutOfSequence(_))
    ));
    assert!(smtp.take_output().is_empty());
}

#[test]
fn debug_output_hides_queued_secrets() {
    let mut smtp = greeted();
    smtp.auth(Mechanism::Plain, "alice", &Secret::new("hunter2"))
        .unwrap();
    let shown = format!("{smtp:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("aHVudGVy"),
        "{shown}"
    );
}

/// As [`session_react`], but a call the core refuses (a message before
/// its envelope was accepted, say) is skipped: refusing is its job here.
fn react_ignoring_refusals(smtp: &mut Smtp, event: &Event) {
    let _ = match event {
        Event::Greeting(_) => smtp.ehlo("client.example"),
        Event::Hello(_) => {
            let envelope = Envelope::new("a@example", ["b@example", "x@example", "c@example"]);
            smtp.send_envelope(&envelope, None, true)
        }
        Event::Envelope(_) => smtp
            .data(b"Subject: t\n\n.hidden\n")
            .and_then(|()| smtp.data_end().map(drop)),
        Event::Message(_) => smtp.command(&Command::Quit),
        _ => Ok(()),
    };
}

/// A session's events and output from `input` cut at `cuts`, or the
/// error's text.
fn outcome(input: &[u8], cuts: &[usize]) -> Result<(Vec<Event>, Vec<u8>), String> {
    let mut smtp = Smtp::new(64, 8);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&input.len())) {
        let piece = input.get(start..end.max(start)).unwrap_or_default();
        start = end.max(start);
        let (more, more_out) =
            run(&mut smtp, piece, react_ignoring_refusals).map_err(|err| err.to_string())?;
        events.extend(more);
        out.extend(more_out);
    }
    Ok((events, out))
}

#[test]
fn mangled_sessions_never_panic_and_do_not_depend_on_chunking() {
    let clean = session_input();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..400 {
        let mut input = clean.clone();
        for _ in 0..(next() % 6) {
            let at = (next() as usize) % input.len();
            match next() % 4 {
                0 => input[at] = next() as u8,
                1 => {
                    input.remove(at);
                }
                2 => input.insert(at, b"\r\n-x 5"[(next() % 6) as usize]),
                _ => input
                    .splice(at..at, std::iter::repeat_n(b'2', 70))
                    .for_each(drop),
            }
        }
        let whole = outcome(&input, &[]);
        let mut cuts = vec![
            (next() as usize) % (input.len() + 1),
            (next() as usize) % (input.len() + 1),
        ];
        cuts.sort_unstable();
        assert_eq!(outcome(&input, &cuts), whole, "cuts {cuts:?} of {input:?}");
    }
}
