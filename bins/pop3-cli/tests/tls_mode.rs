//! Issue 12.1: `pop3-cli` given the wrong TLS mode for a port of the real
//! Dovecot finds the right one within seconds, says which `--tls` to give,
//! and the session works (certificates verified as always).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mail_wire::testing::{assert_found_tls_mode, Ran, TestEnv};

const BIN: &str = env!("CARGO_BIN_EXE_pop3-cli");

/// Runs `STAT` with `--tls mode` on `port_var`.
fn stat(env: &TestEnv, port_var: &str, mode: &str) -> Ran {
    let ca_file = env.var("MAILTEST_CA_FILE");
    env.run_as(
        BIN,
        "BOB",
        &env.var("MAILTEST_HOST"),
        port_var,
        mode,
        &["--ca-file", &ca_file, "-c", "STAT"],
    )
}

#[test]
fn issue_12_starttls_on_the_pop3s_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr) =
        assert_found_tls_mode(&stat(&env, "MAILTEST_POP3S_PORT", "starttls"), "implicit");
    assert!(
        stdout.contains("C: STAT") && stdout.contains("S: +OK "),
        "{stdout}"
    );
    assert!(!stdout.contains("C: STLS"), "{stdout}");
    assert!(stderr.starts_with("pop3-cli: "), "{stderr}");
}

#[test]
fn issue_12_implicit_tls_on_the_pop3_port_goes_on_with_stls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr) =
        assert_found_tls_mode(&stat(&env, "MAILTEST_POP3_PORT", "implicit"), "starttls");
    assert!(
        stdout.contains("C: STLS") && stdout.contains("S: +OK "),
        "{stdout}"
    );
    assert!(stderr.contains("plain text (\"+OK "), "{stderr}");
}

/// Issue 12.2: the certificate refusals a person meets, each one sentence
/// with the reason and what to do, no OpenSSL codes or source paths.
#[test]
fn issue_12_certificate_refusals_say_why_and_what_to_do() {
    let Some(env) = TestEnv::load() else { return };
    let run = |host: &str, extra: &[&str]| {
        let mut args = vec!["-c", "STAT"];
        args.extend_from_slice(extra);
        let out = env.run_as(BIN, "BOB", host, "MAILTEST_POP3S_PORT", "implicit", &args);
        assert_eq!(out.code, Some(3));
        let stderr = out.stderr_text();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            !stderr.contains("error:") && !stderr.contains(".c:"),
            "{stderr}"
        );
        stderr
    };
    // The test CA is not given: unknown issuer.
    let stderr = run(&env.var("MAILTEST_HOST"), &[]);
    assert!(stderr.starts_with("pop3-cli: cannot trust the certificate of 127.0.0.1: it is signed by an unknown authority; "), "{stderr}");
    assert!(
        stderr.contains("--ca-file PEM") && stderr.contains("--insecure"),
        "{stderr}"
    );
    // `127.1` reaches the server but is not a name the certificate carries.
    let stderr = run("127.1", &["--ca-file", &env.var("MAILTEST_CA_FILE")]);
    assert!(stderr.contains("cannot trust the certificate of 127.1: it is issued for localhost, 127.0.0.1, mail.example.test only; connect by a name it carries"), "{stderr}");
}

/// `--no-system-ca` trusts only the `--ca-file` certificates. To show the
/// system's roots are set aside, the test CA is made the system's (OpenSSL's
/// `SSL_CERT_FILE`): trusted by default, refused once `--no-system-ca`
/// leaves only an unrelated CA.
#[test]
fn no_system_ca_trusts_only_the_given_files() {
    let Some(env) = TestEnv::load() else { return };
    let ca_file = env.var("MAILTEST_CA_FILE");
    let stranger = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/tls/stranger-ca.pem"
    );
    let host = env.var("MAILTEST_HOST");
    let stat = |args: &[&str], vars: &[(&str, &str)]| {
        let mut all = vec!["-c", "STAT"];
        all.extend_from_slice(args);
        env.run_as_with_env(
            BIN,
            "BOB",
            &host,
            "MAILTEST_POP3S_PORT",
            "implicit",
            &all,
            vars,
        )
    };
    let as_system = [("SSL_CERT_FILE", ca_file.as_str())];

    let ran = stat(&["--ca-file", &ca_file, "--no-system-ca"], &[]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr_text());
    assert!(
        ran.stdout_text().contains("S: +OK "),
        "{}",
        ran.stdout_text()
    );

    let ran = stat(&[], &as_system);
    assert_eq!(
        ran.code,
        Some(0),
        "the test CA as a system root: {}",
        ran.stderr_text()
    );

    let ran = stat(&["--ca-file", stranger, "--no-system-ca"], &as_system);
    assert_eq!(ran.code, Some(3), "{}", ran.stdout_text());
    assert!(
        ran.stderr_text().contains(
            "cannot trust the certificate of 127.0.0.1: it is signed by an unknown authority"
        ),
        "{}",
        ran.stderr_text()
    );

    let ran = stat(&["--no-system-ca"], &[]);
    assert_eq!(ran.code, Some(2), "--no-system-ca needs --ca-file");
    assert!(
        ran.stderr_text().contains("--ca-file"),
        "{}",
        ran.stderr_text()
    );
}
