//! `--fetch-all --delete` against the real Dovecot, stopped by SIGTERM
//! half-way (a throttling proxy slows the download), then run again.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mail_wire::testing::{fetch_summary_counts, mailbox_turn, TestEnv};

// Both tests use BOB's mailbox: they take turns (`mailbox_turn`).
const BIN: &str = env!("CARGO_BIN_EXE_pop3-cli");

fn pop3_cli(env: &TestEnv, port: u16, args: &[&str]) -> std::process::Child {
    env.spawn_as(BIN, "BOB", port, args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Final files' contents, and the names of hidden (temporary) files.
fn listing(dir: &Path) -> (BTreeSet<Vec<u8>>, Vec<String>) {
    let mut files = BTreeSet::new();
    let mut hidden = Vec::new();
    if !dir.is_dir() {
        return (files, hidden);
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with('.') {
            hidden.push(name);
        } else {
            files.insert(std::fs::read(entry.path()).unwrap());
        }
    }
    (files, hidden)
}

#[test]
fn sigterm_keeps_the_finished_messages_and_deletes_nothing() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    env.empty_mailbox("BOB");
    let mut sent = BTreeSet::new();
    for i in 0..60 {
        let mut m = format!(
            "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: pop bulk {i} {}\r\n\r\n",
            std::process::id()
        )
        .into_bytes();
        while m.len() < 100_000 {
            m.extend_from_slice(format!("line {} of message {i}\r\n", m.len()).as_bytes());
        }
        env.save("BOB", &m);
        sent.insert(m);
    }
    let port: u16 = env.var("MAILTEST_POP3S_PORT").parse().unwrap();
    let slow = env.slow_port("MAILTEST_POP3S_PORT");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("mail");
    let args = ["-q", "--fetch-all", out_dir.to_str().unwrap(), "--delete"];

    let child = pop3_cli(&env, slow, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while listing(&out_dir).0.len() < 3 {
        assert!(Instant::now() < deadline, "no files appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("pop3-cli: interrupted by SIGTERM: "))
        .unwrap_or_else(|| panic!("no summary: {err}"));
    assert!(line.ends_with("; nothing deleted"), "{line}");
    let (files, hidden) = listing(&out_dir);
    assert!(hidden.is_empty(), "temporary files left: {hidden:?}");
    assert!(files.is_subset(&sent), "a file differs from its message");
    assert!(files.len() < 60, "SIGTERM came too late to test anything");
    assert_eq!(
        fetch_summary_counts(line.trim_end_matches("; nothing deleted"))[..3],
        [files.len() as u64, 0, 0]
    );
    let stat = pop3_cli(&env, port, &["-q", "-c", "stat"])
        .wait_with_output()
        .unwrap();
    assert!(
        text(&stat.stdout).starts_with("+OK 60 "),
        "{}",
        text(&stat.stdout)
    );

    // The second run fetches the rest, then deletes all.
    let before = files.len() as u64;
    let out = pop3_cli(&env, port, &args).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        fetch_summary_counts(stdout.trim_end()),
        vec![60 - before, before, 0, 60]
    );
    let (files, hidden) = listing(&out_dir);
    assert!(files == sent, "the files are not exactly the messages");
    assert!(hidden.is_empty());
    let stat = pop3_cli(&env, port, &["-q", "-c", "stat"])
        .wait_with_output()
        .unwrap();
    assert_eq!(text(&stat.stdout).trim(), "+OK 0 0");
}

#[test]
fn delete_without_fetch_all_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["bob@example.test", "pw", "--host", "127.0.0.1", "--delete"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--fetch-all"));
}

#[test]
fn maildir_output_puts_every_message_in_new() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    env.empty_mailbox("BOB");
    let mut sent = BTreeSet::new();
    for i in 0..5 {
        let m = format!("Subject: maildir {i}\r\n\r\nbody {i}\r\n").into_bytes();
        env.save("BOB", &m);
        sent.insert(m);
    }
    let port: u16 = env.var("MAILTEST_POP3S_PORT").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-q",
        "--fetch-all",
        dir.path().to_str().unwrap(),
        "--format",
        "maildir",
    ];
    let out = pop3_cli(&env, port, &args).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        fetch_summary_counts(text(&out.stdout).trim_end()),
        vec![5, 0, 0]
    );
    let (files, hidden) = listing(&dir.path().join("new"));
    assert!(files == sent, "new/ does not hold exactly the messages");
    assert!(hidden.is_empty());
    for sub in ["cur", "tmp"] {
        assert_eq!(std::fs::read_dir(dir.path().join(sub)).unwrap().count(), 0);
    }
    let out = pop3_cli(&env, port, &args).wait_with_output().unwrap();
    assert_eq!(
        fetch_summary_counts(text(&out.stdout).trim_end()),
        vec![0, 5, 0]
    );
}
