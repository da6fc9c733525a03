//! Runs `examples/greeting.rs` against the real Dovecot and Postfix from
//! `scripts/servers`. The example is built by `cargo test -p mail-wire`
//! (with `--test examples` alone, run `cargo build -p mail-wire --examples` first).
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
        "{} is not built: `cargo test -p mail-wire` builds the examples; `--test examples` alone does not (`cargo build -p mail-wire --examples` first)",
        path.display()
    );
    path
}

fn greeting(env: &TestEnv, port_var: &str, options: &[&str]) -> Output {
    Command::new(example_path("greeting"))
        .arg(env.var("MAILTEST_HOST"))
        .arg(env.var(port_var))
        .args(options)
        .output()
        .unwrap()
}

#[test]
fn greeting_example_reads_the_banner_over_verified_tls() {
    let Some(env) = TestEnv::load() else { return };
    let ca = env.var("MAILTEST_CA_FILE");
    let name = env.var("MAILTEST_TLS_NAME");
    let tls = ["--implicit", "--ca-file", &ca, "--tls-name", &name];
    for (port, banner) in [
        ("MAILTEST_IMAPS_PORT", "* OK "),
        ("MAILTEST_POP3S_PORT", "+OK "),
        ("MAILTEST_SMTPS_PORT", "220 "),
    ] {
        let output = greeting(&env, port, &tls);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{port}: {output:?}");
        assert!(stdout.starts_with(banner), "{port}: {stdout}");
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
    }
    let output = greeting(&env, "MAILTEST_SUBMISSION_PORT", &["--plain"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with("220 "),
        "{output:?}"
    );
}

#[test]
fn greeting_example_refuses_an_unknown_authority_and_a_wrong_name() {
    let Some(env) = TestEnv::load() else { return };
    let ca = env.var("MAILTEST_CA_FILE");
    let name = env.var("MAILTEST_TLS_NAME");
    for options in [
        vec!["--implicit", "--tls-name", name.as_str()],
        vec![
            "--implicit",
            "--ca-file",
            ca.as_str(),
            "--tls-name",
            "wrong.example.test",
        ],
    ] {
        let output = greeting(&env, "MAILTEST_IMAPS_PORT", &options);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{options:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("certificate"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "{options:?}");
    }
}
