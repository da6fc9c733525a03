//! Runs `examples/download.rs` (and, with the `tokio` feature,
//! `examples/download_async.rs`) against the real Dovecot from
//! `scripts/servers`, as a newcomer would, and compares the files it wrote
//! with the messages in the mailbox. The example is built by `cargo test -p
//! mail-pop3` (with `--test examples` alone, run `cargo build -p mail-pop3 --examples` first).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use mail_wire::testing::TestEnv;

/// The built example `name`, next to this test's own binary.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test -p mail-pop3` builds the examples; `--test examples` alone does not (`cargo build -p mail-pop3 --examples` first)",
        path.display()
    );
    path
}

/// `example DIR` (`download` or `download_async`) for `who`, the
/// connection settings in the environment.
fn run_download(
    example: &str,
    env: &TestEnv,
    who: &str,
    port_var: &str,
    tls: &str,
    dir: &std::path::Path,
) -> Output {
    let (user, password) = env.account(who);
    Command::new(example_path(example))
        .env("MAIL_HOST", env.var("MAILTEST_HOST"))
        .env("MAIL_PORT", env.var(port_var))
        .env("MAIL_TLS", tls)
        .env("MAIL_TLS_NAME", env.var("MAILTEST_TLS_NAME"))
        .env("MAIL_CA_FILE", env.var("MAILTEST_CA_FILE"))
        .env("MAIL_USER", user)
        .env("MAIL_PASSWORD", password.expose())
        .arg(dir)
        .output()
        .unwrap()
}

fn stdout_of(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Files of `dir` with their bytes, sorted by name.
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn download_example_writes_every_message_byte_for_byte_once() {
    download_writes_every_message_byte_for_byte_once("download");
}

/// The async example, through the session as an `AsyncRead`.
#[cfg(feature = "tokio")]
#[test]
fn download_async_example_writes_every_message_byte_for_byte_once() {
    download_writes_every_message_byte_for_byte_once("download_async");
}

fn download_writes_every_message_byte_for_byte_once(example: &str) {
    let Some(env) = TestEnv::load() else { return };
    // Both examples use BOB's mailbox: they take turns.
    static BOB: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = BOB
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    env.empty_mailbox("BOB");
    // Dot-stuffed lines, 8-bit text and a long body on the wire.
    let mut big = b"Subject: big\r\n\r\n".to_vec();
    for i in 0..3000 {
        big.extend_from_slice(
            format!(".{i} \u{d55c}\u{ae00} line of the large message\r\n").as_bytes(),
        );
    }
    let messages = [
        b"Subject: one\r\nTo: bob@example.test\r\n\r\n.\r\n..two dots\r\nlast\r\n".to_vec(),
        "Subject: =?utf-8?B?7JWI64WV?=\r\n\r\n\u{c548}\u{b155}\r\n"
            .as_bytes()
            .to_vec(),
        big,
    ];
    for m in &messages {
        env.save("BOB", m);
    }
    let dir = tempfile::tempdir().unwrap();

    let first = stdout_of(&run_download(
        example,
        &env,
        "BOB",
        "MAILTEST_POP3S_PORT",
        "implicit",
        dir.path(),
    ));

    assert!(
        first.ends_with("3 downloaded, 0 already there\n"),
        "{first}"
    );
    let saved = files(dir.path());
    assert_eq!(saved.len(), 3, "{first}");
    let mut contents: Vec<Vec<u8>> = saved.iter().map(|(_, bytes)| bytes.clone()).collect();
    let mut expected = messages.to_vec();
    contents.sort();
    expected.sort();
    assert_eq!(contents, expected);
    assert!(
        saved.iter().all(|(name, _)| name.ends_with(".eml")),
        "{saved:?}"
    );

    // Over STLS the second run finds everything there and writes nothing.
    let second = stdout_of(&run_download(
        example,
        &env,
        "BOB",
        "MAILTEST_POP3_PORT",
        "starttls",
        dir.path(),
    ));
    assert_eq!(second, "0 downloaded, 3 already there\n");
    assert_eq!(files(dir.path()), saved);
    assert_eq!(env.inbox_count("BOB"), 3, "the example deletes nothing");
}

#[test]
fn a_refused_login_is_one_clear_line_without_the_password() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (user, _) = env.account("CAROL");
    let output = Command::new(example_path("download"))
        .env("MAIL_HOST", env.var("MAILTEST_HOST"))
        .env("MAIL_PORT", env.var("MAILTEST_POP3S_PORT"))
        .env("MAIL_TLS", "implicit")
        .env("MAIL_TLS_NAME", env.var("MAILTEST_TLS_NAME"))
        .env("MAIL_CA_FILE", env.var("MAILTEST_CA_FILE"))
        .env("MAIL_USER", user)
        .env("MAIL_PASSWORD", "not-the-password-xyzzy")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("xyzzy"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("xyzzy"));
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (user, password) = env.account("CAROL");
    let output = Command::new(example_path("download"))
        .env("MAIL_HOST", env.var("MAILTEST_HOST"))
        .env("MAIL_PORT", env.var("MAILTEST_POP3S_PORT"))
        .env("MAIL_TLS", "implicit")
        .env("MAIL_TLS_NAME", env.var("MAILTEST_TLS_NAME"))
        .env_remove("MAIL_CA_FILE")
        .env("MAIL_USER", user)
        .env("MAIL_PASSWORD", password.expose())
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
