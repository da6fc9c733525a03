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

use mail_wire::testing::{
    assert_help_in_order, assert_terminal_safe, hostile_line as hostile, run_at_every_level,
    run_on_loopback, run_program, LineServer, HOSTILE_ESCAPED, HOSTILE_TEXT_ESCAPED,
    LOOPBACK_PASSWORD,
};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-send");

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

/// The message every run sends.
const MESSAGE: &[&str] = &[
    "--to",
    "carol@example.test",
    "--subject",
    "hi",
    "--body",
    "hello",
];

#[test]
fn hostile_server_text_reaches_stdout_escaped_at_every_level() {
    for (level, out) in run_at_every_level(BIN, || server(true), MESSAGE) {
        assert_terminal_safe(&out.stdout, &format!("stdout at {level:?}"));
        if level.is_empty() {
            let stdout = out.stdout_text();
            assert!(
                stdout.contains(HOSTILE_ESCAPED),
                "the transcript shows the text escaped:\n{stdout}"
            );
        }
    }
}

#[test]
fn hostile_server_text_reaches_stderr_escaped_at_every_level() {
    for (level, out) in run_at_every_level(BIN, || server(true), MESSAGE) {
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = out.stderr_text();
        assert_eq!(out.code, Some(5), "{stderr}");
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
    }
}

#[test]
fn rejected_auth_keeps_the_whole_reply_and_names_the_command() {
    let server = server(false);
    let out = run_on_loopback(BIN, &server, &[&["-q"], MESSAGE].concat());
    let stderr = out.stderr_text();
    assert_eq!(out.code, Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    assert!(
        stderr.contains("authentication with PLAIN: 535 5.7.8 Authentication failed."),
        "{stderr}"
    );
    assert!(!stderr.contains(LOOPBACK_PASSWORD));
    server.lines();
}

#[test]
fn errors_show_no_internal_names() {
    let out = run_program(
        BIN,
        &[
            "bob@unknown.example.test",
            "--to",
            "x@example.test",
            "--body",
            "hi",
        ],
        &[("MAIL_PASSWORD", "x")],
    );
    let stderr = out.stderr_text();
    assert_eq!(out.code, Some(2), "{stderr}");
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
    assert_help_in_order(BIN, &["Examples:", "Exit codes:"]);
}
