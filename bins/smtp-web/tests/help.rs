//! `smtp-web --help` ends with examples and the exit codes (issue 12 item 4).
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn help_ends_with_examples_and_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_smtp-web"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    let examples = help.find("Examples:").unwrap();
    let codes = help.find("Exit codes:").unwrap();
    assert!(examples < codes, "{help}");
    assert!(help.contains("smtp-web --listen 127.0.0.1:8080"), "{help}");
    assert!(help.contains("2  usage"), "{help}");
}
