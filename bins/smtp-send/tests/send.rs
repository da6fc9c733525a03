//! `smtp-send` run as a program against the real Postfix (and Dovecot for
//! reading the mail back), over TLS verified against the test CA.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::{Command, Output};
use std::time::Duration;

use mail_wire::testing::TestEnv;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn smtp_send(args: &[&str]) -> Run {
    smtp_send_with(args, |_| {})
}

fn smtp_send_with(args: &[&str], tweak: impl FnOnce(&mut Command)) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smtp-send"));
    cmd.args(args)
        .env_remove("MAIL_PASSWORD")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null());
    tweak(&mut cmd);
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// `--host/--port/--ca-file` for one of the test servers.
fn server_args(env: &TestEnv, port_var: &str) -> Vec<String> {
    vec![
        "--host".into(),
        env.var("MAILTEST_HOST"),
        "--port".into(),
        env.var(port_var),
        "--ca-file".into(),
        env.var("MAILTEST_CA_FILE"),
        // The test ports are high numbers, so the TLS mode cannot follow from them.
        "--tls".into(),
        if port_var == "MAILTEST_SMTPS_PORT" {
            "implicit"
        } else {
            "starttls"
        }
        .into(),
    ]
}

fn assert_no_secret(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret),
        "password in stdout:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(secret),
        "password in stderr:\n{}",
        run.stderr
    );
}

#[test]
fn sends_over_starttls_and_implicit_tls_with_plain_and_login() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, alice_pw) = env.account("ALICE");
    let bob = env.var("MAILTEST_BOB_USER");
    for port in ["MAILTEST_SUBMISSION_PORT", "MAILTEST_SMTPS_PORT"] {
        for auth in ["plain", "login"] {
            let marker = unique(&format!("{port}-{auth}"));
            let mut args = vec![alice.clone(), alice_pw.expose().to_owned()];
            args.extend(server_args(&env, port));
            args.extend(
                [
                    "--auth",
                    auth,
                    "--to",
                    &bob,
                    "--subject",
                    &marker,
                    "--body",
                    "hello",
                ]
                .map(String::from),
            );
            let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(run.code, 0, "{port} {auth}: {}\n{}", run.stderr, run.stdout);
            let expected = if auth == "plain" {
                "C: AUTH PLAIN ********"
            } else {
                "C: AUTH LOGIN"
            };
            assert!(run.stdout.contains(expected), "{}", run.stdout);
            assert!(run.stdout.contains("S: 235 "), "{}", run.stdout);
            assert!(run.stdout.contains("queued as"), "{}", run.stdout);
            if port == "MAILTEST_SUBMISSION_PORT" {
                assert!(run.stdout.contains("C: STARTTLS"), "{}", run.stdout);
            }
            assert_no_secret(&run, alice_pw.expose());
            env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
        }
    }
}

#[test]
fn wrong_password_exits_4_with_the_servers_words() {
    let Some(env) = TestEnv::load() else { return };
    let mut args = vec![env.var("MAILTEST_ALICE_USER"), "not-her-password".into()];
    args.extend(server_args(&env, "MAILTEST_SMTPS_PORT"));
    args.extend(["--to", "bob@example.test", "--body", "x", "-q"].map(String::from));
    let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.starts_with("smtp-send: "), "{}", run.stderr);
    assert!(run.stderr.contains("535"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_no_secret(&run, "not-her-password");
    assert!(
        run.stdout.is_empty(),
        "-q prints no transcript: {}",
        run.stdout
    );
}

#[test]
fn untrusted_certificate_exits_3() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let run = smtp_send(&[
        &alice,
        pw.expose(),
        "--host",
        &env.var("MAILTEST_HOST"),
        "--port",
        &env.var("MAILTEST_SMTPS_PORT"),
        "--tls",
        "implicit",
        "--to",
        "bob@example.test",
        "--body",
        "x",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("certificate") && run.stderr.contains("--ca-file PEM"),
        "{}",
        run.stderr
    );
    assert_no_secret(&run, pw.expose());
}

#[test]
fn tls_none_on_the_plain_port_works_with_a_warning() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let marker = unique("plain");
    let run = smtp_send(&[
        &alice,
        pw.expose(),
        "--host",
        &env.var("MAILTEST_HOST"),
        "--port",
        &env.var("MAILTEST_SMTP_PORT"),
        "--tls",
        "none",
        "--to",
        "bob@example.test",
        "--subject",
        &marker,
        "--body",
        "in clear",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    assert!(run.stderr.contains("warn"), "{}", run.stderr);
    assert!(!run.stdout.contains("C: STARTTLS"), "{}", run.stdout);
    assert_no_secret(&run, pw.expose());
    env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
}

#[test]
fn password_from_the_environment_and_missing_password() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let marker = unique("envpw");
    let mut args = vec![alice.clone()];
    args.extend(server_args(&env, "MAILTEST_SMTPS_PORT"));
    args.extend(
        [
            "--to",
            "bob@example.test",
            "--subject",
            &marker,
            "--body",
            "x",
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = smtp_send_with(&args, |cmd| {
        cmd.env("MAIL_PASSWORD", pw.expose());
    });
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_no_secret(&run, pw.expose());
    env.wait_for_mail("BOB", &marker, Duration::from_secs(15));

    let run = smtp_send(&args);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("MAIL_PASSWORD"), "{}", run.stderr);
}

#[test]
fn body_from_stdin_and_from_a_file() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let dir = tempfile::tempdir().unwrap();
    let body_file = dir.path().join("body.txt");
    let marker = unique("bodyfile");
    std::fs::write(&body_file, format!("from a file {marker}\n")).unwrap();
    let mut args = vec![alice.clone(), pw.expose().to_owned()];
    args.extend(server_args(&env, "MAILTEST_SMTPS_PORT"));
    args.extend(["--to", "bob@example.test", "-q"].map(String::from));
    let mut with_file = args.clone();
    with_file.extend(["--body-file".to_owned(), body_file.display().to_string()]);
    let run = smtp_send(&with_file.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.wait_for_mail("BOB", &marker, Duration::from_secs(15));

    let marker = unique("stdin");
    let input = dir.path().join("stdin.txt");
    std::fs::write(&input, format!("from stdin {marker}\n")).unwrap();
    let run = smtp_send_with(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        |cmd| {
            cmd.stdin(std::fs::File::open(&input).unwrap());
        },
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
}

/// A port where nothing listens: a test that reaches the network fails with 3, not 2.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

#[test]
fn cr_or_lf_in_user_text_is_a_usage_error_before_connecting() {
    let port = closed_port();
    let cases: [&[&str]; 6] = [
        &[
            "--to",
            "bob@example.test",
            "--subject",
            "hi\r\nBcc: victim@example.test",
        ],
        &["--to", "bob@example.test\r\nRCPT TO:<victim@example.test>"],
        &[
            "--to",
            "bob@example.test",
            "--from",
            "alice@example.test\nx",
        ],
        &[
            "--to",
            "bob@example.test",
            "--header",
            "X-Note: a\r\nBcc: victim@example.test",
        ],
        &[
            "--to",
            "bob@example.test",
            "--cc",
            "\"Bob\r\n\" <bob@example.test>",
        ],
        &[
            "--to",
            "bob@example.test",
            "--header",
            "Bcc: victim@example.test",
        ],
    ];
    for case in cases {
        let mut args = vec![
            "alice@example.test",
            "pw",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--body",
            "x",
        ];
        args.extend_from_slice(case);
        let run = smtp_send(&args);
        assert_eq!(run.code, 2, "{case:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("smtp-send: "), "{}", run.stderr);
    }
}

#[test]
fn no_recipient_and_unknown_provider_are_usage_errors() {
    let run = smtp_send(&[
        "alice@example.test",
        "pw",
        "--host",
        "127.0.0.1",
        "--body",
        "x",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("recipient"), "{}", run.stderr);
    let run = smtp_send(&[
        "alice@nowhere.test",
        "pw",
        "--to",
        "b@example.test",
        "--body",
        "x",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--host"), "{}", run.stderr);
}

#[test]
fn attachment_that_cannot_be_read_is_a_usage_error() {
    let run = smtp_send(&[
        "hong",
        "--to",
        "b@example.test",
        "--body",
        "x",
        "--attach",
        "/nonexistent/file.pdf",
        "--dry-run",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("/nonexistent/file.pdf"),
        "{}",
        run.stderr
    );
}

#[test]
fn dry_run_envelope_takes_sender_and_each_recipient_once() {
    let run = smtp_send(&[
        "hong@example.test",
        "--host",
        "HOST",
        "--to",
        "Bob <bob@example.test>, carol@example.test",
        "--cc",
        "BOB@example.test",
        "--bcc",
        "audit@example.test",
        "--header",
        "Sender: Desk <desk@example.test>",
        "--body",
        "x",
        "--dry-run",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mail: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("MAIL FROM:"))
        .collect();
    assert_eq!(mail.len(), 1, "{}", run.stdout);
    assert!(
        mail[0].contains("MAIL FROM:<desk@example.test>"),
        "{}",
        run.stdout
    );
    let rcpts: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("RCPT TO:"))
        .collect();
    assert_eq!(
        rcpts,
        [
            "<bob@example.test>",
            "<carol@example.test>",
            "<audit@example.test>   (Bcc: in the envelope only)"
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Sender: Desk <desk@example.test>"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{}",
        run.stdout
    );
}

#[test]
fn bcc_is_delivered_but_not_shown_and_recipients_go_once() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let bob = env.var("MAILTEST_BOB_USER");
    let carol = env.var("MAILTEST_CAROL_USER");
    let marker = unique("bcc");
    let mut args = vec![alice.clone(), pw.expose().to_owned()];
    args.extend(server_args(&env, "MAILTEST_SUBMISSION_PORT"));
    args.extend(
        [
            "--to",
            &bob,
            "--cc",
            &bob.to_uppercase(),
            "--bcc",
            &carol,
            "--subject",
            &marker,
            "--body",
            "x",
        ]
        .map(String::from),
    );
    let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let rcpts: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("C: RCPT TO:"))
        .collect();
    assert_eq!(
        rcpts,
        [
            format!("C: RCPT TO:<{bob}>"),
            format!("C: RCPT TO:<{carol}>")
        ],
        "{}",
        run.stdout
    );
    for who in ["BOB", "CAROL"] {
        let raw = env.wait_for_mail(who, &marker, Duration::from_secs(15));
        assert!(
            mail_mime::ParsedMessage::parse(&raw).bcc().is_empty(),
            "{who}"
        );
        if who == "BOB" {
            // Carol's own copy names her in trace fields; Bob's must not.
            let text = String::from_utf8_lossy(&raw);
            assert!(!text.contains(carol.as_str()), "{text}");
        }
    }
}

#[test]
fn korean_subject_dot_lines_and_attachment_arrive_intact() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let dir = tempfile::tempdir().unwrap();
    let attachment: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let path = dir.path().join("보고서 2026.bin");
    std::fs::write(&path, &attachment).unwrap();
    let marker = unique("roundtrip");
    let subject = "안녕하세요, 보고서입니다 — 첨부 확인 부탁드립니다";
    let body = "첫 줄\n.a line that starts with a dot\n..two dots\n.\nlast line";
    let mut args = vec![alice.clone(), pw.expose().to_owned()];
    args.extend(server_args(&env, "MAILTEST_SUBMISSION_PORT"));
    let to = format!("김밥 <{}>", env.var("MAILTEST_BOB_USER"));
    args.extend(
        [
            "--to",
            &to,
            "--subject",
            subject,
            "--body",
            body,
            "--header",
            &format!("X-Test-Tag: {marker}"),
        ]
        .map(String::from),
    );
    args.extend(["--attach".to_owned(), path.display().to_string()]);
    let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);

    let raw = env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
    let message = mail_mime::ParsedMessage::parse(&raw);
    assert_eq!(message.subject().as_deref(), Some(subject));
    let to = message.to();
    assert_eq!(to.len(), 1);
    assert_eq!(to[0].name(), Some("김밥"));
    let text = message
        .text_body()
        .expect("a text part")
        .replace("\r\n", "\n");
    assert_eq!(text.trim_end_matches('\n'), body);
    let attachments: Vec<_> = message.attachments().collect();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename(), Some("보고서 2026.bin"));
    assert!(
        attachments[0].decoded().as_ref() == attachment.as_slice(),
        "attachment bytes differ"
    );
}

/// Issue 10: a mechanism the server does not offer is refused with one
/// sentence naming what it offers, before any secret is sent.
#[test]
fn issue_10_auth_not_offered_exits_4_naming_what_is_offered() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, alice_pw) = env.account("ALICE");
    let mut args = vec![alice, alice_pw.expose().to_owned()];
    args.extend(server_args(&env, "MAILTEST_SUBMISSION_PORT"));
    args.extend(
        [
            "--auth",
            "xoauth2",
            "--to",
            "bob@example.test",
            "--body",
            "x",
        ]
        .map(String::from),
    );
    let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "smtp-send: the server does not offer AUTH XOAUTH2; it offers AUTH PLAIN, AUTH LOGIN"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!run.stdout.contains("C: AUTH"), "{}", run.stdout);
    assert_no_secret(&run, alice_pw.expose());
}

/// Issue 12.5: the route and the envelope (Bcc included), then the message;
/// nothing is connected.
#[test]
fn dry_run_prints_route_envelope_and_message_without_bcc_header_and_connects_to_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let run = smtp_send(&[
        "hong",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "starttls",
        "--to",
        "홍길동 <bob@example.test>, \"Kim, Chul\" <kim@example.test>",
        "--bcc",
        "hidden@example.test",
        "--subject",
        "안녕하세요",
        "--body",
        ".dot line",
        "--auth",
        "login",
        "--dry-run",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "--dry-run connected to the server"
    );
    let (route, message) = run.stdout.split_once("\nMessage (").expect(&run.stdout);
    for expected in [
        &format!("Server:    127.0.0.1 port {port}\n"),
        "TLS:       STARTTLS (required",
        "Login:     hong with AUTH LOGIN (--auth)\n",
        "\n  MAIL FROM:<hong@naver.com> SIZE=",
        "\n  RCPT TO:<bob@example.test>\n",
        "\n  RCPT TO:<kim@example.test>\n",
        "\n  RCPT TO:<hidden@example.test>   (Bcc: in the envelope only)",
    ] {
        assert!(route.contains(expected), "{expected:?} not in:\n{route}");
    }
    assert!(message.contains("From: hong@naver.com\r\n"), "{message}");
    assert!(
        message.contains("\r\nSubject: =?utf-8?") || message.contains("\r\nSubject: =?UTF-8?"),
        "{message}"
    );
    assert!(
        message
            .replace("\r\n ", " ")
            .contains("\"Kim, Chul\" <kim@example.test>"),
        "{message}"
    );
    assert!(message.contains("MIME-Version: 1.0\r\n"), "{message}");
    assert!(message.contains("Message-ID: <"), "{message}");
    assert!(
        !message.contains("hidden@example.test"),
        "Bcc leaked: {message}"
    );
    assert!(
        !message.contains("안녕"),
        "raw UTF-8 in a header: {message}"
    );
}

/// Issue 12.5: no --host is needed when nothing is contacted; the route
/// says what sending would need, and the AUTH line does not pretend to know
/// what only EHLO tells. With -q only the message is printed.
#[test]
fn dry_run_needs_no_host_and_says_what_is_known_only_after_ehlo() {
    let args = [
        "alice@nowhere.test",
        "--to",
        "bob@example.test",
        "--body",
        "x",
        "--dry-run",
    ];
    let run = smtp_send(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Server:    none built in for nowhere.test: sending needs --host"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("known only after EHLO: PLAIN, then LOGIN"),
        "{}",
        run.stdout
    );
    let mut quiet = args.to_vec();
    quiet.push("-q");
    let run = smtp_send(&quiet);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Date: "), "{}", run.stdout);
    assert!(!run.stdout.contains("Envelope"), "{}", run.stdout);
}

/// Issue 12.7: no Subject field unless --subject is given.
#[test]
fn no_subject_field_without_subject() {
    for extra in [&[][..], &["--subject", ""][..]] {
        let mut args = vec![
            "hong",
            "--to",
            "b@example.test",
            "--body",
            "x",
            "--dry-run",
            "-q",
        ];
        args.extend_from_slice(extra);
        let run = smtp_send(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("Subject:"), "{}", run.stdout);
    }
}

/// Issue 12.6 and 12.7 against Postfix: --show-data prints the content lines
/// (dot-stuffing visible), --no-pipelining gives one reply after each
/// command, --no-chunking sends DATA although Postfix offers CHUNKING; one
/// --to takes a comma list with a comma inside a quoted name.
#[test]
fn show_data_without_pipelining_and_chunking_shows_the_classic_exchange() {
    let Some(env) = TestEnv::load() else { return };
    let (alice, pw) = env.account("ALICE");
    let marker = unique("showdata");
    let to = format!(
        "{}, \"Kim, Chul\" <{}>",
        env.var("MAILTEST_BOB_USER"),
        env.var("MAILTEST_CAROL_USER")
    );
    let mut args = vec![alice.clone(), pw.expose().to_owned()];
    args.extend(server_args(&env, "MAILTEST_SUBMISSION_PORT"));
    args.extend(
        [
            "--to",
            &to,
            "--body",
            &format!("{marker}\n.dot line\nlast"),
            "--show-data",
            "--no-pipelining",
            "--no-chunking",
        ]
        .map(String::from),
    );
    let run = smtp_send(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines.contains(&"S: 250-PIPELINING"), "{}", run.stdout);
    assert!(lines.contains(&"S: 250 CHUNKING"), "{}", run.stdout);
    assert!(!run.stdout.contains("C: BDAT"), "{}", run.stdout);
    let mail = lines
        .iter()
        .position(|l| l.starts_with("C: MAIL FROM:"))
        .unwrap();
    let data = lines.iter().position(|l| *l == "C: DATA").unwrap();
    let envelope = &lines[mail..=data];
    assert_eq!(envelope.len(), 7, "{envelope:?}");
    for pair in envelope.chunks(2) {
        assert!(pair[0].starts_with("C: "), "{envelope:?}");
    }
    for (command, reply) in envelope.iter().zip(&lines[mail + 1..]).step_by(2) {
        assert!(command.starts_with("C: "), "{command}");
        assert!(
            reply.starts_with("S: "),
            "{command} not followed by its reply: {reply}"
        );
    }
    assert_eq!(lines[data + 1], "S: 354 End data with <CR><LF>.<CR><LF>");
    let content = &lines[data + 2..];
    let end = content
        .iter()
        .position(|l| *l == "C: .")
        .expect(&run.stdout);
    let content = &content[..end];
    assert!(content.contains(&"C: ..dot line"), "{content:?}");
    assert!(content.contains(&"C: last"), "{content:?}");
    assert!(
        content.iter().any(|l| l.starts_with("C: To: bob@")),
        "{content:?}"
    );
    assert!(
        !content.iter().any(|l| l.starts_with("C: Subject:")),
        "{content:?}"
    );
    assert!(content.iter().all(|l| l.starts_with("C: ")), "{content:?}");
    assert!(
        lines[data + 2 + end + 1].starts_with("S: 250 "),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("<message body"), "{}", run.stdout);
    assert_no_secret(&run, pw.expose());

    let raw = env.wait_for_mail("BOB", &marker, Duration::from_secs(15));
    let message = mail_mime::ParsedMessage::parse(&raw);
    assert_eq!(message.subject(), None);
    let to = message.to();
    assert_eq!(to.len(), 2);
    assert_eq!(to[1].name(), Some("Kim, Chul"));
    env.wait_for_mail("CAROL", &marker, Duration::from_secs(15));
}
