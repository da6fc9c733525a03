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

use mail_wire::testing::{
    assert_help_in_order, assert_terminal_safe, hostile_line as hostile, run_at_every_level,
    run_on_loopback, run_program, LineServer, HOSTILE_ESCAPED, HOSTILE_TEXT_ESCAPED,
    LOOPBACK_PASSWORD,
};

const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

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

#[test]
fn hostile_server_text_reaches_stdout_escaped_at_every_level() {
    for (level, out) in
        run_at_every_level(BIN, || server(true), &["-c", "noop", "-c", "select inbox"])
    {
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
    for (level, out) in
        run_at_every_level(BIN, || server(true), &["-c", "noop", "-c", "select inbox"])
    {
        assert_terminal_safe(&out.stderr, &format!("stderr at {level:?}"));
        let stderr = out.stderr_text();
        assert_eq!(out.code, Some(5), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "server rejected SELECT: NO [NONEXISTENT] no such mailbox {HOSTILE_TEXT_ESCAPED}"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn rejected_login_keeps_the_response_code_and_names_the_command() {
    let server = server(false);
    let out = run_on_loopback(BIN, &server, &["-q", "-c", "noop"]);
    let stderr = out.stderr_text();
    assert_eq!(out.code, Some(4), "{stderr}");
    assert_terminal_safe(&out.stderr, "stderr");
    let login = stderr.contains("LOGIN: NO [AUTHENTICATIONFAILED] Authentication failed.");
    let authenticate =
        stderr.contains("AUTHENTICATE: NO [AUTHENTICATIONFAILED] Authentication failed.");
    assert!(login || authenticate, "{stderr}");
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
    assert_help_in_order(BIN, &["Examples:", ":append MAILBOX FILE", "Exit codes:"]);
}
