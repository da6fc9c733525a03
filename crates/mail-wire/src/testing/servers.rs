//! Every real server at once: one test body run against each server that
//! speaks a protocol, with a line per server in the interop report.
//!
//! `scripts/test` starts six servers and lists their env files in
//! `MAILTEST_ENV_FILES` (colon-separated). A test written once iterates over
//! them; what differs between servers is read from the server (its EHLO,
//! CAPA or CAPABILITY) or from the variables its scripts set, never from its
//! name, which only labels the report.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

use super::{in_ci, process_vars, read_env_file, TestEnv};

/// A protocol a test server may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Submission with STARTTLS and implicit TLS.
    Smtp,
    /// POP3 with STLS and implicit TLS.
    Pop3,
    /// IMAP with STARTTLS and implicit TLS.
    Imap,
}

impl Protocol {
    /// Lower-case name, as in the report.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Pop3 => "pop3",
            Protocol::Imap => "imap",
        }
    }

    /// The port variables of a server that speaks it (plain/STARTTLS, implicit TLS).
    fn port_vars(self) -> [&'static str; 2] {
        match self {
            Protocol::Smtp => ["MAILTEST_SUBMISSION_PORT", "MAILTEST_SMTPS_PORT"],
            Protocol::Pop3 => ["MAILTEST_POP3_PORT", "MAILTEST_POP3S_PORT"],
            Protocol::Imap => ["MAILTEST_IMAP_PORT", "MAILTEST_IMAPS_PORT"],
        }
    }
}

impl TestEnv {
    /// Every configured server that speaks `protocol`.
    ///
    /// Reads each file of `MAILTEST_ENV_FILES`; without it (a test run outside
    /// `scripts/test`), only the server of [`TestEnv::load`], with a note that
    /// the others are skipped. Under `CI=true` the list must be there and
    /// name at least one such server.
    ///
    /// # Panics
    /// Under `CI=true` when servers are missing, or when an env file cannot be read.
    pub fn each(protocol: Protocol) -> Vec<TestEnv> {
        let envs: Vec<TestEnv> = match std::env::var("MAILTEST_ENV_FILES") {
            Ok(list) => list
                .split(':')
                .filter(|p| !p.is_empty())
                .map(TestEnv::from_file)
                .collect(),
            Err(_) => {
                assert!(
                    !in_ci(),
                    "CI=true but MAILTEST_ENV_FILES is not set: run the tests through scripts/test"
                );
                eprintln!("NOTE: MAILTEST_ENV_FILES is not set: only the default servers are tested, the others are skipped");
                TestEnv::load().into_iter().collect()
            }
        };
        let speaking: Vec<TestEnv> = envs
            .into_iter()
            .filter(|env| env.speaks(protocol))
            .collect();
        assert!(
            !(speaking.is_empty() && in_ci()),
            "CI=true but no server speaking {} is configured",
            protocol.label()
        );
        speaking
    }

    /// One server's variables: its env file, then the process's `MAILTEST_*`
    /// variables it does not set (such as `MAILTEST_DNS`).
    fn from_file(path: &str) -> TestEnv {
        let mut vars = read_env_file(path);
        for (key, value) in process_vars() {
            vars.entry(key).or_insert(value);
        }
        TestEnv { vars }
    }

    /// Whether this server has ports for `protocol` (plain and implicit TLS).
    pub fn speaks(&self, protocol: Protocol) -> bool {
        protocol
            .port_vars()
            .iter()
            .all(|key| self.vars.contains_key(*key))
    }

    /// The label of this server in reports (`MAILTEST_SERVER`).
    pub fn name(&self) -> String {
        self.var_opt("MAILTEST_SERVER")
            .unwrap_or_else(|| "default".to_owned())
    }

    /// Runs `body` against every server speaking `protocol` ([`TestEnv::each`]),
    /// each to its end even when another fails, appends one line per server
    /// to the report named by `MAILTEST_REPORT`, and panics afterwards
    /// naming every server that failed.
    ///
    /// The test's name in the report is its thread's name, which the test
    /// harness sets to the test's path.
    pub fn for_each_server(protocol: Protocol, body: impl Fn(&TestEnv)) {
        let test = std::thread::current().name().unwrap_or("test").to_owned();
        let mut failed = Vec::new();
        for env in TestEnv::each(protocol) {
            let started = Instant::now();
            eprintln!("--- {test}: {} ({})", env.name(), protocol.label());
            let passed = panic::catch_unwind(AssertUnwindSafe(|| body(&env))).is_ok();
            if let Ok(path) = std::env::var("MAILTEST_REPORT") {
                let line = report_line(
                    &env.name(),
                    protocol,
                    &test,
                    passed,
                    started.elapsed().as_millis(),
                );
                append(&path, &line);
            }
            if !passed {
                failed.push(env.name());
            }
        }
        assert!(failed.is_empty(), "{test} failed on: {}", failed.join(", "));
    }
}

/// `server protocol test pass|fail ms`, tab-separated, as `scripts/interop/matrix` reads it.
fn report_line(server: &str, protocol: Protocol, test: &str, passed: bool, millis: u128) -> String {
    let verdict = if passed { "pass" } else { "fail" };
    format!(
        "{server}\t{}\t{test}\t{verdict}\t{millis}\n",
        protocol.label()
    )
}

/// Appends `line` to the report with one `write`, so the lines of tests
/// running in parallel do not interleave (the file is opened for append).
fn append(path: &str, line: &str) {
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(err) = written {
        panic!("cannot append to MAILTEST_REPORT={path}: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> TestEnv {
        TestEnv {
            vars: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_server_speaks_what_it_has_ports_for() {
        let exim = env(&[
            ("MAILTEST_SUBMISSION_PORT", "1587"),
            ("MAILTEST_SMTPS_PORT", "1465"),
        ]);
        assert!(exim.speaks(Protocol::Smtp));
        assert!(!exim.speaks(Protocol::Imap));
        assert!(!exim.speaks(Protocol::Pop3));
        let half = env(&[("MAILTEST_IMAP_PORT", "1143")]);
        assert!(!half.speaks(Protocol::Imap));
    }

    #[test]
    fn report_lines_are_tab_separated_and_appended() {
        let path = std::env::temp_dir().join(format!("mailkit-report-{}.tsv", std::process::id()));
        let path = path.to_str().unwrap();
        let _ = std::fs::remove_file(path);
        append(path, &report_line("exim", Protocol::Smtp, "a", true, 12));
        append(path, &report_line("exim", Protocol::Smtp, "b", false, 3));
        let text = std::fs::read_to_string(path).unwrap();
        let _ = std::fs::remove_file(path);
        assert_eq!(text, "exim\tsmtp\ta\tpass\t12\nexim\tsmtp\tb\tfail\t3\n");
    }
}
