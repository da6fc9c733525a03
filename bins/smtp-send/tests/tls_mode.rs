//! Issue 12.1: `smtp-send` given the wrong TLS mode for a port of the real
//! Postfix finds the right one within seconds, says which `--tls` to give,
//! and the message is sent (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;
use std::time::{Duration, Instant};

use mail_wire::testing::TestEnv;

/// Sends a short message with `--tls mode` on `port_var`; returns stdout, stderr, exit code and time taken.
fn send(env: &TestEnv, port_var: &str, mode: &str) -> (String, String, Option<i32>, Duration) {
    let (user, pass) = env.account("ALICE");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-send"))
        .args([
            &user,
            "--host",
            &env.var("MAILTEST_HOST"),
            "--port",
            &env.var(port_var),
            "--tls",
            mode,
        ])
        .args([
            "--ca-file",
            &env.var("MAILTEST_CA_FILE"),
            "--to",
            "bob@example.test",
            "--body",
            "tls mode",
        ])
        .env("MAIL_PASSWORD", pass.expose())
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(pass.expose()) && !stderr.contains(pass.expose()));
    (stdout, stderr, out.status.code(), elapsed)
}

#[test]
fn issue_12_starttls_on_the_smtps_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = send(&env, "MAILTEST_SMTPS_PORT", "starttls");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("S: 250 ") && !stdout.contains("C: STARTTLS"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("smtp-send: ") && stderr.contains("--tls implicit"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn issue_12_implicit_tls_on_the_submission_port_goes_on_with_starttls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = send(&env, "MAILTEST_SUBMISSION_PORT", "implicit");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("C: STARTTLS") && stdout.contains("S: 250 "),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("plain text (\"220 ") && stderr.contains("--tls starttls"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
