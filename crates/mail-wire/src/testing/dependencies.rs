//! What `cargo tree -e normal` says a crate compiles, for the tests that
//! check a cargo feature keeps its crates out (issue 14: no tokio crate
//! without the `tokio` feature). Used by the dependency tests of
//! mail-wire, mail-pop3, mail-smtp and mail-imap.

use std::process::Command;

/// The names of the crates `cargo tree -p package -e normal` lists with
/// `features` on (the package itself first), without versions.
///
/// # Panics
/// When cargo cannot run or fails.
pub fn normal_dependencies(package: &str, features: &[&str]) -> Vec<String> {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args([
        "tree",
        "--offline",
        "-p",
        package,
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
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split(' ').next())
        .map(str::to_owned)
        .collect()
}

/// Whether `name` is a crate of the tokio runtime (`tokio*`, `mio`).
pub fn is_tokio_crate(name: &str) -> bool {
    name.starts_with("tokio") || name == "mio"
}

/// The [`normal_dependencies`] of `package` with `features` on, after
/// asserting that none is a tokio crate.
///
/// # Panics
/// Naming the tokio crates that leaked in.
pub fn assert_no_tokio_crate(package: &str, features: &[&str]) -> Vec<String> {
    let names = normal_dependencies(package, features);
    let leaked: Vec<&String> = names.iter().filter(|n| is_tokio_crate(n)).collect();
    assert!(
        leaked.is_empty(),
        "{package} with features {features:?} compiles tokio crates {leaked:?}"
    );
    names
}

/// Asserts that `names` (from [`normal_dependencies`]) holds every one of
/// `wanted` and none of `unwanted`, naming each that is out of place.
///
/// # Panics
/// As said.
pub fn assert_crates(names: &[String], wanted: &[&str], unwanted: &[&str]) {
    let has = |name: &&str| names.iter().any(|n| n == name);
    let missing: Vec<&str> = wanted.iter().copied().filter(|n| !has(n)).collect();
    let present: Vec<&str> = unwanted.iter().copied().filter(has).collect();
    assert!(
        missing.is_empty() && present.is_empty(),
        "missing {missing:?}, unwanted {present:?} in {names:?}"
    );
}
