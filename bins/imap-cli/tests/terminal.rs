//! The console in a real terminal: tmux runs `imap-cli` on its own socket,
//! keys are typed, the screen is read back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::Duration;

use mail_imap::{Client, SequenceSet};
use mail_wire::testing::{tmux_available, wrong_then_right_password, TestEnv, Tmux};
use mail_wire::Security;

const BIN: &str = env!("CARGO_BIN_EXE_imap-cli");

/// `imap-cli` as `user` on the IMAPS port of the test server in a `size`
/// terminal, `args` after the connection options; the password comes from
/// `password` in `MAIL_PASSWORD`, or from the prompt when `None`.
fn console(
    env: &TestEnv,
    name: &str,
    size: (u16, u16),
    user: &str,
    password: Option<&str>,
    args: &str,
) -> Option<Tmux> {
    let command = format!(
        "{}{BIN} {user} --host {} --port {} --tls implicit --ca-file {} {args}; echo EXIT=$?; sleep 60",
        if password.is_none() { "env -u MAIL_PASSWORD " } else { "" },
        env.var("MAILTEST_TLS_NAME"),
        env.var("MAILTEST_IMAPS_PORT"),
        env.var("MAILTEST_CA_FILE")
    );
    let vars: Vec<(&str, &str)> = password.map(|p| ("MAIL_PASSWORD", p)).into_iter().collect();
    Tmux::start(name, size, &vars, &command)
}

#[test]
fn console_in_a_terminal_edits_lines_keeps_history_and_idles_until_enter() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("BOB");
    let Some(tmux) = console(
        &env,
        "imap-cli-test",
        (220, 60),
        &user,
        Some(pass.expose()),
        "",
    ) else {
        return;
    };
    tmux.wait_for("Logged in");
    tmux.wait_for("C: ");

    // Line editing: a typo fixed with Backspace.
    tmux.keys(&["list \"\" \"*\"x", "BSpace", "Enter"]);
    tmux.wait_for("OK List completed");
    tmux.keys(&["examine inbox", "Enter"]);
    tmux.wait_for("OK [READ-ONLY] Examine completed");

    // IDLE shows an update pushed by another connection, Enter ends it.
    tmux.keys(&["idle", "Enter"]);
    tmux.wait_for("+ idling");
    let mut other = Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap()
    .login(&user, &pass)
    .map_err(|(e, _)| e)
    .unwrap();
    let before = other
        .status("INBOX", &["MESSAGES"])
        .unwrap()
        .get("MESSAGES")
        .unwrap();
    other
        .append(
            "INBOX",
            &[],
            b"Subject: terminal idle\r\n\r\nhello\r\n".to_vec(),
        )
        .unwrap();
    tmux.wait_for(&format!("S: * {} EXISTS", before + 1));
    tmux.keys(&["Enter"]);
    tmux.wait_for("C: DONE");
    tmux.wait_for("OK Idle completed");

    // History: Up brings back the last command.
    tmux.keys(&["noop", "Enter"]);
    tmux.wait_for("OK NOOP completed");
    tmux.keys(&["Up", "Enter"]);
    // History did repeat NOOP.
    tmux.wait_for_count("OK NOOP completed", 2);

    // Ctrl-D ends the session politely.
    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(
        screen.contains("C: a2 list \"\" \"*\""),
        "edited line sent:\n{screen}"
    );
    assert!(screen.contains("LOGOUT"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains(pass.expose()), "password on screen");

    let mut inbox = other.select("INBOX").map_err(|(e, _)| e).unwrap();
    let hits = inbox.search("SUBJECT \"terminal idle\"").unwrap();
    if let Some(set) = SequenceSet::from_numbers(hits) {
        inbox.store(&set, "+FLAGS.SILENT", &["\\Deleted"]).unwrap();
        inbox.expunge().unwrap();
    }
    inbox.logout().unwrap();
}

#[test]
fn an_idle_that_ends_on_its_time_limit_leaves_the_next_line_to_the_console() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    let Some(tmux) = console(
        &env,
        "imap-cli-idle-test",
        (220, 60),
        &user,
        Some(pass.expose()),
        "--idle-secs 2",
    ) else {
        return;
    };
    tmux.wait_for("Logged in");
    tmux.keys(&["examine inbox", "Enter"]);
    tmux.wait_for("Examine completed");
    tmux.keys(&["idle", "Enter"]);
    tmux.wait_for("+ idling");
    // Nobody presses Enter: the time limit ends IDLE.
    let screen = tmux.wait_for("OK Idle completed");
    assert!(screen.contains("C: DONE"), "{screen}");
    // The next line goes to the console, not to a reader left over from IDLE.
    tmux.keys(&["noop", "Enter"]);
    tmux.wait_for("OK NOOP completed");
    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains(pass.expose()), "password on screen");
}

#[test]
fn each_line_shows_once_as_sent_and_a_typo_gets_a_suggestion() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    // 60 columns: the long line below wraps over three rows.
    let Some(tmux) = console(
        &env,
        "imap-cli-typo-test",
        (60, 60),
        &user,
        Some(pass.expose()),
        "",
    ) else {
        return;
    };
    tmux.wait_for(":help for more");
    std::thread::sleep(Duration::from_millis(300));

    tmux.keys(&["capability", "Enter"]);
    tmux.wait_for("OK Capability completed");
    // A typo: not sent, the likely command named; the session goes on.
    tmux.keys(&["selct inbox", "Enter"]);
    tmux.wait_for("did you mean select?");
    let long = format!("noop {}", "x".repeat(120));
    tmux.keys(&[&long, "Enter"]);
    tmux.wait_for("S: a3 ");
    tmux.keys(&["examine inbox", "Enter"]);
    tmux.wait_for("Examine completed");
    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(
        screen.contains("EXIT=0"),
        "a person's session is not failed by a typo: {screen}"
    );
    // Each command once, as it went on the wire (with its tag).
    assert_eq!(screen.matches("capability").count(), 1, "{screen}");
    assert!(screen.contains("C: a2 capability\n"), "{screen}");
    assert_eq!(screen.matches("examine inbox").count(), 1, "{screen}");
    assert!(screen.contains("C: a4 examine inbox\n"), "{screen}");
    assert_eq!(
        screen.matches("noop x").count(),
        1,
        "a wrapped line is taken off whole: {screen}"
    );
    assert!(screen.contains(&format!("C: a3 {long}\n")), "{screen}");
    // The typo stays as typed, with the sentence under it; nothing went out.
    assert!(
        screen
            .contains("C: selct inbox\nimap-cli: unknown command \"selct\" (did you mean select?)"),
        "{screen}"
    );
    assert!(
        !screen.contains("a3 selct") && !screen.contains("selct INBOX"),
        "{screen}"
    );
    assert!(!screen.contains(pass.expose()), "password on screen");
}

/// Issue 12.3: a wrong password typed at the prompt is asked again (three
/// tries, as mutt does); a right one then opens the session.
#[test]
fn issue_12_a_wrong_password_at_the_prompt_is_asked_again() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("BOB");
    let Some(tmux) = console(&env, "imap-cli-retry", (220, 60), &user, None, "-c noop") else {
        return;
    };
    let (second, screen) =
        wrong_then_right_password(&tmux, "password for bob@example.test:", pass.expose());
    assert!(second.contains("LOGIN"), "{second}");
    assert!(screen.contains("Logged in"), "{screen}");
    assert!(screen.contains("OK NOOP completed"), "{screen}");
}

#[test]
fn ctrl_c_during_fetch_all_keeps_every_finished_message_and_exits_130() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, pass) = env.account("CAROL");
    let mut s = Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap()
    .login(&user, &pass)
    .map_err(|(e, _)| e)
    .unwrap();
    let mbox = format!("ctrl-c-{}", std::process::id());
    s.create(&mbox).unwrap();
    let mut sent = Vec::new();
    for i in 0..200 {
        let mut m = format!("Subject: ctrl-c {i}\r\n\r\n").into_bytes();
        while m.len() < 20_000 {
            m.extend_from_slice(format!("line {} of {i}\r\n", m.len()).as_bytes());
        }
        s.append(&mbox, &[], m.clone()).unwrap();
        sent.push(m);
    }
    let validity = s
        .status(&mbox, &["UIDVALIDITY"])
        .unwrap()
        .get("UIDVALIDITY")
        .unwrap();
    let slow = env.slow_port("MAILTEST_IMAPS_PORT");
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "{BIN} {user} --host {} --port {slow} --tls implicit --ca-file {} -q \
         --fetch-all {} --mailbox {mbox}; echo EXIT=$?; sleep 60",
        env.var("MAILTEST_TLS_NAME"),
        env.var("MAILTEST_CA_FILE"),
        dir.path().display()
    );
    let tmux = Tmux::start(
        "imap-cli-fetch",
        (200, 20),
        &[("MAIL_PASSWORD", pass.expose())],
        &command,
    )
    .expect("tmux was found");
    // The bar counts bytes and messages.
    let screen = tmux.wait_for("/200 messages");
    assert!(screen.contains("MB"), "{screen}");
    while std::fs::read_dir(dir.path()).unwrap().count() < 5 {
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=130"), "{screen}");
    assert!(
        screen.contains("imap-cli: interrupted by SIGINT: saved "),
        "{screen}"
    );
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "temporary file left: {name}");
        let uid: usize = name
            .strip_prefix(&format!("{validity}-"))
            .and_then(|n| n.strip_suffix(".eml"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(std::fs::read(dir.path().join(&name)).unwrap() == sent[uid - 1]);
        files += 1;
    }
    assert!(files < 200, "Ctrl-C came too late to test anything");
    assert!(
        screen.contains(&format!("saved {files} messages")),
        "{files} files; {screen}"
    );
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

/// mutt in the terminal reads the `--format maildir` output: every message,
/// new ones marked `N`, flagged ones `!`.
#[test]
fn mutt_reads_the_maildir_with_its_flags() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let found = Command::new("mutt").arg("-v").output().is_ok();
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        found || !ci,
        "CI=true but mutt is missing (scripts/test installs it)"
    );
    if !found {
        eprintln!("SKIPPED: mutt is not installed");
        return;
    }
    let (user, pass) = env.account("CAROL");
    let mut s = Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap()
    .login(&user, &pass)
    .map_err(|(e, _)| e)
    .unwrap();
    let mbox = format!("mutt-{}", std::process::id());
    s.create(&mbox).unwrap();
    for (subject, flags) in [
        ("subject-seen", vec!["\\Seen"]),
        ("subject-flagged", vec!["\\Flagged"]),
        ("subject-new", vec![]),
    ] {
        let m = format!("From: bob@example.test\r\nSubject: {subject}\r\n\r\nbody\r\n");
        s.append(&mbox, &flags, m.into_bytes()).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg(&user)
        .args(["--host", &env.var("MAILTEST_TLS_NAME")])
        .args([
            "--port",
            &env.var("MAILTEST_IMAPS_PORT"),
            "--tls",
            "implicit",
        ])
        .args(["--ca-file", &env.var("MAILTEST_CA_FILE"), "-q"])
        .args([
            "--fetch-all",
            dir.path().to_str().unwrap(),
            "--mailbox",
            &mbox,
        ])
        .args(["--format", "maildir"])
        .env("MAIL_PASSWORD", pass.expose())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let command = format!(
        "mutt -n -F /dev/null -e 'set folder={0} sort=subject' -R -f {0}; sleep 60",
        dir.path().display()
    );
    let tmux = Tmux::start("imap-cli-mutt", (120, 20), &[], &command).expect("tmux was found");
    let screen = tmux.wait_for("subject-seen");
    let line = |subject: &str| {
        screen
            .lines()
            .find(|l| l.trim_end().ends_with(subject))
            .unwrap_or_else(|| panic!("{subject} not listed:\n{screen}"))
            .to_owned()
    };
    assert!(line("subject-new").contains(" N "), "{screen}");
    assert!(line("subject-flagged").contains('!'), "{screen}");
    let seen = line("subject-seen");
    assert!(!seen.contains(" N ") && !seen.contains(" O "), "{screen}");
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}
