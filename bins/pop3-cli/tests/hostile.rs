//! `pop3-cli` against a scripted server whose greeting, error texts and
//! multi-line data carry terminal control sequences: nothing raw reaches
//! stdout or stderr at `-q`, default or `-v`, and errors keep the whole
//! reply with the command named (issue 10 items 2 and 3, issue 12 item 4).
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

const BIN: &str = env!("CARGO_BIN_EXE_pop3-cli");

/// A POP3 server that accepts PASS when `login_ok`, fills every answer
/// with [`HOSTILE`] text, and refuses STAT.
fn server(login_ok: bool) -> LineServer {
    LineServer::start(&hostile("+OK ready "), move |line| {
        let command = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let mut out = Vec::new();
        match command.as_str() {
            "CAPA" => {
                out.extend(hostile("+OK caps "));
                out.extend(b"USER\r\nUIDL\r\n");
                out.extend(hostile("X-HOSTILE "));
                out.extend(b".\r\n");
            }
            "PASS" if !login_ok => out.extend(hostile("-ERR [AUTH] Authentication failed. ")),
            "AUTH" | "APOP" => out.extend(hostile("-ERR [AUTH] Authentication failed. ")),
            "LIST" => {
                out.extend(hostile("+OK listing "));
                out.extend(b"1 120\r\n");
                out.extend(hostile("2 "));
                out.extend(b".\r\n");
            }
            "STAT" => out.extend(hostile("-ERR [SYS/TEMP] not now ")),
            "QUIT" => {
                out.extend(hostile("+OK bye "));
                return Some(out);
            }
            _ => out.extend(hostile("+OK ")),
        }
        Some(out)
    })
}

#[test]
fn hostile_server_text_reaches_stdout_escaped_at_every_level() {
    for (level, out) in run_at_every_level(
        BIN,
        || server(true),
        &["-c", "noop", "-c", "list", "-c", "stat"],
    ) {
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
    for (level, out) in run_at_every_level(
        BIN,
        || server(true),
        &["-c", "noop", "-c", "list", "-c", "stat"],
    ) {
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = out.stderr_text();
        assert_eq!(out.code, Some(5), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "server rejected STAT: -ERR [SYS/TEMP] not now {HOSTILE_TEXT_ESCAPED}"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn rejected_login_keeps_the_response_code_and_names_the_command() {
    let server = server(false);
    let out = run_on_loopback(BIN, &server, &["-q", "-c", "stat"]);
    let stderr = out.stderr_text();
    assert_eq!(out.code, Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    assert!(
        stderr.contains("rejected PASS: -ERR [AUTH] Authentication failed."),
        "{stderr}"
    );
    assert!(!stderr.contains(LOOPBACK_PASSWORD));
    server.lines();
}

#[test]
fn errors_show_no_internal_names() {
    let out = run_program(
        BIN,
        &["bob@unknown.example.test"],
        &[("MAIL_PASSWORD", "x")],
    );
    let stderr = out.stderr_text();
    assert_eq!(out.code, Some(2), "{stderr}");
    assert!(
        stderr.contains("no built-in POP3 server for unknown.example.test"),
        "{stderr}"
    );
    for internal in ["(Imap)", "(Pop3)", "(Smtp)", "Some(", "Rejected {"] {
        assert!(!stderr.contains(internal), "{internal} in {stderr}");
    }
}

#[test]
fn help_ends_with_examples_console_commands_and_exit_codes() {
    assert_help_in_order(BIN, &["Examples:", ":save N PATH", "Exit codes:"]);
}
