//! Build -> parse: everything the builder can write reads back the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, UNIX_EPOCH};

use mail_mime::{Mailbox, MessageBuilder, ParsedMessage};

fn mb(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

fn bytes_of(msg: &mail_mime::OutgoingMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.write_to(&mut out).unwrap();
    assert_eq!(out.len() as u64, msg.size());
    out
}

#[test]
fn headers_and_text_round_trip() {
    let subjects = [
        "plain subject",
        "안녕하세요 report",
        "Ünïcödé, with = signs? and _underscores_ =?not-a-word?=",
        &"긴 제목 ".repeat(30),
        "emoji 😀🎉 and 中文 and 日本語",
        "  leading and trailing spaces are trimmed  ",
    ];
    let texts = [
        "",
        "one line",
        "line\nstarting with\n.dot\n",
        &"한국어 본문\r\n".repeat(50),
        &"x".repeat(3000),
        "tail without newline é",
    ];
    for (i, (subject, text)) in subjects.iter().zip(texts.iter()).enumerate() {
        let built = MessageBuilder::new()
            .from(mb("홍길동 <hong@example.com>"))
            .to(mb("\"Doe, J\" <j@x.org>"))
            .to(mb("bob@example.test"))
            .cc(mb("Carol Q. Public <carol@example.test>"))
            .bcc(mb("hidden@example.test"))
            .subject(*subject)
            .header("X-Note", "값 with non-ASCII")
            .unwrap()
            .date(UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64))
            .message_id(format!("<rt{i}@example.com>"))
            .text(*text)
            .build()
            .unwrap();
        let bytes = bytes_of(&built);
        let parsed = ParsedMessage::parse(&bytes);
        assert_eq!(
            parsed.subject().as_deref(),
            Some(subject.trim()),
            "case {i}"
        );
        let from = parsed.from();
        assert_eq!(
            (from[0].name(), from[0].address()),
            (Some("홍길동"), "hong@example.com")
        );
        let to: Vec<_> = parsed
            .to()
            .iter()
            .map(|m| (m.name().map(str::to_string), m.address().to_string()))
            .collect();
        assert_eq!(
            to,
            [
                (Some("Doe, J".to_string()), "j@x.org".to_string()),
                (None, "bob@example.test".to_string())
            ]
        );
        assert_eq!(parsed.cc()[0].name(), Some("Carol Q. Public"));
        assert_eq!(parsed.date().unwrap().timestamp(), 1_700_000_000 + i as i64);
        assert_eq!(parsed.message_id(), Some(format!("rt{i}@example.com")));
        assert_eq!(
            parsed.header("x-note").as_deref(),
            Some("값 with non-ASCII")
        );
        assert!(parsed.header("bcc").is_none());
        let expected_text = text.replace("\r\n", "\n").replace('\n', "\r\n");
        let body = parsed.text_body().unwrap();
        assert_eq!(
            body.trim_end_matches("\r\n"),
            expected_text.trim_end_matches("\r\n"),
            "case {i}"
        );
    }
}

#[test]
fn attachments_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "report.pdf",
        "사진 2026.jpg",
        "a \"quoted\" name.txt",
        &format!("{}.docx", "아주 긴 파일 이름 ".repeat(6)),
        "noext",
    ];
    let mut builder = MessageBuilder::new()
        .from(mb("a@example.com"))
        .to(mb("b@example.com"))
        .text("see attached");
    let mut expected = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let data: Vec<u8> = (0..(i * 1000 + 3)).map(|k| (k * 31 % 256) as u8).collect();
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        builder = builder.attach_path(&path).unwrap();
        expected.push((name.to_string(), data));
    }
    builder = builder
        .attach_bytes("inline.csv", Some("text/csv"), b"a,b\r\n1,2\r\n".to_vec())
        .unwrap();
    expected.push(("inline.csv".to_string(), b"a,b\r\n1,2\r\n".to_vec()));
    let built = builder.build().unwrap();
    let bytes = bytes_of(&built);
    let parsed = ParsedMessage::parse(&bytes);
    assert_eq!(parsed.text_body().as_deref(), Some("see attached"));
    let atts: Vec<_> = parsed.attachments().collect();
    assert_eq!(atts.len(), expected.len());
    for (part, (name, data)) in atts.iter().zip(&expected) {
        assert_eq!(part.filename(), Some(name.as_str()));
        assert_eq!(part.disposition(), Some("attachment"));
        assert_eq!(part.decoded().as_ref(), data.as_slice(), "{name}");
    }
    assert_eq!(atts[0].content_type(), "application/pdf");
    assert_eq!(atts[1].content_type(), "image/jpeg");
    assert_eq!(atts[4].content_type(), "application/octet-stream");
    assert_eq!(atts[5].content_type(), "text/csv");
}
