//! Runs `examples/send_attachment.rs` (and, with the `tokio` feature,
//! `examples/send_async.rs`) against the real Postfix + Dovecot
//! from `scripts/servers`, as a newcomer would, and checks the message that
//! arrived. The example is built by `cargo test -p mail-smtp` (with
//! `--test examples` alone, run `cargo build -p mail-smtp --examples` first).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use mail_mime::ParsedMessage;
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
        "{} is not built: `cargo test -p mail-smtp` builds the examples; `--test examples` alone does not (`cargo build -p mail-smtp --examples` first)",
        path.display()
    );
    path
}

/// The example `name` (`send_attachment`, `send_async`) as ALICE; the
/// server settings as flags, the password in the environment.
fn run_example(
    name: &str,
    env: &TestEnv,
    port_var: &str,
    tls: &str,
    password: &str,
    args: &[&str],
) -> Output {
    let (user, _) = env.account("ALICE");
    Command::new(example_path(name))
        .args(["--host", &env.var("MAILTEST_HOST")])
        .args(["--port", &env.var(port_var)])
        .args(["--tls", tls])
        .args(["--tls-name", &env.var("MAILTEST_TLS_NAME")])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE")])
        .args(["--user", &user])
        .env("MAIL_PASSWORD", password)
        .args(args)
        .output()
        .unwrap()
}

fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{base}-{}-{nanos}", std::process::id())
}

/// A file no text transfer could carry unharmed: every byte value, bare CR
/// and LF, and a line that is a lone dot.
fn binary_file(dir: &Path) -> (PathBuf, Vec<u8>) {
    let mut data: Vec<u8> = (0..=255).collect();
    data.extend_from_slice(b"\r\n.\r\n\rx\ny\r\n");
    data.extend((0..20_000u32).map(|i| (i * 7 % 251) as u8));
    let path = dir.join("data.bin");
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

fn check_delivery(example: &str, env: &TestEnv, port_var: &str, tls: &str) {
    let (_, password) = env.account("ALICE");
    let dir = tempfile::tempdir().unwrap();
    let (file, data) = binary_file(dir.path());
    let marker = unique("example-send");
    let subject = format!("{marker} \u{bcf4}\u{ace0}\u{c11c}");
    let output = run_example(
        example,
        env,
        port_var,
        tls,
        password.expose(),
        &[
            "alice@example.test",
            "carol@example.test",
            file.to_str().unwrap(),
            &subject,
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" to 1 recipient(s): 250 "), "{stdout}");

    let arrived = env.wait_for_mail("CAROL", &marker, Duration::from_secs(20));
    let message = ParsedMessage::parse(&arrived);
    assert_eq!(message.subject().as_deref(), Some(subject.as_str()));
    assert_eq!(message.from()[0].address(), "alice@example.test");
    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename(), Some("data.bin"));
    assert!(
        attachments[0].decoded().as_ref() == data.as_slice(),
        "attachment changed in transit"
    );
    assert_eq!(
        message.text_body().as_deref().map(str::trim_end),
        Some(format!("Hello,\n\nattached: {}.", file.display()).as_str())
    );
}

#[test]
fn send_attachment_example_delivers_over_starttls() {
    let Some(env) = TestEnv::load() else { return };
    check_delivery(
        "send_attachment",
        &env,
        "MAILTEST_SUBMISSION_PORT",
        "starttls",
    );
}

#[cfg(feature = "tokio")]
#[test]
fn send_async_example_delivers_over_starttls() {
    let Some(env) = TestEnv::load() else { return };
    check_delivery("send_async", &env, "MAILTEST_SUBMISSION_PORT", "starttls");
}

#[test]
fn send_attachment_example_delivers_over_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    check_delivery("send_attachment", &env, "MAILTEST_SMTPS_PORT", "implicit");
}

#[test]
fn a_refused_login_is_one_clear_line_without_the_password() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = binary_file(dir.path());
    let output = run_example(
        "send_attachment",
        &env,
        "MAILTEST_SUBMISSION_PORT",
        "starttls",
        "not-the-password-xyzzy",
        &[
            "alice@example.test",
            "carol@example.test",
            file.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("535"), "{stderr}");
    assert!(!stderr.contains("xyzzy"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("xyzzy"));
}

#[test]
fn a_missing_file_is_named_before_anything_is_sent() {
    let Some(env) = TestEnv::load() else { return };
    let (_, password) = env.account("ALICE");
    let output = run_example(
        "send_attachment",
        &env,
        "MAILTEST_SUBMISSION_PORT",
        "starttls",
        password.expose(),
        &[
            "alice@example.test",
            "carol@example.test",
            "/nonexistent/report.pdf",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("report.pdf"),
        "{stderr}"
    );
}
