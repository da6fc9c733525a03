//! Runs the examples (`examples/*.rs`) against the real Dovecot from
//! `scripts/servers`, as a newcomer would run them, and checks what they
//! did on the server. The example binaries are built by `cargo test -p
//! mail-imap` (with `--test examples` alone, run `cargo build -p mail-imap --examples` first).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use mail_imap::{Client, FetchEvent, SequenceSet, Session};
use mail_wire::testing::TestEnv;
use mail_wire::{NetStream, Security};

/// The built example `name`, next to this test's own binary.
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test -p mail-imap` builds the examples; `--test examples` alone does not (`cargo build -p mail-imap --examples` first)",
        path.display()
    );
    path
}

/// The example with the connection settings of `who` on IMAPS, all from the
/// environment, as its documentation shows.
fn example(env: &TestEnv, name: &str, who: &str) -> Command {
    let (user, password) = env.account(who);
    let mut cmd = Command::new(example_path(name));
    cmd.env("MAIL_HOST", env.var("MAILTEST_HOST"))
        .env("MAIL_PORT", env.var("MAILTEST_IMAPS_PORT"))
        .env("MAIL_TLS", "implicit")
        .env("MAIL_TLS_NAME", env.var("MAILTEST_TLS_NAME"))
        .env("MAIL_CA_FILE", env.var("MAILTEST_CA_FILE"))
        .env("MAIL_USER", user)
        .env("MAIL_PASSWORD", password.expose());
    cmd
}

fn run(mut cmd: Command) -> (String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    );
    assert!(
        status.success(),
        "{status}\nstdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

fn login(env: &TestEnv, who: &str) -> Session<NetStream> {
    let (user, pass) = env.account(who);
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

/// A mailbox no other test uses, created empty.
fn fresh_mailbox(session: &mut Session<NetStream>, base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("{base}-{}-{nanos}", std::process::id());
    session.create(&name).unwrap();
    name
}

fn message(subject: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         .a line with a leading dot\r\n\u{d55c}\u{ae00} {{5}}\r\n\r\nend\r\n"
    )
    .into_bytes()
}

/// Every message of `mailbox`, as stored.
fn bodies(session: Session<NetStream>, mailbox: &str) -> Vec<Vec<u8>> {
    let mut selected = session.examine(mailbox).map_err(|(e, _)| e).unwrap();
    let mut bodies = Vec::new();
    let mut stream = selected
        .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
        .unwrap();
    while let Some(event) = stream.next().unwrap() {
        if let FetchEvent::Body(reader) = event {
            let mut body = Vec::new();
            reader.copy_to(&mut body).unwrap();
            bodies.push(body);
        }
    }
    drop(stream);
    selected.logout().unwrap();
    bodies
}

#[test]
fn fetch_example_saves_every_message_byte_for_byte() {
    fetch_saves_every_message_byte_for_byte("fetch");
}

#[cfg(feature = "tokio")]
#[test]
fn fetch_async_example_saves_every_message_byte_for_byte() {
    fetch_saves_every_message_byte_for_byte("fetch_async");
}

fn fetch_saves_every_message_byte_for_byte(example_name: &str) {
    let Some(env) = TestEnv::load() else { return };
    let mut session = login(&env, "ALICE");
    let mailbox = fresh_mailbox(&mut session, "fetch-example");
    let messages = [message("first"), message("second"), message("third")];
    for m in &messages {
        session.append(&mailbox, &[], m.clone()).unwrap();
    }
    session.logout().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let mut cmd = example(&env, example_name, "ALICE");
    cmd.arg(&mailbox).arg(dir.path());
    let (stdout, _) = run(cmd);

    assert!(stdout.contains(": 3 messages"), "{stdout}");
    assert!(stdout.ends_with("3 saved\n"), "{stdout}");
    for (uid, m) in (1..).zip(&messages) {
        let saved = std::fs::read(dir.path().join(format!("{uid}.eml"))).unwrap();
        assert_eq!(saved, *m, "message {uid}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn append_example_stores_the_file_and_reports_its_uid() {
    let Some(env) = TestEnv::load() else { return };
    let mut session = login(&env, "ALICE");
    let mailbox = fresh_mailbox(&mut session, "append-example");
    session.logout().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message.eml");
    std::fs::write(&file, message("appended by the example")).unwrap();

    let mut cmd = example(&env, "append", "ALICE");
    cmd.arg(&mailbox).arg(&file);
    let (stdout, _) = run(cmd);

    let size = message("appended by the example").len();
    assert!(
        stdout.starts_with(&format!("appended {size} bytes to {mailbox}: UIDVALIDITY ")),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(", UID 1"), "{stdout}");
    let stored = bodies(login(&env, "ALICE"), &mailbox);
    assert_eq!(stored, [message("appended by the example")]);
    let mut selected = login(&env, "ALICE")
        .examine(&mailbox)
        .map_err(|(e, _)| e)
        .unwrap();
    let flags = selected.fetch(&SequenceSet::single(1), "FLAGS").unwrap();
    assert!(
        mail_imap::flag_names(flags[0].flags().unwrap()).contains(&"\\Seen"),
        "{flags:?}"
    );
    selected.logout().unwrap();
}

#[test]
fn idle_example_sees_a_message_that_arrives_while_it_waits() {
    idle_sees_a_message_that_arrives_while_it_waits("idle");
}

#[cfg(feature = "tokio")]
#[test]
fn idle_async_example_sees_a_message_that_arrives_while_it_waits() {
    idle_sees_a_message_that_arrives_while_it_waits("idle_async");
}

fn idle_sees_a_message_that_arrives_while_it_waits(example_name: &str) {
    let Some(env) = TestEnv::load() else { return };
    let mut session = login(&env, "ALICE");
    let mailbox = fresh_mailbox(&mut session, "idle-example");
    session
        .append(&mailbox, &[], message("already there"))
        .unwrap();

    let mut cmd = example(&env, example_name, "ALICE");
    cmd.arg(&mailbox)
        .arg("60")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        format!("waiting for new mail in {mailbox} (1 messages)\n")
    );
    // The line is printed just before IDLE is sent; let it reach the server.
    std::thread::sleep(Duration::from_millis(500));
    session
        .append(&mailbox, &[], message("=?utf-8?B?7JWI64WV?= new one"))
        .unwrap();
    session.logout().unwrap();

    let output = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(
        output.status.success(),
        "{}\nstdout: {first}{rest}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        rest,
        "1 new message(s)\n  Subject: \u{c548}\u{b155} new one\n"
    );
}

#[test]
fn a_refused_login_is_one_clear_line_without_the_password() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = example(&env, "fetch", "ALICE");
    cmd.env("MAIL_PASSWORD", "not-the-password-xyzzy")
        .arg("INBOX")
        .arg(dir.path());
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("AUTHENTICATIONFAILED"), "{stderr}");
    assert!(!stderr.contains("xyzzy"), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains("xyzzy"));
}

#[test]
fn without_settings_the_examples_say_what_is_missing() {
    let output = Command::new(example_path("append"))
        .env_remove("MAIL_HOST")
        .arg("INBOX")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("give --host or set MAIL_HOST\nusage: append "),
        "{stderr}"
    );
}
