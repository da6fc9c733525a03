//! `pop3-cli` itself against the provider transcripts of
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

/// Runs pop3-cli for the account of `file` against its transcript (see
/// [`replay_provider`]).
fn replay(file: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["--timeout=10"];
    args.extend_from_slice(extra);
    replay_provider(env!("CARGO_BIN_EXE_pop3-cli"), file, str::to_owned, &args)
}

#[test]
fn refused_logins_exit_4() {
    let table: &[(&str, &[&str])] = &[
        ("naver-pop3-wrong-password.txt", &["-c", "STAT"]),
        (
            "gmail-pop3-xoauth2-failure.txt",
            &["--auth", "xoauth2", "-c", "STAT"],
        ),
    ];
    for (file, extra) in table {
        let (code, output) = replay(file, extra);
        assert_eq!(code, 4, "{file}:\n{output}");
    }
}

#[test]
fn the_original_scripts_naver_session_reads_the_message() {
    let (code, output) = replay(
        "naver-pop3.txt",
        &["-c", "STAT", "-c", "LIST", "-c", "RETR 1"],
    );
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("S: 7JWI64WV7ZWY7IS47JqULiDsnpgg7KeA64K07KeA7JqUPw=="),
        "the whole message is shown:\n{output}"
    );
    assert!(output.contains("C: PASS ********"), "{output}");
}
