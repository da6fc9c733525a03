//! The async client (`mail_smtp::tokio::Client`, features `tokio` and
//! `mime`) against the real Postfix from `scripts/mailserver`: a built
//! message with an attachment goes over STARTTLS with the certificate
//! verified against the test CA, from a task spawned on a multi-thread
//! runtime, and arrives byte for byte as built, by BDAT and by DATA.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use mail_mime::{Mailbox, MessageBuilder, OutgoingMessage, ParsedMessage};
use mail_smtp::tokio::Client;
use mail_smtp::{Options, Recording, Security};
use mail_wire::testing::TestEnv;

/// How long a delivery into Dovecot may take (it is asynchronous).
const DELIVERY: Duration = Duration::from_secs(20);

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// Bytes of every value, in an order no encoder bug could keep by luck.
fn binary(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn wire(message: &OutgoingMessage) -> Vec<u8> {
    let mut out = Vec::new();
    message.write_to(&mut out).unwrap();
    out
}

async fn send_with_attachment_and_read_back(chunking: bool) {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.bin");
    // Over two 64 KiB pieces of base64, with a tail.
    let data = binary(200 * 1024 + 11);
    std::fs::write(&path, &data).unwrap();
    let marker = unique(if chunking { "async-bdat" } else { "async-data" });
    let message = MessageBuilder::new()
        .from(Mailbox::parse("Alice <alice@example.test>").unwrap())
        .to(Mailbox::parse("Bob <bob@example.test>").unwrap())
        .subject(marker.as_str())
        .text(".a dot line\nand the report attached\n.\n")
        .attach_path(&path)
        .unwrap()
        .build()
        .unwrap();

    let transcript = Recording::new();
    let options = Options {
        helo_name: "client.example.test".into(),
        transcript: Some(Box::new(transcript.clone())),
        chunking,
        ..Options::default()
    };
    let server = env.server("MAILTEST_SUBMISSION_PORT");
    let tls = env.tls();
    let password = pass.clone();
    // On a spawned task: the client's futures are `Send`.
    let (delivery, message) = tokio::spawn(async move {
        let mut client = Client::connect(&server, Security::StartTls, &tls, options)
            .await
            .unwrap();
        assert!(client.is_tls());
        client.auth(&user, &password, None).await.unwrap();
        let delivery = client.send_message(&message).await.unwrap();
        client.quit().await.unwrap();
        (delivery, message)
    })
    .await
    .unwrap();
    assert_eq!(delivery.accepted().count(), 1);
    assert!(delivery.queue_id().is_some(), "{}", delivery.reply);

    let lines = transcript.lines();
    let verb = if chunking { "C: BDAT " } else { "C: DATA" };
    assert!(lines.iter().any(|l| l.starts_with(verb)), "{lines:?}");
    assert!(
        lines.contains(&"C: STARTTLS".to_owned()),
        "upgraded by STARTTLS: {lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with("C: AUTH ")));
    assert!(!lines.iter().any(|l| l.contains(pass.expose())));

    let delivered = env.wait_for_mail("BOB", &marker, DELIVERY);
    // Postfix and Dovecot prepend trace headers (with LF line ends in the
    // maildir); everything after them is the built message, byte for byte.
    let delivered = String::from_utf8(delivered).unwrap().replace("\r\n", "\n");
    let built = String::from_utf8(wire(&message))
        .unwrap()
        .replace("\r\n", "\n");
    assert!(
        delivered.ends_with(&built),
        "delivered message differs from the built one"
    );
    let parsed = ParsedMessage::parse(delivered.as_bytes());
    let attachments: Vec<_> = parsed.attachments().collect();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename(), Some("report.bin"));
    assert!(attachments[0].decoded() == data, "attachment bytes differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_client_sends_an_attachment_over_starttls_by_bdat_byte_exact() {
    send_with_attachment_and_read_back(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_client_sends_an_attachment_over_starttls_by_data_byte_exact() {
    send_with_attachment_and_read_back(false).await;
}
