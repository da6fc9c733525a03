//! Runs the built `imap-cli` against the real Dovecot: stdout transcript,
//! stderr sentence, exit code, and no password anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use mail_imap::{Client, SequenceSet, Session};
use mail_wire::testing::TestEnv;
use mail_wire::{NetStream, Security};

const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

fn imap_cli(env: &TestEnv, who: &str, args: &[&str], stdin: Option<&str>) -> (Output, String) {
    let (user, pass) = env.account(who);
    let mut cmd = Command::new(BIN);
    cmd.arg(&user)
        .args([
            "--host",
            &env.var("MAILTEST_TLS_NAME"),
            "--port",
            &env.var("MAILTEST_IMAPS_PORT"),
            "--tls",
            "implicit",
        ])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE")])
        .args(args)
        .env("MAIL_PASSWORD", pass.expose())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(pass.expose()), "password leaked:\n{all}");
    (out, pass.expose().to_owned())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn session(env: &TestEnv, who: &str) -> Session<NetStream> {
    let (user, pass) = env.account(who);
    Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
    )
    .unwrap()
    .login(&user, &pass)
    .map_err(|(e, _)| e)
    .unwrap()
}

fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{base}-{}-{nanos}", std::process::id())
}

fn message(subject: &str, lines: usize) -> Vec<u8> {
    let mut m =
        format!("From: bob@example.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\n")
            .into_bytes();
    for i in 0..lines {
        m.extend_from_slice(format!("body line {i} of {subject}\r\n").as_bytes());
    }
    m
}

#[test]
fn the_original_scripts_session_through_stdin_shows_complete_replies() {
    let Some(env) = TestEnv::load() else { return };
    // A known INBOX: empty it, then one message.
    let s = session(&env, "ALICE");
    let mut inbox = s.select("INBOX").map_err(|(e, _)| e).unwrap();
    if inbox.mailbox().exists > 0 {
        inbox
            .store(&SequenceSet::all(), "+FLAGS.SILENT", &["\\Deleted"])
            .unwrap();
        inbox.expunge().unwrap();
    }
    let mut s = inbox.close().unwrap();
    s.append("INBOX", &[], message("original-script", 300))
        .unwrap();
    s.logout().unwrap();

    let script = "list \"\" \"*\"\nselect inbox\nfetch 1:* flags\nfetch 1 body[]\nstore 1 +flags \\deleted\nexpunge\n";
    let (out, _) = imap_cli(&env, "ALICE", &[], Some(script));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    for expected in [
        "C: a1 LOGIN alice@example.test ********",
        "C: a2 list \"\" \"*\"",
        "S: * LIST (\\HasNoChildren) \".\" INBOX",
        "C: a3 select inbox",
        "S: * 1 EXISTS",
        "C: a5 fetch 1 body[]",
        "S: body line 0 of original-script",
        "S: body line 299 of original-script",
        "C: a6 store 1 +flags \\deleted",
        "S: * 1 FETCH (FLAGS (\\Deleted",
        "S: * 1 EXPUNGE",
        "S: a7 OK Expunge completed",
        "C: a8 LOGOUT",
        "S: * BYE Logging out",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn dash_c_runs_commands_and_a_rejection_exits_5() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(
        &env,
        "CAROL",
        &[
            "-c",
            "NOOP",
            "-c",
            "x9 SELECT no-such-box",
            "-c",
            "capability",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("C: x9 SELECT no-such-box"),
        "typed tag kept: {text}"
    );
    assert!(text.contains("S: x9 NO"), "{text}");
    assert!(
        text.contains("C: a3 capability"),
        "later commands still run: {text}"
    );
    assert!(
        stderr(&out).starts_with("imap-cli: server rejected SELECT: NO"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_wrong_password_exits_4_with_one_sentence() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("BOB");
    let out = Command::new(BIN)
        .args([
            &user,
            "wrong pass word",
            "--host",
            &env.var("MAILTEST_TLS_NAME"),
            "--port",
            &env.var("MAILTEST_IMAPS_PORT"),
        ])
        .args([
            "--tls",
            "implicit",
            "--ca-file",
            &env.var("MAILTEST_CA_FILE"),
            "-c",
            "NOOP",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(
        err.starts_with("imap-cli: server rejected LOGIN: NO"),
        "{err}"
    );
    // Dovecot's response code survives into the sentence (issue 10 item 3).
    assert!(
        err.contains("NO [AUTHENTICATIONFAILED] Authentication failed."),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert!(!stdout(&out).contains("wrong pass word") && !err.contains("wrong pass word"));
}

#[test]
fn an_untrusted_certificate_exits_3() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("BOB");
    let out = Command::new(BIN)
        .args([
            &user,
            "pw",
            "--host",
            &env.var("MAILTEST_TLS_NAME"),
            "--port",
            &env.var("MAILTEST_IMAPS_PORT"),
            "--tls",
            "implicit",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn starttls_and_korean_mailboxes_in_the_console() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    let name = unique("내게쓴메일함");
    let out = Command::new(BIN)
        .args([
            &user,
            "--host",
            &env.var("MAILTEST_TLS_NAME"),
            "--port",
            &env.var("MAILTEST_IMAP_PORT"),
            "--tls",
            "starttls",
        ])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE")])
        .args([
            "-c",
            &format!("create {name}"),
            "-c",
            "list \"\" *",
            "-c",
            &format!("delete {name}"),
        ])
        .env("MAIL_PASSWORD", pass.expose())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("C: a1 STARTTLS"), "{text}");
    assert!(
        text.contains("C: a2 CAPABILITY"),
        "capabilities asked again: {text}"
    );
    let encoded = mail_imap::utf7::encode(&name);
    assert!(text.contains(&format!("C: a4 create {encoded}")), "{text}");
    assert!(
        text.contains(&format!("   {encoded} = {name}")),
        "annotated: {text}"
    );
    assert!(!text.contains(pass.expose()));
}

#[test]
fn local_commands_append_show_and_save() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mbox = unique("local");
    let file = dir.path().join("in.eml");
    let raw = b"From: =?UTF-8?B?7Lmc6rWs?= <friend@example.test>\r\nSubject: =?UTF-8?B?7JWI64WV?=\r\nContent-Transfer-Encoding: base64\r\n\r\n7JWI64WV7ZWY7IS47JqU\r\n";
    std::fs::write(&file, raw).unwrap();
    let saved = dir.path().join("out.eml");
    let (out, _) = imap_cli(
        &env,
        "BOB",
        &[
            "-c",
            &format!("create {mbox}"),
            "-c",
            &format!(":append {mbox} {}", file.display()),
            "-c",
            &format!("select {mbox}"),
            "-c",
            ":show 1",
            "-c",
            &format!(":save 1 {}", saved.display()),
            "-c",
            "close",
            "-c",
            &format!("delete {mbox}"),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("From: 친구 <friend@example.test>"), "{text}");
    assert!(text.contains("Subject: 안녕"), "{text}");
    assert!(text.contains("\n안녕하세요\n"), "{text}");
    assert_eq!(std::fs::read(&saved).unwrap(), raw);
}

#[test]
fn fetch_all_downloads_byte_exact_files_and_resumes() {
    let Some(env) = TestEnv::load() else { return };
    let mbox = unique("bulk");
    let mut s = session(&env, "CAROL");
    s.create(&mbox).unwrap();
    let mut sent = Vec::new();
    for i in 0..30 {
        let m = message(&format!("bulk {i}"), i * 10);
        s.append(&mbox, &[], m.clone()).unwrap();
        sent.push(m);
    }
    let validity = s
        .status(&mbox, &["UIDVALIDITY"])
        .unwrap()
        .get("UIDVALIDITY")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mail");
    let args = [
        "-q",
        "--fetch-all",
        target.to_str().unwrap(),
        "--mailbox",
        &mbox,
        "--batch",
        "7",
    ];
    let (out, _) = imap_cli(&env, "CAROL", &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("saved 30 messages"),
        "{}",
        stdout(&out)
    );
    for (i, m) in sent.iter().enumerate() {
        let path = target.join(format!("{validity}-{}.eml", i + 1));
        assert_eq!(&std::fs::read(&path).unwrap(), m, "{}", path.display());
    }
    assert_eq!(
        std::fs::read_dir(&target).unwrap().count(),
        30,
        "no temporary files left"
    );
    // Resume: only the missing file is fetched.
    std::fs::remove_file(target.join(format!("{validity}-7.eml"))).unwrap();
    let (out, _) = imap_cli(&env, "CAROL", &args, None);
    assert!(
        stdout(&out).starts_with("saved 1 messages"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("29 already there"));
    assert_eq!(
        std::fs::read(target.join(format!("{validity}-7.eml"))).unwrap(),
        sent[6]
    );
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

/// A Korean webmail message: EUC-KR and UTF-8 encoded-words, a folded
/// subject, a ks_c_5601-1987 text part, an attachment with an RFC 2231 name.
const KOREAN: &[u8] = include_bytes!("../../../crates/mail-cli/tests/fixtures/korean.eml");

#[test]
fn fetch_displays_are_annotated_and_show_decodes_a_korean_message() {
    let Some(env) = TestEnv::load() else { return };
    let mbox = unique("korean");
    let mut s = session(&env, "BOB");
    s.create(&mbox).unwrap();
    s.append(&mbox, &[], KOREAN.to_vec()).unwrap();
    let (out, pass) = imap_cli(
        &env,
        "BOB",
        &[
            "-c",
            &format!("select {mbox}"),
            "-c",
            "fetch 1 (envelope)",
            "-c",
            "fetch 1 body.peek[header.fields (from subject)]",
            "-c",
            ":show 1",
            "-c",
            "close",
            "-c",
            &format!("delete {mbox}"),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    // ENVELOPE: the raw line stays, the decoded one follows.
    assert!(
        text.contains("((\"=?euc-kr?B?yKux5rW/?=\" NIL \"hong\" \"example.test\"))"),
        "{text}"
    );
    assert!(text.contains("   (decoded) 회의 자료 안내"), "{text}");
    assert!(
        text.contains("((\"홍길동\" NIL \"hong\" \"example.test\"))"),
        "{text}"
    );
    assert!(
        text.contains("((\"김철수\" NIL \"kim\" \"example.test\")"),
        "{text}"
    );
    // HEADER.FIELDS: each encoded line gets its note, a folded field whole.
    assert!(text.contains("S: From: =?euc-kr?B?yKux5rW/?= <hong@example.test>\n   (decoded) From: 홍길동 <hong@example.test>\n"), "{text}");
    assert!(
        text.contains(
            "S:  =?utf-8?B?7J6Q66OMIOyViOuCtA==?=\n   (decoded) Subject: 회의 자료 안내\n"
        ),
        "{text}"
    );
    let shown = "From: 홍길동 <hong@example.test>\nTo: 김철수 <kim@example.test>, lee@example.test\n\
                 Cc: 박영희 <park@example.test>\nDate: Sun, 22 Nov 2026 13:00:00 +0900\nSubject: 회의 자료 안내\n\n\
                 안녕하세요.\n회의 자료를 보냅니다.\n[attachment: 회의 자료.pdf (application/pdf, 265 bytes)]\n";
    assert!(text.contains(shown), "{text}");
    assert!(!text.contains(&pass));
}
