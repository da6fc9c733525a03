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

use std::process::{Command, Output, Stdio};

use mail_wire::testing::{
    assert_terminal_safe, LineServer, HOSTILE, HOSTILE_ESCAPED, HOSTILE_TEXT_ESCAPED,
};

const BIN: &str = env!("CARGO_BIN_EXE_pop3-cli");

fn hostile(text: &str) -> Vec<u8> {
    let mut line = text.as_bytes().to_vec();
    line.extend_from_slice(HOSTILE);
    line.extend_from_slice(b"\r\n");
    line
}

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

fn run(server: &LineServer, level: &[&str], commands: &[&str]) -> Output {
    let port = server.port().to_string();
    let mut cmd = Command::new(BIN);
    cmd.args([
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
    .args(level)
    .env("MAIL_PASSWORD", "pw-not-shown")
    .env_remove("RUST_LOG")
    .stdin(Stdio::null());
    for c in commands {
        cmd.args(["-c", c]);
    }
    cmd.output().unwrap()
}

const LEVELS: [&[&str]; 3] = [&["-q"], &[], &["-v"]];

#[test]
fn hostile_server_text_reaches_stdout_escaped_at_every_level() {
    for level in LEVELS {
        let server = server(true);
        let out = run(&server, level, &["noop", "list", "stat"]);
        assert_terminal_safe(&out.stdout, &format!("stdout at {level:?}"));
        let stdout = String::from_utf8(out.stdout.clone()).unwrap();
        if level.is_empty() {
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
        let out = run(&server, level, &["noop", "list", "stat"]);
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "server rejected STAT: -ERR [SYS/TEMP] not now {HOSTILE_TEXT_ESCAPED}"
            )),
            "{stderr}"
        );
        server.lines();
    }
}

#[test]
fn rejected_login_keeps_the_response_code_and_names_the_command() {
    let server = server(false);
    let out = run(&server, &["-q"], &["stat"]);
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    assert!(
        stderr.contains("rejected PASS: -ERR [AUTH] Authentication failed."),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-not-shown"));
    server.lines();
}

#[test]
fn errors_show_no_internal_names() {
    let out = Command::new(BIN)
        .args(["bob@unknown.example.test"])
        .env("MAIL_PASSWORD", "x")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
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
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    let examples = help.find("Examples:").expect("examples");
    let console = help.find(":save N PATH").expect("console commands");
    let codes = help.find("Exit codes:").expect("exit codes");
    assert!(examples < console && console < codes, "{help}");
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
