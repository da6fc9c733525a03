//! The async connection (feature `tokio`) against the real Postfix and
//! Dovecot from `scripts/mailserver`, over TLS verified against their CA,
//! with the same verdicts as the blocking connection.
#![cfg(feature = "tokio")]
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mail_wire::testing::{assert_name_mismatch, assert_unknown_issuer, TestEnv};
use mail_wire::tokio::{Connection, NetStream};
use mail_wire::{Error, Line, Security, Server, TlsConfig};

async fn connect(
    server: &Server,
    security: Security,
    tls: &TlsConfig,
) -> Result<Connection<NetStream>, Error> {
    Connection::<NetStream>::connect(server, security, tls).await
}

/// Reads an SMTP reply to its last line; returns its lines.
async fn smtp_reply(conn: &mut Connection<NetStream>) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = conn.read_line().await.unwrap().to_vec();
        let last = line.get(3) != Some(&b'-');
        lines.push(String::from_utf8(line).unwrap());
        if last {
            return lines;
        }
    }
}

#[tokio::test]
async fn implicit_tls_verifies_the_certificate_and_reads_the_greeting() {
    let Some(env) = TestEnv::load() else { return };
    for (port, greeting) in [
        ("MAILTEST_SMTPS_PORT", &b"220 "[..]),
        ("MAILTEST_POP3S_PORT", b"+OK"),
        ("MAILTEST_IMAPS_PORT", b"* OK"),
    ] {
        let mut conn = connect(&env.server(port), Security::Implicit, &env.tls())
            .await
            .unwrap();
        assert!(conn.is_encrypted() && conn.get_ref().is_tls(), "{port}");
        assert_eq!(conn.get_ref().security(), Security::Implicit);
        let line = conn.read_line().await.unwrap();
        assert!(
            line.starts_with(greeting),
            "{port}: {}",
            String::from_utf8_lossy(line)
        );
    }
}

#[tokio::test]
async fn starttls_upgrades_smtp_with_verification_and_asks_again() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_SUBMISSION_PORT");
    let mut conn = connect(&server, Security::StartTls, &env.tls())
        .await
        .unwrap();
    assert!(!conn.is_encrypted());
    smtp_reply(&mut conn).await;
    conn.send(Line::public(b"EHLO client.example.test"))
        .await
        .unwrap();
    let before = smtp_reply(&mut conn).await;
    assert!(before.iter().any(|l| l.contains("STARTTLS")), "{before:?}");
    conn.send(Line::public(b"STARTTLS")).await.unwrap();
    assert!(smtp_reply(&mut conn).await[0].starts_with("220 "));
    conn.start_tls(&server, &env.tls()).await.unwrap();
    assert!(conn.is_encrypted());
    conn.send(Line::public(b"EHLO client.example.test"))
        .await
        .unwrap();
    let after = smtp_reply(&mut conn).await;
    assert!(after.iter().any(|l| l.contains("AUTH")), "{after:?}");
    assert!(matches!(
        conn.start_tls(&server, &env.tls()).await,
        Err(Error::AlreadyTls)
    ));
}

#[tokio::test]
async fn starttls_upgrades_imap_with_verification() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_IMAP_PORT");
    let mut conn = connect(&server, Security::StartTls, &env.tls())
        .await
        .unwrap();
    assert!(conn.read_line().await.unwrap().starts_with(b"* OK"));
    conn.send(Line::public(b"a1 STARTTLS")).await.unwrap();
    assert!(conn.read_line().await.unwrap().starts_with(b"a1 OK"));
    conn.start_tls(&server, &env.tls()).await.unwrap();
    conn.send(Line::public(b"a2 CAPABILITY")).await.unwrap();
    let caps = conn.read_line().await.unwrap().to_vec();
    assert!(
        caps.starts_with(b"* CAPABILITY"),
        "{}",
        String::from_utf8_lossy(&caps)
    );
    assert!(conn.read_line().await.unwrap().starts_with(b"a2 OK"));
}

#[tokio::test]
async fn an_untrusted_root_is_refused_with_the_blocking_sides_error() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_IMAPS_PORT");
    let err = connect(&server, Security::Implicit, &TlsConfig::new())
        .await
        .unwrap_err();
    assert_unknown_issuer(&err);
    let blocking =
        mail_wire::Connection::connect(&server, Security::Implicit, &TlsConfig::new()).unwrap_err();
    assert_eq!(err.to_string(), blocking.to_string());
}

#[tokio::test]
async fn a_wrong_root_over_starttls_is_refused_with_the_blocking_sides_error() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_POP3_PORT");
    let mut conn = connect(&server, Security::StartTls, &env.tls())
        .await
        .unwrap();
    assert!(conn.read_line().await.unwrap().starts_with(b"+OK"));
    conn.send(Line::public(b"STLS")).await.unwrap();
    assert!(conn.read_line().await.unwrap().starts_with(b"+OK"));
    let err = conn
        .start_tls(&server, &TlsConfig::new())
        .await
        .unwrap_err();
    assert_unknown_issuer(&err);
    assert!(!conn.is_encrypted());
}

#[tokio::test]
async fn a_wrong_host_name_is_refused_with_the_certificates_names() {
    let Some(env) = TestEnv::load() else { return };
    let mut server = env.server("MAILTEST_IMAPS_PORT");
    server.tls_name = Some("not-localhost.example".into());
    let err = connect(&server, Security::Implicit, &env.tls())
        .await
        .unwrap_err();
    assert_name_mismatch(&err, &["localhost", "127.0.0.1"]);
    let blocking =
        mail_wire::Connection::connect(&server, Security::Implicit, &env.tls()).unwrap_err();
    assert_eq!(err.to_string(), blocking.to_string());
}

#[tokio::test]
async fn insecure_mode_accepts_the_untrusted_certificate() {
    let Some(env) = TestEnv::load() else { return };
    let tls = TlsConfig::new().danger_accept_invalid_certs(true);
    let mut conn = connect(&env.server("MAILTEST_IMAPS_PORT"), Security::Implicit, &tls)
        .await
        .unwrap();
    assert!(conn.read_line().await.unwrap().starts_with(b"* OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_sessions_on_two_threads() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_IMAPS_PORT");
    let tls = env.tls();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (server, tls) = (server.clone(), tls.clone());
        tasks.spawn(async move {
            let mut conn = connect(&server, Security::Implicit, &tls).await.unwrap();
            assert!(conn.read_line().await.unwrap().starts_with(b"* OK"));
            conn.send(Line::public(format!("t{i} NOOP").as_bytes()))
                .await
                .unwrap();
            let done = conn.read_line().await.unwrap().to_vec();
            assert!(done.starts_with(format!("t{i} OK").as_bytes()));
        });
    }
    let mut finished = 0;
    while let Some(task) = tasks.join_next().await {
        task.unwrap();
        finished += 1;
    }
    assert_eq!(finished, 50);
}
