//! `imap-cli` itself against the provider transcripts of
//! `fixtures/providers/` (served on a loopback socket without TLS): the
//! refusals each provider really sends must end in exit 4, and the
//! password must never reach the output. The presets and the successful
//! sessions are checked by `crates/mail-cli/tests/providers.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::TcpListener;
use std::process::Command;

use mail_wire::testing::ScriptedStream;

const PASSWORD: &str = "app-pass 0123";

/// Runs imap-cli for the account of `file` against its transcript; returns
/// the exit code and the output, after checking the whole script was played.
fn replay(file: &str, extra: &[&str]) -> (i32, String) {
    let path = format!(
        "{}/../../fixtures/providers/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let script = std::fs::read_to_string(&path).unwrap();
    let account = script
        .lines()
        .find_map(|l| l.strip_prefix("# account: "))
        .unwrap()
        .trim()
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = ScriptedStream::from_transcript(&script).serve_on(listener);
    let out = Command::new(env!("CARGO_BIN_EXE_imap-cli"))
        .args([
            account.as_str(),
            PASSWORD,
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "none",
        ])
        .arg("--timeout=10")
        .args(extra)
        .env_remove("MAIL_PASSWORD")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match server.join() {
        Ok(script) => script.assert_done(),
        Err(_) => panic!("{file}: imap-cli did not send what the provider expects:\n{output}"),
    }
    assert!(
        !output.contains(PASSWORD),
        "{file}: the password reached the output:\n{output}"
    );
    (out.status.code().unwrap_or(-1), output)
}

#[test]
fn refused_logins_exit_4() {
    for file in ["naver-imap-wrong-password.txt", "gmail-imap-alert.txt"] {
        let (code, output) = replay(file, &["-c", "NOOP"]);
        assert_eq!(code, 4, "{file}:\n{output}");
    }
    // RFC 3501 §7.1: the text of an [ALERT] must reach the user.
    let (_, output) = replay("gmail-imap-alert.txt", &["-c", "NOOP"]);
    assert!(
        output.contains("Application-specific password required"),
        "{output}"
    );
}

#[test]
fn the_original_scripts_naver_session_reads_the_message() {
    let commands = [
        "list \"\" \"*\"",
        "select inbox",
        "fetch 1:* flags",
        "fetch 1 body[]",
    ];
    let args: Vec<&str> = commands.iter().flat_map(|c| ["-c", c]).collect();
    let (code, output) = replay("naver-imap.txt", &args);
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("S: 7JWI64WV7ZWY7IS47JqULiDsnpgg7KeA64K07KeA7JqUPw=="),
        "the whole message is shown:\n{output}"
    );
    assert!(
        output.contains("내게쓴메일함"),
        "Korean folder names are shown decoded:\n{output}"
    );
}

#[test]
fn gmail_with_an_app_password_shows_labels_and_ids() {
    let (code, output) = replay(
        "gmail-imap.txt",
        &[
            "-c",
            "select INBOX",
            "-c",
            "fetch 1 (X-GM-MSGID X-GM-THRID X-GM-LABELS FLAGS)",
        ],
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("C: a4 ENABLE UTF8=ACCEPT"), "{output}");
    assert!(
        output.contains("X-GM-LABELS (\"\\\\Important\" \"\\\\Inbox\")"),
        "{output}"
    );
}
