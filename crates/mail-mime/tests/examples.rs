//! Runs `examples/build.rs` and `examples/parse.rs` on files, as a newcomer
//! would: a message built by one is read back by the other, attachments
//! byte for byte. The examples are built by `cargo test -p mail-mime`
//! (with `--test examples` alone, run `cargo build -p mail-mime --examples` first).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use mail_mime::ParsedMessage;

/// The built example `name`, next to this test's own binary.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test -p mail-mime` builds the examples; `--test examples` alone does not (`cargo build -p mail-mime --examples` first)",
        path.display()
    );
    path
}

fn run(name: &str, args: &[&str]) -> Output {
    Command::new(example_path(name))
        .args(args)
        .output()
        .unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn a_built_message_parses_back_with_its_attachments_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    std::fs::write(path("data.bin"), &binary).unwrap();
    std::fs::write(path("보고서.txt"), "첫째 줄\r\n.\r\nlast line\n").unwrap();
    let out = path("out.eml");

    let built = run(
        "build",
        &[
            "-o",
            &out,
            "홍길동 <hong@example.com>",
            "bob@example.test",
            "분기 보고서 Q3",
            "안녕하세요,\n첨부 파일을 보냅니다.\n",
            &path("data.bin"),
            &path("보고서.txt"),
        ],
    );
    ok(&built);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.is_ascii(), "the builder encodes what is not ASCII");
    assert!(String::from_utf8_lossy(&built.stderr).contains(&format!("{} bytes", bytes.len())));
    let message = ParsedMessage::parse(&bytes);
    assert_eq!(message.subject().as_deref(), Some("분기 보고서 Q3"));

    let saved = dir.path().join("saved");
    let stdout = ok(&run("parse", &[&out, saved.to_str().unwrap()]));
    assert!(stdout.contains("\nSubject: 분기 보고서 Q3\n"), "{stdout}");
    assert!(
        stdout.contains("From: 홍길동 <hong@example.com>\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n\n안녕하세요,\n첨부 파일을 보냅니다.\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("attachment: data.bin (application/octet-stream, 70000 bytes)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("attachment: 보고서.txt (text/plain, "),
        "{stdout}"
    );
    assert_eq!(std::fs::read(saved.join("data.bin")).unwrap(), binary);
    assert_eq!(
        std::fs::read(saved.join("보고서.txt")).unwrap(),
        std::fs::read(path("보고서.txt")).unwrap()
    );
}

#[test]
fn parse_escapes_control_characters_and_keeps_attachments_in_their_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.eml");
    std::fs::write(
        &file,
        b"Subject: \x1b[31mred\x1b[0m\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
          --b\r\nContent-Type: text/plain\r\n\r\nbell\x07 here\r\n\
          --b\r\nContent-Type: application/octet-stream\r\n\
          Content-Disposition: attachment; filename=\"../../escape.sh\"\r\n\r\nrm -rf ~\r\n--b--\r\n",
    )
    .unwrap();
    let saved = dir.path().join("saved");
    let stdout = ok(&run(
        "parse",
        &[file.to_str().unwrap(), saved.to_str().unwrap()],
    ));
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\x07'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("Subject: \\u{1b}[31mred\\u{1b}[0m\n"),
        "{stdout}"
    );
    assert!(stdout.contains("bell\\u{7} here"), "{stdout}");
    assert_eq!(std::fs::read(saved.join("escape.sh")).unwrap(), b"rm -rf ~");
    assert!(!dir.path().parent().unwrap().join("escape.sh").exists());
}

#[test]
fn bad_input_gets_a_clear_error() {
    let output = run("build", &["not an address", "bob@example.test", "s", "t"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("error: "));
    let output = run("parse", &["/nonexistent/message.eml"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/message.eml"));
    assert_eq!(run("parse", &[]).status.code(), Some(2));
}
