//! `smtp-send` end to end against every SMTP server of `scripts/test`
//! (Postfix, Exim, OpenSMTPD), written once. What differs between servers is
//! read from the server: the ports its env file lists and the AUTH
//! mechanisms its EHLO offers. Delivered messages are read from the maildir
//! and checked with Python's email package, independent of mail-mime.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mail_wire::testing::{run_program, unique_name, Protocol, Ran, TestEnv};

const DELIVERY: Duration = Duration::from_secs(30);

/// The two ways in: submission with STARTTLS and implicit TLS, where the server has them.
const PORTS: [(&str, &str); 2] = [
    ("MAILTEST_SUBMISSION_PORT", "starttls"),
    ("MAILTEST_SMTPS_PORT", "implicit"),
];

/// Runs smtp-send as alice (password `pw`, default hers) on `port_var` with `args`.
fn smtp_send(env: &TestEnv, port_var: &str, pw: Option<&str>, args: &[&str]) -> Ran {
    let (alice, alice_pw) = env.account("ALICE");
    let tls = PORTS.iter().find(|(var, _)| *var == port_var).unwrap().1;
    let (host, port, ca_file) = (
        env.var("MAILTEST_HOST"),
        env.var(port_var),
        env.var("MAILTEST_CA_FILE"),
    );
    let mut all = vec![
        alice.as_str(),
        pw.unwrap_or(alice_pw.expose()),
        "--host",
        &host,
        "--port",
        &port,
        "--ca-file",
        &ca_file,
        "--tls",
        tls,
        "--helo",
        "client.example.test",
    ];
    all.extend_from_slice(args);
    let run = run_program(env!("CARGO_BIN_EXE_smtp-send"), &all, &[]);
    for secret in [alice_pw.expose(), pw.unwrap_or(alice_pw.expose())] {
        run.assert_secret_hidden(secret);
    }
    run
}

/// The mechanisms of the last `AUTH` line of EHLO replies in a transcript:
/// the one after TLS when there were two.
fn offered_mechanisms(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .rev()
        .find_map(|line| {
            line.strip_prefix("S: 250-AUTH ")
                .or_else(|| line.strip_prefix("S: 250 AUTH "))
        })
        .map(|list| {
            list.split_whitespace()
                .map(str::to_ascii_uppercase)
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a delivered message with Python's email package against `expect`
/// (`EXPECT_*` variables, see the script).
fn python_check(message: &[u8], expect: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message.eml");
    std::fs::write(&path, message).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(CHECK_MESSAGE)
        .arg(&path)
        .envs(expect.iter().copied())
        .output()
        .unwrap_or_else(|err| panic!("cannot run python3 (scripts/deps installs it): {err}"));
    assert!(
        out.status.success(),
        "the delivered message differs:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compares a message with the `EXPECT_*` variables that are set. Text is
/// compared with line ends normalized to LF (maildirs store LF); the
/// attachment byte for byte.
const CHECK_MESSAGE: &str = r#"
import email, email.policy, os, sys
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
e, errors = os.environ, []
def check(what, got, want):
    if got != want:
        errors.append(f'{what}: got {got!r}, want {want!r}')
lf = lambda s: s.replace('\r\n', '\n')
if 'EXPECT_SUBJECT' in e: check('subject', str(msg['subject']), e['EXPECT_SUBJECT'])
if 'EXPECT_FROM_NAME' in e: check('from name', msg['from'].addresses[0].display_name, e['EXPECT_FROM_NAME'])
if 'EXPECT_TO_NAMES' in e: check('to names', '|'.join(a.display_name for a in msg['to'].addresses), e['EXPECT_TO_NAMES'])
if 'EXPECT_BODY' in e: check('body', lf(msg.get_body(preferencelist=('plain',)).get_content()), lf(e['EXPECT_BODY']))
if 'EXPECT_ATTACHMENT' in e:
    parts = list(msg.iter_attachments())
    check('attachments', len(parts), 1)
    if parts:
        check('file name', parts[0].get_filename(), e['EXPECT_FILENAME'])
        want = open(e['EXPECT_ATTACHMENT'], 'rb').read()
        got = parts[0].get_payload(decode=True)
        if got != want:
            errors.append(f'attachment: {len(got)} bytes differ from the {len(want)} sent')
print('\n'.join(errors))
sys.exit(1 if errors else 0)
"#;

/// Bytes of every value, then pseudo-random ones: nothing survives a
/// transfer that is not 8-bit clean and exact.
fn binary_file(dir: &Path, name: &str, len: usize) -> std::path::PathBuf {
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    let mut x: u32 = 0x9e37_79b9;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn starttls_and_implicit_tls_with_every_offered_auth_mechanism() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let bob = env.var("MAILTEST_BOB_USER");
        for (port, tls) in PORTS {
            // A first send with the default mechanism shows what EHLO offers after TLS.
            let marker = unique_name(tls);
            let run = smtp_send(
                env,
                port,
                None,
                &["--to", &bob, "--subject", &marker, "--body", "hello"],
            );
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            assert_eq!(
                run.stdout_text().contains("C: STARTTLS"),
                tls == "starttls",
                "{port}: {}",
                run.show()
            );
            env.wait_for_mail("BOB", &marker, DELIVERY);
            let offered = offered_mechanisms(&run.stdout_text());
            assert!(
                !offered.is_empty(),
                "{port}: no AUTH in EHLO:\n{}",
                run.stdout_text()
            );
            let mut tried = 0;
            for mechanism in &offered {
                let arg = mechanism.to_ascii_lowercase();
                if !["plain", "login", "cram-md5"].contains(&arg.as_str()) {
                    eprintln!(
                        "NOTE: {}: {mechanism} offered on {port}, not implemented by smtp-send",
                        env.name()
                    );
                    continue;
                }
                let marker = unique_name(&format!("{tls}-{arg}"));
                let run = smtp_send(
                    env,
                    port,
                    None,
                    &[
                        "--auth",
                        &arg,
                        "--to",
                        &bob,
                        "--subject",
                        &marker,
                        "--body",
                        "hi",
                    ],
                );
                assert_eq!(run.code, Some(0), "{port} {mechanism}: {}", run.show());
                assert!(
                    run.stdout_text().contains(&format!("C: AUTH {mechanism}")),
                    "{}",
                    run.show()
                );
                assert!(run.stdout_text().contains("S: 235 "), "{}", run.show());
                env.wait_for_mail("BOB", &marker, DELIVERY);
                tried += 1;
            }
            assert!(
                tried > 0,
                "{port}: none of {offered:?} is one smtp-send speaks"
            );
        }
    });
}

#[test]
fn korean_subject_names_body_and_attachment_arrive_exactly() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let dir = tempfile::tempdir().unwrap();
        let attachment = binary_file(dir.path(), "보고서 2026.bin", 100_000);
        let body = "안녕하세요, 밥.\r\n첨부 파일을 확인해 주세요.\r\n\r\n— 앨리스\r\n";
        let subject =
            "회의 자료: 한글 제목이 길어서 여러 줄로 접혀도 그대로 읽혀야 합니다 (테스트)";
        let marker = unique_name("korean");
        let (alice, bob, carol) = (
            env.var("MAILTEST_ALICE_USER"),
            env.var("MAILTEST_BOB_USER"),
            env.var("MAILTEST_CAROL_USER"),
        );
        let run = smtp_send(
            env,
            "MAILTEST_SUBMISSION_PORT",
            None,
            &[
                "--from",
                &format!("앨리스 <{alice}>"),
                "--to",
                &format!("김밥 <{bob}>"),
                "--to",
                &format!("\"최, 캐럴\" <{carol}>"),
                "--subject",
                subject,
                "--body",
                body,
                "--attach",
                attachment.to_str().unwrap(),
                "--header",
                &format!("X-Test-Marker: {marker}"),
            ],
        );
        assert_eq!(run.code, Some(0), "{}", run.show());
        for who in ["BOB", "CAROL"] {
            let message = env.wait_for_mail(who, &marker, DELIVERY);
            python_check(
                &message,
                &[
                    ("EXPECT_SUBJECT", subject),
                    ("EXPECT_FROM_NAME", "앨리스"),
                    ("EXPECT_TO_NAMES", "김밥|최, 캐럴"),
                    ("EXPECT_BODY", body),
                    ("EXPECT_ATTACHMENT", attachment.to_str().unwrap()),
                    ("EXPECT_FILENAME", "보고서 2026.bin"),
                ],
            );
        }
    });
}

#[test]
fn a_refused_recipient_among_several_exits_5_and_the_others_get_the_mail() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let marker = unique_name("refused");
        let (bob, carol) = (env.var("MAILTEST_BOB_USER"), env.var("MAILTEST_CAROL_USER"));
        let nobody = format!(
            "nobody-{}@{}",
            std::process::id(),
            env.var("MAILTEST_DOMAIN")
        );
        let run = smtp_send(
            env,
            "MAILTEST_SMTPS_PORT",
            None,
            &[
                "--to",
                &bob,
                "--to",
                &nobody,
                "--cc",
                &carol,
                "--subject",
                &marker,
                "--body",
                "two of three",
            ],
        );
        assert_eq!(run.code, Some(5), "{}", run.show());
        assert!(
            run.stderr_text().contains(&nobody),
            "stderr names the refused recipient: {}",
            run.show()
        );
        // The server's own refusal, whatever its code (550, or OpenSMTPD's 524), is quoted.
        let stdout = run.stdout_text();
        let refusal = stdout
            .lines()
            .find_map(|l| l.strip_prefix("S: 5"))
            .expect("a 5xx reply in the transcript");
        assert!(run.stderr_text().contains(refusal), "{}", run.show());
        assert_eq!(run.stderr_text().lines().count(), 1, "{}", run.show());
        env.wait_for_mail("BOB", &marker, DELIVERY);
        env.wait_for_mail("CAROL", &marker, DELIVERY);
    });
}

#[test]
fn wrong_password_exits_4() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        for (port, _) in PORTS {
            let run = smtp_send(
                env,
                port,
                Some("not-her-password"),
                &["--to", "bob@example.test", "--body", "x", "-q"],
            );
            assert_eq!(run.code, Some(4), "{port}: {}", run.show());
            assert!(
                run.stderr_text().starts_with("smtp-send: "),
                "{}",
                run.show()
            );
            assert!(
                run.stderr_text().contains("535"),
                "the server's reply is quoted: {}",
                run.show()
            );
            assert_eq!(run.stderr_text().lines().count(), 1, "{}", run.show());
            assert!(
                run.stdout_text().is_empty(),
                "-q prints no transcript: {}",
                run.show()
            );
        }
    });
}

#[test]
fn dot_lines_arrive_unchanged() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let dir = tempfile::tempdir().unwrap();
        let body = ".\r\n..\r\n.hidden\r\n. \r\n middle . line\r\n.\r\n\r\n.\r\nlast\r\n";
        let body_file = dir.path().join("body.txt");
        std::fs::write(&body_file, body).unwrap();
        let marker = unique_name("dots");
        let bob = env.var("MAILTEST_BOB_USER");
        for (port, _) in PORTS {
            let run = smtp_send(
                env,
                port,
                None,
                &[
                    "--to",
                    &bob,
                    "--subject",
                    &format!("{marker} {port}"),
                    "--body-file",
                    body_file.to_str().unwrap(),
                ],
            );
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            let message = env.wait_for_mail("BOB", &format!("{marker} {port}"), DELIVERY);
            python_check(&message, &[("EXPECT_BODY", body)]);
        }
    });
}

#[test]
fn a_five_megabyte_attachment_arrives_exactly() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        let dir = tempfile::tempdir().unwrap();
        let attachment = binary_file(dir.path(), "big.bin", 5 * 1024 * 1024);
        let marker = unique_name("big");
        let run = smtp_send(
            env,
            "MAILTEST_SUBMISSION_PORT",
            None,
            &[
                "--to",
                &env.var("MAILTEST_BOB_USER"),
                "--subject",
                &marker,
                "--body",
                "5 MB follow",
                "--attach",
                attachment.to_str().unwrap(),
                "-q",
            ],
        );
        assert_eq!(run.code, Some(0), "{}", run.show());
        let message = env.wait_for_mail("BOB", &marker, DELIVERY);
        python_check(
            &message,
            &[
                ("EXPECT_BODY", "5 MB follow"),
                ("EXPECT_ATTACHMENT", attachment.to_str().unwrap()),
                ("EXPECT_FILENAME", "big.bin"),
            ],
        );
    });
}
