//! Issue 12.1: `imap-cli` given the wrong TLS mode for a port of the real
//! Dovecot finds the right one within seconds, says which `--tls` to give,
//! and the session works (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mail_wire::testing::{assert_found_tls_mode, Ran, TestEnv};

const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

/// Runs `NOOP` with `--tls mode` on `port_var`.
fn noop(env: &TestEnv, port_var: &str, mode: &str) -> Ran {
    let ca_file = env.var("MAILTEST_CA_FILE");
    env.run_as(
        BIN,
        "BOB",
        &env.var("MAILTEST_HOST"),
        port_var,
        mode,
        &["--ca-file", &ca_file, "-c", "NOOP"],
    )
}

#[test]
fn issue_12_starttls_on_the_imaps_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr) =
        assert_found_tls_mode(&noop(&env, "MAILTEST_IMAPS_PORT", "starttls"), "implicit");
    assert!(
        stdout.contains("NOOP") && stdout.contains(" OK "),
        "{stdout}"
    );
    assert!(!stdout.contains("STARTTLS\n"), "{stdout}");
    assert!(stderr.starts_with("imap-cli: "), "{stderr}");
}

#[test]
fn issue_12_implicit_tls_on_the_imap_port_goes_on_with_starttls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr) =
        assert_found_tls_mode(&noop(&env, "MAILTEST_IMAP_PORT", "implicit"), "starttls");
    assert!(
        stdout.contains("STARTTLS") && stdout.contains("NOOP"),
        "{stdout}"
    );
    assert!(stderr.contains("plain text (\"* OK "), "{stderr}");
}
