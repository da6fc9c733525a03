//! The fixture corpus (`fixtures/mime/<suite>/NNN.eml`) against its expected
//! mime-dump JSON (`NNN.expected`). On a mismatch `NNN.actual` is written
//! beside it. `MIME_BLESS=1` rewrites the expected files instead.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../examples/mime-dump/dump.rs"]
#[allow(dead_code)]
mod dump;

use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/mime")
}

fn run_suite(suite: &str) {
    let dir = corpus().join(suite);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    cases.sort();
    let bless = std::env::var_os("MIME_BLESS").is_some();
    let mut failed = Vec::new();
    for eml in &cases {
        let name = format!(
            "fixtures/mime/{suite}/{}",
            eml.file_name().unwrap().to_string_lossy()
        );
        let actual = dump::dump(&name, &std::fs::read(eml).unwrap()) + "\n";
        let expected_path = eml.with_extension("expected");
        let actual_path = eml.with_extension("actual");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected == actual {
            let _ = std::fs::remove_file(&actual_path);
        } else {
            std::fs::write(&actual_path, &actual).unwrap();
            failed.push(name);
        }
    }
    assert!(!cases.is_empty(), "suite {suite} ran no case");
    eprintln!(
        "suite {suite}: {} cases, {} failed",
        cases.len(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "mismatches (see .actual files): {failed:?}"
    );
}

#[test]
fn generated_suite_matches_expected_json() {
    run_suite("generated");
}

#[test]
fn malformed_suite_matches_expected_json() {
    run_suite("malformed");
}
