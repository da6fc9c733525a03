//! `imap-cli` end to end against every IMAP server of `scripts/test`
//! (Dovecot, Cyrus, Courier), written once, over STARTTLS and implicit TLS.
//! What differs between servers is read from the server: the hierarchy
//! separator (`LIST "" ""`) and the personal namespace prefix (`NAMESPACE`),
//! never from its name. Messages go in with IMAP APPEND, which every server
//! keeps byte for byte, so what comes out must be the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use mail_wire::testing::{
    eml_files, finish, mailbox_turn, program, sample_message, unique_name, Protocol, Ran, TestEnv,
};

/// The two ways in: STARTTLS on the plain port and implicit TLS.
const PORTS: [(&str, &str); 2] = [
    ("MAILTEST_IMAP_PORT", "starttls"),
    ("MAILTEST_IMAPS_PORT", "implicit"),
];

/// The `imap-cli` command as `who` on `port_var`, the password (`pw`, by
/// default the account's) in `$MAIL_PASSWORD`.
fn imap_cli(env: &TestEnv, who: &str, port_var: &str, pw: Option<&str>, args: &[&str]) -> Command {
    let (user, password) = env.account(who);
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
    program(
        env!("CARGO_BIN_EXE_imap-cli"),
        &all,
        &[("MAIL_PASSWORD", pw.unwrap_or(password.expose()))],
    )
}

/// Runs `imap-cli` to its end with `stdin` as input.
fn run(
    env: &TestEnv,
    who: &str,
    port_var: &str,
    pw: Option<&str>,
    args: &[&str],
    stdin: &str,
) -> Ran {
    let started = Instant::now();
    let child = imap_cli(env, who, port_var, pw, args).spawn().unwrap();
    checked(env, who, pw, finish(child, stdin.as_bytes(), started))
}

/// `run`, once the password of `who` (or `pw`) is found in neither output.
fn checked(env: &TestEnv, who: &str, pw: Option<&str>, run: Ran) -> Ran {
    let (_, password) = env.account(who);
    run.assert_secret_hidden(pw.unwrap_or(password.expose()));
    run
}

/// A message with dot lines and a literal-looking line.
fn message(tag: &str) -> Vec<u8> {
    sample_message(tag, ".\r\na1 OK {3}\r\n")
}

#[test]
fn console_commands_through_stdin_and_c_over_starttls_and_implicit_tls() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        env.fill("BOB", &[message("one"), message("two")]);
        for (port, tls) in PORTS {
            let piped = run(
                env,
                "BOB",
                port,
                None,
                &[],
                "select INBOX\nfetch 1:* (flags rfc822.size)\nlogout\n",
            );
            let given = run(
                env,
                "BOB",
                port,
                None,
                &["-c", "select INBOX", "-c", "fetch 1:* (flags rfc822.size)"],
                "",
            );
            for out in [&piped, &given] {
                assert_eq!(out.code, Some(0), "{port}: {}", out.show());
                // Courier advertises STARTTLS on its implicit-TLS port too:
                // it must be used only on the plain port.
                assert_eq!(
                    out.stdout_text().contains(" STARTTLS\n"),
                    tls == "starttls",
                    "{port}: {}",
                    out.show()
                );
                assert!(
                    out.stdout_text().contains("S: * 2 EXISTS"),
                    "{}",
                    out.show()
                );
                let fetched = out
                    .stdout_text()
                    .lines()
                    .filter(|l| l.starts_with("S: * ") && l.contains(" FETCH ("))
                    .count();
                assert_eq!(fetched, 2, "{port}: {}", out.show());
                let upper = out.stdout_text().to_ascii_uppercase();
                assert_eq!(upper.matches(" LOGOUT\n").count(), 1, "{}", out.show());
            }
        }
    });
}

#[test]
fn save_writes_the_message_byte_exact() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        let messages = [message("first"), message("second")];
        env.fill("BOB", &messages);
        let dir = tempfile::tempdir().unwrap();
        for (port, _) in PORTS {
            for (n, expected) in messages.iter().enumerate() {
                let path = dir.path().join(format!("{n}.eml"));
                let save = format!(":save {} {}", n + 1, path.display());
                let out = run(
                    env,
                    "BOB",
                    port,
                    None,
                    &["-q", "-c", "select INBOX", "-c", &save],
                    "",
                );
                assert_eq!(out.code, Some(0), "{port}: {}", out.show());
                assert!(!out.stdout_text().contains("S: "), "-q: {}", out.show());
                assert!(
                    std::fs::read(&path).unwrap() == *expected,
                    "{port}: message {} differs from the one appended",
                    n + 1
                );
            }
        }
    });
}

#[test]
fn fetch_all_is_byte_exact_and_incremental() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        for (port, _) in PORTS {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_str().unwrap();
            let first = [message("a"), message("b")];
            env.fill("BOB", &first);
            let out = run(env, "BOB", port, None, &["--fetch-all", path], "");
            assert_eq!(out.code, Some(0), "{port}: {}", out.show());
            assert!(
                out.stdout_text().contains("saved 2 messages")
                    && out.stdout_text().contains("0 already there"),
                "{port}: {}",
                out.show()
            );
            assert_eq!(eml_files(dir.path()), first.iter().cloned().collect());

            // One more on the server: the second run fetches only that one.
            let third = message("c");
            env.append("BOB", "INBOX", &third);
            let out = run(env, "BOB", port, None, &["--fetch-all", path], "");
            assert_eq!(out.code, Some(0), "{port}: {}", out.show());
            assert!(
                out.stdout_text().contains("saved 1 messages")
                    && out.stdout_text().contains("2 already there"),
                "{port}: {}",
                out.show()
            );
            let all: BTreeSet<Vec<u8>> = first.iter().cloned().chain([third]).collect();
            assert_eq!(eml_files(dir.path()), all);
        }
    });
}

/// The hierarchy separator and the personal namespace prefix, as the
/// server states them (`LIST "" ""`, `NAMESPACE`).
fn separator_and_prefix(env: &TestEnv) -> (String, String) {
    let out = run(
        env,
        "BOB",
        "MAILTEST_IMAPS_PORT",
        None,
        &["-c", "list \"\" \"\"", "-c", "namespace"],
        "",
    );
    assert_eq!(out.code, Some(0), "{}", out.show());
    let stdout = out.stdout_text();
    let quoted_after = |marker: &str| -> String {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(marker))
            .unwrap_or_else(|| panic!("no {marker}: {}", out.show()));
        let rest = &line[marker.len()..];
        let start = rest.find('"').unwrap() + 1;
        let end = start + rest[start..].find('"').unwrap();
        rest[start..end].to_owned()
    };
    let separator = quoted_after("S: * LIST (\\Noselect) ");
    // The first personal namespace: `* NAMESPACE (("prefix" "sep") ...)`.
    let prefix = quoted_after("S: * NAMESPACE ((");
    assert_eq!(separator.chars().count(), 1, "{}", out.show());
    (separator, prefix)
}

#[test]
fn a_folder_and_a_korean_named_folder_below_it() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        let (sep, prefix) = separator_and_prefix(env);
        let archive = format!("{prefix}{}", unique_name("Archive"));
        let korean = format!("{archive}{sep}보관함 {}", unique_name("편지"));
        let dir = tempfile::tempdir().unwrap();
        let messages = [message("archived"), message("korean")];
        let files: Vec<String> = messages
            .iter()
            .enumerate()
            .map(|(n, m)| {
                let path = dir.path().join(format!("in{n}.eml"));
                std::fs::write(&path, m).unwrap();
                path.to_str().unwrap().to_owned()
            })
            .collect();

        for (mailbox, file) in [(&archive, &files[0]), (&korean, &files[1])] {
            let create = format!("create \"{mailbox}\"");
            let append = format!(":append \"{mailbox}\" {file}");
            let out = run(
                env,
                "BOB",
                "MAILTEST_IMAP_PORT",
                None,
                &["-c", &create, "-c", &append],
                "",
            );
            assert_eq!(out.code, Some(0), "{mailbox}: {}", out.show());
        }
        // LIST shows the Korean name decoded (modified UTF-7 decoded, or
        // UTF-8 itself once UTF8=ACCEPT is on).
        let pattern = format!("list \"\" \"{archive}*\"");
        let out = run(
            env,
            "BOB",
            "MAILTEST_IMAPS_PORT",
            None,
            &["-c", &pattern],
            "",
        );
        assert_eq!(out.code, Some(0), "{}", out.show());
        assert!(out.stdout_text().contains(&korean), "{}", out.show());

        for (n, mailbox) in [&archive, &korean].into_iter().enumerate() {
            // The console: select it and save its message.
            let saved = dir.path().join(format!("out{n}.eml"));
            let select = format!("select \"{mailbox}\"");
            let save = format!(":save 1 {}", saved.display());
            let out = run(
                env,
                "BOB",
                "MAILTEST_IMAPS_PORT",
                None,
                &["-c", &select, "-c", &save],
                "",
            );
            assert_eq!(out.code, Some(0), "{mailbox}: {}", out.show());
            assert!(
                out.stdout_text().contains("S: * 1 EXISTS"),
                "{}",
                out.show()
            );
            assert!(std::fs::read(&saved).unwrap() == messages[n], "{mailbox}");
            // The bulk download of that mailbox.
            let into = tempfile::tempdir().unwrap();
            let out = run(
                env,
                "BOB",
                "MAILTEST_IMAP_PORT",
                None,
                &[
                    "--fetch-all",
                    into.path().to_str().unwrap(),
                    "--mailbox",
                    mailbox,
                ],
                "",
            );
            assert_eq!(out.code, Some(0), "{mailbox}: {}", out.show());
            assert_eq!(
                eml_files(into.path()),
                BTreeSet::from([messages[n].clone()])
            );
        }

        let delete_korean = format!("delete \"{korean}\"");
        let delete_archive = format!("delete \"{archive}\"");
        let out = run(
            env,
            "BOB",
            "MAILTEST_IMAPS_PORT",
            None,
            &["-c", &delete_korean, "-c", &delete_archive, "-c", &pattern],
            "",
        );
        assert_eq!(out.code, Some(0), "{}", out.show());
        assert!(!out.stdout_text().contains("S: * LIST"), "{}", out.show());
    });
}

#[test]
fn a_wrong_password_exits_4() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        // One port only: Courier makes every failed login wait 5 s.
        let out = run(
            env,
            "BOB",
            "MAILTEST_IMAPS_PORT",
            Some("not-bobs-password"),
            &["-c", "select INBOX"],
            "",
        );
        assert_eq!(out.code, Some(4), "{}", out.show());
        assert!(
            !out.stdout_text().contains("select INBOX"),
            "{}",
            out.show()
        );
    });
}

#[test]
fn carol_logs_in_with_a_quote_space_and_backslash_in_her_password() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        let (_, password) = env.account("CAROL");
        assert_eq!(password.expose(), "c4rol pa\"ss\\word");
        for (port, _) in PORTS {
            let out = run(env, "CAROL", port, None, &["-c", "select INBOX"], "");
            assert_eq!(out.code, Some(0), "{port}: {}", out.show());
            assert!(out.stdout_text().contains(" EXISTS"), "{}", out.show());
        }
    });
}

#[test]
fn idle_ends_at_the_first_update() {
    let _turn = mailbox_turn();
    TestEnv::for_each_server(Protocol::Imap, |env| {
        for (port, _) in PORTS {
            env.fill("BOB", &[message("before")]);
            let started = Instant::now();
            let child = imap_cli(
                env,
                "BOB",
                port,
                None,
                &["-c", "select INBOX", "-c", "idle", "--idle-secs", "60"],
            )
            .spawn()
            .unwrap();
            // Mail arrives while the console is in IDLE.
            std::thread::sleep(Duration::from_secs(3));
            env.append("BOB", "INBOX", &message("during"));
            let out = checked(env, "BOB", None, finish(child, b"", started));
            let took = started.elapsed();
            assert_eq!(out.code, Some(0), "{port}: {}", out.show());
            let stdout = out.stdout_text();
            let idle = stdout
                .to_ascii_uppercase()
                .find(" IDLE\n")
                .unwrap_or_else(|| panic!("{port}: no IDLE: {}", out.show()));
            let after = &stdout[idle..];
            assert!(after.contains("S: * 2 EXISTS"), "{port}: {}", out.show());
            assert!(after.contains("C: DONE"), "{port}: {}", out.show());
            assert!(took < Duration::from_secs(30), "{port}: IDLE took {took:?}");
        }
    });
}
