//! `Client::send_message` (feature `mime`) against the real Postfix: one
//! call sends a built message with an attachment, Bcc goes to the envelope
//! only, and what arrives in the maildirs is what was built.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

use std::time::Duration;

use mail_mime::{Mailbox, MessageBuilder, ParsedMessage};
use mail_smtp::{Client, ClientOptions, Envelope};
use mail_wire::testing::TestEnv;
use mail_wire::{Recording, Security};

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
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn one_call_sends_an_attachment_and_keeps_bcc_out_of_the_header() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("보고서.bin");
    let data = binary(300 * 1024 + 7);
    std::fs::write(&path, &data).unwrap();
    let marker = unique("send-message");
    let message = MessageBuilder::new()
        .from(Mailbox::parse("Alice <alice@example.test>").unwrap())
        .to(Mailbox::parse("Bob <bob@example.test>").unwrap())
        .bcc(Mailbox::parse("carol@example.test").unwrap())
        .bcc(Mailbox::parse("BOB@example.test").unwrap())
        .subject(marker.as_str())
        .text("see the attachment\n.a dot line\n")
        .attach_path(&path)
        .unwrap()
        .build()
        .unwrap();

    let transcript = Recording::new();
    let options = ClientOptions {
        helo_name: "client.example.test".into(),
        transcript: Some(Box::new(transcript.clone())),
        ..ClientOptions::default()
    };
    let mut client = Client::connect(
        &env.server("MAILTEST_SUBMISSION_PORT"),
        Security::StartTls,
        &env.tls(),
        options,
    )
    .unwrap();
    client.auth(&user, &pass, None).unwrap();
    let delivery = client.send_message(&message).unwrap();
    client.quit().unwrap();
    assert_eq!(delivery.accepted().count(), 2, "bob once, carol");
    assert_eq!(delivery.rejected().count(), 0);

    let lines = transcript.lines();
    let size = message.size();
    assert!(
        lines.contains(&format!("C: MAIL FROM:<alice@example.test> SIZE={size}")),
        "the builder's exact size: {lines:?}"
    );
    let rcpts: Vec<&String> = lines.iter().filter(|l| l.starts_with("C: RCPT")).collect();
    assert_eq!(
        rcpts,
        [
            "C: RCPT TO:<bob@example.test>",
            "C: RCPT TO:<carol@example.test>"
        ]
    );
    // Every byte the builder counted went out (BDAT chunks or one DATA).
    let sent: u64 = lines
        .iter()
        .filter_map(|l| l.strip_prefix("C: <message body: "))
        .map(|l| l.trim_end_matches(" bytes>").parse::<u64>().unwrap())
        .sum();
    assert_eq!(sent, size, "{lines:?}");

    for who in ["BOB", "CAROL"] {
        let delivered = env.wait_for_mail(who, &marker, DELIVERY);
        let parsed = ParsedMessage::parse(&delivered);
        assert!(parsed.bcc().is_empty(), "{who} sees a Bcc field");
        let head_end = delivered
            .windows(2)
            .position(|w| w == b"\n\n")
            .unwrap_or(delivered.len());
        let head = String::from_utf8_lossy(&delivered[..head_end]);
        assert!(
            !head.contains("carol@"),
            "{who}'s header names carol: {head}"
        );
        assert_eq!(
            parsed.to().iter().map(Mailbox::address).collect::<Vec<_>>(),
            ["bob@example.test"]
        );
        let attachments: Vec<_> = parsed.attachments().collect();
        assert_eq!(attachments.len(), 1, "{who}");
        assert_eq!(attachments[0].filename(), Some("보고서.bin"));
        assert!(
            attachments[0].decoded() == data,
            "{who}: attachment bytes differ"
        );
        assert_eq!(
            parsed.text_body().unwrap().replace("\r\n", "\n"),
            "see the attachment\n.a dot line\n"
        );
    }
}

#[test]
fn envelope_of_a_built_message_matches_what_send_message_sends() {
    // The envelope a caller may inspect (or adjust and pass to
    // `send_message_as`) is the one `send_message` uses.
    let message = MessageBuilder::new()
        .from(Mailbox::parse("alice@example.test").unwrap())
        .header("Sender", "desk@example.test")
        .unwrap()
        .cc(Mailbox::parse("c@example.test").unwrap())
        .build()
        .unwrap();
    let envelope = Envelope::from_message(&message);
    assert_eq!(envelope.from, "desk@example.test");
    assert_eq!(envelope.recipients, ["c@example.test"]);
}
