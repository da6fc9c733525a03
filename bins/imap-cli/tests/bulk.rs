//! `--fetch-all` against the real Dovecot when it is cut short: `kill -9`,
//! SIGTERM, then a second run; `--delete`; `--all-mailboxes`. A throttling
//! proxy slows the download so the signal lands half-way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use mail_imap::{Client, Session};
use mail_wire::testing::{fetch_summary_counts, mailbox_turn, unique_name, TestEnv};
use mail_wire::{NetStream, Security};

// `--all-mailboxes` sees every mailbox of the account: the tests take
// turns (`mailbox_turn`).
const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

fn session(env: &TestEnv) -> Session<NetStream> {
    let (user, pass) = env.account("CAROL");
    Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap()
    .login(&user, &pass)
    .map_err(|(e, _)| e)
    .unwrap()
}

/// Creates `mailbox` with `n` messages of about `size` bytes; returns them
/// by UID (1..=n in a new mailbox) and the UIDVALIDITY.
fn fill(s: &mut Session<NetStream>, mailbox: &str, n: usize, size: usize) -> (Vec<Vec<u8>>, u64) {
    s.create(mailbox).unwrap();
    let mut sent = Vec::new();
    for i in 0..n {
        let mut m = format!(
            "From: bob@example.test\r\nTo: carol@example.test\r\nSubject: bulk {i}\r\n\r\n"
        )
        .into_bytes();
        while m.len() < size {
            m.extend_from_slice(format!("line {} of message {i}\r\n", m.len()).as_bytes());
        }
        s.append(mailbox, &[], m.clone()).unwrap();
        sent.push(m);
    }
    let validity = s
        .status(mailbox, &["UIDVALIDITY"])
        .unwrap()
        .get("UIDVALIDITY")
        .unwrap();
    (sent, validity)
}

/// `imap-cli` as CAROL with implicit TLS on `port`, then `args`, started.
fn spawn(env: &TestEnv, port: u16, args: &[&str]) -> Child {
    env.spawn_as(BIN, "CAROL", port, args)
}

fn imaps_port(env: &TestEnv) -> u16 {
    env.var("MAILTEST_IMAPS_PORT").parse().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The final files (name → bytes) and the hidden temporary ones.
fn listing(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = BTreeMap::new();
    let mut hidden = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with('.') {
            hidden.push(name);
        } else {
            files.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
    (files, hidden)
}

/// Every file is byte-exact and named after the UID of its message.
fn assert_exact(files: &BTreeMap<String, Vec<u8>>, sent: &[Vec<u8>], validity: u64) {
    for (name, bytes) in files {
        let uid: usize = name
            .strip_prefix(&format!("{validity}-"))
            .and_then(|n| n.strip_suffix(".eml"))
            .unwrap_or_else(|| panic!("unexpected file {name}"))
            .parse()
            .unwrap();
        assert!(bytes == &sent[uid - 1], "{name} differs from message {uid}");
    }
}

/// Waits until at least `n` final files exist in `dir`.
fn wait_for_files(dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if dir.is_dir() && listing(dir).0.len() >= n {
            return;
        }
        assert!(Instant::now() < deadline, "no files appeared in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Saved, already there and failed of the `--fetch-all` summary line.
fn summary_counts(line: &str) -> (u64, u64, u64) {
    match fetch_summary_counts(line)[..] {
        [saved, skipped, failed, ..] => (saved, skipped, failed),
        _ => panic!("{line}"),
    }
}

#[test]
fn kill_9_then_sigterm_then_a_second_run_lose_nothing_and_duplicate_nothing() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    let mbox = unique_name("killed");
    let mut s = session(&env);
    let (sent, validity) = fill(&mut s, &mbox, 300, 20_000);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mail");
    let args = [
        "-q",
        "--fetch-all",
        target.to_str().unwrap(),
        "--mailbox",
        &mbox,
    ];
    let slow = env.slow_port("MAILTEST_IMAPS_PORT");

    // kill -9 half-way: what is on disk is complete, and committed no
    // later than about a second after it arrived.
    let mut child = spawn(&env, slow, &args);
    wait_for_files(&target, 1);
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let (files, _) = listing(&target);
    assert!(
        files.len() > 40 && files.len() < 300,
        "{} files after kill -9",
        files.len()
    );
    assert_exact(&files, &sent, validity);
    let after_kill = files.len();

    // SIGTERM half-way through the rest: exit 143, the summary on stderr
    // names exactly the files now there, no temporary file stays.
    let mut child = spawn(&env, slow, &args);
    wait_for_files(&target, after_kill + 1);
    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child_output(&mut child);
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("imap-cli: interrupted by SIGTERM: "))
        .unwrap_or_else(|| panic!("no summary: {err}"));
    let (files, hidden) = listing(&target);
    assert!(hidden.is_empty(), "temporary files left: {hidden:?}");
    assert_exact(&files, &sent, validity);
    let (saved, skipped, failed) = summary_counts(line);
    assert_eq!(skipped as usize, after_kill, "{line}");
    assert_eq!(saved as usize + after_kill, files.len(), "{line}");
    assert_eq!(failed, 0);
    assert!(files.len() < 300, "SIGTERM came too late to test anything");

    // A second run completes the set: nothing lost, nothing fetched twice.
    let before = files.len();
    let out = spawn(&env, imaps_port(&env), &args)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (saved, skipped, _) = summary_counts(text(&out.stdout).trim_end());
    assert_eq!((saved as usize, skipped as usize), (300 - before, before));
    let (files, hidden) = listing(&target);
    assert_eq!(files.len(), 300);
    assert!(hidden.is_empty(), "{hidden:?}");
    assert_exact(&files, &sent, validity);

    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

fn child_output(child: &mut Child) -> Output {
    let child = std::mem::replace(child, Command::new("true").spawn().unwrap());
    child.wait_with_output().unwrap()
}

#[test]
fn delete_expunges_only_what_is_saved() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    let mbox = unique_name("delete");
    let mut s = session(&env);
    let (sent, validity) = fill(&mut s, &mbox, 12, 500);
    let dir = tempfile::tempdir().unwrap();
    // Message 5 is already saved; its file must not be replaced.
    std::fs::write(dir.path().join(format!("{validity}-5.eml")), &sent[4]).unwrap();
    let args = [
        "-q",
        "--fetch-all",
        dir.path().to_str().unwrap(),
        "--mailbox",
        &mbox,
        "--delete",
    ];
    let out = spawn(&env, imaps_port(&env), &args)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert!(
        line.trim_end().ends_with("; 12 deleted on the server"),
        "{line}"
    );
    let (files, hidden) = listing(dir.path());
    assert_eq!(files.len(), 12);
    assert!(hidden.is_empty());
    assert_exact(&files, &sent, validity);
    let status = s.status(&mbox, &["MESSAGES"]).unwrap();
    assert_eq!(status.get("MESSAGES"), Some(0));
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

#[test]
fn all_mailboxes_go_to_decoded_safe_directories() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    let parent = unique_name("all");
    let mut s = session(&env);
    // LIST "" "" gives the hierarchy delimiter.
    let delimiter = s.list("", "").unwrap()[0].delimiter.unwrap_or('/');
    let korean = format!("{parent}{delimiter}보낸편지함");
    let (sent, validity) = fill(&mut s, &korean, 3, 300);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-q",
        "--fetch-all",
        dir.path().to_str().unwrap(),
        "--all-mailboxes",
    ];
    let out = spawn(&env, imaps_port(&env), &args)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (saved, _, failed) = summary_counts(text(&out.stdout).trim_end());
    assert!(saved >= 3);
    assert_eq!(failed, 0);
    let (files, _) = listing(&dir.path().join(&parent).join("보낸편지함"));
    assert_eq!(files.len(), 3, "{files:?}");
    assert_exact(&files, &sent, validity);
    assert!(dir.path().join("INBOX").is_dir());
    s.delete(&korean).unwrap();
    let _ = s.delete(&parent);
    s.logout().unwrap();
}

#[test]
fn delete_without_fetch_all_is_a_usage_error() {
    let out = Command::new(BIN)
        .args([
            "carol@example.test",
            "pw",
            "--host",
            "127.0.0.1",
            "--delete",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--fetch-all"));
}

#[test]
fn maildir_output_maps_the_flags_and_resumes() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = mailbox_turn();
    let mbox = unique_name("maildir");
    let mut s = session(&env);
    let (sent, validity) = fill(&mut s, &mbox, 4, 400);
    let mut sel = s.select(&mbox).map_err(|(e, _)| e).unwrap();
    let one = |uid| mail_imap::SequenceSet::single(uid);
    sel.uid_store(&one(1), "+FLAGS", &["\\Seen"]).unwrap();
    sel.uid_store(&one(2), "+FLAGS", &["\\Flagged", "\\Answered"])
        .unwrap();
    sel.uid_store(&one(4), "+FLAGS", &["\\Draft", "\\Seen"])
        .unwrap();
    let mut s = sel.close().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "-q",
        "--fetch-all",
        dir.path().to_str().unwrap(),
        "--mailbox",
        &mbox,
        "--format",
        "maildir",
    ];
    let out = spawn(&env, imaps_port(&env), &args)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(summary_counts(text(&out.stdout).trim_end()), (4, 0, 0));
    let expected = [
        (format!("cur/{validity}-1:2,S"), 0),
        (format!("cur/{validity}-2:2,FR"), 1),
        (format!("new/{validity}-3"), 2),
        (format!("cur/{validity}-4:2,DS"), 3),
    ];
    for (path, i) in &expected {
        let bytes = std::fs::read(dir.path().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(bytes == sent[*i], "{path} differs");
    }
    let count = |sub: &str| std::fs::read_dir(dir.path().join(sub)).unwrap().count();
    assert_eq!((count("cur"), count("new"), count("tmp")), (3, 1, 0));
    // A second run finds them whatever their flags have become.
    std::fs::rename(
        dir.path().join(format!("new/{validity}-3")),
        dir.path().join(format!("cur/{validity}-3:2,S")),
    )
    .unwrap();
    let out = spawn(&env, imaps_port(&env), &args)
        .wait_with_output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(summary_counts(text(&out.stdout).trim_end()), (0, 4, 0));
    assert_eq!((count("cur"), count("new"), count("tmp")), (4, 0, 0));
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}
