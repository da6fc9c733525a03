//! `mime-dump FILE...`: one JSON object per file per line, decoded headers
//! and leaf parts (see docs/protocols/mime.md for the format).

mod dump;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: mime-dump FILE...");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for file in &files {
        let line = match std::fs::read(file) {
            Ok(bytes) => dump::dump(file, &bytes),
            Err(err) => dump::dump_error(file, &err),
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
