//! `smtp-send` itself against the provider transcripts of
//! `fixtures/providers/` (served on a loopback socket without TLS): a
//! message the provider takes ends in exit 0, one it refuses in exit 5, a
//! refused login in exit 4, and the password never reaches the output. The
//! presets themselves are checked by `crates/mail-cli/tests/providers.rs`.
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

/// The transcript as the program must meet it: smtp-send composes its own
/// message (date, message id, MIME headers), so the body lines and the
/// SIZE parameter differ from the library replay's fixed message.
fn for_the_program(script: &str) -> String {
    let mut out = String::new();
    let mut in_body = false;
    for line in script.lines() {
        if in_body {
            if line != "C: ." {
                continue;
            }
            in_body = false;
            out.push_str(mail_wire::testing::ANY_LINES);
            out.push('\n');
        }
        match line.split_once(" SIZE=") {
            Some((mail, _)) if line.starts_with("C: MAIL FROM:") => {
                out.push_str(&format!("{mail} SIZE=********"))
            }
            _ => out.push_str(line),
        }
        out.push('\n');
        in_body |= line.starts_with("S: 354");
    }
    out
}

/// Runs smtp-send for the account of `file` against its transcript; returns
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
    let server = ScriptedStream::from_transcript(&for_the_program(&script)).serve_on(listener);
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
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
        .args([
            "--helo",
            "client.example",
            "--to",
            "friend@example.com",
            "--subject",
            "replay",
            "--body",
            "hi",
        ])
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
        Err(_) => panic!("{file}: smtp-send did not send what the provider expects:\n{output}"),
    }
    assert!(
        !output.contains(PASSWORD),
        "{file}: the password reached the output:\n{output}"
    );
    (out.status.code().unwrap_or(-1), output)
}

#[test]
fn refused_logins_exit_4() {
    let table: &[(&str, &[&str])] = &[
        ("naver-smtp-auth-failure.txt", &[]),
        ("163-smtp-wrong-password.txt", &[]),
        ("qq-smtp-authorization-code.txt", &[]),
        ("gmail-smtp-app-password-required.txt", &[]),
        ("gmail-smtp-xoauth2-failure.txt", &["--auth", "xoauth2"]),
    ];
    for (file, extra) in table {
        let (code, output) = replay(file, extra);
        assert_eq!(code, 4, "{file}:\n{output}");
        assert!(
            output.contains("C: AUTH "),
            "{file}: the transcript is shown:\n{output}"
        );
    }
}

#[test]
fn messages_the_provider_takes_exit_0_and_refused_ones_exit_5() {
    let table: &[(&str, &[&str], i32)] = &[
        ("naver-smtp.txt", &["--auth", "login"], 0),
        ("163-smtp.txt", &[], 0),
        ("qq-smtp.txt", &[], 0),
        ("163-smtp-spam-rejected.txt", &[], 5),
    ];
    for (file, extra, expected) in table {
        let (code, output) = replay(file, extra);
        assert_eq!(code, *expected, "{file}:\n{output}");
        assert!(
            output.contains("C: RCPT TO:<friend@example.com>"),
            "{file}: the transcript is shown:\n{output}"
        );
    }
}
