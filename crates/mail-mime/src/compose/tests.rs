use std::io;
use std::time::{Duration, UNIX_EPOCH};

use super::header_fields::unstructured;
use super::*;
use crate::{BuildError, Mailbox};

fn mb(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

fn base() -> MessageBuilder {
    MessageBuilder::new()
        .from(mb("홍길동 <hong@example.com>"))
        .to(mb("bob@example.test"))
        .date(UNIX_EPOCH + Duration::from_secs(1_795_319_861))
        .message_id("<fixed@example.com>")
}

fn bytes_of(msg: &OutgoingMessage) -> Vec<u8> {
    let mut out = Vec::new();
    msg.write_to(&mut out).unwrap();
    out
}

fn assert_well_formed(bytes: &[u8]) {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let is_last = i == newlines;
        if !is_last {
            assert_eq!(line.last(), Some(&b'\r'), "bare LF on line {i}");
        }
        assert!(line.len() <= 999, "line {i} is {} octets", line.len());
        assert!(
            !line.strip_suffix(b"\r").unwrap_or(line).contains(&b'\r'),
            "bare CR on line {i}"
        );
    }
    assert!(bytes.ends_with(b"\r\n"));
}

#[test]
fn single_part_message_has_the_required_headers() {
    let msg = base()
        .subject("안녕하세요 report")
        .header("X-Mailer", "mailkit")
        .unwrap()
        .text("hi\n.dot line\n")
        .build()
        .unwrap();
    let bytes = bytes_of(&msg);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.starts_with("Date: Sun, 22 Nov 2026 03:57:41 +0000\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nFrom: =?utf-8?B?7ZmN6ri464+Z?= <hong@example.com>\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nTo: bob@example.test\r\n"));
    assert!(text.contains("\r\nSubject: =?utf-8?"));
    assert!(text.contains("\r\nMessage-ID: <fixed@example.com>\r\n"));
    assert!(text.contains("\r\nX-Mailer: mailkit\r\n"));
    assert!(text.contains("\r\nMIME-Version: 1.0\r\n"));
    assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi\r\n.dot line\r\n"));
    assert_eq!(bytes.len() as u64, msg.size());
    assert!(msg.is_7bit());
    assert!(!msg.needs_smtputf8());
    assert_eq!(msg.message_id(), "<fixed@example.com>");
    assert_eq!(msg.envelope_from(), "hong@example.com");
    assert_well_formed(&bytes);
}

#[test]
fn sender_field_is_the_envelope_sender() {
    let msg = base().build().unwrap();
    assert_eq!(msg.envelope_from(), "hong@example.com");
    let msg = base()
        .header("Sender", "비서 <secretary@example.com>")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(msg.envelope_from(), "secretary@example.com");
    let text = String::from_utf8(bytes_of(&msg)).unwrap();
    assert!(
        text.contains("\r\nSender: =?utf-8?B?67mE7ISc?= <secretary@example.com>\r\n"),
        "{text}"
    );
    let bad = base().header("Sender", "not an address").unwrap().build();
    assert!(
        matches!(bad, Err(BuildError::InvalidAddress { .. })),
        "{bad:?}"
    );
}

#[test]
fn bcc_is_an_envelope_recipient_only() {
    let msg = base()
        .cc(mb("Carol <carol@example.test>"))
        .bcc(mb("secret@example.test"))
        .bcc(mb("BOB@example.test"))
        .build()
        .unwrap();
    let text = String::from_utf8(bytes_of(&msg)).unwrap();
    assert!(!text.contains("secret@"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("bcc"));
    assert!(text.contains("\r\nCc: Carol <carol@example.test>\r\n"));
    assert_eq!(
        msg.recipients(),
        [
            "bob@example.test",
            "carol@example.test",
            "secret@example.test"
        ]
    );
}

#[test]
fn header_injection_is_refused() {
    assert!(matches!(
        base().header("X-A", "v\r\nBcc: x@y"),
        Err(BuildError::LineBreak { .. })
    ));
    assert!(matches!(
        base().header("X-A", "v\nx"),
        Err(BuildError::LineBreak { .. })
    ));
    assert!(matches!(
        base().header("X-A", "v\0"),
        Err(BuildError::LineBreak { .. })
    ));
    assert!(matches!(
        base().header("X A", "v"),
        Err(BuildError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        base().header("X:A", "v"),
        Err(BuildError::InvalidHeaderName(_))
    ));
    assert!(matches!(
        base().header("", "v"),
        Err(BuildError::InvalidHeaderName(_))
    ));
    for owned in [
        "From",
        "to",
        "CC",
        "Bcc",
        "Date",
        "Message-Id",
        "MIME-Version",
        "Content-Type",
        "content-transfer-encoding",
        "Subject",
    ] {
        assert!(
            matches!(
                base().header(owned, "v"),
                Err(BuildError::ReservedHeader(_))
            ),
            "{owned}"
        );
    }
    assert!(matches!(
        base().subject("a\r\nBcc: x@y").build(),
        Err(BuildError::LineBreak { .. })
    ));
    assert!(matches!(
        base().message_id("<a@b>\r\nX: y").build(),
        Err(BuildError::LineBreak { .. })
    ));
    assert!(matches!(
        base().message_id("no-at-sign").build(),
        Err(BuildError::InvalidMessageId(_))
    ));
    assert!(matches!(
        MessageBuilder::new().build(),
        Err(BuildError::MissingFrom)
    ));
    assert!(matches!(
        base().attach_bytes("a\r\n.txt", None, vec![]),
        Err(BuildError::LineBreak { .. })
    ));
}

#[test]
fn long_headers_are_folded() {
    let subject = "word ".repeat(60);
    let msg = base()
        .subject(subject.trim_end())
        .header("X-Long", &"abc ".repeat(100))
        .unwrap()
        .build()
        .unwrap();
    let bytes = bytes_of(&msg);
    assert_well_formed(&bytes);
    let text = String::from_utf8(bytes).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    for line in head.split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    assert!(head
        .replace("\r\n ", " ")
        .contains(&format!("Subject: {}", subject.trim_end())));
    let ko = base()
        .subject("가나다라마바사아자차카타파하 ".repeat(8))
        .build()
        .unwrap();
    let text = String::from_utf8(bytes_of(&ko)).unwrap();
    for line in text.split("\r\n").filter(|l| l.contains("=?")) {
        assert!(
            line.trim_start().trim_start_matches("Subject: ").len() <= 75,
            "{line:?}"
        );
    }
}

#[test]
fn body_transfer_encoding_is_chosen_by_content() {
    let cte = |text: &str| {
        let msg = base().text(text).build().unwrap();
        let bytes = bytes_of(&msg);
        assert_well_formed(&bytes);
        assert_eq!(bytes.len() as u64, msg.size());
        let s = String::from_utf8(bytes).unwrap();
        s.split("Content-Transfer-Encoding: ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(cte("plain ascii\n"), "7bit");
    assert_eq!(cte(&"x".repeat(1200)), "quoted-printable");
    assert_eq!(cte("mostly ascii, café\n"), "quoted-printable");
    assert_eq!(cte(&"한국어 본문입니다. ".repeat(20)), "base64");
    assert_eq!(cte("nul\0byte"), "quoted-printable");
    assert_eq!(cte(""), "7bit");
}

#[test]
fn size_is_exact_with_attachments_of_awkward_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = base().subject("sizes").text("see attached\n");
    for n in [0usize, 1, 2, 3, 57, 58, 1_000_003] {
        let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
        let path = dir.path().join(format!("file-{n}.bin"));
        std::fs::write(&path, &data).unwrap();
        builder = builder.attach_path(&path).unwrap();
        builder = builder
            .attach_bytes(&format!("mem-{n}.bin"), None, data)
            .unwrap();
        let msg = builder.clone().build().unwrap();
        let bytes = bytes_of(&msg);
        assert_eq!(
            bytes.len() as u64,
            msg.size(),
            "after the {n}-byte attachments"
        );
        assert_well_formed(&bytes);
        assert!(msg.is_7bit());
    }
    // A one-byte-at-a-time reader gives the same bytes.
    let msg = builder.build().unwrap();
    let mut reader = msg.reader().unwrap();
    let mut one = [0u8; 1];
    let mut count = 0u64;
    while reader.read(&mut one).unwrap() == 1 {
        count += 1;
    }
    assert_eq!(count, msg.size());
}

#[test]
fn multipart_layout_and_filenames() {
    let msg = base()
        .text("body")
        .attach_bytes(
            "보고서 2026년 최종본 (수정) 아주 긴 파일 이름입니다.pdf",
            None,
            b"%PDF".to_vec(),
        )
        .unwrap()
        .attach_bytes("plain.txt", Some("text/plain"), b"abc".to_vec())
        .unwrap()
        .build()
        .unwrap();
    let text = String::from_utf8(bytes_of(&msg)).unwrap();
    let boundary = text
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(text.contains(&format!(
        "\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
    )));
    assert!(text.contains(&format!("\r\nbody\r\n--{boundary}\r\n")));
    assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
    assert!(
        text.contains("Content-Type: application/pdf;\r\n name=\"=?utf-8?B?"),
        "{text}"
    );
    assert!(text.contains("filename*0*=utf-8''%EB%B3%B4"), "{text}");
    assert!(text.contains("Content-Disposition: attachment; filename=\"plain.txt\"\r\n"));
    assert_well_formed(text.as_bytes());
}

#[test]
fn line_breaks_in_a_file_name_never_reach_the_headers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil\r\nBcc: victim@example.com\r\n.txt");
    std::fs::write(&path, b"x").unwrap();
    let msg = base().attach_path(&path).unwrap().build().unwrap();
    let bytes = bytes_of(&msg);
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("\r\nBcc:"), "{text}");
    assert_well_formed(&bytes);
    let parsed = crate::ParsedMessage::parse(&bytes);
    let att = parsed.attachments().next().unwrap();
    assert_eq!(
        att.filename(),
        Some("evil\r\nBcc: victim@example.com\r\n.txt")
    );
}

#[test]
fn unreadable_attachment_is_an_io_error() {
    let err = base().attach_path("/nonexistent/file.pdf").unwrap_err();
    assert!(matches!(err, BuildError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/file.pdf"));
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        base().attach_path(dir.path()),
        Err(BuildError::Io { .. })
    ));
}

#[test]
fn shrinking_attachment_fails_the_read_instead_of_lying_about_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shrinks.bin");
    std::fs::write(&path, vec![1u8; 1000]).unwrap();
    let msg = base().attach_path(&path).unwrap().build().unwrap();
    std::fs::write(&path, vec![1u8; 10]).unwrap();
    let err = msg.write_to(&mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn only_the_words_that_need_it_are_encoded() {
    assert_eq!(unstructured("plain ascii"), "plain ascii");
    let s = unstructured("안녕하세요 report");
    assert!(s.starts_with("=?utf-8?") && s.ends_with("?= report"), "{s}");
    let r = unstructured("홍길동 <hong@example.com>");
    assert!(r.ends_with("?= <hong@example.com>"), "{r}");
    // Two non-ASCII words with spaces between stay one run.
    let g = unstructured("가  나 b");
    assert_eq!(g.matches("=?utf-8?").count(), 1, "{g}");
    for text in [
        "가  나 b",
        " 앞 공백",
        "뒤 공백 ",
        "a =?x?Q?y?= b",
        "tab\there 한",
    ] {
        let encoded = unstructured(text);
        assert_eq!(
            crate::encoded_word::decode_text(encoded.as_bytes(), None),
            text,
            "{encoded}"
        );
    }
}

#[test]
fn non_ascii_addresses_need_smtputf8() {
    let msg = MessageBuilder::new()
        .from(mb("사용자@예시.한국"))
        .to(mb("bob@example.test"))
        .build()
        .unwrap();
    assert!(msg.needs_smtputf8());
    assert!(!msg.is_7bit());
    assert!(msg.message_id().ends_with("@mailkit.invalid>"));
    let msg = MessageBuilder::new()
        .from(mb("a@example.com"))
        .build()
        .unwrap();
    assert!(msg.message_id().starts_with('<') && msg.message_id().ends_with("@example.com>"));
    assert_ne!(
        msg.message_id(),
        MessageBuilder::new()
            .from(mb("a@example.com"))
            .build()
            .unwrap()
            .message_id()
    );
}
