//! The client against scripted in-memory servers: edge cases and hostile input.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use mail_imap::{
    default_limits, Client, Code, Error, NString, SequenceSet, Session, Status, Uid, Untagged,
};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Recording, Secret};

#[allow(unused_imports)]
use std::sync::atomic::{AtomicBool, Ordering};
#[allow(unused_imports)]
use std::sync::Arc;

fn client(stream: ScriptedStream) -> Client<ScriptedStream> {
    Client::new(Connection::new(stream, default_limits())).unwrap()
}

fn logged_in(script: &str) -> (Session<ScriptedStream>, ScriptedStream) {
    let full = format!(
        "S: * OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] ready\n\
         C: a1 LOGIN alice \"pw\"\n\
         S: a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS NAMESPACE] hi\n{script}"
    );
    let stream = ScriptedStream::from_transcript(&full);
    let session = client(stream.clone())
        .login("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
    (session, stream)
}

const SELECT: &str =
    "C: a2 SELECT INBOX\nS: * 3 EXISTS\nS: * OK [UIDVALIDITY 42] v\nS: a2 OK [READ-WRITE] done\n";

#[test]
fn authenticate_plain_refuses_nul_in_the_user_name_before_sending() {
    let stream = ScriptedStream::from_transcript(
        "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\n",
    );
    let (err, _) = client(stream.clone())
        .authenticate_plain("ali\0ce", &Secret::new("pw"))
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "cannot send the command: the user name holds a character SASL uses as a separator at byte 3");
    assert!(stream.written().is_empty());
}

#[test]
fn a_literal_over_a_small_limit_is_refused_in_a_stream_too() {
    let script = format!("{SELECT}C: a3 FETCH 1 BODY[]\nS: * 1 FETCH (BODY[] {{2000}}\n");
    let (mut s, _stream) = logged_in(&script);
    s.connection().set_limits(Limits {
        max_line: 1000,
        max_literal: 1000,
    });
    let mut inbox = s.select("INBOX").map_err(|(e, _)| e).unwrap();
    let mut events = inbox
        .fetch_stream(&SequenceSet::single(1), "BODY[]")
        .unwrap();
    assert!(matches!(
        events.next(),
        Err(Error::TooLarge {
            size: 2000,
            limit: 1000
        })
    ));
}

#[test]
fn bye_keeps_its_code_and_is_escaped() {
    let (s, _stream) = logged_in("C: a2 SELECT INBOX\nS: * BYE [UNAVAILABLE] \x1b[31mdown\n");
    let (err, _) = s.select("INBOX").err().unwrap();
    assert_eq!(
        err.to_string(),
        "server closed the connection: BYE [UNAVAILABLE] \\x1b[31mdown"
    );
}

#[test]
fn idle_time_limit_sends_done() {
    let script = format!("{SELECT}C: a3 IDLE\nS: + idling\nC: DONE\nS: a3 OK IDLE terminated\n");
    let (s, stream) = logged_in(&script);
    let mut inbox = s.select("INBOX").map_err(|(e, _)| e).unwrap();
    let out = inbox.idle(Duration::ZERO, |_| true, || false).unwrap();
    assert!(out.timed_out);
    stream.assert_done();
}

// Issue 10: the login is chosen from the capabilities seen after TLS.

#[test]
fn issue_10_capabilities_after_starttls_decide_the_login() {
    let stream = ScriptedStream::from_transcript(
        "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\nC: a1 STARTTLS\nS: a1 OK go\n\
         C: a2 CAPABILITY\nS: * CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN\nS: a2 OK done\n\
         C: a3 AUTHENTICATE PLAIN\nS: +\nC: ********\nS: a3 OK [CAPABILITY IMAP4rev1] hi\n",
    );
    let upgraded = client(stream.clone())
        .starttls_with(|_| {
            // Clones share the script's state: the stream now reports TLS.
            let _ = stream.clone().encrypted();
            Ok(())
        })
        .unwrap();
    upgraded
        .login_auto("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
    stream.assert_done();
}

// Issue 10: modified UTF-7 is for mailbox names only; non-ASCII search text
// goes as a literal with CHARSET UTF-8.

#[test]
fn issue_10_library_search_with_korean_text_is_a_literal_with_charset() {
    let (s, stream) = logged_in(&format!(
        "{SELECT}C: a3 SEARCH CHARSET UTF-8 SUBJECT {{6}}\nS: + go on\nC: 안녕 UNSEEN\nS: * SEARCH 1\nS: a3 OK done\n"
    ));
    let mut selected = s.select("INBOX").map_err(|(e, _)| e).unwrap();
    assert_eq!(selected.search("SUBJECT 안녕 UNSEEN").unwrap(), [1]);
    stream.assert_done();
}

#[test]
fn issue_10_with_utf8_accept_search_text_is_quoted_without_charset() {
    let stream = ScriptedStream::from_transcript(
        "S: * OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] ready\nC: a1 LOGIN alice \"pw\"\n\
         S: a1 OK [CAPABILITY IMAP4rev1 ENABLE UTF8=ACCEPT] hi\n\
         C: a2 ENABLE UTF8=ACCEPT\nS: * ENABLED UTF8=ACCEPT\nS: a2 OK enabled\n\
         C: a3 SELECT INBOX\nS: * 1 EXISTS\nS: a3 OK [READ-WRITE] done\n\
         C: a4 SEARCH SUBJECT \"안녕\"\nS: * SEARCH 1\nS: a4 OK done\n",
    );
    let session = client(stream.clone())
        .login("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
    let mut selected = session.select("INBOX").map_err(|(e, _)| e).unwrap();
    assert_eq!(selected.search("SUBJECT 안녕").unwrap(), [1]);
    stream.assert_done();
}

// The tests below run once against the blocking client and once against the
// async one (feature `tokio`), from one body: see `clients/mod.rs`.

mod clients;

both! {
    async fn logged_in(script: &str) -> (Session, ScriptedStream) {
        let full = format!(
            "S: * OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS] ready\n\
             C: a1 LOGIN alice \"pw\"\n\
             S: a1 OK [CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS NAMESPACE] hi\n{script}"
        );
        let stream = ScriptedStream::from_transcript(&full);
        let session = open(stream.clone())
            .await
            .unwrap()
            .login("alice", &Secret::new("pw"))
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        (session, stream)
    }

    async fn selected(script: &str) -> (Selected, ScriptedStream) {
        let (s, stream) = logged_in(&format!("{SELECT}{script}")).await;
        let inbox = s.select("INBOX").await.map_err(|(e, _)| e).unwrap();
        (inbox, stream)
    }

    fn no_upgrade() -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(false))
    }

    #[test]
    fn the_original_scripts_session_runs_through_the_console_with_complete_replies() {
        run(async {
            let script = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fixtures/imap/naver-original-script.txt"
            ))
            .unwrap();
            let stream = ScriptedStream::from_transcript(&script).one_byte_reads();
            let rec = Recording::new();
            let session = open_with(stream.clone(), default_limits(), Some(rec.clone()))
                .await
                .unwrap()
                .login("myid", &Secret::new("naver-pw"))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            let mut console = session.into_console();
            let mut replies = Vec::new();
            for line in [
                "list \"\" \"*\"",
                "select inbox",
                "fetch 1:* flags",
                "fetch 1 body[]",
                "store 1 +flags \\deleted",
                "expunge",
            ] {
                let reply = console.execute(line).await.unwrap();
                assert!(reply.is_ok(), "{line}: {reply:?}");
                replies.push(reply);
            }
            let names: Vec<String> = replies[0]
                .untagged
                .iter()
                .filter_map(|u| match u {
                    Untagged::List(l) => Some(l.decoded_name()),
                    _ => None,
                })
                .collect();
            assert_eq!(
                names,
                ["INBOX", "보낸메일함", "임시보관함", "휴지통", "스팸메일함", "내게쓴메일함"]
            );
            assert_eq!(console.mailbox().uid_validity, Some(1_617_171_717));
            assert_eq!(console.mailbox().exists, 1);
            console.logout().await.unwrap();
            stream.assert_done();
            let lines = rec.lines();
            assert!(
                lines.contains(&"S: 7JWI64WV7ZWY7IS47JqULiDsnpgg7KeA64K07KeA7JqUPw==".to_string()),
                "the whole body is read"
            );
            assert!(!lines.iter().any(|l| l.contains("naver-pw")));
        })
    }

    #[test]
    fn console_keeps_a_typed_tag_and_masks_a_typed_login() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: x1 LOGIN \"my id\" ********\nS: x1 OK hi\nC: a1 NOOP\nS: * 2 EXISTS\nS: a1 OK done\n\
                 C: a2 SELECT nope\nS: a2 NO [NONEXISTENT] Mailbox doesn't exist: nope\n",
            );
            let rec = Recording::new();
            let c = open_with(stream.clone(), default_limits(), Some(rec.clone())).await.unwrap();
            let mut console = c.into_console();
            assert!(console.execute("x1 LOGIN \"my id\" s3cr3t pass").await.unwrap().is_ok());
            assert!(console.execute("NOOP").await.unwrap().is_ok());
            let reply = console.execute("SELECT nope").await.unwrap();
            assert_eq!(reply.tagged.unwrap().status, Status::No);
            stream.assert_done();
            assert!(rec.lines().contains(&"C: x1 LOGIN \"my id\" ********".to_string()));
            assert!(!rec.lines().iter().any(|l| l.contains("s3cr3t")));
        })
    }

    #[test]
    fn console_fetched_sections_are_written_byte_for_byte_in_order() {
        run(async {
            let (s, stream) = logged_in(
                "C: a2 fetch 1:2 body[]\nS: * 1 FETCH (BODY[] {4}\nS: hi\nS: )\nS: * 2 FETCH (FLAGS (\\Seen) BODY[] \"x\\\"y\")\n\
                 S: a2 OK done\n",
            )
            .await;
            let mut console = s.into_console();
            let (reply, fetched) = console.execute_parts(None, "fetch", "1:2 body[]").await.unwrap();
            assert!(reply.is_ok());
            assert_eq!(fetched, b"hi\r\nx\"y");
            stream.assert_done();
        })
    }

    #[test]
    fn issue_10_console_search_with_korean_text_is_a_literal_with_charset() {
        run(async {
            let (session, stream) = logged_in(&format!(
                "{SELECT}C: a3 SEARCH CHARSET UTF-8 subject {{6}}\nS: + go on\nC: 안녕\nS: * SEARCH 2 3\nS: a3 OK done\n\
                 C: x4 UID SEARCH CHARSET UTF-8 FROM {{3}}\nS: + go on\nC: 김 UNSEEN\nS: * SEARCH 7\nS: x4 OK done\n\
                 C: a4 SELECT &sLSsjMT0ulTHfNVo-\nS: a4 OK [READ-WRITE] done\n"
            ))
            .await;
            let mut console = session.into_console();
            assert!(console.execute("SELECT INBOX").await.unwrap().is_ok());
            let reply = console.execute("search subject 안녕").await.unwrap();
            assert!(reply.is_ok(), "{reply:?}");
            assert!(
                matches!(reply.untagged.as_slice(), [Untagged::Search { numbers, .. }] if numbers == &[2, 3]),
                "{reply:?}"
            );
            assert!(console.execute("x4 uid search FROM 김 UNSEEN").await.unwrap().is_ok());
            assert!(console.execute("SELECT 내게쓴메일함").await.unwrap().is_ok());
            stream.assert_done();
            let written = String::from_utf8(stream.written()).unwrap();
            assert!(!written.contains("&1UjVbQ"), "no modified UTF-7 for 안녕: {written}");
        })
    }

    #[test]
    fn issue_10_console_search_literal_refused_is_a_reply() {
        run(async {
            let (session, stream) = logged_in(&format!(
                "{SELECT}C: a3 SEARCH CHARSET UTF-8 subject {{6}}\nS: a3 NO [BADCHARSET (US-ASCII)] no\n"
            ))
            .await;
            let mut console = session.into_console();
            assert!(console.execute("SELECT INBOX").await.unwrap().is_ok());
            let reply = console.execute("search subject 안녕").await.unwrap();
            assert_eq!(reply.tagged.unwrap().status, Status::No);
            stream.assert_done();
        })
    }

    #[test]
    fn bye_mid_session_is_reported_with_its_text() {
        run(async {
            let (s, _stream) = logged_in("C: a2 SELECT INBOX\nS: * BYE Server shutting down\n").await;
            let (err, _) = s.select("INBOX").await.err().unwrap();
            assert_eq!(err.to_string(), "server closed the connection: BYE Server shutting down");
        })
    }

    /// Issue 10: an error sentence keeps the response code and escapes every
    /// control character the server put in its text.
    #[test]
    fn rejection_keeps_the_code_and_escapes_control_characters() {
        run(async {
            let (s, _stream) = logged_in(
                "C: a2 SELECT INBOX\nS: a2 NO [NONEXISTENT] \x1b]0;owned\x07 \u{9b}2J gone\n",
            )
            .await;
            let (err, _) = s.select("INBOX").await.err().unwrap();
            assert_eq!(
                err.to_string(),
                "server rejected SELECT: NO [NONEXISTENT] \\x1b]0;owned\\x07 \\x9b2J gone"
            );
        })
    }

    #[test]
    fn a_tagged_reply_with_another_tag_is_an_error() {
        run(async {
            let (mut s, _stream) = logged_in("C: a2 NOOP\nS: a1 OK stale\n").await;
            let err = s.noop().await.unwrap_err();
            assert!(
                matches!(&err, Error::UnexpectedTag { expected, got } if expected == "a2" && got == "a1")
            );
            assert_eq!(err.to_string(), "server answered tag a1 while tag a2 was pending");
        })
    }

    #[test]
    fn referrals_are_reported_not_followed() {
        run(async {
            let (s, stream) = logged_in(
                "C: a2 SELECT INBOX\nS: a2 NO [REFERRAL IMAP://bob@other.example/INBOX] go there\n",
            )
            .await;
            let (err, _) = s.select("INBOX").await.err().unwrap();
            assert!(matches!(&err, Error::Referral { url, .. } if url == "IMAP://bob@other.example/INBOX"));
            stream.assert_done();
        })
    }

    #[test]
    fn control_characters_in_user_text_never_reach_the_wire() {
        run(async {
            let (mut s, stream) = logged_in("").await;
            assert!(matches!(s.create("a\r\nA1 DELETE INBOX").await, Err(Error::Invalid(_))));
            assert!(matches!(s.status("x", &["MESSAGES)\r\nX"]).await, Err(Error::Invalid(_))));
            stream.assert_done();
        })
    }

    #[test]
    fn a_malformed_response_names_what_was_expected() {
        run(async {
            let (mut s, _stream) = logged_in("C: a2 NOOP\nS: * 3 FETCH (UID abc)\n").await;
            let err = s.noop().await.unwrap_err();
            assert_eq!(
                err.to_string(),
                "server broke the IMAP protocol: expected a number at byte 15 of the response, found \"abc)\\x0d\\x0a\""
            );
        })
    }

    #[test]
    fn issue_10_capabilities_are_asked_when_the_greeting_has_none() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: a1 CAPABILITY\nS: * CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=LOGIN AUTH=CRAM-MD5\nS: a1 OK done\n\
                 C: a2 AUTHENTICATE LOGIN\nS: + VXNlcm5hbWU6\nC: ********\nS: + UGFzc3dvcmQ6\nC: ********\n\
                 S: a2 OK [CAPABILITY IMAP4rev1] hi\n",
            )
            .encrypted();
            let c = open(stream.clone()).await.unwrap();
            c.login_auto("alice", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
            assert!(String::from_utf8(stream.written()).unwrap().ends_with("YWxpY2U=\r\ncHc=\r\n"));
        })
    }

    #[test]
    fn issue_10_without_logindisabled_login_is_used() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\nC: a1 LOGIN alice \"pw\"\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            )
            .encrypted();
            let c = open(stream.clone()).await.unwrap();
            c.login_auto("alice", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn issue_10_a_mechanism_not_offered_is_unsupported_and_sends_nothing() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] ready\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, back) = c
                .authenticate(mail_imap::Mechanism::CramMd5, "a", &Secret::new("b"))
                .await
                .err()
                .unwrap();
            assert!(matches!(err, Error::Unsupported("CRAM-MD5")), "{err}");
            assert_eq!(back.auth_mechanisms(), ["PLAIN", "LOGIN"]);
            assert!(stream.written().is_empty());
        })
    }

    #[test]
    fn issue_10_cram_md5_answers_the_rfc_2195_challenge() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] ready\nC: a1 AUTHENTICATE CRAM-MD5\n\
                 S: + PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\nC: ********\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let c = open(stream.clone()).await.unwrap();
            c.authenticate(mail_imap::Mechanism::CramMd5, "tim", &Secret::new("tanstaaftanstaaf"))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            stream.assert_done();
            assert!(String::from_utf8(stream.written())
                .unwrap()
                .ends_with("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"));
        })
    }

    #[test]
    fn issue_10_xoauth2_error_challenge_is_answered_empty_and_decoded_in_the_error() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\nC: a1 AUTHENTICATE XOAUTH2 ********\n\
                 S: + eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIn0=\nC:\nS: a1 NO [AUTHENTICATIONFAILED] Invalid credentials\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, _) = c
                .authenticate_xoauth2("a@gmail.com", &Secret::new("expired"))
                .await
                .err()
                .unwrap();
            stream.assert_done();
            assert!(err.is_auth_failure(), "{err}");
            assert!(matches!(err, Error::SaslRejected { mechanism: "XOAUTH2", .. }), "{err}");
            let text = err.to_string();
            assert!(text.starts_with("server rejected AUTHENTICATE XOAUTH2: NO"), "{text}");
            assert!(text.contains(r#"{"status":"401","schemes":"Bearer"}"#), "{text}");
        })
    }

    #[test]
    fn issue_10_an_extra_challenge_to_plain_is_cancelled() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\nC: a1 AUTHENTICATE PLAIN ********\nS: + more?\nC: *\n\
                 S: a1 BAD [AUTHENTICATIONFAILED] cancelled\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, _) = c.authenticate_plain("alice", &Secret::new("pw")).await.err().unwrap();
            stream.assert_done();
            assert!(err.is_auth_failure(), "{err}");
        })
    }

    #[test]
    fn preauth_when_tls_was_asked_is_an_error() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as Smith\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let err = c.starttls(no_upgrade()).await.err().unwrap();
            assert!(matches!(err, Error::PreauthWithoutTls), "{err}");
            assert!(err.is_protocol_violation());
            assert!(stream.written().is_empty(), "nothing may be sent");
        })
    }

    #[test]
    fn missing_starttls_is_unsupported() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: a1 CAPABILITY\nS: * CAPABILITY IMAP4rev1 AUTH=PLAIN\nS: a1 OK done\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let err = c.starttls(no_upgrade()).await.err().unwrap();
            assert_eq!(err.to_string(), "server does not support STARTTLS");
            stream.assert_done();
        })
    }

    #[test]
    fn bytes_injected_after_the_starttls_go_ahead_are_refused() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 STARTTLS] ready\nC: a1 STARTTLS\n",
            )
            .then_serve(b"a1 OK Begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
            let upgraded = no_upgrade();
            let c = open(stream).await.unwrap();
            let err = c.starttls(upgraded.clone()).await.err().unwrap();
            assert!(
                matches!(
                    err,
                    Error::Wire(mail_wire::Error::BufferedAfterStartTls { bytes: 35 })
                ),
                "{err:?}"
            );
            assert!(!upgraded.load(Ordering::SeqCst), "no handshake over injected bytes");
        })
    }

    #[test]
    fn capabilities_are_asked_again_after_starttls() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\nC: a1 STARTTLS\nS: a1 OK go\n\
                 C: a2 CAPABILITY\nS: * CAPABILITY IMAP4rev1 AUTH=PLAIN\nS: a2 OK done\n",
            );
            let upgraded = no_upgrade();
            let c = open(stream.clone()).await.unwrap();
            let c = c.starttls(upgraded.clone()).await.unwrap();
            assert!(upgraded.load(Ordering::SeqCst));
            assert_eq!(c.capabilities(), ["IMAP4rev1", "AUTH=PLAIN"]);
            stream.assert_done();
        })
    }

    #[test]
    fn login_with_quotes_and_backslashes_is_quoted_and_masked() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: a1 LOGIN carol \"c4rol pa\\\"ss\\\\word\"\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let rec = Recording::new();
            open_with(stream.clone(), default_limits(), Some(rec.clone()))
                .await
                .unwrap()
                .login("carol", &Secret::new("c4rol pa\"ss\\word"))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            stream.assert_done();
            assert!(
                rec.lines().contains(&"C: a1 LOGIN carol ********".to_string()),
                "{:?}",
                rec.lines()
            );
            assert!(!rec.lines().iter().any(|l| l.contains("c4rol")));
        })
    }

    #[test]
    fn non_ascii_password_goes_as_a_synchronizing_literal() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: a1 LOGIN bob {8}\nS: + go on\nC: 비밀 x\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let rec = Recording::new();
            open_with(stream.clone(), default_limits(), Some(rec.clone()))
                .await
                .unwrap()
                .login("bob", &Secret::new("비밀 x"))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            stream.assert_done();
            assert!(!rec.lines().iter().any(|l| l.contains("비밀")), "{:?}", rec.lines());
        })
    }

    #[test]
    fn literal_plus_sends_without_waiting() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready\nC: a1 LOGIN bob {2+}\nC: é\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let c = open(stream.clone()).await.unwrap();
            c.login("bob", &Secret::new("é")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn literal_minus_sends_small_literals_without_waiting() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 LITERAL-] ready\nC: a1 LOGIN bob {2+}\nC: é\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let c = open(stream.clone()).await.unwrap();
            c.login("bob", &Secret::new("é")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn rejected_login_hands_the_client_back() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK ready\nC: a1 LOGIN bob ********\nS: a1 NO [AUTHENTICATIONFAILED] Authentication failed.\nC: a2 LOGOUT\nS: * BYE bye\nS: a2 OK done\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, back) = c.login("bob", &Secret::new("wrong")).await.err().unwrap();
            assert!(err.is_auth_failure());
            assert_eq!(
                err.to_string(),
                "server rejected LOGIN: NO [AUTHENTICATIONFAILED] Authentication failed."
            );
            back.logout().await.unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn authenticate_plain_with_and_without_sasl_ir() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\nC: a1 AUTHENTICATE PLAIN ********\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            );
            let c = open(stream.clone()).await.unwrap();
            c.authenticate_plain("alice", &Secret::new("pw"))
                .await
                .map_err(|(e, _)| e)
                .unwrap();
            assert!(String::from_utf8(stream.written())
                .unwrap()
                .contains("AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n"));
            stream.assert_done();
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\nC: a1 AUTHENTICATE XOAUTH2\nS: +\nC: ********\n\
                 S: + eyJzdGF0dXMiOiI0MDEifQ==\nC:\nS: a1 NO [AUTHENTICATIONFAILED] invalid token\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, _) = c
                .authenticate_xoauth2("alice", &Secret::new("tok"))
                .await
                .err()
                .unwrap();
            assert!(err.is_auth_failure(), "{err}");
            stream.assert_done();
        })
    }

    #[test]
    fn imap4rev2_and_utf8_are_enabled_when_offered() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 ENABLE UTF8=ACCEPT] ready\nC: a1 LOGIN alice \"pw\"\n\
                 S: a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 ENABLE UTF8=ACCEPT] hi\n\
                 C: a2 ENABLE IMAP4rev2 UTF8=ACCEPT\nS: * ENABLED IMAP4rev2 UTF8=ACCEPT\nS: a2 OK enabled\n\
                 C: a3 CREATE \"내게쓴메일함\"\nS: a3 OK created\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let mut s = c.login("alice", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            assert_eq!(s.enabled(), ["IMAP4rev2", "UTF8=ACCEPT"]);
            s.create("내게쓴메일함").await.unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn without_utf8_mailbox_names_are_modified_utf7() {
        run(async {
            let (mut s, stream) = logged_in(
                "C: a2 CREATE &sLSsjMT0ulTHfNVo-\nS: a2 OK created\nC: a3 LIST \"\" *\n\
                 S: * LIST (\\HasNoChildren) \".\" \"&sLSsjMT0ulTHfNVo-\"\nS: a3 OK done\n",
            )
            .await;
            s.create("내게쓴메일함").await.unwrap();
            let list = s.list("", "*").await.unwrap();
            assert_eq!(list[0].decoded_name(), "내게쓴메일함");
            stream.assert_done();
        })
    }

    #[test]
    fn select_returns_the_mailbox_state_and_unsolicited_updates_apply() {
        run(async {
            let (mut inbox, stream) = selected(
                "C: a3 NOOP\nS: * 5 EXISTS\nS: * 1 EXPUNGE\nS: * OK [ALERT] Quota nearly full\nS: a3 OK done\n",
            )
            .await;
            assert_eq!(inbox.mailbox().uid_validity, Some(42));
            assert!(!inbox.mailbox().read_only);
            assert_eq!(inbox.mailbox().exists, 3);
            inbox.noop().await.unwrap();
            assert_eq!(inbox.mailbox().exists, 4);
            assert_eq!(inbox.take_alerts(), ["Quota nearly full"]);
            stream.assert_done();
        })
    }

    #[test]
    fn a_literal_split_over_many_reads_streams_whole() {
        run(async {
            let body = "Subject: split\r\n\r\n".to_string() + &"line of text\r\n".repeat(50);
            let script = format!(
                "C: a3 UID FETCH 1:* BODY.PEEK[]\nS: * 1 FETCH (UID 7 BODY[] {{{}}}\n{}S: )\nS: a3 OK done\n",
                body.len(),
                body.lines().map(|l| format!("S: {l}\n")).collect::<String>()
            );
            let (mut inbox, stream) = selected(&script).await;
            let stream = stream.one_byte_reads();
            let (bodies, fetches) = inbox
                .fetch_streamed(true, &[SequenceSet::all()], "BODY.PEEK[]", |_| true)
                .await
                .unwrap();
            assert_eq!(bodies.len(), 1);
            assert_eq!(bodies[0].0.uid, Some(Uid(7)));
            assert_eq!(String::from_utf8(bodies[0].1.clone()).unwrap(), body);
            assert_eq!(fetches.len(), 1);
            assert_eq!(fetches[0].body(), Some(&NString::Streamed(body.len() as u64)));
            stream.assert_done();
        })
    }

    #[test]
    fn two_literals_in_one_fetch_both_stream_and_unread_ones_are_skipped() {
        run(async {
            let (mut inbox, stream) = selected(
                "C: a3 FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[TEXT])\n\
                 S: * 1 FETCH (BODY[HEADER] {4}\nS: H:\nS:  BODY[TEXT] {6}\nS: text\nS:  UID 9)\n\
                 S: * 2 FETCH (BODY[HEADER] {3}\nS: x\nS:  FLAGS (\\Seen))\nS: a3 OK done\n",
            )
            .await;
            let (bodies, fetches) = inbox
                .fetch_streamed(
                    false,
                    &[SequenceSet::single(1)],
                    "(BODY.PEEK[HEADER] BODY.PEEK[TEXT])",
                    |ctx| ctx.seq.0 == 1,
                )
                .await
                .unwrap();
            let bodies: Vec<_> = bodies.into_iter().map(|(c, b)| (c.section, b)).collect();
            assert_eq!(
                bodies,
                [
                    ("BODY[HEADER]".to_string(), b"H:\r\n".to_vec()),
                    ("BODY[TEXT]".to_string(), b"text\r\n".to_vec())
                ]
            );
            let uids: Vec<_> = fetches.iter().map(|f| f.uid()).collect();
            assert_eq!(uids, [Some(Uid(9)), None]);
            stream.assert_done();
        })
    }

    #[test]
    fn a_huge_announced_literal_is_an_error_before_any_read() {
        run(async {
            let (mut inbox, _stream) =
                selected("C: a3 FETCH 1 BODY[]\nS: * 1 FETCH (BODY[] {99999999999999}\n").await;
            let err = inbox.fetch(&SequenceSet::single(1), "BODY[]").await.unwrap_err();
            assert!(
                matches!(err, Error::TooLarge { size: 99_999_999_999_999, limit: 268_435_456 }),
                "{err}"
            );
            assert!(err.is_protocol_violation());
            // Beyond u64 as well.
            let (mut inbox, _stream) = selected(
                "C: a3 FETCH 1 BODY[]\nS: * 1 FETCH (BODY[] {999999999999999999999999}\n",
            )
            .await;
            let err = inbox.fetch(&SequenceSet::single(1), "BODY[]").await.unwrap_err();
            assert!(matches!(err, Error::TooLarge { .. }), "{err}");
        })
    }

    #[test]
    fn limits_set_through_the_selected_state_apply() {
        run(async {
            let (mut inbox, _stream) =
                selected("C: a3 FETCH 1 BODY[]\nS: * 1 FETCH (BODY[] {2000}\n").await;
            inbox.set_limits(Limits { max_line: 1000, max_literal: 1000 });
            let err = inbox.fetch(&SequenceSet::single(1), "BODY[]").await.unwrap_err();
            assert!(matches!(err, Error::TooLarge { size: 2000, limit: 1000 }), "{err}");
        })
    }

    #[test]
    fn copy_and_move_return_copyuid_as_ranges() {
        run(async {
            let (mut inbox, stream) = selected(
                "C: a3 UID COPY 1:4294967295 Archive\nS: a3 OK [COPYUID 9 1:4294967295 1:4294967295] copied\n\
                 C: a4 UID MOVE 5 Archive\nS: * OK [COPYUID 9 5 77] moved\nS: * 1 EXPUNGE\nS: a4 OK done\n",
            )
            .await;
            let Some(Code::CopyUid { from, .. }) = inbox
                .uid_copy(&SequenceSet::range(1, u32::MAX), "Archive")
                .await
                .unwrap()
            else {
                panic!()
            };
            assert_eq!(from.ranges().len(), 1);
            let Some(Code::CopyUid { to, .. }) =
                inbox.uid_move(&SequenceSet::single(5), "Archive").await.unwrap()
            else {
                panic!()
            };
            assert_eq!(to.to_string(), "77");
            assert_eq!(inbox.mailbox().exists, 2);
            stream.assert_done();
        })
    }

    #[test]
    fn search_store_and_expunge_read_their_answers() {
        run(async {
            let (mut inbox, stream) = selected(
                "C: a3 SEARCH UNSEEN\nS: * SEARCH 2 3\nS: a3 OK done\n\
                 C: a4 STORE 2:3 +FLAGS (\\Deleted)\nS: * 2 FETCH (FLAGS (\\Deleted))\nS: * 3 FETCH (FLAGS (\\Deleted))\nS: a4 OK done\n\
                 C: a5 EXPUNGE\nS: * 3 EXPUNGE\nS: * 2 EXPUNGE\nS: a5 OK done\n",
            )
            .await;
            assert_eq!(inbox.search("UNSEEN").await.unwrap(), [2, 3]);
            let stored = inbox
                .store(&SequenceSet::range(2, 3), "+FLAGS", &["\\Deleted"])
                .await
                .unwrap();
            assert_eq!(stored.len(), 2);
            let gone: Vec<u32> = inbox.expunge().await.unwrap().iter().map(|s| s.0).collect();
            assert_eq!(gone, [3, 2]);
            assert_eq!(inbox.mailbox().exists, 1);
            stream.assert_done();
        })
    }

    #[test]
    fn idle_ends_with_done_after_an_update() {
        run(async {
            let (inbox, stream) =
                selected("C: a3 IDLE\nS: + idling\nS: * 4 EXISTS\nC: DONE\nS: a3 OK IDLE terminated\n")
                    .await;
            let (updates, inbox) = inbox.idle_for(1).await.unwrap();
            assert_eq!(updates, [Untagged::Exists(4)]);
            assert_eq!(inbox.mailbox().exists, 4);
            stream.assert_done();
        })
    }

    #[test]
    fn idle_update_before_the_continuation_counts() {
        run(async {
            let (inbox, stream) =
                selected("C: a3 IDLE\nS: * 4 EXISTS\nS: + idling\nC: DONE\nS: a3 OK IDLE terminated\n")
                    .await;
            let started = std::time::Instant::now();
            let (updates, _) = inbox.idle_for(1).await.unwrap();
            assert!(started.elapsed() < Duration::from_secs(5));
            assert_eq!(updates, [Untagged::Exists(4)]);
            stream.assert_done();
        })
    }

    #[test]
    fn idle_refused_is_a_rejection() {
        run(async {
            let (inbox, stream) = selected("C: a3 IDLE\nS: a3 NO not now\n").await;
            let err = inbox.idle_for(1).await.err().unwrap();
            assert!(matches!(err, Error::Rejected { command: "IDLE", .. }), "{err}");
            stream.assert_done();
        })
    }

    #[test]
    fn an_overlong_line_is_a_typed_limit_error() {
        run(async {
            let stream = ScriptedStream::from_transcript("S: * OK ready\nC: a1 NOOP\n")
                .then_serve(&vec![b'x'; 3 * 1024 * 1024]);
            let mut c = open(stream).await.unwrap();
            let err = c.noop().await.unwrap_err();
            assert!(
                matches!(err, Error::Wire(mail_wire::Error::LineTooLong { limit: 1_048_576 })),
                "{err}"
            );
            assert!(err.is_protocol_violation());
        })
    }

    #[test]
    fn a_stalled_server_is_a_timeout() {
        run(async {
            let stream =
                ScriptedStream::from_transcript("S: * OK ready\nC: a1 NOOP\nS: * 1 EXISTS\n");
            let served = "* OK ready\r\n* 1 EXISTS\r\n".len();
            let mut c = open(stream.stall_after(served)).await.unwrap();
            let started = std::time::Instant::now();
            let err = c.noop().await.unwrap_err();
            assert!(matches!(err, Error::Wire(mail_wire::Error::Timeout)), "{err}");
            assert!(err.is_wire() && err.is_transient(), "{err}");
            assert!(started.elapsed() < Duration::from_secs(5));
        })
    }

    #[test]
    fn a_disconnect_inside_a_literal_is_closed() {
        run(async {
            let (mut inbox, stream) = selected("C: a3 FETCH 1 BODY[]\n").await;
            let _ = stream.then_serve(b"* 1 FETCH (BODY[] {100}\r\nonly ten b");
            let (got, result) = inbox.fetch_one_body(&SequenceSet::single(1), "BODY[]").await;
            let err = result.unwrap_err();
            assert!(matches!(err, Error::Wire(mail_wire::Error::Closed)), "{err}");
            assert_eq!(got, b"only ten b");
        })
    }

    #[test]
    fn greeting_bye_is_an_error() {
        run(async {
            let stream = ScriptedStream::from_transcript("S: * BYE too many connections\n");
            let err = open(stream).await.err().unwrap();
            assert_eq!(err.to_string(), "server closed the connection: BYE too many connections");
        })
    }

    #[test]
    fn issue_10_logindisabled_after_starttls_authenticates_plain_with_sasl_ir() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED AUTH=PLAIN AUTH=LOGIN] ready\n\
                 C: a1 AUTHENTICATE PLAIN ********\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            )
            .encrypted();
            let c = open(stream.clone()).await.unwrap();
            c.login_auto("alice", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
            let written = String::from_utf8(stream.written()).unwrap();
            assert!(written.contains("a1 AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n"), "{written}");
            assert!(!written.contains("LOGIN"), "{written}");
        })
    }

    #[test]
    fn issue_10_logindisabled_without_sasl_ir_sends_plain_after_the_continuation() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] ready\n\
                 C: a1 AUTHENTICATE PLAIN\nS: +\nC: ********\nS: a1 OK [CAPABILITY IMAP4rev1] hi\n",
            )
            .encrypted();
            let c = open(stream.clone()).await.unwrap();
            c.login_auto("alice", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            stream.assert_done();
            assert!(String::from_utf8(stream.written())
                .unwrap()
                .ends_with("a1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHB3\r\n"));
        })
    }

    #[test]
    fn issue_10_logindisabled_on_a_plain_connection_sends_no_credential() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED AUTH=PLAIN] ready\nC: a1 LOGOUT\nS: * BYE bye\nS: a1 OK done\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let (err, back) = c.login_auto("alice", &Secret::new("pw")).await.err().unwrap();
            assert!(matches!(err, Error::TlsRequired), "{err}");
            assert!(stream.written().is_empty(), "nothing may be sent before LOGOUT");
            back.logout().await.unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn a_no_in_place_of_the_continuation_rejects_the_append_and_the_session_goes_on() {
        run(async {
            let (mut session, stream) = logged_in(
                "C: a2 APPEND INBOX {4}\nS: * 3 EXISTS\nS: a2 NO [TOOBIG] message too large\n\
                 C: a3 NOOP\nS: a3 OK done\n",
            )
            .await;
            let err = session.append("INBOX", &[], b"Hi\r\n".to_vec()).await.unwrap_err();
            assert!(matches!(&err, Error::Rejected { command: "APPEND", .. }), "{err:?}");
            session.noop().await.unwrap();
            stream.assert_done();
        })
    }

    #[test]
    fn untagged_data_before_the_continuation_is_kept_and_the_literal_follows() {
        run(async {
            let (mut session, stream) = logged_in(
                "C: a2 APPEND INBOX {4}\nS: * 5 EXISTS\nS: + go ahead\nC: Hi\nC: \n\
                 S: a2 OK [APPENDUID 9 12] done\n",
            )
            .await;
            let uid = session.append("INBOX", &[], b"Hi\r\n".to_vec()).await.unwrap();
            assert_eq!(uid.map(|(v, _)| v), Some(9));
            stream.assert_done();
        })
    }

    #[test]
    fn append_from_a_reader_waits_for_the_continuation_and_streams() {
        run(async {
            let message = "Subject: big\r\n\r\n".to_string() + &"0123456789abcdef\r\n".repeat(8000);
            let script = format!(
                "C: a2 APPEND INBOX (\\Seen) {{{}}}\nS: + go ahead\n{}C: \nS: a2 OK [APPENDUID 9 13] done\n",
                message.len(),
                message.lines().map(|l| format!("C: {l}\n")).collect::<String>()
            );
            let (mut session, stream) = logged_in(&script).await;
            let uid = session
                .append_from("INBOX", &["\\Seen"], message.as_bytes(), message.len() as u64)
                .await
                .unwrap();
            assert_eq!(uid.map(|(v, u)| (v, u.to_string())), Some((9, "13".to_string())));
            stream.assert_done();
        })
    }

    #[test]
    fn append_from_a_reader_with_literal_plus_does_not_wait() {
        run(async {
            let stream = ScriptedStream::from_transcript(
                "S: * OK [CAPABILITY IMAP4rev1 LITERAL+] ready\nC: a1 LOGIN bob \"pw\"\n\
                 S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] hi\n\
                 C: a2 APPEND Drafts {6+}\nC: Hell\nC: \nS: a2 OK [APPENDUID 3 8] done\n",
            );
            let c = open(stream.clone()).await.unwrap();
            let mut s = c.login("bob", &Secret::new("pw")).await.map_err(|(e, _)| e).unwrap();
            let uid = s.append_from("Drafts", &[], &b"Hell\r\n"[..], 6).await.unwrap();
            assert_eq!(uid.map(|(v, u)| (v, u.to_string())), Some((3, "8".to_string())));
            stream.assert_done();
        })
    }

    #[test]
    fn append_from_a_reader_shorter_than_announced_is_an_error() {
        run(async {
            let (mut session, _stream) = logged_in("C: a2 APPEND INBOX {10}\nS: + go ahead\n").await;
            let err = session.append_from("INBOX", &[], &b"short"[..], 10).await.unwrap_err();
            assert!(err.is_wire(), "{err}");
        })
    }
}
