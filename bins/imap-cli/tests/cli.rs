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
        mail_imap::Options::default(),
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
fn dash_c_stops_at_the_first_rejected_command_with_exit_5() {
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
        !text.contains("capability"),
        "nothing runs after the rejection: {text}"
    );
    assert!(
        text.contains("C: a3 LOGOUT"),
        "the session still ends politely: {text}"
    );
    assert!(
        stderr(&out).starts_with("imap-cli: server rejected SELECT: NO"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_stdin_script_stops_at_the_first_rejected_command_too() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(
        &env,
        "CAROL",
        &[],
        Some("noop\nexamine no-such-box\ncapability\n"),
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("C: a3 examine no-such-box"), "{text}");
    assert!(!text.contains("capability"), "{text}");
    assert!(text.contains("C: a4 LOGOUT"), "{text}");
    assert!(
        stderr(&out).starts_with("imap-cli: server rejected EXAMINE: NO"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_typo_is_reported_locally_and_never_sent() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(
        &env,
        "CAROL",
        &["-c", "noop", "-c", "selct inbox", "-c", "capability"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a typo in a script is a usage error: {}",
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        !text.to_ascii_lowercase().contains("selct"),
        "the typo went out: {text}"
    );
    assert!(!text.contains("inbox"), "{text}");
    assert!(!text.contains("capability"), "the script stopped: {text}");
    assert!(text.contains("C: a3 LOGOUT"), "{text}");
    assert_eq!(
        stderr(&out).trim(),
        "imap-cli: unknown command \"selct\" (did you mean select?); :help lists the known ones"
    );
}

#[test]
fn capitals_send_an_extension_command_and_raw_sends_a_line_as_typed() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(&env, "CAROL", &[], Some("XNOSUCHCMD 1\n"));
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("C: a2 XNOSUCHCMD 1\nS: a2 BAD"),
        "{}",
        stdout(&out)
    );
    let (out, _) = imap_cli(&env, "CAROL", &["-c", ":raw t7 noop"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("C: t7 noop\nS: t7 OK"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn enable_of_something_the_server_lacks_says_so() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(
        &env,
        "CAROL",
        &["-c", "capability", "-c", "enable IMAP4rev2"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let caps = stdout(&out);
    assert!(
        !caps.contains("IMAP4rev2 "),
        "this test needs a server without IMAP4rev2: {caps}"
    );
    assert_eq!(
        stderr(&out).trim(),
        "imap-cli: the server did not enable IMAP4rev2: it does not offer it"
    );
}

#[test]
fn quiet_fetch_writes_the_message_bytes_exactly() {
    let Some(env) = TestEnv::load() else { return };
    let mbox = unique("quiet");
    let mut s = session(&env, "BOB");
    s.create(&mbox).unwrap();
    // What a terminal or a line-based reader would change: escapes, 8-bit
    // text, lines that look like IMAP, no line end at the very end.
    let first = b"From: bob@example.test\r\nSubject: quiet \xed\x95\x9c\r\n\r\n\x1b[31mred\x1b[0m\r\n* 1 EXISTS\r\na1 OK fake\r\n)\r\n{5}\r\n.\r\nlast line".to_vec();
    let second = message("quiet second", 2000);
    s.append(&mbox, &[], first.clone()).unwrap();
    s.append(&mbox, &[], second.clone()).unwrap();
    let (out, _) = imap_cli(
        &env,
        "BOB",
        &[
            "-q",
            "-c",
            &format!("select {mbox}"),
            "-c",
            "fetch 1 body[]",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, first, "stdout is the message, nothing else");
    assert_eq!(stderr(&out), "");
    // Several messages: each section's bytes, in order; header and text
    // fetched apart make the message again.
    let (out, _) = imap_cli(
        &env,
        "BOB",
        &[
            "-q",
            "-c",
            &format!("examine {mbox}"),
            "-c",
            "fetch 1:2 body.peek[]",
        ],
        None,
    );
    assert_eq!(out.stdout, [first.clone(), second.clone()].concat());
    let (out, _) = imap_cli(
        &env,
        "BOB",
        &[
            "-q",
            "-c",
            &format!("examine {mbox}"),
            "-c",
            "fetch 2 (body.peek[header] body.peek[text])",
        ],
        None,
    );
    assert_eq!(out.stdout, second);
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

/// A full disk under `-q` is stdout's failure, not the server's.
#[cfg(target_os = "linux")]
#[test]
fn quiet_fetch_into_a_full_disk_says_so() {
    let Some(env) = TestEnv::load() else { return };
    let mbox = unique("full");
    let mut s = session(&env, "BOB");
    s.create(&mbox).unwrap();
    s.append(&mbox, &[], message("full disk", 5000)).unwrap();
    let (user, pass) = env.account("BOB");
    let out = Command::new(BIN)
        .arg(&user)
        .args([
            "--host",
            &env.var("MAILTEST_TLS_NAME"),
            "--port",
            &env.var("MAILTEST_IMAPS_PORT"),
            "--tls",
            "implicit",
        ])
        .args([
            "--ca-file",
            &env.var("MAILTEST_CA_FILE"),
            "-q",
            "-c",
            &format!("examine {mbox}"),
            "-c",
            "fetch 1 body.peek[]",
        ])
        .env("MAIL_PASSWORD", pass.expose())
        .stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("imap-cli: cannot write to stdout: "),
        "{}",
        stderr(&out)
    );
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

#[test]
fn quoted_korean_names_for_append_and_decoded_names_in_status() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my message.eml");
    std::fs::write(&file, message("sent folder", 3)).unwrap();
    let name = unique("보낸 편지함");
    let encoded = mail_imap::utf7::encode(&name);
    let (out, _) = imap_cli(
        &env,
        "BOB",
        &[
            "-c",
            &format!("create \"{name}\""),
            "-c",
            &format!(":append \"{name}\" \"{}\"", file.display()),
            "-c",
            &format!("status \"{name}\" (messages)"),
            "-c",
            &format!("delete \"{name}\""),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("appended: "), "{text}");
    assert!(
        text.contains(&format!("C: a3 APPEND \"{encoded}\" {{")),
        "{text}"
    );
    assert!(
        text.contains(&format!("S: * STATUS \"{encoded}\" (MESSAGES 1)\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n   {encoded} = {name}\nC: a5 delete")),
        "STATUS names decoded: {text}"
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
    assert!(
        !text.contains("7JWI64WV7ZWY7IS47JqU"),
        ":show and :save leave the raw message out: {text}"
    );
    assert!(
        text.contains(&format!("S: <literal of {} bytes>", raw.len())),
        "{text}"
    );
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
    assert!(
        !text.contains("vsiz58fPvLy/5C4NCsi4wMcgwNq34bimILq4s8C0z7TZLg0K"),
        ":show is the decoded view only: {text}"
    );
    assert!(
        !text.contains("Content-Transfer-Encoding"),
        ":show is the decoded view only: {text}"
    );
    assert!(!text.contains(&pass));
}

// Issue 10: the login is chosen from the capabilities seen after TLS.

#[test]
fn issue_10_auth_plain_and_login_log_in() {
    let Some(env) = TestEnv::load() else { return };
    for (auth, shown) in [
        ("plain", "C: a1 AUTHENTICATE PLAIN ********"),
        ("login", "C: a1 AUTHENTICATE LOGIN\n"),
    ] {
        let (out, _) = imap_cli(&env, "CAROL", &["--auth", auth, "-c", "NOOP"], None);
        assert_eq!(out.status.code(), Some(0), "{auth}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(shown), "{auth}: {text}");
        assert!(!text.contains("C: a1 LOGIN"), "{auth}: {text}");
        assert!(text.contains("C: a2 NOOP\nS: a2 OK"), "{auth}: {text}");
    }
}

#[test]
fn issue_10_auth_not_offered_exits_4_naming_what_is_offered() {
    let Some(env) = TestEnv::load() else { return };
    let (out, _) = imap_cli(&env, "ALICE", &["--auth", "xoauth2", "-c", "NOOP"], None);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("imap-cli: the server does not offer AUTHENTICATE XOAUTH2; it offers AUTHENTICATE PLAIN, AUTHENTICATE LOGIN"),
        "{err}"
    );
    assert!(err.trim_end().ends_with(" and LOGIN"), "{err}");
    assert!(
        !stdout(&out).contains("AUTHENTICATE"),
        "nothing tried: {}",
        stdout(&out)
    );
}

/// A one-connection IMAP server on loopback that answers with `respond`
/// and hands back every line it received.
fn scripted_server(
    greeting: &'static str,
    respond: fn(&str) -> &'static str,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut received = Vec::new();
        if out.write_all(greeting.as_bytes()).is_err() {
            return received;
        }
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let reply = respond(&line);
            received.push(line);
            if reply.is_empty() || out.write_all(reply.as_bytes()).is_err() {
                break;
            }
        }
        received
    });
    (port, handle)
}

#[test]
fn issue_10_logindisabled_on_a_plain_connection_exits_3_and_sends_no_credential() {
    let (port, server) = scripted_server(
        "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED AUTH=PLAIN] ready\r\n",
        |line| {
            if line.ends_with("LOGOUT") {
                "* BYE bye\r\na1 OK done\r\n"
            } else {
                ""
            }
        },
    );
    let out = Command::new(BIN)
        .args([
            "tester@example.test",
            "secret-pw",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--tls",
            "none",
        ])
        .args(["--timeout", "10", "-c", "NOOP"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let received = server.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("requires TLS"), "{}", stderr(&out));
    assert_eq!(received, ["a1 LOGOUT"], "no credential on the wire");
    assert!(!stdout(&out).contains("secret-pw") && !stderr(&out).contains("secret-pw"));
}

#[test]
fn issue_10_search_with_korean_text_goes_as_a_literal_in_the_console() {
    let (port, server) =
        scripted_server("* OK [CAPABILITY IMAP4rev1] ready\r\n", |line| match line {
            "a1 LOGIN tester@example.test \"secret-pw\"" => "a1 OK [CAPABILITY IMAP4rev1] hi\r\n",
            "a2 SELECT INBOX" => "* 2 EXISTS\r\na2 OK [READ-WRITE] done\r\n",
            "a3 SEARCH CHARSET UTF-8 subject {6}" => "+ go on\r\n",
            "안녕" => "* SEARCH 2\r\na3 OK done\r\n",
            "a4 LOGOUT" => "* BYE bye\r\na4 OK done\r\n",
            _ => "",
        });
    let out = Command::new(BIN)
        .args([
            "tester@example.test",
            "secret-pw",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--tls",
            "none",
        ])
        .args([
            "--timeout",
            "10",
            "-c",
            "SELECT INBOX",
            "-c",
            "search subject 안녕",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let received = server.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&out),
        stdout(&out)
    );
    assert_eq!(
        received[2..],
        ["a3 SEARCH CHARSET UTF-8 subject {6}", "안녕", "a4 LOGOUT"]
    );
    assert!(stdout(&out).contains("S: * SEARCH 2"), "{}", stdout(&out));
}

#[test]
fn issue_10_korean_search_and_korean_mailbox_in_one_console_against_dovecot() {
    let Some(env) = TestEnv::load() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mbox = unique("검색함");
    let file = dir.path().join("in.eml");
    let raw =
        b"From: bob@example.test\r\nSubject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqU?=\r\n\r\nhello\r\n";
    std::fs::write(&file, raw).unwrap();
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
            "search subject 안녕",
            "-c",
            "uid search subject 없는말",
            "-c",
            "close",
            "-c",
            &format!("delete {mbox}"),
        ],
        None,
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    let encoded = mail_imap::utf7::encode(&mbox);
    assert!(
        text.contains(&format!("C: a4 select {encoded}")),
        "mailbox in modified UTF-7: {text}"
    );
    // Dovecot offers LITERAL+, so the literals do not wait for `+`.
    assert!(
        text.contains("C: a5 SEARCH CHARSET UTF-8 subject {6+}"),
        "{text}"
    );
    assert!(
        text.contains("S: * SEARCH 1\n"),
        "Dovecot found the Korean subject: {text}"
    );
    assert!(
        text.contains("C: a6 UID SEARCH CHARSET UTF-8 subject {9+}"),
        "{text}"
    );
    assert!(
        text.contains("S: * SEARCH\n"),
        "nothing found for other text: {text}"
    );
}
