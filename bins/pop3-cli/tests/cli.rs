//! The built `pop3-cli` against the real Dovecot (POP3S and STLS, verified
//! certificates) and against small scripted TCP servers for the failures a
//! real server will not produce on demand: stdout transcript, stderr
//! sentence, exit code, files on disk, and never a password in the output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use mail_wire::testing::{run_program, run_program_with_input, Ran, TestEnv};

static ALICE: Mutex<()> = Mutex::new(());
static BOB: Mutex<()> = Mutex::new(());

fn lock(who: &str) -> MutexGuard<'static, ()> {
    let mutex = if who == "ALICE" { &ALICE } else { &BOB };
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn fill(env: &TestEnv, who: &str, messages: &[Vec<u8>]) {
    env.empty_mailbox(who);
    for m in messages {
        env.save(who, m);
    }
}

fn message(n: usize, body: &str) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.test>\r\nTo: Alice <alice@example.test>\r\nSubject: test {n}\r\n\
         Date: Sun, 22 Nov 2026 04:00:00 +0000\r\nMessage-ID: <{n}.{}@example.test>\r\n\r\n{body}",
        std::process::id()
    )
    .into_bytes()
}

/// `pop3-cli <user> --host --port --tls --ca-file <extra...>` with the
/// password in $MAIL_PASSWORD and `stdin` as input.
fn pop3_cli(env: &TestEnv, who: &str, secure: &str, extra: &[&str], stdin: &str) -> Ran {
    let (user, pass) = env.account(who);
    let (port, tls) = match secure {
        "pop3s" => (env.var("MAILTEST_POP3S_PORT"), "implicit"),
        _ => (env.var("MAILTEST_POP3_PORT"), "starttls"),
    };
    let (host, ca_file) = (env.var("MAILTEST_HOST"), env.var("MAILTEST_CA_FILE"));
    let mut args = vec![
        user.as_str(),
        "--host",
        &host,
        "--port",
        &port,
        "--tls",
        tls,
        "--ca-file",
        &ca_file,
        "--timeout",
        "20",
    ];
    args.extend_from_slice(extra);
    let output = run_program_with_input(
        env!("CARGO_BIN_EXE_pop3-cli"),
        &args,
        &[("MAIL_PASSWORD", pass.expose())],
        stdin.as_bytes(),
    );
    let all = format!("{}{}", output.stdout_text(), output.stderr_text());
    assert!(
        !all.contains(pass.expose()),
        "the password appeared in the output:\n{all}"
    );
    output
}

fn last_line(output: &Ran) -> String {
    output
        .stdout_text()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_original_scripts_session_shows_complete_replies() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("ALICE");
    // Message 1 is far bigger than one recv(4096), with lines starting with '.'.
    let long_body: String = (0..3000)
        .map(|i| {
            if i % 7 == 0 {
                format!(".line {i}\r\n")
            } else {
                format!("line {i}\r\n")
            }
        })
        .collect();
    let messages = vec![
        message(1, &long_body),
        message(2, "short\r\n"),
        message(3, "third\r\n"),
    ];
    fill(&env, "ALICE", &messages);

    let output = pop3_cli(&env, "ALICE", "pop3s", &[], "list\nretr 1\nquit\n");
    let out = output.stdout_text();
    assert_eq!(output.code, Some(0), "{out}\n{}", output.stderr_text());
    assert!(out.contains("C: PASS ********"));
    let after_list = out.split("C: list\n").nth(1).unwrap();
    let list_reply: Vec<&str> = after_list.lines().take(5).collect();
    assert!(
        list_reply[0].starts_with("S: +OK 3 messages"),
        "{list_reply:?}"
    );
    assert_eq!(&list_reply[1][..5], "S: 1 ");
    assert_eq!(&list_reply[3][..5], "S: 3 ");
    assert_eq!(list_reply[4], "S: .");
    let after_retr = out.split("C: retr 1\n").nth(1).unwrap();
    assert!(
        after_retr.contains("S: line 2999\nS: .\nC: quit\nS: +OK Logging out."),
        "RETR reply cut or mixed"
    );
    assert!(
        after_retr.contains("S: ..line 7\n"),
        "the wire view keeps the stuffing dot"
    );
    assert_eq!(
        out.matches("C: quit").count() + out.matches("C: QUIT").count(),
        1,
        "QUIT sent twice"
    );
}

#[test]
fn commands_from_dash_c_over_stls_end_with_quit() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    fill(&env, "BOB", &[message(1, "one\r\n"), message(2, "two\r\n")]);
    let output = pop3_cli(
        &env,
        "BOB",
        "stls",
        &["-c", "stat", "-c", "uidl", "-c", "top 2 0"],
        "",
    );
    let out = output.stdout_text();
    assert_eq!(output.code, Some(0), "{out}\n{}", output.stderr_text());
    let stls = out.find("C: STLS\nS: +OK").unwrap();
    assert!(
        out.find("C: USER").unwrap() > stls,
        "credentials before TLS"
    );
    assert!(out.contains("C: stat\nS: +OK 2 "));
    assert!(out.contains("S: Subject: test 2\n"));
    assert!(
        out.trim_end().ends_with("C: QUIT\nS: +OK Logging out."),
        "{out}"
    );
}

#[test]
fn a_wrong_password_exits_4_with_the_servers_words() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("BOB");
    let (host, port, ca_file) = (
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let output = run_program(
        env!("CARGO_BIN_EXE_pop3-cli"),
        &[
            &user,
            "wrong-password",
            "--host",
            &host,
            "--port",
            &port,
            "--tls",
            "implicit",
            "--ca-file",
            &ca_file,
            "-c",
            "stat",
        ],
        &[],
    );
    assert_eq!(output.code, Some(4));
    let err = output.stderr_text();
    assert!(
        err.starts_with("pop3-cli: login failed: server rejected PASS: -ERR [AUTH]"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!output.stdout_text().contains("wrong-password") && !err.contains("wrong-password"));
    assert!(output.stdout_text().contains("C: PASS ********"));
}

#[test]
fn apop_login_and_a_rejected_command_exits_5() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    fill(&env, "BOB", &[message(1, "one\r\n")]);
    let output = pop3_cli(&env, "BOB", "pop3s", &["--apop"], "stat\nretr 9\nstat\n");
    let out = output.stdout_text();
    assert_eq!(output.code, Some(5), "{out}");
    assert!(out.contains("C: APOP bob@example.test ********"));
    assert_eq!(
        output.stderr_text().trim(),
        "pop3-cli: server rejected RETR: -ERR There's no message 9."
    );
    assert_eq!(
        out.matches("C: stat").count(),
        1,
        "the script stops at the first rejection"
    );
    assert!(out.trim_end().ends_with("C: QUIT\nS: +OK Logging out."));
}

#[test]
fn dash_c_stops_at_the_first_rejected_command_with_exit_5() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    fill(&env, "BOB", &[message(1, "one\r\n")]);
    let output = pop3_cli(
        &env,
        "BOB",
        "pop3s",
        &["-c", "stat", "-c", "dele 9", "-c", "list"],
        "",
    );
    let out = output.stdout_text();
    assert_eq!(output.code, Some(5), "{out}");
    assert_eq!(
        output.stderr_text().trim(),
        "pop3-cli: server rejected DELE: -ERR There's no message 9."
    );
    assert!(
        !out.contains("C: list"),
        "nothing runs after the rejection: {out}"
    );
    assert!(
        out.trim_end().ends_with("C: QUIT\nS: +OK Logging out."),
        "{out}"
    );
}

#[test]
fn a_typo_is_reported_locally_and_capitals_or_raw_send_what_the_console_does_not_know() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    fill(&env, "BOB", &[message(1, "one\r\n")]);
    let output = pop3_cli(
        &env,
        "BOB",
        "pop3s",
        &["-c", "stat", "-c", "stta", "-c", "list"],
        "",
    );
    let out = output.stdout_text();
    assert_eq!(output.code, Some(2), "{out}");
    assert_eq!(
        output.stderr_text().trim(),
        "pop3-cli: unknown command \"stta\" (did you mean stat?); :help lists the known ones"
    );
    assert!(!out.contains("stta") && !out.contains("C: list"), "{out}");
    assert!(
        out.trim_end().ends_with("C: QUIT\nS: +OK Logging out."),
        "{out}"
    );

    let output = pop3_cli(&env, "BOB", "pop3s", &[], "XNOSUCH 1\n");
    assert_eq!(
        output.code,
        Some(5),
        "an extension command is sent: {}",
        output.stdout_text()
    );
    assert!(
        output.stdout_text().contains("C: XNOSUCH 1\nS: -ERR"),
        "{}",
        output.stdout_text()
    );
    let output = pop3_cli(&env, "BOB", "pop3s", &["-c", ":raw frob"], "");
    assert_eq!(output.code, Some(5));
    assert!(
        output.stdout_text().contains("C: frob\nS: -ERR"),
        "{}",
        output.stdout_text()
    );
}

#[test]
fn show_and_save_decode_and_store_a_message() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    let raw = b"From: =?UTF-8?B?7ZmN6ri464+Z?= <hong@example.test>\r\nSubject: =?EUC-KR?B?x9Gx2w==?=\r\n\
        Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n7JWI64WV7ZWY7IS47JqU\r\n";
    fill(&env, "BOB", &[raw.to_vec()]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.eml");
    let input = format!(":show 1\n:save 1 {}\n:bogus\n", path.display());
    let output = pop3_cli(&env, "BOB", "pop3s", &[], &input);
    let out = output.stdout_text();
    assert!(
        out.contains("From: 홍길동 <hong@example.test>\nSubject: 한글\n\n안녕하세요\n"),
        "{out}"
    );
    assert!(
        out.contains("S: <message: "),
        "bodies of local commands are not echoed line by line"
    );
    assert_eq!(std::fs::read(&path).unwrap(), raw);
    assert_eq!(
        output.code,
        Some(2),
        "unknown local command in a script is a usage error"
    );
    assert!(output
        .stderr_text()
        .contains("unknown local command :bogus"));
}

fn eml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn fetch_all_matches_the_server_then_skips_then_deletes() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("ALICE");
    let messages: Vec<Vec<u8>> = (0..150)
        .map(|i| {
            message(
                i,
                &format!(
                    ".{i}\r\n{}..\r\n.\r\nend\r\n",
                    "text line\r\n".repeat(i * 7)
                ),
            )
        })
        .collect();
    fill(&env, "ALICE", &messages);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mail");
    let target_arg = target.to_str().unwrap();

    let output = pop3_cli(&env, "ALICE", "pop3s", &["--fetch-all", target_arg], "");
    assert_eq!(output.code, Some(0), "{}", output.stderr_text());
    assert!(
        last_line(&output).starts_with("saved 150 messages ("),
        "{}",
        output.stdout_text()
    );
    let files = eml_files(&target);
    assert_eq!(files.len(), 150, "{files:?}");
    assert!(files
        .iter()
        .all(|f| f.extension().is_some_and(|e| e == "eml")));
    let got: BTreeSet<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let expected: BTreeSet<Vec<u8>> = messages.iter().cloned().collect();
    assert!(
        got == expected,
        "downloaded files differ from the messages on the server"
    );

    let output = pop3_cli(
        &env,
        "ALICE",
        "pop3s",
        &["--fetch-all", target_arg, "-q"],
        "",
    );
    assert_eq!(output.code, Some(0));
    let output = pop3_cli(&env, "ALICE", "pop3s", &["--fetch-all", target_arg], "");
    assert!(
        output
            .stdout_text()
            .contains("saved 0 messages (0.0 MB) to ")
            && output
                .stdout_text()
                .contains("; 150 already there; 0 failed"),
        "{}",
        output.stdout_text()
    );
    assert!(
        !output.stdout_text().contains("C: RETR"),
        "a second run must download nothing"
    );

    let output = pop3_cli(
        &env,
        "ALICE",
        "pop3s",
        &["--fetch-all", target_arg, "--delete"],
        "",
    );
    assert_eq!(output.code, Some(0), "{}", output.stderr_text());
    assert!(output.stdout_text().contains("150 deleted on the server"));
    let output = pop3_cli(&env, "ALICE", "pop3s", &["-q", "-c", "stat"], "");
    assert_eq!(output.stdout_text().trim(), "+OK 0 0");
    assert_eq!(eml_files(&target).len(), 150);
}

/// A one-connection POP3 server on loopback answering from `respond`;
/// returns its port and, when joined, every command line it received.
fn scripted_server(respond: fn(&str, &mut dyn Write) -> bool) -> (u16, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        out.write_all(b"+OK scripted POP3 server ready\r\n")
            .unwrap();
        let mut received = Vec::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            received.push(line.clone());
            if !respond(&line, &mut out) {
                let _ = out.shutdown(Shutdown::Both);
                break;
            }
        }
        received
    });
    (port, handle)
}

fn fake_pop3_cli(port: u16, extra: &[&str]) -> Ran {
    let port = port.to_string();
    let mut args = vec![
        "tester@example.test",
        "secret-pw",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--timeout",
        "10",
    ];
    args.extend_from_slice(extra);
    run_program(env!("CARGO_BIN_EXE_pop3-cli"), &args, &[])
}

#[test]
fn stls_missing_while_tls_was_asked_sends_no_credentials() {
    let (port, server) = scripted_server(|line, out| {
        let reply: &[u8] = match line {
            "CAPA" => b"+OK\r\nUSER\r\nPIPELINING\r\n.\r\n",
            "QUIT" => b"+OK bye\r\n",
            _ => b"+OK\r\n",
        };
        out.write_all(reply).is_ok() && line != "QUIT"
    });
    let output = fake_pop3_cli(port, &["--tls", "starttls", "-c", "stat"]);
    let received = server.join().unwrap();
    assert_eq!(received, ["CAPA"], "nothing but CAPA may be sent");
    assert_eq!(output.code, Some(3));
    assert_eq!(
        output.stderr_text().trim(),
        "pop3-cli: the server does not offer STLS"
    );
}

#[test]
fn a_connection_dropping_half_way_through_fetch_all_delete_loses_nothing() {
    let (port, server) = scripted_server(|line, out| {
        let reply: Vec<u8> = match line {
            "CAPA" => b"+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n".to_vec(),
            "UIDL" => {
                b"+OK\r\n1 uid-one\r\n2 uid-two\r\n3 uid-three\r\n4 uid-four\r\n.\r\n".to_vec()
            }
            "LIST" => b"+OK\r\n1 30\r\n2 30\r\n3 40\r\n4 40\r\n.\r\n".to_vec(),
            "RETR 1" | "RETR 2" => {
                format!("+OK\r\nSubject: {line}\r\n\r\n..body\r\n.\r\n").into_bytes()
            }
            // Half of message 3, then the connection is gone.
            "RETR 3" => {
                let _ = out.write_all(b"+OK\r\nSubject: three\r\n\r\nthe first half");
                return false;
            }
            _ => b"+OK\r\n".to_vec(),
        };
        out.write_all(&reply).is_ok()
    });
    let dir = tempfile::tempdir().unwrap();
    let output = fake_pop3_cli(
        port,
        &[
            "--tls",
            "none",
            "--fetch-all",
            dir.path().to_str().unwrap(),
            "--delete",
        ],
    );
    let received = server.join().unwrap();
    assert_eq!(output.code, Some(3), "{}", output.stderr_text());
    assert!(
        output
            .stderr_text()
            .contains("the server closed the connection"),
        "{}",
        output.stderr_text()
    );
    assert!(
        output.stderr_text().contains("nothing deleted"),
        "{}",
        output.stderr_text()
    );
    assert!(
        !received
            .iter()
            .any(|c| c.starts_with("DELE") || c == "QUIT"),
        "{received:?}"
    );
    let names: Vec<String> = eml_files(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["uid-one.eml", "uid-two.eml"],
        "only complete messages, no temporary files"
    );
    assert_eq!(
        std::fs::read(dir.path().join("uid-two.eml")).unwrap(),
        b"Subject: RETR 2\r\n\r\n.body\r\n"
    );
}

#[test]
fn bytes_injected_after_the_stls_go_ahead_stop_the_session_before_any_credential() {
    let (port, server) = scripted_server(|line, out| {
        let reply: &[u8] = match line {
            "CAPA" => b"+OK\r\nSTLS\r\nUSER\r\n.\r\n",
            // The go-ahead and a forged reply in one segment (CVE-2011-0411 class).
            "STLS" => b"+OK Begin TLS\r\n+OK forged\r\n",
            _ => b"+OK\r\n",
        };
        out.write_all(reply).is_ok()
    });
    let output = fake_pop3_cli(port, &["--tls", "starttls", "-c", "stat"]);
    let received = server.join().unwrap();
    assert_eq!(received, ["CAPA", "STLS"], "nothing after STLS may be sent");
    assert_eq!(output.code, Some(6), "{}", output.stderr_text());
    assert!(
        output.stderr_text().contains("possible response injection"),
        "{}",
        output.stderr_text()
    );
}

#[test]
fn nothing_listening_exits_3() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = fake_pop3_cli(port, &["--tls", "implicit", "-c", "stat"]);
    assert_eq!(output.code, Some(3));
    assert!(
        output
            .stderr_text()
            .starts_with("pop3-cli: cannot connect to 127.0.0.1:"),
        "{}",
        output.stderr_text()
    );
}

#[test]
fn auth_cram_md5_over_stls_with_a_difficult_password() {
    let Some(env) = TestEnv::load() else { return };
    let output = pop3_cli(
        &env,
        "CAROL",
        "stls",
        &["--auth", "cram-md5", "-c", "noop"],
        "",
    );
    let out = output.stdout_text();
    assert_eq!(output.code, Some(0), "{out}\n{}", output.stderr_text());
    assert!(out.contains("C: AUTH CRAM-MD5\nS: + "), "{out}");
    assert!(out.contains("C: ********\nS: +OK Logged in."), "{out}");
}

/// A Korean webmail message: EUC-KR and UTF-8 encoded-words, a folded
/// subject, a ks_c_5601-1987 text part, an attachment with an RFC 2231 name.
const KOREAN: &[u8] = include_bytes!("../../../crates/mail-cli/tests/fixtures/korean.eml");

#[test]
fn top_is_annotated_and_show_decodes_a_korean_message() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    fill(&env, "BOB", &[KOREAN.to_vec()]);
    let output = pop3_cli(&env, "BOB", "pop3s", &[], "top 1 0\n:show 1\n");
    let out = output.stdout_text();
    assert_eq!(output.code, Some(0), "{}", output.stderr_text());
    // The raw server lines stay; the decoded line follows.
    assert!(out.contains("S: From: =?euc-kr?B?yKux5rW/?= <hong@example.test>\n   (decoded) From: 홍길동 <hong@example.test>\n"), "{out}");
    assert!(
        out.contains(
            "S:  =?utf-8?B?7J6Q66OMIOyViOuCtA==?=\n   (decoded) Subject: 회의 자료 안내\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("S: Date: Sun, 22 Nov 2026 13:00:00 +0900\nS: Subject:"),
        "no note under a plain line: {out}"
    );
    let shown = "From: 홍길동 <hong@example.test>\nTo: 김철수 <kim@example.test>, lee@example.test\n\
                 Cc: 박영희 <park@example.test>\nDate: Sun, 22 Nov 2026 13:00:00 +0900\nSubject: 회의 자료 안내\n\n\
                 안녕하세요.\n회의 자료를 보냅니다.\n[attachment: 회의 자료.pdf (application/pdf, 265 bytes)]\n";
    assert!(out.contains(shown), "{out}");
    assert!(!out.contains(env.account("BOB").1.expose()));
}

// Issue 10: the login is chosen from the capabilities; a mechanism the
// server does not offer is refused with one sentence naming what it offers.

#[test]
fn issue_10_auth_not_offered_exits_4_naming_what_is_offered() {
    let Some(env) = TestEnv::load() else { return };
    let output = pop3_cli(
        &env,
        "ALICE",
        "pop3s",
        &["--auth", "xoauth2", "-c", "stat"],
        "",
    );
    assert_eq!(output.code, Some(4), "{}", output.stderr_text());
    let err = output.stderr_text();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "pop3-cli: the server does not offer AUTH XOAUTH2; it offers AUTH PLAIN, AUTH LOGIN"
        ),
        "{err}"
    );
    assert!(err.contains("USER/PASS"), "{err}");
    assert!(
        !output.stdout_text().contains("C: AUTH"),
        "nothing tried: {}",
        output.stdout_text()
    );
}

#[test]
fn issue_10_no_user_before_stls_sends_no_user_name_and_exits_3() {
    let (port, server) = scripted_server(|line, out| {
        let reply: &[u8] = match line {
            "CAPA" => b"+OK\r\nTOP\r\nSTLS\r\nSASL\r\n.\r\n",
            "QUIT" => b"+OK bye\r\n",
            _ => b"-ERR unexpected\r\n",
        };
        out.write_all(reply).is_ok() && line != "QUIT"
    });
    let output = fake_pop3_cli(port, &["--tls", "none", "-c", "stat"]);
    let received = server.join().unwrap();
    assert_eq!(output.code, Some(3), "{}", output.stderr_text());
    assert!(
        output.stderr_text().contains("requires TLS"),
        "{}",
        output.stderr_text()
    );
    assert_eq!(received, ["CAPA", "QUIT"], "no USER, no credential");
}

#[test]
fn issue_10_sasl_without_user_logs_in_with_auth() {
    let (port, server) = scripted_server(|line, out| {
        let reply: &[u8] = match line {
            "CAPA" => b"+OK\r\nTOP\r\nSASL PLAIN LOGIN\r\n.\r\n",
            // base64("\0tester@example.test\0secret-pw")
            "AUTH PLAIN AHRlc3RlckBleGFtcGxlLnRlc3QAc2VjcmV0LXB3" => b"+OK logged in\r\n",
            "STAT" => b"+OK 0 0\r\n",
            "QUIT" => b"+OK bye\r\n",
            _ => b"-ERR unexpected\r\n",
        };
        out.write_all(reply).is_ok() && line != "QUIT"
    });
    // CRAM-MD5 is not offered, so PLAIN is the choice even without TLS.
    let output = fake_pop3_cli(port, &["--tls", "none", "-c", "STAT"]);
    let received = server.join().unwrap();
    assert_eq!(output.code, Some(0), "{}", output.stderr_text());
    assert_eq!(
        received[1],
        "AUTH PLAIN AHRlc3RlckBleGFtcGxlLnRlc3QAc2VjcmV0LXB3"
    );
    assert!(
        !received.iter().any(|l| l.starts_with("USER")),
        "{received:?}"
    );
    assert!(
        output.stdout_text().contains("C: AUTH PLAIN ********"),
        "{}",
        output.stdout_text()
    );
}
