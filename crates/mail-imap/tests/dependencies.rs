//! Without the `tokio` feature no tokio crate is compiled (issue 14):
//! `cargo tree -p mail-imap -e normal` lists none; with it tokio and
//! tokio-native-tls appear (through `mail-wire/tokio`).
// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn normal_dependencies(features: &[&str]) -> String {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args([
        "tree",
        "--offline",
        "-p",
        "mail-imap",
        "-e",
        "normal",
        "--prefix",
        "none",
    ]);
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
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
    String::from_utf8(out.stdout).expect("cargo tree prints UTF-8")
}

fn names(tree: &str) -> Vec<&str> {
    tree.lines()
        .filter_map(|line| line.split(' ').next())
        .collect()
}

#[test]
fn without_the_feature_no_tokio_crate_is_compiled() {
    let plain = normal_dependencies(&[]);
    let plain = names(&plain);
    assert!(plain.contains(&"native-tls"), "{plain:?}");
    assert!(
        !plain
            .iter()
            .any(|name| name.starts_with("tokio") || *name == "mio"),
        "{plain:?}"
    );
    let with = normal_dependencies(&["tokio"]);
    let with = names(&with);
    assert!(
        with.contains(&"tokio") && with.contains(&"tokio-native-tls"),
        "{with:?}"
    );
}
