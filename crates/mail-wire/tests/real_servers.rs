//! mail-wire against the real Postfix and Dovecot from `scripts/mailserver`.

use std::io::Write;
use std::net::TcpListener;

use mail_wire::testing::{assert_name_mismatch, assert_unknown_issuer, TestEnv};
use mail_wire::{Connection, Error, Line, Security, Server, TlsConfig};

#[test]
fn implicit_tls_verifies_the_certificate_against_the_ca() {
    let Some(env) = TestEnv::load() else { return };
    for port in [
        "MAILTEST_SMTPS_PORT",
        "MAILTEST_POP3S_PORT",
        "MAILTEST_IMAPS_PORT",
    ] {
        let mut conn =
            Connection::connect(&env.server(port), Security::Implicit, &env.tls()).unwrap();
        assert!(conn.get_ref().is_tls());
        let greeting = conn.read_line().unwrap().to_vec();
        assert!(
            greeting.starts_with(b"220 ")
                || greeting.starts_with(b"+OK")
                || greeting.starts_with(b"* OK"),
            "{port}: {}",
            String::from_utf8_lossy(&greeting)
        );
    }
}

#[test]
fn untrusted_certificate_is_refused() {
    let Some(env) = TestEnv::load() else { return };
    let err = Connection::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &TlsConfig::new(),
    )
    .unwrap_err();
    assert_unknown_issuer(&err);
}

#[test]
fn without_system_roots_trusts_the_added_ca_alone() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_IMAPS_PORT");
    let mut own = TlsConfig::new().without_system_roots();
    own.add_ca_file(std::path::Path::new(&env.var("MAILTEST_CA_FILE")))
        .unwrap();
    assert!(!own.trusts_system_roots());
    let mut conn = Connection::connect(&server, Security::Implicit, &own).unwrap();
    assert!(conn.read_line().unwrap().starts_with(b"* OK"));

    let mut stranger = TlsConfig::new().without_system_roots();
    stranger
        .add_ca_file(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/tls/stranger-ca.pem"
        )))
        .unwrap();
    let err = Connection::connect(&server, Security::Implicit, &stranger).unwrap_err();
    assert_unknown_issuer(&err);
}

#[test]
fn wrong_host_name_is_refused() {
    let Some(env) = TestEnv::load() else { return };
    let mut server = env.server("MAILTEST_IMAPS_PORT");
    server.tls_name = Some("not-localhost.example".into());
    let err = Connection::connect(&server, Security::Implicit, &env.tls()).unwrap_err();
    // The names come from the certificate itself (scripts/mailserver makes it).
    assert_name_mismatch(&err, &["localhost", "127.0.0.1"]);
}

#[test]
fn insecure_mode_accepts_the_untrusted_certificate() {
    let Some(env) = TestEnv::load() else { return };
    let tls = TlsConfig::new().danger_accept_invalid_certs(true);
    let mut conn =
        Connection::connect(&env.server("MAILTEST_IMAPS_PORT"), Security::Implicit, &tls).unwrap();
    assert!(conn.read_line().unwrap().starts_with(b"* OK"));
}

#[test]
fn starttls_upgrades_an_smtp_connection_with_verification() {
    let Some(env) = TestEnv::load() else { return };
    let server = env.server("MAILTEST_SUBMISSION_PORT");
    let mut conn = Connection::connect(&server, Security::StartTls, &env.tls()).unwrap();
    assert!(conn.read_line().unwrap().starts_with(b"220 "));
    conn.send(Line::public(b"EHLO client.example.test"))
        .unwrap();
    while conn.read_line().unwrap().get(3) == Some(&b'-') {}
    conn.send(Line::public(b"STARTTLS")).unwrap();
    assert!(conn.read_line().unwrap().starts_with(b"220 "));
    conn.start_tls(&server, &env.tls()).unwrap();
    assert!(conn.get_ref().is_tls());
    conn.send(Line::public(b"EHLO client.example.test"))
        .unwrap();
    let mut lines = Vec::new();
    loop {
        let line = conn.read_line().unwrap().to_vec();
        let last = line.get(3) != Some(&b'-');
        lines.push(String::from_utf8(line).unwrap());
        if last {
            break;
        }
    }
    assert!(lines.iter().any(|l| l.contains("AUTH")), "{lines:?}");
    assert!(matches!(
        conn.start_tls(&server, &env.tls()),
        Err(Error::AlreadyTls)
    ));
}

#[test]
fn bytes_injected_after_the_starttls_go_ahead_are_refused() {
    // A local fake server that pipelines a forged reply right behind "220".
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        socket
            .write_all(b"220 2.0.0 Ready to start TLS\r\n250 AUTH PLAIN\r\n")
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
    });
    let server = Server::new("127.0.0.1", port);
    let mut conn = Connection::connect(&server, Security::StartTls, &TlsConfig::new()).unwrap();
    assert_eq!(conn.read_line().unwrap(), b"220 2.0.0 Ready to start TLS");
    // Make sure the injected line has arrived in our buffer.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let err = conn.start_tls(&server, &TlsConfig::new()).unwrap_err();
    assert!(
        matches!(err, Error::BufferedAfterStartTls { bytes: 16 }),
        "{err}"
    );
    fake.join().unwrap();
}

#[test]
fn connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = Connection::connect(
        &Server::new("127.0.0.1", port),
        Security::Plain,
        &TlsConfig::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
}

#[test]
fn silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut server = Server::new("127.0.0.1", listener.local_addr().unwrap().port());
    server.timeout = std::time::Duration::from_millis(200);
    let mut conn = Connection::connect(&server, Security::Plain, &TlsConfig::new()).unwrap();
    let _held = listener.accept().unwrap();
    assert!(matches!(conn.read_line(), Err(Error::Timeout)));
}
