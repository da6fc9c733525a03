//! `imap-cli` against a scripted server whose greeting, error texts and
//! untagged data carry terminal control sequences: nothing raw reaches
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

const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

fn hostile(text: &str) -> Vec<u8> {
    let mut line = text.as_bytes().to_vec();
    line.extend_from_slice(HOSTILE);
    line.extend_from_slice(b"\r\n");
    line
}

/// An IMAP server that accepts LOGIN when `login_ok`, and fills every
/// answer with [`HOSTILE`] text; SELECT is refused.
fn server(login_ok: bool) -> LineServer {
    let greeting = hostile("* OK [CAPABILITY IMAP4rev1] ready ");
    let mut pending_auth: Option<String> = None;
    LineServer::start(&greeting, move |line| {
        if let Some(tag) = pending_auth.take() {
            return Some(hostile(&format!(
                "{tag} NO [AUTHENTICATIONFAILED] Authentication failed. "
            )));
        }
        let mut words = line.split(' ');
        let tag = words.next().unwrap_or("*").to_owned();
        let command = words.next().unwrap_or_default().to_ascii_uppercase();
        let mut out = Vec::new();
        match command.as_str() {
            "CAPABILITY" => {
                out.extend(b"* CAPABILITY IMAP4rev1\r\n");
                out.extend(hostile(&format!("{tag} OK caps ")));
            }
            "LOGIN" if login_ok => {
                out.extend(hostile(&format!("{tag} OK [CAPABILITY IMAP4rev1] in ")))
            }
            "LOGIN" => out.extend(hostile(&format!(
                "{tag} NO [AUTHENTICATIONFAILED] Authentication failed. "
            ))),
            "AUTHENTICATE" => {
                pending_auth = Some(tag);
                out.extend(b"+ \r\n");
            }
            "SELECT" | "EXAMINE" => {
                out.extend(hostile("* XHOSTILE "));
                out.extend(hostile("* OK [ALERT] "));
                out.extend(hostile(&format!("{tag} NO [NONEXISTENT] no such mailbox ")));
            }
            "NOOP" => {
                out.extend(b"* 1 EXISTS\r\n");
                out.extend(hostile("* OK [UNSEEN 1] "));
                out.extend(hostile(&format!("{tag} OK done ")));
            }
            "LOGOUT" => {
                out.extend(hostile("* BYE "));
                out.extend(hostile(&format!("{tag} OK ")));
            }
            _ => out.extend(hostile(&format!("{tag} OK "))),
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
        let out = run(&server, level, &["noop", "select inbox"]);
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
        let out = run(&server, level, &["noop", "select inbox"]);
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "server rejected SELECT: NO [NONEXISTENT] no such mailbox {HOSTILE_TEXT_ESCAPED}"
            )),
            "{stderr}"
        );
        server.lines();
    }
}

#[test]
fn rejected_login_keeps_the_response_code_and_names_the_command() {
    let server = server(false);
    let out = run(&server, &["-q"], &["noop"]);
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    let login = stderr.contains("LOGIN: NO [AUTHENTICATIONFAILED] Authentication failed.");
    let authenticate =
        stderr.contains("AUTHENTICATE: NO [AUTHENTICATIONFAILED] Authentication failed.");
    assert!(login || authenticate, "{stderr}");
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
        stderr.contains("no built-in IMAP server for unknown.example.test"),
        "{stderr}"
    );
    for internal in [
        "(Imap)", "(Pop3)", "(Smtp)", "Some(", "Untagged", "Status {",
    ] {
        assert!(!stderr.contains(internal), "{internal} in {stderr}");
    }
}

#[test]
fn help_ends_with_examples_console_commands_and_exit_codes() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    let examples = help.find("Examples:").expect("examples");
    let console = help.find(":append MAILBOX FILE").expect("console commands");
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
