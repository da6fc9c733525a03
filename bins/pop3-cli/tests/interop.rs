//! `pop3-cli` end to end against every POP3 server of `scripts/test`
//! (Dovecot, Cyrus, Courier), written once, over STLS and implicit TLS.
//! What differs between servers is read from the server: whether its
//! greeting carries an APOP timestamp. Messages go in with IMAP APPEND,
//! which every server keeps byte for byte, so what comes out must be the
//! same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;

use mail_wire::testing::{
    eml_files, mailbox_turn, run_program_with_input, sample_message, Protocol, Ran, TestEnv,
};

/// The two ways in: STLS on the plain port and implicit TLS.
const PORTS: [(&str, &str); 2] = [
    ("MAILTEST_POP3_PORT", "starttls"),
    ("MAILTEST_POP3S_PORT", "implicit"),
];

/// `pop3-cli` as `who` on `port_var` with `args`, the password (`pw`, by
/// default the account's) in `$MAIL_PASSWORD` and `stdin` as input.
fn pop3_cli(
    env: &TestEnv,
    who: &str,
    port_var: &str,
    pw: Option<&str>,
    args: &[&str],
    stdin: &str,
) -> Ran {
    let (user, password) = env.account(who);
    let pw = pw.unwrap_or(password.expose());
    let tls = PORTS.iter().find(|(var, _)| *var == port_var).unwrap().1;
    let (host, port, ca_file) = (
        env.var("MAILTEST_HOST"),
        env.var(port_var),
        env.var("MAILTEST_CA_FILE"),
    );
    let mut all = vec![
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
    all.extend_from_slice(args);
    let run = run_program_with_input(
        env!("CARGO_BIN_EXE_pop3-cli"),
        &all,
        &[("MAIL_PASSWORD", pw)],
        stdin.as_bytes(),
    );
    run.assert_secret_hidden(pw);
    run
}

/// A message with what a POP3 client gets wrong most easily: lines that
/// start with a dot (stuffed on the wire), a lone `.` line, UTF-8 text and
/// an empty last line.
fn message(tag: &str) -> Vec<u8> {
    let mut text = sample_message(tag, ".\r\n..two dots\r\n.one dot\r\n");
    text.extend_from_slice(b"\r\n");
    text
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.starts_with(needle)).count()
}

#[test]
fn console_commands_through_stdin_and_c_over_stls_and_implicit_tls() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        env.fill("BOB", &[message("one"), message("two")]);
        for (port, tls) in PORTS {
            let piped = pop3_cli(env, "BOB", port, None, &[], "stat\nuidl\nlist 2\nquit\n");
            let given = pop3_cli(
                env,
                "BOB",
                port,
                None,
                &["-c", "stat", "-c", "uidl", "-c", "list 2"],
                "",
            );
            for run in [&piped, &given] {
                let text = run.stdout_text();
                assert_eq!(run.code, Some(0), "{port}: {}", run.show());
                // Courier advertises STLS on its implicit-TLS port too: it
                // must be used only on the plain port.
                assert_eq!(
                    text.contains("C: STLS"),
                    tls == "starttls",
                    "{port}: {}",
                    run.show()
                );
                for line in ["C: stat", "C: uidl", "C: list 2"] {
                    assert!(text.contains(line), "{port}: no {line}: {}", run.show());
                }
                assert_eq!(
                    text.to_ascii_uppercase().matches("C: QUIT").count(),
                    1,
                    "{port}: {}",
                    run.show()
                );
                // STAT and LIST 2 answer `+OK 2 <size>`; UIDL lists both.
                assert_eq!(count(&text, "S: +OK 2 "), 2, "{port}: {}", run.show());
                assert_eq!(
                    count(&text, "S: 1 ") + count(&text, "S: 2 "),
                    2,
                    "{}",
                    run.show()
                );
            }
        }
    });
}

#[test]
fn quiet_retr_prints_the_message_byte_exact() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        let messages = [message("first"), message("second")];
        env.fill("BOB", &messages);
        // A server numbers the messages in an order of its own (Courier's
        // follows the maildir's file names), so each retrieved message must
        // equal one appended message and every appended one must come out.
        for (port, _) in PORTS {
            let mut retrieved = Vec::new();
            for n in 1..=messages.len() {
                let command = format!("retr {n}");
                let run = pop3_cli(env, "BOB", port, None, &["-q", "-c", &command], "");
                assert_eq!(run.code, Some(0), "{port}: {}", run.show());
                assert!(
                    messages.contains(&run.stdout),
                    "{port} {command}: {} bytes equal none of the messages appended ({} and {} bytes):\n{}",
                    run.stdout.len(),
                    messages[0].len(),
                    messages[1].len(),
                    run.show()
                );
                retrieved.push(run.stdout);
            }
            retrieved.sort();
            let mut appended = messages.to_vec();
            appended.sort();
            assert_eq!(retrieved, appended, "{port}: a message came out twice");
        }
    });
}

#[test]
fn delivered_mail_keeps_its_line_ends() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        // The server's own way in (delivery, a maildir file): it may add
        // trace headers, but the message must come out as sent, CRLF only.
        let sent = message("delivered");
        env.empty_mailbox("BOB");
        env.save("BOB", &sent);
        let run = pop3_cli(
            env,
            "BOB",
            "MAILTEST_POP3S_PORT",
            None,
            &["-q", "-c", "retr 1"],
            "",
        );
        assert_eq!(run.code, Some(0), "{}", run.show());
        assert!(run.stdout.ends_with(&sent), "{}", run.show());
        let bare = |i: usize, b: &u8| {
            (*b == b'\n' && (i == 0 || run.stdout[i - 1] != b'\r'))
                || (*b == b'\r' && run.stdout.get(i + 1) != Some(&b'\n'))
        };
        assert!(
            !run.stdout.iter().enumerate().any(|(i, b)| bare(i, b)),
            "a bare CR or LF: {}",
            run.show()
        );
    });
}

#[test]
fn fetch_all_is_byte_exact_and_incremental() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        for (port, _) in PORTS {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_str().unwrap();
            let first = [message("a"), message("b")];
            env.fill("BOB", &first);
            let run = pop3_cli(env, "BOB", port, None, &["--fetch-all", path], "");
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            assert_eq!(eml_files(dir.path()), first.iter().cloned().collect());
            assert_eq!(
                count(&run.stdout_text(), "C: RETR"),
                2,
                "{port}: {}",
                run.show()
            );

            // One more on the server: the second run fetches only that one.
            let third = message("c");
            env.append("BOB", "INBOX", &third);
            let run = pop3_cli(env, "BOB", port, None, &["--fetch-all", path], "");
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            assert_eq!(
                count(&run.stdout_text(), "C: RETR"),
                1,
                "{port}: {}",
                run.show()
            );
            let all: BTreeSet<Vec<u8>> = first.iter().cloned().chain([third]).collect();
            assert_eq!(eml_files(dir.path()), all);
            assert_eq!(env.inbox_count("BOB"), 3, "{port}: nothing is deleted");
        }
    });
}

#[test]
fn fetch_all_delete_leaves_the_server_empty() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        for (port, _) in PORTS {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_str().unwrap();
            let messages = [message("x"), message("y"), message("z")];
            env.fill("BOB", &messages);
            let run = pop3_cli(
                env,
                "BOB",
                port,
                None,
                &["--fetch-all", path, "--delete"],
                "",
            );
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            assert_eq!(
                count(&run.stdout_text(), "C: DELE"),
                3,
                "{port}: {}",
                run.show()
            );
            assert_eq!(eml_files(dir.path()), messages.iter().cloned().collect());
            assert_eq!(env.inbox_count("BOB"), 0, "{port}: {}", run.show());
        }
    });
}

#[test]
fn a_wrong_password_exits_4() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        // One port only: Courier makes every failed login wait 5 s.
        let run = pop3_cli(
            env,
            "BOB",
            "MAILTEST_POP3S_PORT",
            Some("not-bobs-password"),
            &["-c", "stat"],
            "",
        );
        assert_eq!(run.code, Some(4), "{}", run.show());
        assert!(!run.stdout_text().contains("C: stat"), "{}", run.show());
    });
}

#[test]
fn carol_logs_in_with_a_quote_space_and_backslash_in_her_password() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        let (_, password) = env.account("CAROL");
        assert_eq!(password.expose(), "c4rol pa\"ss\\word");
        for (port, _) in PORTS {
            let run = pop3_cli(env, "CAROL", port, None, &["-c", "stat"], "");
            assert_eq!(run.code, Some(0), "{port}: {}", run.show());
            assert!(run.stdout_text().contains("S: +OK"), "{}", run.show());
        }
    });
}

/// The APOP timestamp of the server's greeting (`<...@...>`), read over POP3S.
fn greeting_timestamp(env: &TestEnv) -> Option<String> {
    let server = env.server("MAILTEST_POP3S_PORT");
    let mut conn =
        mail_wire::Connection::connect(&server, mail_wire::Security::Implicit, &env.tls()).unwrap();
    let greeting = String::from_utf8_lossy(conn.read_line().unwrap()).into_owned();
    assert!(greeting.starts_with("+OK"), "greeting {greeting:?}");
    let _ = conn.send(mail_wire::Line::public(b"QUIT"));
    timestamp(&greeting)
}

/// The `<...@...>` of a greeting (RFC 1939 §7).
fn timestamp(greeting: &str) -> Option<String> {
    let start = greeting.find('<')?;
    let end = start + greeting[start..].find('>')?;
    let stamp = &greeting[start..=end];
    stamp.contains('@').then(|| stamp.to_owned())
}

#[test]
fn apop_where_the_greeting_has_a_timestamp() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Pop3, |env| {
        let stamp = greeting_timestamp(env);
        for (port, _) in PORTS {
            let run = pop3_cli(env, "BOB", port, None, &["--apop", "-c", "stat"], "");
            let text = run.stdout_text();
            match &stamp {
                Some(stamp) => {
                    assert_eq!(run.code, Some(0), "{port}: {}", run.show());
                    // Each connection has its own timestamp, read from its greeting.
                    let greeting = text.lines().next().unwrap_or_default();
                    assert!(timestamp(greeting).is_some(), "{stamp}: {}", run.show());
                    assert!(text.contains("C: APOP "), "{}", run.show());
                    assert!(!text.contains("C: USER"), "{}", run.show());
                }
                None => {
                    // A capability difference: without a timestamp there is
                    // no APOP, and no password goes out in its place.
                    eprintln!(
                        "{}: APOP not offered (no timestamp in the greeting)",
                        env.name()
                    );
                    assert_eq!(run.code, Some(4), "{port}: {}", run.show());
                    for sent in ["C: APOP", "C: USER", "C: PASS", "C: AUTH"] {
                        assert!(!text.contains(sent), "{port}: {}", run.show());
                    }
                }
            }
        }
    });
}
