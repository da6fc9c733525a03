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

use mail_wire::testing::replay_provider;

/// Runs imap-cli for the account of `file` against its transcript (see
/// [`replay_provider`]).
fn replay(file: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["--timeout=10"];
    args.extend_from_slice(extra);
    replay_provider(env!("CARGO_BIN_EXE_imap-cli"), file, str::to_owned, &args)
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
