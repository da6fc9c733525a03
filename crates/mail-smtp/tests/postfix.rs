//! mail-smtp against the real Postfix (and Dovecot's maildir) from `scripts/mailserver`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

mod postfix_setup;

use std::path::PathBuf;

use mail_smtp::{Client, Envelope, Error, Mechanism, Options};
use mail_wire::testing::{unique_name as unique, TestEnv};
use mail_wire::{Recording, Secret, Security};
use postfix_setup::{options, DELIVERY};

fn connect(
    env: &TestEnv,
    port: &str,
    security: Security,
    opts: Options,
) -> Client<mail_wire::NetStream> {
    Client::connect(&env.server(port), security, &env.tls(), opts).unwrap()
}

fn assert_no_password(lines: &[String], password: &Secret) {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(password.expose());
    for line in lines {
        assert!(
            !line.contains(password.expose()),
            "password in transcript: {line}"
        );
        assert!(
            !line.contains(&b64),
            "base64 password in transcript: {line}"
        );
    }
}

#[test]
fn submission_starttls_authenticates_with_plain_login_and_cram_md5() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let transcript = Recording::new();
        let mut client = connect(
            &env,
            "MAILTEST_SUBMISSION_PORT",
            Security::StartTls,
            options(&transcript),
        );
        assert!(client.is_tls());
        assert!(
            client.capabilities().has("AUTH"),
            "AUTH offered only after STARTTLS"
        );
        assert!(
            !client.capabilities().starttls(),
            "capabilities are the post-TLS ones"
        );
        assert_eq!(
            client.auth(&user, &pass, Some(mechanism)).unwrap(),
            mechanism
        );
        client.noop().unwrap();
        assert_eq!(client.quit().unwrap().code().get(), 221);
        let lines = transcript.lines();
        assert!(lines.iter().any(|l| l == "C: STARTTLS"), "{lines:?}");
        assert!(lines
            .iter()
            .any(|l| l == &format!("C: AUTH {}", mechanism.name())
                || l.starts_with("C: AUTH PLAIN ********")));
        assert_no_password(&lines, &pass);
    }
}

#[test]
fn smtps_implicit_tls_authenticates_with_plain_login_and_cram_md5() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL"); // a password with a space, `"` and `\`
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let transcript = Recording::new();
        let mut client = connect(
            &env,
            "MAILTEST_SMTPS_PORT",
            Security::Implicit,
            options(&transcript),
        );
        assert!(client.is_tls());
        client.auth(&user, &pass, Some(mechanism)).unwrap();
        client.quit().unwrap();
        let lines = transcript.lines();
        assert_no_password(&lines, &pass);
        if mechanism == Mechanism::Login {
            assert_eq!(
                lines.iter().filter(|l| *l == "C: ********").count(),
                2,
                "{lines:?}"
            );
        }
    }
}

#[test]
fn best_mechanism_is_chosen_by_default() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let mut client = connect(
        &env,
        "MAILTEST_SMTPS_PORT",
        Security::Implicit,
        options(&Recording::new()),
    );
    assert_eq!(client.auth(&user, &pass, None).unwrap(), Mechanism::Plain);
    client.quit().unwrap();
}

#[test]
fn wrong_password_is_an_auth_error() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("ALICE");
    let wrong = Secret::new("not-the-password");
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let mut client = connect(
            &env,
            "MAILTEST_SUBMISSION_PORT",
            Security::StartTls,
            options(&Recording::new()),
        );
        let err = client.auth(&user, &wrong, Some(mechanism)).unwrap_err();
        assert!(err.is_auth_failure(), "{err}");
        assert_eq!(err.reply().unwrap().code().get(), 535, "{err}");
        assert!(!err.to_string().contains("not-the-password"));
        // The session goes on after a refused AUTH.
        client.noop().unwrap();
    }
}

#[test]
fn plaintext_auth_is_refused_before_anything_is_sent() {
    let Some(env) = TestEnv::load() else { return };
    let transcript = Recording::new();
    let mut client = connect(
        &env,
        "MAILTEST_SMTP_PORT",
        Security::Plain,
        options(&transcript),
    );
    let (user, pass) = env.account("ALICE");
    let before = transcript.lines().len();
    assert!(matches!(
        client.auth(&user, &pass, None),
        Err(Error::PlaintextAuth)
    ));
    assert_eq!(transcript.lines().len(), before, "nothing sent");
}

fn message(marker: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: {marker}\r\nMessage-ID: <{marker}@example.test>\r\nDate: Sun, 22 Nov 2026 00:00:00 +0000\r\n\r\n\
         .leading dot\r\n..two dots\r\n.\r\nmiddle . line\r\n{extra}last line\r\n"
    )
    .into_bytes()
}

fn send_and_read_back(env: &TestEnv, chunking: bool) {
    let (user, pass) = env.account("ALICE");
    let transcript = Recording::new();
    let opts = Options {
        chunking,
        ..options(&transcript)
    };
    let mut client = connect(env, "MAILTEST_SUBMISSION_PORT", Security::StartTls, opts);
    assert!(client.capabilities().chunking() && client.capabilities().pipelining());
    client.auth(&user, &pass, None).unwrap();
    let marker = unique(if chunking { "bdat" } else { "data" });
    let body = message(&marker, "");
    let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
    let delivery = client
        .send(&envelope, &mut &body[..], Some(body.len() as u64))
        .unwrap();
    assert!(delivery.queue_id().is_some(), "{}", delivery.reply);
    assert_eq!(delivery.accepted().count(), 1);
    client.quit().unwrap();
    let lines = transcript.lines();
    let verb = if chunking { "C: BDAT " } else { "C: DATA" };
    assert!(lines.iter().any(|l| l.starts_with(verb)), "{lines:?}");
    // PIPELINING: MAIL, RCPT (and DATA) left before the reply to MAIL came;
    // a BDAT chunk only after the envelope was accepted.
    let position = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    let mail_reply = position("S: 250 2.1.0");
    assert!(position("C: RCPT TO:") < mail_reply, "{lines:?}");
    if chunking {
        assert!(position(verb) > position("S: 250 2.1.5"), "{lines:?}");
    } else {
        assert!(position(verb) < mail_reply, "{lines:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("C: <message body: {} bytes>", body.len())),
        "{lines:?}"
    );
    let delivered = env.wait_for_mail("BOB", &marker, DELIVERY);
    // Postfix and Dovecot prepend trace headers (with LF line ends in the maildir).
    let delivered = String::from_utf8(delivered).unwrap().replace("\r\n", "\n");
    let expected = String::from_utf8(body).unwrap().replace("\r\n", "\n");
    let start = delivered.find("From: alice@example.test").unwrap();
    assert_eq!(&delivered[start..], expected);
}

#[test]
fn dot_leading_lines_arrive_byte_exact_with_data() {
    let Some(env) = TestEnv::load() else { return };
    send_and_read_back(&env, false);
}

#[test]
fn dot_leading_lines_arrive_byte_exact_with_bdat() {
    let Some(env) = TestEnv::load() else { return };
    send_and_read_back(&env, true);
}

#[test]
fn one_of_two_recipients_rejected_and_the_other_delivered() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let mut client = connect(
        &env,
        "MAILTEST_SMTPS_PORT",
        Security::Implicit,
        options(&Recording::new()),
    );
    client.auth(&user, &pass, None).unwrap();
    let marker = unique("partial");
    let body = message(&marker, "");
    let envelope = Envelope::new(
        "alice@example.test",
        ["nobody@example.test", "bob@example.test"],
    );
    let delivery = client.send(&envelope, &mut &body[..], None).unwrap();
    let rejected: Vec<_> = delivery.rejected().collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].address, "nobody@example.test");
    assert_eq!(
        rejected[0].reply.enhanced_status().unwrap().to_string(),
        "5.1.1"
    );
    env.wait_for_mail("BOB", &marker, DELIVERY);
    // Every recipient rejected: an error, and the session goes on.
    let envelope = Envelope::new("alice@example.test", ["nobody@example.test"]);
    let err = client.send(&envelope, &mut &body[..], None).unwrap_err();
    assert!(
        matches!(err, Error::AllRecipientsRejected { .. }) && err.is_rejected(),
        "{err}"
    );
    client.noop().unwrap();
    client.quit().unwrap();
}

#[test]
fn many_messages_over_one_connection() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    for chunking in [true, false] {
        let mut client = connect(
            &env,
            "MAILTEST_SUBMISSION_PORT",
            Security::StartTls,
            Options {
                chunking,
                ..options(&Recording::new())
            },
        );
        client.auth(&user, &pass, None).unwrap();
        let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
        let markers: Vec<String> = (0..10)
            .map(|i| unique(&format!("many{i}-{chunking}")))
            .collect();
        // Five one by one, five pipelined across messages.
        for marker in &markers[..5] {
            let body = message(marker, "");
            client.send(&envelope, &mut &body[..], None).unwrap();
        }
        let bodies: Vec<Vec<u8>> = markers[5..].iter().map(|m| message(m, "")).collect();
        let results = client
            .send_all(bodies.iter().map(|b| (&envelope, b.as_slice())))
            .unwrap();
        assert_eq!(results.len(), 5);
        for result in &results {
            assert!(result.as_ref().unwrap().queue_id().is_some());
        }
        client.quit().unwrap();
        for marker in &markers {
            env.wait_for_mail("BOB", marker, DELIVERY);
        }
    }
}

#[test]
fn vrfy_help_rset_get_replies() {
    let Some(env) = TestEnv::load() else { return };
    let mut client = connect(
        &env,
        "MAILTEST_SMTP_PORT",
        Security::StartTls,
        options(&Recording::new()),
    );
    client.rset().unwrap();
    let vrfy = client.vrfy("bob@example.test").unwrap();
    assert!([250, 252, 502, 550].contains(&vrfy.code().get()), "{vrfy}");
    let help = client.help(None).unwrap();
    assert!(help.code().get() >= 200, "{help}");
    client.quit().unwrap();
}

#[test]
fn smtputf8_and_dsn_parameters_are_accepted_by_postfix() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let transcript = Recording::new();
    let mut client = connect(
        &env,
        "MAILTEST_SMTPS_PORT",
        Security::Implicit,
        options(&transcript),
    );
    client.auth(&user, &pass, None).unwrap();
    let marker = unique("utf8");
    let body = message(&marker, "한국어 본문\r\n");
    let mut envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
    envelope.options.smtputf8 = true;
    envelope.options.eight_bit_mime = true;
    envelope.options.dsn = Some(mail_smtp::Dsn {
        notify: Some(mail_smtp::Notify {
            failure: true,
            delay: true,
            ..Default::default()
        }),
        ret: Some(mail_smtp::Ret::Headers),
        envid: Some(marker.clone()),
        orcpt: true,
    });
    client
        .send(&envelope, &mut &body[..], Some(body.len() as u64))
        .unwrap();
    client.quit().unwrap();
    let lines = transcript.lines();
    let mail = lines
        .iter()
        .find(|l| l.starts_with("C: MAIL FROM:"))
        .unwrap();
    assert!(
        mail.contains("BODY=8BITMIME") && mail.contains("SMTPUTF8") && mail.contains("RET=HDRS"),
        "{mail}"
    );
    let rcpt = lines.iter().find(|l| l.starts_with("C: RCPT TO:")).unwrap();
    assert!(
        rcpt.contains("NOTIFY=FAILURE,DELAY") && rcpt.contains("ORCPT=rfc822;bob@example.test"),
        "{rcpt}"
    );
    let delivered = env.wait_for_mail("BOB", &marker, DELIVERY);
    assert!(String::from_utf8_lossy(&delivered).contains("한국어 본문"));
}

#[test]
fn send_all_with_a_refused_message_in_the_middle_delivers_the_others() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    for chunking in [true, false] {
        let transcript = Recording::new();
        let mut client = connect(
            &env,
            "MAILTEST_SMTPS_PORT",
            Security::Implicit,
            Options {
                chunking,
                ..options(&transcript)
            },
        );
        client.auth(&user, &pass, None).unwrap();
        let ok = Envelope::new("alice@example.test", ["bob@example.test"]);
        let bad = Envelope::new("alice@example.test", ["nobody@example.test"]);
        let markers: Vec<String> = (0..3)
            .map(|i| unique(&format!("mid{i}-{chunking}")))
            .collect();
        let bodies: Vec<Vec<u8>> = markers.iter().map(|m| message(m, "")).collect();
        let results = client
            .send_all([
                (&ok, bodies[0].as_slice()),
                (&bad, bodies[1].as_slice()),
                (&ok, bodies[2].as_slice()),
            ])
            .unwrap();
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(
            matches!(results[1], Err(Error::AllRecipientsRejected { .. })),
            "{results:?}"
        );
        client.noop().unwrap();
        client.quit().unwrap();
        env.wait_for_mail("BOB", &markers[0], DELIVERY);
        env.wait_for_mail("BOB", &markers[2], DELIVERY);
        if std::env::var_os("SMTP_TEST_SHOW").is_some() {
            eprintln!("{}", transcript.lines().join("\n"));
        }
        if chunking {
            assert!(transcript.lines().iter().any(|l| l.starts_with("C: BDAT ")));
        }
    }
}

mod scenario;

/// Runs the fixture scenario against Postfix (smtps, BDAT and DATA); with
/// `SMTP_RECORD_FIXTURES=DIR` it also writes the transcripts there, for
/// `tests/fixtures.rs` to replay offline.
#[test]
fn fixture_scenario_against_postfix() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    for (chunking, name) in [
        (true, "postfix-smtps-send-all-bdat.txt"),
        (false, "postfix-smtps-send-all-data.txt"),
    ] {
        let transcript = Recording::new();
        let client = connect(
            &env,
            "MAILTEST_SMTPS_PORT",
            Security::Implicit,
            Options {
                chunking,
                ..options(&transcript)
            },
        );
        scenario::run(client, &user, &pass);
        let script = scenario::to_script(&transcript.lines(), chunking);
        assert!(!script.contains(pass.expose()));
        if let Some(dir) = std::env::var_os("SMTP_RECORD_FIXTURES") {
            let header = format!(
                "# Recorded from Postfix 3.7 (scripts/mailserver, smtps) by\n\
                 # SMTP_RECORD_FIXTURES=fixtures/smtp cargo test -p mail-smtp --test postfix fixture_scenario\n\
                 # chunking={chunking}; replayed by crates/mail-smtp/tests/fixtures.rs\n"
            );
            std::fs::write(PathBuf::from(dir).join(name), header + &script).unwrap();
        }
    }
}

#[test]
fn port_25_service_with_starttls_delivers_without_auth_and_refuses_relay() {
    let Some(env) = TestEnv::load() else { return };
    let mut client = connect(
        &env,
        "MAILTEST_SMTP_PORT",
        Security::StartTls,
        options(&Recording::new()),
    );
    assert!(client.is_tls());
    let marker = unique("port25");
    let body = message(&marker, "");
    client
        .send(
            &Envelope::new("carol@example.test", ["bob@example.test"]),
            &mut &body[..],
            None,
        )
        .unwrap();
    let relay = Envelope::new("carol@example.test", ["someone@elsewhere.invalid"]);
    let err = client.send(&relay, &mut &body[..], None).unwrap_err();
    let Error::AllRecipientsRejected { rejected } = &err else {
        panic!("{err}")
    };
    assert!(
        rejected[0].1.to_string().contains("Relay access denied"),
        "{err}"
    );
    client.quit().unwrap();
    env.wait_for_mail("BOB", &marker, DELIVERY);
}

#[test]
fn submission_without_starttls_refuses_mail_and_no_credential_is_sent() {
    let Some(env) = TestEnv::load() else { return };
    let transcript = Recording::new();
    let mut client = connect(
        &env,
        "MAILTEST_SUBMISSION_PORT",
        Security::Plain,
        options(&transcript),
    );
    assert!(client.capabilities().starttls() && !client.capabilities().has("AUTH"));
    let (user, pass) = env.account("ALICE");
    assert!(matches!(
        client.auth(&user, &pass, None),
        Err(Error::PlaintextAuth)
    ));
    let err = client
        .send(
            &Envelope::new("alice@example.test", ["bob@example.test"]),
            &mut &b"x"[..],
            None,
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { command: "MAIL", reply } if reply.code().get() == 530),
        "{err}"
    );
    assert!(!transcript.lines().iter().any(|l| l.contains("AUTH")));
}

#[test]
fn large_message_in_many_chunks_arrives_exact() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    for chunking in [true, false] {
        let mut client = connect(
            &env,
            "MAILTEST_SMTPS_PORT",
            Security::Implicit,
            Options {
                chunking,
                ..options(&Recording::new())
            },
        );
        client.auth(&user, &pass, None).unwrap();
        let marker = unique(&format!("large-{chunking}"));
        // ~400 KB: several 64 KiB BDAT chunks; dot lines, bare LFs and a bare CR.
        let mut extra = String::new();
        for i in 0..5000 {
            extra.push_str(&format!(
                ".line {i} with a leading dot\n{i:06} plain line\r\n"
            ));
        }
        extra.push_str("bare\rcr\r\n");
        let body = message(&marker, &extra);
        let delivery = client
            .send(
                &Envelope::new("alice@example.test", ["bob@example.test"]),
                &mut &body[..],
                None,
            )
            .unwrap();
        assert_eq!(delivery.size, body.len() as u64);
        client.quit().unwrap();
        let delivered = String::from_utf8(env.wait_for_mail("BOB", &marker, DELIVERY))
            .unwrap()
            .replace("\r\n", "\n");
        let expected = String::from_utf8(body)
            .unwrap()
            .replace("\r\n", "\n")
            .replace('\r', "\n");
        let start = delivered.find("From: alice@example.test").unwrap();
        assert_eq!(delivered.len() - start, expected.len());
        assert!(
            delivered[start..] == expected,
            "chunking={chunking}: delivered message differs"
        );
    }
}
