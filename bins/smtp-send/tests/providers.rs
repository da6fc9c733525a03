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

use mail_wire::testing::replay_provider;

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

/// Runs smtp-send for the account of `file` against its transcript (see
/// [`replay_provider`]) with a short message to friend@example.com.
fn replay(file: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "--helo",
        "client.example",
        "--to",
        "friend@example.com",
        "--subject",
        "replay",
        "--body",
        "hi",
    ];
    args.extend_from_slice(extra);
    replay_provider(
        env!("CARGO_BIN_EXE_smtp-send"),
        file,
        for_the_program,
        &args,
    )
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
