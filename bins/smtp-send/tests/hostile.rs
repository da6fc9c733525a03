//! `smtp-send` against a scripted server whose greeting, EHLO lines and
//! rejections carry terminal control sequences: nothing raw reaches stdout
//! or stderr at `-q`, default or `-v`, and errors keep the whole reply with
//! the command named (issue 10 items 2 and 3, issue 12 item 4).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Output, Stdio};

use mail_wire::testing::{
    assert_terminal_safe, LineServer, HOSTILE, HOSTILE_ESCAPED, HOSTILE_TEXT_ESCAPED,
};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-send");

fn hostile(text: &str) -> Vec<u8> {
    let mut line = text.as_bytes().to_vec();
    line.extend_from_slice(HOSTILE);
    line.extend_from_slice(b"\r\n");
    line
}

/// An SMTP server that accepts AUTH when `auth_ok` and refuses every
/// recipient, with [`HOSTILE`] text in every reply.
fn server(auth_ok: bool) -> LineServer {
    let mut in_data = false;
    LineServer::start(&hostile("220 hostile.test ESMTP "), move |line| {
        if in_data {
            in_data = line != ".";
            return Some(if in_data {
                Vec::new()
            } else {
                hostile("250 2.0.0 queued ")
            });
        }
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let mut out = Vec::new();
        match verb.as_str() {
            "EHLO" => {
                out.extend(hostile("250-hostile.test "));
                out.extend(b"250 AUTH PLAIN LOGIN\r\n");
            }
            "AUTH" if auth_ok => out.extend(hostile("235 2.7.0 ok ")),
            "AUTH" => out.extend(hostile("535 5.7.8 Authentication failed. ")),
            "RCPT" => out.extend(hostile("550 5.1.1 no such user ")),
            "DATA" => {
                in_data = true;
                out.extend(b"354 go on\r\n");
            }
            "QUIT" => {
                out.extend(hostile("221 2.0.0 bye "));
                return Some(out);
            }
            _ => out.extend(hostile("250 2.0.0 ok ")),
        }
        Some(out)
    })
}

fn run(server: &LineServer, level: &[&str]) -> Output {
    let port = server.port().to_string();
    Command::new(BIN)
        .args([
            "bob@example.test",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "none",
            "--timeout",
            "10",
        ])
        .args([
            "--to",
            "carol@example.test",
            "--subject",
            "hi",
            "--body",
            "hello",
        ])
        .args(level)
        .env("MAIL_PASSWORD", "pw-not-shown")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const LEVELS: [&[&str]; 3] = [&["-q"], &[], &["-v"]];

#[test]
fn hostile_server_text_reaches_stdout_escaped_at_every_level() {
    for level in LEVELS {
        let server = server(true);
        let out = run(&server, level);
        assert_terminal_safe(&out.stdout, &format!("stdout at {level:?}"));
        if level.is_empty() {
            let stdout = String::from_utf8(out.stdout.clone()).unwrap();
            assert!(
                stdout.contains(HOSTILE_ESCAPED),
                "the transcript shows the text escaped:\n{stdout}"
            );
        }
        server.lines();
    }
}

#[test]
fn hostile_server_text_reaches_stderr_escaped_at_every_level() {
    for level in LEVELS {
        let server = server(true);
        let out = run(&server, level);
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains(&format!("550 5.1.1 no such user {HOSTILE_TEXT_ESCAPED}")),
            "{stderr}"
        );
        assert!(
            stderr.contains(
                "server rejected RCPT for every recipient: carol@example.test (550 5.1.1"
            ),
            "{stderr}"
        );
        server.lines();
    }
}

#[test]
fn rejected_auth_keeps_the_whole_reply_and_names_the_command() {
    let server = server(false);
    let out = run(&server, &["-q"]);
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    assert!(
        stderr.contains("authentication with PLAIN: 535 5.7.8 Authentication failed."),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-not-shown"));
    server.lines();
}

#[test]
fn errors_show_no_internal_names() {
    let out = Command::new(BIN)
        .args([
            "bob@unknown.example.test",
            "--to",
            "x@example.test",
            "--body",
            "hi",
        ])
        .env("MAIL_PASSWORD", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no built-in SMTP server for unknown.example.test"),
        "{stderr}"
    );
    for internal in ["(Imap)", "(Pop3)", "(Smtp)", "Some(", "Rejected {"] {
        assert!(!stderr.contains(internal), "{internal} in {stderr}");
    }
}

#[test]
fn help_ends_with_examples_and_exit_codes() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    let examples = help.find("Examples:").expect("examples");
    let codes = help.find("Exit codes:").expect("exit codes");
    assert!(examples < codes, "{help}");
    for code in [
        "0  ok",
        "2  usage",
        "3  connection",
        "4  authentication",
        "5  a command rejected",
        "6  the server broke",
    ] {
        assert!(help.contains(code), "{code} missing:\n{help}");
    }
}
