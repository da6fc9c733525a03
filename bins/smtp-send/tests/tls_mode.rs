//! Issue 12.1: `smtp-send` given the wrong TLS mode for a port of the real
//! Postfix finds the right one within seconds, says which `--tls` to give,
//! and the message is sent (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mail_wire::testing::{assert_found_tls_mode, Ran, TestEnv};

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
    let (stdout, stderr) =
        assert_found_tls_mode(&send(&env, "MAILTEST_SMTPS_PORT", "starttls"), "implicit");
    assert!(
        stdout.contains("S: 250 ") && !stdout.contains("C: STARTTLS"),
        "{stdout}"
    );
    assert!(stderr.starts_with("smtp-send: "), "{stderr}");
}

#[test]
fn issue_12_implicit_tls_on_the_submission_port_goes_on_with_starttls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr) = assert_found_tls_mode(
        &send(&env, "MAILTEST_SUBMISSION_PORT", "implicit"),
        "starttls",
    );
    assert!(
        stdout.contains("C: STARTTLS") && stdout.contains("S: 250 "),
        "{stdout}"
    );
    assert!(stderr.contains("plain text (\"220 "), "{stderr}");
}
