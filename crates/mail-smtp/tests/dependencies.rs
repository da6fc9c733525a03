//! The `tokio` feature and the `mx` feature are independent (issue 14):
//! without both, `cargo tree -p mail-smtp -e normal` lists no tokio crate;
//! `tokio` brings the async connection (tokio-native-tls), `mx` only the
//! runtime its resolver runs on.
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// The crate names of `cargo tree -e normal` with `features` on.
fn normal_dependencies(features: &str) -> Vec<String> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args([
        "tree",
        "--offline",
        "-p",
        "mail-smtp",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]);
    if !features.is_empty() {
        cargo.args(["--features", features]);
    }
    let out = cargo
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split(' ').next())
        .map(str::to_owned)
        .collect()
}

fn has(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

#[test]
fn tokio_comes_only_with_the_tokio_or_mx_feature() {
    let plain = normal_dependencies("");
    assert!(has(&plain, "mail-wire"), "{plain:?}");
    assert!(
        !plain.iter().any(|n| n.starts_with("tokio") || n == "mio"),
        "{plain:?}"
    );
    let with_tokio = normal_dependencies("tokio");
    assert!(
        has(&with_tokio, "tokio") && has(&with_tokio, "tokio-native-tls"),
        "{with_tokio:?}"
    );
    assert!(!has(&with_tokio, "hickory-resolver"), "{with_tokio:?}");
    let with_mx = normal_dependencies("mx");
    assert!(has(&with_mx, "tokio"), "{with_mx:?}");
    assert!(!has(&with_mx, "tokio-native-tls"), "{with_mx:?}");
}
