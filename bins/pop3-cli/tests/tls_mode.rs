//! Issue 12.1: `pop3-cli` given the wrong TLS mode for a port of the real
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

/// Runs `STAT` with `--tls mode` on `port_var`; returns stdout, stderr, exit code and time taken.
fn stat(env: &TestEnv, port_var: &str, mode: &str) -> (String, String, Option<i32>, Duration) {
    let (user, pass) = env.account("BOB");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_pop3-cli"))
        .args([
            &user,
            "--host",
            &env.var("MAILTEST_HOST"),
            "--port",
            &env.var(port_var),
            "--tls",
            mode,
        ])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE"), "-c", "STAT"])
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
fn issue_12_starttls_on_the_pop3s_port_goes_on_with_implicit_tls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = stat(&env, "MAILTEST_POP3S_PORT", "starttls");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("C: STAT") && stdout.contains("S: +OK "),
        "{stdout}"
    );
    assert!(!stdout.contains("C: STLS"), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("pop3-cli: ") && stderr.contains("--tls implicit"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn issue_12_implicit_tls_on_the_pop3_port_goes_on_with_stls() {
    let Some(env) = TestEnv::load() else { return };
    let (stdout, stderr, code, elapsed) = stat(&env, "MAILTEST_POP3_PORT", "implicit");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("C: STLS") && stdout.contains("S: +OK "),
        "{stdout}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("plain text (\"+OK ") && stderr.contains("--tls starttls"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// Issue 12.2: the certificate refusals a person meets, each one sentence
/// with the reason and what to do, no OpenSSL codes or source paths.
#[test]
fn issue_12_certificate_refusals_say_why_and_what_to_do() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("BOB");
    let run = |host: &str, extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_pop3-cli"))
            .args([
                &user,
                "--host",
                host,
                "--port",
                &env.var("MAILTEST_POP3S_PORT"),
                "--tls",
                "implicit",
                "-c",
                "STAT",
            ])
            .args(extra)
            .env("MAIL_PASSWORD", pass.expose())
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
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
