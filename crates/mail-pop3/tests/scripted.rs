//! The clients against scripted servers: each test body runs against the
//! blocking client and, with the `tokio` feature, the async one (see
//! `both/mod.rs`). Logins, the login chosen from the capabilities (issue
//! 10), the TRANSACTION commands, pipelining, and the hostile classes:
//! endless lines, stalls, bytes injected after STLS, a connection that
//! drops mid-body.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[macro_use]
mod both;

use both::{
    served, session, session_from, start, start_stream, Memory, TestClient, TestSession, LOGIN,
};
use mail_pop3::{
    Error, Limits, ListEntry, LoginMethod, Mechanism, MsgNum, Recording, Secret, Stat, Status,
};
use mail_wire::testing::ScriptedStream;

const GREETING: &str = "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\n";
const LOGIN_NO_PIPELINING: &str =
    "S: +OK ready\nC: CAPA\nS: +OK\nS: UIDL\nS: .\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n";

both!(
    user_pass_login_masks_the_password,
    wrong_password_gives_the_client_back_with_the_servers_words,
    apop_sends_the_rfc_digest,
    apop_without_timestamp_is_unsupported_and_sends_nothing,
    auth_plain_uses_an_initial_response,
    auth_plain_too_long_for_one_line_waits_for_the_challenge,
    auth_login_and_cram_md5_answer_challenges,
    xoauth2_error_challenge_is_cancelled_and_reported_as_rejection,
    auth_refuses_nul_in_the_password_before_sending,
    auth_mechanism_not_in_capa_is_unsupported,
    stls_missing_from_capa_sends_no_credentials,
    bytes_injected_after_the_stls_go_ahead_are_refused,
    capa_rejected_is_an_empty_set,
    greeting_that_is_not_ok_is_a_protocol_error,
    line_breaks_in_the_user_name_send_nothing,
    issue_10_post_stls_capa_with_only_sasl_plain_logs_in_with_auth_plain,
    issue_10_no_user_before_stls_means_tls_is_required_and_nothing_is_sent,
    issue_10_user_in_capa_keeps_user_pass,
    issue_10_capa_refused_falls_back_to_user_pass,
    issue_10_without_tls_cram_md5_is_preferred_and_login_follows_plain,
    issue_10_only_unknown_mechanisms_is_unsupported,
    stat_list_uidl_are_typed,
    retr_unstuffs_and_rejection_keeps_the_servers_text,
    malformed_listing_lines_are_protocol_errors,
    retr_many_pipelines_all_commands_before_reading,
    retr_many_without_pipelining_goes_in_lock_step,
    retr_many_keeps_a_window_of_commands_in_flight,
    a_connection_dropping_mid_message_abandons_only_that_message,
    a_connection_dropping_mid_body_keeps_what_arrived,
    replies_split_into_single_bytes_still_parse,
    a_body_that_never_ends_times_out,
    a_status_line_that_never_comes_times_out,
    an_endless_status_line_is_refused_at_the_limit,
    an_endless_body_line_is_refused_at_the_limit,
    body_echo_off_shows_one_note,
    dele_many_reports_a_rejection_after_reading_all_replies,
    every_prefix_of_a_listing_is_closed_never_a_wrong_answer,
    hostile_listings_hit_the_limits,
    a_reply_that_is_not_pop3_is_a_protocol_error,
    raw_listings_and_messages_are_read_to_the_end,
    raw_credentials_are_masked_but_sent,
    raw_line_breaks_and_empty_lines_are_refused_before_sending,
);

// ---- AUTHORIZATION ----

async fn user_pass_login_masks_the_password<C: TestClient>() {
    let script = format!("{GREETING}C: USER alice\nS: +OK\nC: PASS ********\nS: +OK Logged in.\n");
    let (client, stream, rec) = start::<C>(&script).await;
    let session = client.login("alice", &Secret::new("alice-secret")).await;
    assert!(session.is_ok());
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written()).contains("PASS alice-secret\r\n"));
    assert!(rec.lines().iter().all(|l| !l.contains("alice-secret")));
    assert!(rec.lines().contains(&"C: PASS ********".to_owned()));
}

async fn wrong_password_gives_the_client_back_with_the_servers_words<C: TestClient>() {
    let script = format!(
        "{GREETING}C: USER alice\nS: +OK\nC: PASS ********\nS: -ERR [AUTH] Authentication failed.\nC: QUIT\nS: +OK bye\n"
    );
    let (client, stream, _) = start::<C>(&script).await;
    let Err((err, client)) = client.login("alice", &Secret::new("wrong")).await else {
        panic!("the login must fail");
    };
    assert!(err.is_auth_failure());
    assert_eq!(err.reply().and_then(|r| r.code()), Some("AUTH"));
    assert_eq!(
        err.to_string(),
        "server rejected PASS: -ERR [AUTH] Authentication failed."
    );
    client.quit().await.unwrap();
    stream.assert_done();
}

async fn apop_sends_the_rfc_digest<C: TestClient>() {
    let script = format!("{GREETING}C: APOP mrose ********\nS: +OK maildrop has 1 message\n");
    let (client, stream, rec) = start::<C>(&script).await;
    assert!(client.apop("mrose", &Secret::new("tanstaaf")).await.is_ok());
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written())
        .contains("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"));
    assert_eq!(rec.lines().last().unwrap(), "S: +OK maildrop has 1 message");
    assert!(rec.lines().contains(&"C: APOP mrose ********".to_owned()));
}

async fn apop_without_timestamp_is_unsupported_and_sends_nothing<C: TestClient>() {
    let (client, stream, _) = start::<C>("S: +OK ready\n").await;
    let Err((err, _)) = client.apop("mrose", &Secret::new("x")).await else {
        panic!("APOP needs a timestamp");
    };
    assert!(matches!(err, Error::Unsupported(_)));
    assert!(stream.written().is_empty());
}

async fn auth_plain_uses_an_initial_response<C: TestClient>() {
    let script = format!("{GREETING}C: AUTH PLAIN ********\nS: +OK Logged in.\n");
    let (client, stream, _) = start::<C>(&script).await;
    let session = client
        .auth(Mechanism::Plain, "alice", &Secret::new("pw"))
        .await;
    assert!(session.is_ok());
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written()).contains("AUTH PLAIN AGFsaWNlAHB3\r\n"));
}

async fn auth_plain_too_long_for_one_line_waits_for_the_challenge<C: TestClient>() {
    let script = format!("{GREETING}C: AUTH PLAIN\nS: +\nC: ********\nS: +OK\n");
    let (client, stream, _) = start::<C>(&script).await;
    let session = client
        .auth(Mechanism::Plain, "alice", &Secret::new("p".repeat(300)))
        .await;
    assert!(session.is_ok());
    stream.assert_done();
}

async fn auth_login_and_cram_md5_answer_challenges<C: TestClient>() {
    let script = format!(
        "{GREETING}C: AUTH LOGIN\nS: + VXNlcm5hbWU6\nC: ********\nS: + UGFzc3dvcmQ6\nC: ********\nS: +OK\n"
    );
    let (client, stream, rec) = start::<C>(&script).await;
    let session = client
        .auth(Mechanism::Login, "alice", &Secret::new("pw"))
        .await;
    assert!(session.is_ok());
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written()).ends_with("YWxpY2U=\r\ncHc=\r\n"));
    assert!(rec.lines().contains(&"C: ********".to_owned()));

    let script = format!(
        "{GREETING}C: AUTH CRAM-MD5\nS: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\nC: ********\nS: +OK\n"
    );
    let (client, stream, _) = start::<C>(&script).await;
    let session = client
        .auth(Mechanism::CramMd5, "tim", &Secret::new("tanstaaftanstaaf"))
        .await;
    assert!(session.is_ok());
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written())
        .ends_with("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"));
}

async fn xoauth2_error_challenge_is_cancelled_and_reported_as_rejection<C: TestClient>() {
    let script = format!(
        "{GREETING}C: AUTH XOAUTH2 ********\nS: + eyJzdGF0dXMiOiI0MDEifQ==\nC: *\nS: -ERR [AUTH] Invalid token\n"
    );
    let (client, stream, _) = start::<C>(&script).await;
    let Err((err, _)) = client
        .auth(Mechanism::XOAuth2, "a@b", &Secret::new("expired"))
        .await
    else {
        panic!("the token is refused");
    };
    stream.assert_done();
    assert!(err.is_auth_failure(), "{err}");
    assert_eq!(
        err.to_string(),
        "server rejected AUTH: -ERR [AUTH] Invalid token"
    );
}

async fn auth_refuses_nul_in_the_password_before_sending<C: TestClient>() {
    let (client, stream, _) = start::<C>("S: +OK ready\n").await;
    let Err((err, _)) = client
        .auth(Mechanism::Plain, "alice", &Secret::new("p\0w"))
        .await
    else {
        panic!("NUL cannot travel in PLAIN");
    };
    assert!(err.is_invalid_input(), "{err}");
    assert!(stream.written().is_empty());
}

async fn auth_mechanism_not_in_capa_is_unsupported<C: TestClient>() {
    let script = format!("{GREETING}C: CAPA\nS: +OK\nS: SASL PLAIN\nS: .\n");
    let (mut client, stream, _) = start::<C>(&script).await;
    client.capa().await.unwrap();
    let Err((err, _)) = client
        .auth(Mechanism::CramMd5, "a", &Secret::new("b"))
        .await
    else {
        panic!("CRAM-MD5 is not offered");
    };
    assert!(matches!(err, Error::Unsupported("CRAM-MD5")));
    stream.assert_done();
}

async fn stls_missing_from_capa_sends_no_credentials<C: TestClient>() {
    let script = format!("{GREETING}C: CAPA\nS: +OK\nS: TOP\nS: USER\nS: .\n");
    let (client, stream, _) = start::<C>(&script).await;
    let Err(err) = client.stls(&stream).await else {
        panic!("STLS is not offered");
    };
    assert!(matches!(err, Error::Unsupported("STLS")));
    assert_eq!(err.to_string(), "the server does not offer STLS");
    stream.assert_done();
    assert_eq!(stream.written(), b"CAPA\r\n");
}

async fn bytes_injected_after_the_stls_go_ahead_are_refused<C: TestClient>() {
    let script = format!("{GREETING}C: CAPA\nS: +OK\nS: STLS\nS: .\nC: STLS\n");
    let stream =
        ScriptedStream::from_transcript(&script).then_serve(b"+OK Begin TLS\r\n+OK injected\r\n");
    let (client, _) = start_stream::<C>(&stream).await;
    let Err(err) = client.stls(&stream).await else {
        panic!("the injected reply must be refused");
    };
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::BufferedAfterStartTls { bytes: 14 })
        ),
        "{err}"
    );
}

async fn capa_rejected_is_an_empty_set<C: TestClient>() {
    let (mut client, _, _) =
        start::<C>(&format!("{GREETING}C: CAPA\nS: -ERR unknown command\n")).await;
    assert_eq!(client.capa().await.unwrap().names().count(), 0);
}

async fn greeting_that_is_not_ok_is_a_protocol_error<C: TestClient>() {
    for wire in [&b"-ERR go away\r\n"[..], b"* OK IMAP4rev1\r\n"] {
        let result = C::start(
            ScriptedStream::raw(wire),
            Limits::default(),
            &Recording::new(),
        )
        .await;
        assert!(matches!(result, Err(Error::Protocol(_))));
    }
    let stream = ScriptedStream::from_transcript(GREETING).one_byte_reads();
    let (client, _) = start_stream::<C>(&stream).await;
    assert_eq!(
        client.greeting().timestamp.as_deref(),
        Some("<1896.697170952@dbc.mtview.ca.us>")
    );
}

async fn line_breaks_in_the_user_name_send_nothing<C: TestClient>() {
    let (client, stream, _) = start::<C>(GREETING).await;
    let Err((err, _)) = client.login("alice\r\nDELE 1", &Secret::new("pw")).await else {
        panic!("CR LF in the user name");
    };
    assert!(matches!(err, Error::Invalid(_)));
    assert!(stream.written().is_empty());
}

// ---- The login chosen from the capabilities (issue 10) ----

/// Before TLS the server lists STLS only; after it, SASL PLAIN and no USER.
const STLS_THEN_SASL_PLAIN: &str = "S: +OK ready\n\
    C: CAPA\nS: +OK\nS: TOP\nS: STLS\nS: SASL\nS: .\n\
    C: STLS\nS: +OK Begin TLS\n\
    C: CAPA\nS: +OK\nS: TOP\nS: UIDL\nS: SASL PLAIN\nS: .\n";

async fn issue_10_post_stls_capa_with_only_sasl_plain_logs_in_with_auth_plain<C: TestClient>() {
    let script = format!("{STLS_THEN_SASL_PLAIN}C: AUTH PLAIN ********\nS: +OK Logged in.\n");
    let (client, stream, _) = start::<C>(&script).await;
    let upgraded = client.stls(&stream).await.unwrap();
    assert_eq!(
        upgraded.choose_login(true).unwrap(),
        LoginMethod::Sasl(Mechanism::Plain)
    );
    assert!(upgraded
        .login_auto("alice", &Secret::new("pw"))
        .await
        .is_ok());
    stream.assert_done();
    let written = String::from_utf8(stream.written()).unwrap();
    assert!(written.contains("AUTH PLAIN AGFsaWNlAHB3\r\n"), "{written}");
    assert!(
        !written.contains("USER"),
        "USER must never be sent: {written}"
    );
    assert!(
        !written.contains("alice"),
        "no user name in clear: {written}"
    );
}

async fn issue_10_no_user_before_stls_means_tls_is_required_and_nothing_is_sent<C: TestClient>() {
    let (mut c, stream, _) =
        start::<C>("S: +OK ready\nC: CAPA\nS: +OK\nS: TOP\nS: STLS\nS: SASL\nS: .\n").await;
    c.capa().await.unwrap();
    let Err((err, _)) = c.login_auto("alice", &Secret::new("pw")).await else {
        panic!("TLS is required");
    };
    assert!(matches!(err, Error::TlsRequired), "{err}");
    stream.assert_done();
    assert_eq!(stream.written(), b"CAPA\r\n");
}

async fn issue_10_user_in_capa_keeps_user_pass<C: TestClient>() {
    let stream = ScriptedStream::from_transcript(
        "S: +OK ready\nC: CAPA\nS: +OK\nS: USER\nS: SASL PLAIN\nS: .\nC: USER alice\nS: +OK\nC: PASS ********\nS: +OK\n",
    )
    .encrypted();
    let (client, _) = start_stream::<C>(&stream).await;
    assert!(client.login_auto("alice", &Secret::new("pw")).await.is_ok());
    stream.assert_done();
}

async fn issue_10_capa_refused_falls_back_to_user_pass<C: TestClient>() {
    let stream = ScriptedStream::from_transcript(
        "S: +OK ready\nC: CAPA\nS: -ERR unknown command\nC: USER alice\nS: +OK\nC: PASS ********\nS: +OK\n",
    )
    .encrypted();
    let (client, _) = start_stream::<C>(&stream).await;
    assert!(client.login_auto("alice", &Secret::new("pw")).await.is_ok());
    stream.assert_done();
}

async fn issue_10_without_tls_cram_md5_is_preferred_and_login_follows_plain<C: TestClient>() {
    let table: &[(&str, bool, Mechanism)] = &[
        ("SASL PLAIN LOGIN CRAM-MD5", false, Mechanism::CramMd5),
        ("SASL PLAIN LOGIN CRAM-MD5", true, Mechanism::Plain),
        ("SASL CRAM-MD5 LOGIN", true, Mechanism::Login),
        ("SASL XOAUTH2 CRAM-MD5", true, Mechanism::CramMd5),
    ];
    for (sasl, tls, expected) in table {
        let (mut c, _, _) =
            start::<C>(&format!("S: +OK ready\nC: CAPA\nS: +OK\nS: {sasl}\nS: .\n")).await;
        c.capa().await.unwrap();
        assert_eq!(
            c.choose_login(*tls).unwrap(),
            LoginMethod::Sasl(*expected),
            "{sasl} tls={tls}"
        );
    }
}

async fn issue_10_only_unknown_mechanisms_is_unsupported<C: TestClient>() {
    let stream =
        ScriptedStream::from_transcript("S: +OK ready\nC: CAPA\nS: +OK\nS: SASL GSSAPI\nS: .\n")
            .encrypted();
    let (client, _) = start_stream::<C>(&stream).await;
    let Err((err, back)) = client.login_auto("alice", &Secret::new("pw")).await else {
        panic!("no usable mechanism");
    };
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    assert_eq!(back.capabilities().unwrap().sasl_mechanisms(), ["GSSAPI"]);
    stream.assert_done();
}

// ---- TRANSACTION ----

async fn stat_list_uidl_are_typed<C: TestClient>() {
    let script = format!(
        "{LOGIN}C: STAT\nS: +OK 2 320\nC: LIST\nS: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\n\
         C: LIST 2\nS: +OK 2 200\nC: UIDL\nS: +OK\nS: 1 whqtswO00WBw418f9t5JxYwZ\nS: 2 QhdPYR:00WBw1Ph7x7\nS: .\n\
         C: UIDL 1\nS: +OK 1 whqtswO00WBw418f9t5JxYwZ\nC: DELE 1\nS: +OK\nC: NOOP\nS: +OK\nC: RSET\nS: +OK\nC: QUIT\nS: +OK bye\n"
    );
    let (mut s, stream, _) = session::<C>(&script).await;
    assert_eq!(
        s.stat().await.unwrap(),
        Stat {
            count: 2,
            size: 320
        }
    );
    assert_eq!(
        s.list().await.unwrap(),
        [
            ListEntry {
                msg: MsgNum(1),
                size: 120
            },
            ListEntry {
                msg: MsgNum(2),
                size: 200
            }
        ]
    );
    assert_eq!(s.list_one(MsgNum(2)).await.unwrap().size, 200);
    let uidl = s.uidl().await.unwrap();
    assert_eq!(uidl[1].uid, "QhdPYR:00WBw1Ph7x7");
    assert_eq!(
        s.uidl_one(MsgNum(1)).await.unwrap().uid,
        "whqtswO00WBw418f9t5JxYwZ"
    );
    s.dele(MsgNum(1)).await.unwrap();
    s.noop().await.unwrap();
    s.rset().await.unwrap();
    assert_eq!(s.quit().await.unwrap().text, "bye");
    stream.assert_done();
}

async fn retr_unstuffs_and_rejection_keeps_the_servers_text<C: TestClient>() {
    let script = format!(
        "{LOGIN}C: RETR 1\nS: +OK 10 octets\nS: ..dot\nS: body\nS: .\nC: RETR 9\nS: -ERR no such message\n\
         C: TOP 1 0\nS: +OK\nS: Subject: x\nS: \nS: .\nC: NOOP\nS: +OK\n"
    );
    let (mut s, stream, _) = session::<C>(&script).await;
    let mut out = Vec::new();
    assert_eq!(s.retr(MsgNum(1), &mut out).await.unwrap(), 12);
    assert_eq!(out, b".dot\r\nbody\r\n");
    let err = s.retr(MsgNum(9), &mut Vec::new()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "server rejected RETR: -ERR no such message"
    );
    let mut head = Vec::new();
    s.top(MsgNum(1), 0, &mut head).await.unwrap();
    assert_eq!(head, b"Subject: x\r\n\r\n");
    // A rejection leaves the session usable.
    s.noop().await.unwrap();
    stream.assert_done();
}

async fn malformed_listing_lines_are_protocol_errors<C: TestClient>() {
    let script = format!("{LOGIN}C: LIST\nS: +OK\nS: one 120\nS: .\n");
    let (mut s, _, _) = session::<C>(&script).await;
    assert!(matches!(s.list().await, Err(Error::Protocol(_))));
}

async fn retr_many_pipelines_all_commands_before_reading<C: TestClient>() {
    let script = format!(
        "{LOGIN}C: RETR 1\nC: RETR 2\nC: RETR 3\nS: +OK\nS: one\nS: .\nS: -ERR gone\nS: +OK\nS: ..three\nS: .\n"
    );
    let (mut s, stream, _) = session::<C>(&script).await;
    let mut sink = Memory::default();
    let rejected = s
        .retr_many(&[MsgNum(1), MsgNum(2), MsgNum(3)], &mut sink)
        .await
        .unwrap();
    assert_eq!(
        sink.done,
        [
            (MsgNum(1), b"one\r\n".to_vec()),
            (MsgNum(3), b".three\r\n".to_vec())
        ]
    );
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].0, MsgNum(2));
    stream.assert_done();
}

async fn retr_many_without_pipelining_goes_in_lock_step<C: TestClient>() {
    let script = format!(
        "{LOGIN_NO_PIPELINING}C: RETR 1\nS: +OK\nS: one\nS: .\nC: RETR 2\nS: +OK\nS: two\nS: .\n"
    );
    let (mut s, stream, _) = session::<C>(&script).await;
    let mut sink = Memory::default();
    s.retr_many(&[MsgNum(1), MsgNum(2)], &mut sink)
        .await
        .unwrap();
    assert_eq!(sink.done.len(), 2);
    stream.assert_done();
}

async fn retr_many_keeps_a_window_of_commands_in_flight<C: TestClient>() {
    let n = 300u32;
    let mut script = String::from(LOGIN);
    // The first window (128) goes out at once; afterwards each refill is
    // sent when half the window has been answered.
    let mut sent = 0u32;
    let window = 128u32;
    for done in 0..n {
        if sent == done || (sent < n && sent - done <= window / 2) {
            while sent < n && sent - done < window {
                sent += 1;
                script.push_str(&format!("C: RETR {sent}\n"));
            }
        }
        script.push_str(&format!("S: +OK\nS: message {}\nS: .\n", done + 1));
    }
    let (mut s, stream, _) = session::<C>(&script).await;
    let msgs: Vec<MsgNum> = (1..=n).map(MsgNum).collect();
    let mut sink = Memory::default();
    s.retr_many(&msgs, &mut sink).await.unwrap();
    assert_eq!(sink.done.len(), n as usize);
    assert_eq!(sink.done[299].1, b"message 300\r\n");
    stream.assert_done();
}

async fn a_connection_dropping_mid_message_abandons_only_that_message<C: TestClient>() {
    let script = format!("{LOGIN}C: RETR 1\nC: RETR 2\n");
    let stream = ScriptedStream::from_transcript(&script)
        .then_serve(b"+OK\r\none\r\n.\r\n+OK\r\nhalf of tw");
    let (mut s, _) = session_from::<C>(&stream).await;
    let mut sink = Memory::default();
    let err = s
        .retr_many(&[MsgNum(1), MsgNum(2)], &mut sink)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::Closed)),
        "{err}"
    );
    assert_eq!(sink.done.len(), 1);
    assert_eq!(sink.abandoned, [MsgNum(2)]);
}

async fn a_connection_dropping_mid_body_keeps_what_arrived<C: TestClient>() {
    let script = format!("{LOGIN}C: RETR 1\n");
    let stream = ScriptedStream::from_transcript(&script)
        .then_serve(b"+OK\r\nline one\r\n..line two\r\nline thr");
    let (mut s, _) = session_from::<C>(&stream).await;
    let mut out = Vec::new();
    let err = s.retr(MsgNum(1), &mut out).await.unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::Closed)),
        "{err}"
    );
    assert!(err.is_wire() && err.is_transient());
    assert!(out.starts_with(b"line one\r\n.line two\r\n"), "{out:?}");
}

async fn replies_split_into_single_bytes_still_parse<C: TestClient>() {
    let script = format!("{LOGIN}C: STAT\nS: +OK 1 5\nC: RETR 1\nS: +OK\nS: ..a\nS: b\nS: .\n");
    let stream = ScriptedStream::from_transcript(&script).one_byte_reads();
    let (mut s, _) = session_from::<C>(&stream).await;
    assert_eq!(s.stat().await.unwrap().count, 1);
    let mut out = Vec::new();
    s.retr(MsgNum(1), &mut out).await.unwrap();
    assert_eq!(out, b".a\r\nb\r\n");
    stream.assert_done();
}

async fn a_body_that_never_ends_times_out<C: TestClient>() {
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: line\n");
    let stream = ScriptedStream::from_transcript(&script).stall_after(served(&script));
    let (mut s, _) = session_from::<C>(&stream).await;
    let mut out = Vec::new();
    let err = s.retr(MsgNum(1), &mut out).await.unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::Timeout)),
        "{err}"
    );
    assert!(err.is_wire() && err.is_transient());
    assert_eq!(out, b"line\r\n");
}

async fn a_status_line_that_never_comes_times_out<C: TestClient>() {
    let script = format!("{LOGIN}C: STAT\nS: +OK 1");
    let stream = ScriptedStream::from_transcript(&script).stall_after(served(&script) - 2);
    let (mut s, _) = session_from::<C>(&stream).await;
    let err = s.stat().await.unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::Timeout)),
        "{err}"
    );
}

async fn an_endless_status_line_is_refused_at_the_limit<C: TestClient>() {
    let stream = ScriptedStream::from_transcript(LOGIN)
        .then_expect(b"STAT\r\n")
        .then_serve(format!("+OK {}", "9".repeat(200_000)).as_bytes());
    let (mut s, _) = session_from::<C>(&stream).await;
    s.set_limits(Limits {
        max_line: 1000,
        max_literal: 1 << 20,
    });
    let err = s.stat().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 1000 })
        ),
        "{err}"
    );
    assert!(err.is_protocol_violation());
}

async fn an_endless_body_line_is_refused_at_the_limit<C: TestClient>() {
    let stream = ScriptedStream::from_transcript(LOGIN)
        .then_expect(b"RETR 1\r\n")
        .then_serve(b"+OK\r\nfirst\r\n")
        .then_serve(&vec![b'x'; 200_000]);
    let (mut s, _) = session_from::<C>(&stream).await;
    s.set_limits(Limits {
        max_line: 1000,
        max_literal: 1 << 20,
    });
    let mut out = Vec::new();
    let err = s.retr(MsgNum(1), &mut out).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 1000 })
        ),
        "{err}"
    );
    assert!(out.len() < 2000, "{} bytes passed on", out.len());
}

async fn body_echo_off_shows_one_note<C: TestClient>() {
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: secret body\nS: .\n");
    let (mut s, _, rec) = session::<C>(&script).await;
    s.set_body_echo(false);
    s.retr(MsgNum(1), &mut Vec::new()).await.unwrap();
    let lines = rec.lines();
    assert!(!lines.iter().any(|l| l.contains("secret body")));
    assert_eq!(
        &lines[lines.len() - 3..],
        ["S: +OK", "S: <message: 13 bytes>", "S: ."]
    );
}

async fn dele_many_reports_a_rejection_after_reading_all_replies<C: TestClient>() {
    let script =
        format!("{LOGIN}C: DELE 1\nC: DELE 2\nS: -ERR already deleted\nS: +OK\nC: QUIT\nS: +OK\n");
    let (mut s, stream, _) = session::<C>(&script).await;
    let err = s.dele_many(&[MsgNum(1), MsgNum(2)]).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "server rejected DELE: -ERR already deleted"
    );
    s.quit().await.unwrap();
    stream.assert_done();
}

async fn every_prefix_of_a_listing_is_closed_never_a_wrong_answer<C: TestClient>() {
    let reply = "S: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\n";
    let full = format!("{LOGIN}C: LIST\n{reply}");
    for cut in 0..served(reply) {
        let stream = ScriptedStream::from_transcript(&full).eof_after(served(LOGIN) + cut);
        let (mut s, _) = session_from::<C>(&stream).await;
        let result = s.list().await;
        assert!(
            matches!(result, Err(Error::Wire(mail_wire::Error::Closed))),
            "cut at {cut}: {result:?}"
        );
    }
    let (mut s, _, _) = session::<C>(&full).await;
    assert_eq!(s.list().await.unwrap().len(), 2);
}

async fn hostile_listings_hit_the_limits<C: TestClient>() {
    let long = "9".repeat(70_000);
    let script = format!("{LOGIN}C: UIDL\nS: +OK\nS: 1 {long}\nS: .\n");
    let (mut s, _, _) = session::<C>(&script).await;
    assert!(matches!(
        s.uidl().await,
        Err(Error::Wire(mail_wire::Error::LineTooLong { .. }))
    ));

    let small = Limits {
        max_line: 1000,
        max_literal: 1000,
    };
    let many = "S: 1 abc\n".repeat(200);
    let script = format!("{LOGIN}C: UIDL\nS: +OK\n{many}S: .\n");
    let (mut s, _, _) = session::<C>(&script).await;
    s.set_limits(small);
    assert!(matches!(
        s.uidl().await,
        Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
            limit: 1000,
            ..
        }))
    ));

    let script = format!("{LOGIN}C: RETR 1\nS: +OK\n{many}S: .\n");
    let (mut s, _, _) = session::<C>(&script).await;
    s.set_limits(small);
    let mut out = Vec::new();
    assert!(matches!(
        s.retr(MsgNum(1), &mut out).await,
        Err(Error::Wire(mail_wire::Error::LiteralTooLarge { .. }))
    ));
    assert!(out.len() <= 1000);
}

async fn a_reply_that_is_not_pop3_is_a_protocol_error<C: TestClient>() {
    let script = format!("{LOGIN}C: STAT\nS: * OK this is IMAP\n");
    let (mut s, _, _) = session::<C>(&script).await;
    let err = s.stat().await.unwrap_err();
    assert!(err.is_protocol_violation(), "{err}");
    assert_eq!(
        err.to_string(),
        "malformed POP3 reply: expected +OK or -ERR, got \"* OK this is IMAP\""
    );
    let script = format!("{LOGIN}C: STAT\nS: +OK lots\n");
    let (mut s, _, _) = session::<C>(&script).await;
    assert!(matches!(s.stat().await, Err(Error::Protocol(_))));
}

// ---- Console mode ----

/// A login without CAPA, as the console does when asked to.
const PLAIN_LOGIN: &str = "S: +OK ready\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n";

async fn console<C: TestClient>(script: &str) -> (C::Session, ScriptedStream, Recording) {
    let (client, stream, rec) = start::<C>(&format!("{PLAIN_LOGIN}{script}")).await;
    let session = client
        .login("a", &Secret::new("pw"))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    (session, stream, rec)
}

async fn raw_listings_and_messages_are_read_to_the_end<C: TestClient>() {
    let (mut s, stream, rec) = console::<C>(
        "C: list\nS: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\nC: retr 1\nS: +OK\nS: ..x\nS: y\nS: .\n\
         C: list 1\nS: +OK 1 120\nC: retr 7\nS: -ERR no such message\nC: quit\nS: +OK bye\n",
    )
    .await;
    let r = s.raw("list", &mut Vec::new()).await.unwrap();
    assert_eq!((r.reply.is_ok(), r.body_size), (true, Some(14)));
    let mut out = Vec::new();
    let r = s.raw("retr 1", &mut out).await.unwrap();
    assert_eq!(
        (out.as_slice(), r.body_size),
        (&b".x\r\ny\r\n"[..], Some(7))
    );
    assert_eq!(
        s.raw("list 1", &mut Vec::new()).await.unwrap().body_size,
        None
    );
    let r = s.raw("retr 7", &mut Vec::new()).await.unwrap();
    assert_eq!((r.reply.status, r.body_size), (Status::Err, None));
    assert!(s.raw("quit", &mut Vec::new()).await.unwrap().closed);
    stream.assert_done();
    let lines = rec.lines();
    assert!(lines.contains(&"S: 2 200".to_owned()) && lines.contains(&"S: ..x".to_owned()));
}

async fn raw_credentials_are_masked_but_sent<C: TestClient>() {
    let (mut s, stream, rec) = console::<C>(
        "C: pass hunter2\nS: -ERR already logged in\nC: AUTH LOGIN\nS: + VXNlcm5hbWU6\nC: ********\nS: -ERR no\n",
    )
    .await;
    s.raw("pass hunter2", &mut Vec::new()).await.unwrap();
    let challenge = s.raw("AUTH LOGIN", &mut Vec::new()).await.unwrap();
    assert_eq!(challenge.reply.status, Status::Continue);
    let answer = s.raw("YWxpY2U=", &mut Vec::new()).await.unwrap();
    assert_eq!(answer.reply.status, Status::Err);
    stream.assert_done();
    assert!(String::from_utf8_lossy(&stream.written()).contains("pass hunter2\r\n"));
    let shown = rec.lines().join("\n");
    assert!(
        !shown.contains("hunter2") && !shown.contains("YWxpY2U="),
        "{shown}"
    );
    assert!(shown.contains("C: pass ********"));
}

async fn raw_line_breaks_and_empty_lines_are_refused_before_sending<C: TestClient>() {
    let (mut s, stream, _) = console::<C>("C: NOOP\nS: +OK\n").await;
    for line in ["list\r\ndele 1", "noop\n", "", "   "] {
        assert!(
            matches!(s.raw(line, &mut Vec::new()).await, Err(Error::Invalid(_))),
            "{line:?}"
        );
    }
    // Nothing was sent, and the session goes on.
    s.noop().await.unwrap();
    stream.assert_done();
}
