//! `Client::send_message` (feature `mime`) against the real Postfix: one
//! call sends a built message with an attachment, Bcc goes to the envelope
//! only, and what arrives in the maildirs is what was built.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

mod postfix_setup;

use mail_mime::{Mailbox, MessageBuilder, ParsedMessage};
use mail_smtp::{Client, Envelope};
use mail_wire::testing::{unique_name as unique, TestEnv};
use mail_wire::{Recording, Security};
use postfix_setup::{binary, options, DELIVERY};

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
    let mut client = Client::connect(
        &env.server("MAILTEST_SUBMISSION_PORT"),
        Security::StartTls,
        &env.tls(),
        options(&transcript),
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

/// `--mx`'s path: a built message delivered by `mx::deliver_message` to a
/// hand-made plan (no DNS) pointing at the test Postfix's port-25 service.
#[cfg(feature = "mx")]
#[test]
fn deliver_message_takes_the_same_envelope_to_an_mx_host() {
    use std::time::Duration;

    use mail_smtp::mx::{deliver_message, DomainPlan, MxHost, MxOptions, MxPlan, TlsPolicy};

    let Some(env) = TestEnv::load() else { return };
    let marker = unique("deliver-message");
    let message = MessageBuilder::new()
        .from(Mailbox::parse("alice@example.test").unwrap())
        .to(Mailbox::parse("bob@example.test").unwrap())
        .bcc(Mailbox::parse("carol@example.test").unwrap())
        .subject(marker.as_str())
        .text("direct")
        .build()
        .unwrap();
    let envelope = Envelope::from_message(&message);
    let plans = [DomainPlan {
        domain: "example.test".to_owned(),
        recipients: envelope.recipients.clone(),
        plan: Ok(MxPlan::Hosts(vec![MxHost {
            name: env.var("MAILTEST_TLS_NAME"),
            preference: Some(10),
            addrs: Ok(vec![env.var("MAILTEST_HOST").parse().unwrap()]),
        }])),
    }];
    let transcript = Recording::new();
    let mut options = MxOptions::new("client.example.test");
    options.port = env.var("MAILTEST_SMTP_PORT").parse().unwrap();
    options.tls = TlsPolicy::Required;
    options.tls_config = env.tls();
    options.timeout = Duration::from_secs(20);
    let shared = transcript.clone();
    options.transcript = Some(Box::new(move |_: &str, _| {
        Some(Box::new(shared.clone()) as Box<dyn mail_wire::Transcript + Send>)
    }));
    let report = deliver_message(&plans, &message, &mut options);
    assert!(report.all_delivered(), "{:?}", transcript.lines());
    let lines = transcript.lines();
    assert!(
        lines.contains(&format!(
            "C: MAIL FROM:<alice@example.test> SIZE={}",
            message.size()
        )),
        "{lines:?}"
    );
    let rcpts: Vec<&String> = lines.iter().filter(|l| l.starts_with("C: RCPT")).collect();
    assert_eq!(
        rcpts,
        [
            "C: RCPT TO:<bob@example.test>",
            "C: RCPT TO:<carol@example.test>"
        ]
    );
    let bob = env.wait_for_mail("BOB", &marker, DELIVERY);
    assert!(!String::from_utf8_lossy(&bob).contains("carol@"));
    env.wait_for_mail("CAROL", &marker, DELIVERY);
}
