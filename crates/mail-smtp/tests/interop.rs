//! mail-smtp against every SMTP server of `scripts/test` (Postfix, Exim,
//! OpenSMTPD), written once: the client must follow what each server's EHLO
//! offers (OpenSMTPD closes the connection on unadvertised pipelining and has
//! no CHUNKING; Exim has no enhanced status codes).
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use mail_smtp::{Client, Envelope, Options};
use mail_wire::testing::{unique_name as unique, Protocol, TestEnv};
use mail_wire::{Recording, Security};

const DELIVERY: Duration = Duration::from_secs(30);

fn message(marker: &str) -> Vec<u8> {
    format!(
        "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: {marker}\r\nMessage-ID: <{marker}@example.test>\r\n\
         Date: Mon, 07 Dec 2026 00:00:00 +0000\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nmiddle . line\r\nlast line\r\n"
    )
    .into_bytes()
}

/// A session on the submission port after STARTTLS and AUTH with the best mechanism.
fn session(env: &TestEnv, transcript: &Recording) -> Client<mail_wire::NetStream> {
    let opts = Options {
        helo_name: "client.example.test".into(),
        transcript: Some(Box::new(transcript.clone())),
        ..Options::default()
    };
    let mut client = Client::connect(
        &env.server("MAILTEST_SUBMISSION_PORT"),
        Security::StartTls,
        &env.tls(),
        opts,
    )
    .unwrap();
    let (user, pass) = env.account("ALICE");
    client.auth(&user, &pass, None).unwrap();
    client
}

/// Without PIPELINING no command may leave before the reply to the one
/// before it; only message data follows a command directly.
fn assert_one_command_at_a_time(lines: &[String]) {
    for pair in lines.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.starts_with("C: ") && b.starts_with("C: ") {
            let data = b.starts_with("C: <message body") || b == "C: ." || a.starts_with("C: BDAT");
            assert!(
                data,
                "{b:?} sent before the reply to {a:?}:\n{}",
                lines.join("\n")
            );
        }
    }
}

#[test]
fn the_client_pipelines_and_chunks_only_where_offered_and_the_message_arrives_exact() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let transcript = Recording::new();
        let mut client = session(env, &transcript);
        let (pipelining, chunking) = (
            client.capabilities().pipelining(),
            client.capabilities().chunking(),
        );
        let marker = unique("caps");
        let body = message(&marker);
        let nobody = format!(
            "nobody-{}@{}",
            std::process::id(),
            env.var("MAILTEST_DOMAIN")
        );
        let envelope = Envelope::new(
            env.var("MAILTEST_ALICE_USER"),
            [env.var("MAILTEST_BOB_USER"), nobody.clone()],
        );
        let delivery = client
            .send(&envelope, &mut &body[..], Some(body.len() as u64))
            .unwrap();
        client.quit().unwrap();

        assert_eq!(delivery.accepted().count(), 1, "{:?}", delivery.recipients);
        let refused: Vec<_> = delivery.rejected().collect();
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].reply.code().is_permanent(),
            "{}",
            refused[0].reply
        );
        assert!(
            delivery.queue_id().is_some(),
            "no queue id in {}",
            delivery.reply
        );

        let lines = transcript.lines();
        let verb = if chunking { "C: BDAT " } else { "C: DATA" };
        assert!(lines.iter().any(|l| l.starts_with(verb)), "{lines:?}");
        if pipelining {
            let position = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
            let first_reply_after_mail = position("C: MAIL FROM:") + 1;
            assert!(
                lines[first_reply_after_mail].starts_with("C: RCPT TO:"),
                "{lines:?}"
            );
        } else {
            assert_one_command_at_a_time(&lines);
        }

        // Servers prepend trace headers; maildirs keep LF line ends.
        let delivered = String::from_utf8(env.wait_for_mail("BOB", &marker, DELIVERY))
            .unwrap()
            .replace("\r\n", "\n");
        let expected = String::from_utf8(body).unwrap().replace("\r\n", "\n");
        let start = delivered
            .find("From: alice@example.test")
            .expect("the sent headers");
        assert_eq!(&delivered[start..], expected);
    });
}

#[test]
fn several_messages_over_one_connection_with_send_all() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let transcript = Recording::new();
        let mut client = session(env, &transcript);
        let pipelining = client.capabilities().pipelining();
        let envelope = Envelope::new(
            env.var("MAILTEST_ALICE_USER"),
            [env.var("MAILTEST_BOB_USER")],
        );
        let markers: Vec<String> = (0..4).map(|i| unique(&format!("all{i}"))).collect();
        let bodies: Vec<Vec<u8>> = markers.iter().map(|m| message(m)).collect();
        let results = client
            .send_all(bodies.iter().map(|b| (&envelope, b.as_slice())))
            .unwrap();
        client.quit().unwrap();
        assert_eq!(results.len(), markers.len());
        for result in &results {
            let delivery = result.as_ref().unwrap();
            assert!(
                delivery.queue_id().is_some(),
                "no queue id in {}",
                delivery.reply
            );
        }
        if !pipelining {
            assert_one_command_at_a_time(&transcript.lines());
        }
        for marker in &markers {
            env.wait_for_mail("BOB", marker, DELIVERY);
        }
    });
}
