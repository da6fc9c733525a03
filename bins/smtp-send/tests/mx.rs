//! `smtp-send --mx` against the private dnsmasq zone (scripts/dns-zones/mx-test.conf)
//! and the real Postfix acting as every domain's MX host.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::Duration;

use mail_wire::testing::TestEnv;

fn dns() -> Option<String> {
    match std::env::var("MAILTEST_DNS") {
        Ok(addr) => Some(addr),
        Err(_) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "CI=true but MAILTEST_DNS is not set: run the tests through scripts/test"
            );
            eprintln!("SKIPPED: MAILTEST_DNS not set; run scripts/test");
            None
        }
    }
}

fn run(env: &TestEnv, dns: &str, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smtp-send"));
    cmd.args([
        "alice@example.test",
        "--mx",
        "--dns",
        dns,
        "--mx-port",
        &env.var("MAILTEST_SMTP_PORT"),
    ])
    .args([
        "--ca-file",
        &env.var("MAILTEST_CA_FILE"),
        "--timeout",
        "10",
        "--helo",
        "client.example.test",
    ])
    .args(extra)
    .env_remove("MAIL_PASSWORD")
    .stdin(std::process::Stdio::null());
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn marker(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("mx-{tag}-{nanos}")
}

#[test]
fn delivers_to_two_domains_through_their_mx_hosts_with_verified_starttls() {
    let (Some(env), Some(dns)) = (TestEnv::load(), dns()) else {
        return;
    };
    let marker = marker("two");
    let (code, stdout, stderr) = run(
        &env,
        &dns,
        &[
            "--tls",
            "starttls",
            "--to",
            "bob@example.test",
            "--to",
            "carol@pref.test",
            "--subject",
            &marker,
            "--body",
            "direct",
        ],
    );
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(
        stdout.contains("bob@example.test: delivered to mail.example.test"),
        "{stdout}"
    );
    assert!(
        stdout.contains("carol@pref.test: delivered to mail.example.test"),
        "{stdout}"
    );
    assert!(stdout.contains("C: STARTTLS"), "{stdout}");
    assert!(!stdout.contains("AUTH"), "no AUTH to an MX host: {stdout}");
    env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
    env.wait_for_mail("CAROL", &marker, Duration::from_secs(15));
}

#[test]
fn dry_run_lists_the_hosts_in_preference_order() {
    let (Some(env), Some(dns)) = (TestEnv::load(), dns()) else {
        return;
    };
    let (code, stdout, stderr) = run(
        &env,
        &dns,
        &["--to", "bob@pref.test", "--body", "x", "--dry-run"],
    );
    assert_eq!(code, 0, "{stderr}");
    let preferred = stdout.find("mail.example.test").expect(&stdout);
    let backup = stdout.find("refuse.mx.test").expect(&stdout);
    assert!(preferred < backup, "{stdout}");
    // Issue 12.5: then the envelope and the message, as without --mx.
    let rcpt = stdout.find("  RCPT TO:<bob@pref.test>").expect(&stdout);
    let message = stdout.find("\nMessage (").expect(&stdout);
    assert!(backup < rcpt && rcpt < message, "{stdout}");
}

#[test]
fn null_mx_is_refused_and_exits_5() {
    let (Some(env), Some(dns)) = (TestEnv::load(), dns()) else {
        return;
    };
    let (code, stdout, stderr) = run(
        &env,
        &dns,
        &["--to", "bob@nullmx.test", "--body", "x", "-q"],
    );
    assert_eq!(code, 5, "{stderr}\n{stdout}");
    assert!(stdout.contains("accepts no mail"), "{stdout}");
    assert!(stderr.starts_with("smtp-send: "), "{stderr}");
}

#[test]
fn implicit_tls_makes_no_sense_with_mx() {
    let (Some(env), Some(dns)) = (TestEnv::load(), dns()) else {
        return;
    };
    let (code, _, stderr) = run(
        &env,
        &dns,
        &[
            "--tls",
            "implicit",
            "--to",
            "bob@example.test",
            "--body",
            "x",
        ],
    );
    assert_eq!(code, 2, "{stderr}");
}
