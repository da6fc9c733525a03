//! Issue 12.1: `imap-cli` given the wrong TLS mode for a port of the real
//! Dovecot finds the right one within seconds, says which `--tls` to give,
//! and the session works (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::Command;
use std::time::{Duration, Instant};

use mail_wire::testing::TestEnv;

/// Runs `NOOP` with `--tls mode` on `port_var`; returns stdout, stderr, exit code and time taken.
fn noop(env: &TestEnv, port_var: &str, mode: &str) -> (String, String, Option<i32>, Duration) {
    let (user, pass) = env.account("BOB");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_imap-cli"))
        .args([
            &user,
            "--host",
            &env.var("MAILTEST_HOST"),
            "--port",
            &env.var(port_var),
            "--tls",
            mode,
        ])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE"), "-c", "NOOP"])
        .env("MAIL_PASSWORD", pass.expose())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains(pass.expose()) && !stderr.contains(pass.expose()));
    (stdout, stderr, out.status.code(), elapsed)
}

#[test]
fn issue_12_starttls_on_the_imaps_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = noop(&env, "MAILTEST_IMAPS_PORT", "starttls");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("NOOP") && stdout.contains(" OK "),
        "{stdout}"
    );
    assert!(!stdout.contains("STARTTLS\n"), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("imap-cli: ") && stderr.contains("--tls implicit"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn issue_12_implicit_tls_on_the_imap_port_goes_on_with_starttls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = noop(&env, "MAILTEST_IMAP_PORT", "implicit");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("STARTTLS") && stdout.contains("NOOP"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("plain text (\"* OK ") && stderr.contains("--tls starttls"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
