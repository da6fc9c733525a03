//! Shared by the binary tests: start `smtp-web`, drive chromedriver, and
//! decode delivered messages.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod mail;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running `smtp-web` on a free loopback port; killed on drop.
pub struct WebServer {
    child: Child,
    /// `http://127.0.0.1:PORT/`
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    /// Where its stderr goes.
    pub stderr_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl WebServer {
    /// Starts the binary with `--listen 127.0.0.1:0` plus `args`.
    pub fn start(args: &[&str]) -> WebServer {
        let dir = tempfile::tempdir().unwrap();
        let stderr_path = dir.path().join("stderr");
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_smtp-web"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("smtp-web: compose page at ")
            .unwrap_or_else(|| panic!("startup line: {line:?}"))
            .to_owned();
        let port = url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        WebServer {
            child,
            url,
            port,
            stderr_path,
            _dir: dir,
        }
    }

    /// What the server logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap()
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client that returns 4xx/5xx responses instead of errors.
pub fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}
