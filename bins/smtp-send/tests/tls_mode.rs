//! Issue 12.1: `smtp-send` given the wrong TLS mode for a port of the real
//! Postfix finds the right one within seconds, says which `--tls` to give,
//! and the message is sent (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use mail_wire::testing::{Ran, TestEnv};

const BIN: &str = env!("CARGO_BIN_EXE_smtp-send");

/// Sends a short message with `--tls mode` on `port_var`.
fn send(env: &TestEnv, port_var: &str, mode: &str) -> Ran {
    let ca_file = env.var("MAILTEST_CA_FILE");
    env.run_as(
        BIN,
        "ALICE",
        &env.var("MAILTEST_HOST"),
        port_var,
        mode,
        &[
            "--ca-file",
            &ca_file,
            "--to",
            "bob@example.test",
            "--body",
            "tls mode",
        ],
    )
}

#[test]
fn issue_12_starttls_on_the_smtps_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let out = send(&env, "MAILTEST_SMTPS_PORT", "starttls");
    let (stdout, stderr) = (out.stdout_text(), out.stderr_text());
    assert_eq!(out.code, Some(0), "{stderr}");
    assert!(
        stdout.contains("S: 250 ") && !stdout.contains("C: STARTTLS"),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("smtp-send: ") && stderr.contains("--tls implicit"),
        "{stderr}"
    );
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}

#[test]
fn issue_12_implicit_tls_on_the_submission_port_goes_on_with_starttls() {
    let Some(env) = TestEnv::load() else { return };
    let out = send(&env, "MAILTEST_SUBMISSION_PORT", "implicit");
    let (stdout, stderr) = (out.stdout_text(), out.stderr_text());
    assert_eq!(out.code, Some(0), "{stderr}");
    assert!(
        stdout.contains("C: STARTTLS") && stdout.contains("S: 250 "),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("plain text (\"220 ") && stderr.contains("--tls starttls"),
        "{stderr}"
    );
    assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
}
