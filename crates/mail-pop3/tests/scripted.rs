//! The login chosen from the capabilities, against scripted servers (issue 10).
#![allow(clippy::unwrap_used, clippy::panic)]

use mail_pop3::{Client, Error, LoginMethod};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Secret};

fn client(stream: &ScriptedStream) -> Client<ScriptedStream> {
    Client::new(Connection::new(stream.clone(), Limits::default())).unwrap()
}

/// Before TLS the server lists STLS only; after it, SASL PLAIN and no USER.
const STLS_THEN_SASL_PLAIN: &str = "S: +OK ready\n\
    C: CAPA\nS: +OK\nS: TOP\nS: STLS\nS: SASL\nS: .\n\
    C: STLS\nS: +OK Begin TLS\n\
    C: CAPA\nS: +OK\nS: TOP\nS: UIDL\nS: SASL PLAIN\nS: .\n";

#[test]
fn issue_10_post_stls_capa_with_only_sasl_plain_logs_in_with_auth_plain() {
    let script = format!("{STLS_THEN_SASL_PLAIN}C: AUTH PLAIN ********\nS: +OK Logged in.\n");
    let stream = ScriptedStream::from_transcript(&script);
    let upgraded = client(&stream)
        .stls_with(|_| {
            // Clones share the script's state: the stream now reports TLS.
            let _ = stream.clone().encrypted();
            Ok(())
        })
        .unwrap();
    assert_eq!(
        upgraded.choose_login(true).unwrap(),
        LoginMethod::Sasl(mail_pop3::Mechanism::Plain)
    );
    upgraded
        .login_auto("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
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

#[test]
fn issue_10_no_user_before_stls_means_tls_is_required_and_nothing_is_sent() {
    let stream = ScriptedStream::from_transcript(
        "S: +OK ready\nC: CAPA\nS: +OK\nS: TOP\nS: STLS\nS: SASL\nS: .\n",
    );
    let mut c = client(&stream);
    c.capa().unwrap();
    let (err, _) = c.login_auto("alice", &Secret::new("pw")).err().unwrap();
    assert!(matches!(err, Error::TlsRequired), "{err}");
    stream.assert_done();
    assert_eq!(stream.written(), b"CAPA\r\n");
}

#[test]
fn issue_10_user_in_capa_keeps_user_pass() {
    let stream = ScriptedStream::from_transcript(
        "S: +OK ready\nC: CAPA\nS: +OK\nS: USER\nS: SASL PLAIN\nS: .\nC: USER alice\nS: +OK\nC: PASS ********\nS: +OK\n",
    )
    .encrypted();
    client(&stream)
        .login_auto("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
    stream.assert_done();
}

#[test]
fn issue_10_capa_refused_falls_back_to_user_pass() {
    let stream = ScriptedStream::from_transcript(
        "S: +OK ready\nC: CAPA\nS: -ERR unknown command\nC: USER alice\nS: +OK\nC: PASS ********\nS: +OK\n",
    )
    .encrypted();
    client(&stream)
        .login_auto("alice", &Secret::new("pw"))
        .map_err(|(e, _)| e)
        .unwrap();
    stream.assert_done();
}

#[test]
fn issue_10_without_tls_cram_md5_is_preferred_and_login_follows_plain() {
    let table: &[(&str, bool, mail_pop3::Mechanism)] = &[
        (
            "SASL PLAIN LOGIN CRAM-MD5",
            false,
            mail_pop3::Mechanism::CramMd5,
        ),
        (
            "SASL PLAIN LOGIN CRAM-MD5",
            true,
            mail_pop3::Mechanism::Plain,
        ),
        ("SASL CRAM-MD5 LOGIN", true, mail_pop3::Mechanism::Login),
        ("SASL XOAUTH2 CRAM-MD5", true, mail_pop3::Mechanism::CramMd5),
    ];
    for (sasl, tls, expected) in table {
        let stream = ScriptedStream::from_transcript(&format!(
            "S: +OK ready\nC: CAPA\nS: +OK\nS: {sasl}\nS: .\n"
        ));
        let mut c = client(&stream);
        c.capa().unwrap();
        assert_eq!(
            c.choose_login(*tls).unwrap(),
            LoginMethod::Sasl(*expected),
            "{sasl} tls={tls}"
        );
    }
}

#[test]
fn issue_10_only_unknown_mechanisms_is_unsupported() {
    let stream =
        ScriptedStream::from_transcript("S: +OK ready\nC: CAPA\nS: +OK\nS: SASL GSSAPI\nS: .\n")
            .encrypted();
    let (err, back) = client(&stream)
        .login_auto("alice", &Secret::new("pw"))
        .err()
        .unwrap();
    assert!(matches!(err, Error::Unsupported(_)), "{err}");
    assert_eq!(back.capabilities().unwrap().sasl_mechanisms(), ["GSSAPI"]);
    stream.assert_done();
}
