//! The console as a person uses it: `pop3-cli` in a real terminal (tmux),
//! the password typed at the no-echo prompt, commands typed at `C: `,
//! history recalled with the Up arrow, Ctrl-D to leave; the screen is read
//! back and checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mail_wire::testing::TestEnv;

/// A tmux server of our own (`-L`), killed (only it) when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    fn screen(&self) -> String {
        let output = self.run(&["capture-pane", "-p", "-J", "-S", "-300", "-t", "console"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `text` `times` times.
    fn wait_for(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let socket = self.run(&["display-message", "-p", "#{socket_path}"]);
        let _ = self.run(&["kill-server"]);
        // tmux leaves its socket file behind; it is ours, remove it.
        let path = String::from_utf8_lossy(&socket.stdout).trim().to_owned();
        if path.ends_with(&self.socket) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        found || !ci,
        "CI=true but tmux is missing (scripts/test installs it)"
    );
    if !found {
        eprintln!("SKIPPED: tmux is not installed");
    }
    found
}

#[test]
fn a_person_logs_in_types_commands_recalls_history_and_leaves_with_ctrl_d() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, pass) = env.account("BOB");
    env.empty_mailbox("BOB");
    env.save("BOB", b"From: bob@example.test\r\nSubject: =?UTF-8?B?7ZWc6riA?= in a terminal\r\n\r\nHello from tmux.\r\n");

    let tmux = Tmux {
        socket: format!("pop3-cli-test-{}", std::process::id()),
    };
    let program = format!(
        "{} {user} --host {} --port {} --tls implicit --ca-file {}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_pop3-cli"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "160",
        "-y",
        "50",
        "env",
        "-u",
        "MAIL_PASSWORD",
        "sh",
        "-c",
        &program,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );

    // The password is typed at a prompt that does not echo it.
    tmux.wait_for("password for bob@example.test:", 1);
    std::thread::sleep(Duration::from_millis(200)); // echo is switched off right after the prompt
    tmux.keys(&["-l", pass.expose()]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("S: +OK Logged in.", 1);
    // The banner comes just before the line editor takes the terminal; give
    // it a moment so the first keys meet the editor, not the cooked tty.
    tmux.wait_for("type POP3 commands", 1);
    std::thread::sleep(Duration::from_millis(300));

    tmux.keys(&["-l", "stat"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("S: +OK 1 ", 1);
    assert_eq!(
        screen.matches("C: stat").count(),
        1,
        "the typed command shows once:\n{screen}"
    );

    tmux.keys(&["-l", "list"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("S: +OK 1 messages", 1);
    // Up arrow recalls `list` from the history.
    tmux.keys(&["Up"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("S: +OK 1 messages", 2);
    assert_eq!(screen.matches("C: list").count(), 2, "{screen}");

    tmux.keys(&["-l", ":show 1"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Hello from tmux.", 1);
    let screen = tmux.wait_for("Subject: 한글 in a terminal", 1);
    assert!(screen.contains("S: <message: "), "{screen}");

    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=", 1);
    assert!(
        screen.contains("C: QUIT\nS: +OK Logging out.\n"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains(pass.expose()),
        "the password is on the screen:\n{screen}"
    );
}

#[test]
fn a_typo_at_the_terminal_is_not_sent_and_gets_a_suggestion() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, pass) = env.account("ALICE");
    let tmux = Tmux {
        socket: format!("pop3-cli-typo-test-{}", std::process::id()),
    };
    let program = format!(
        "{} {user} --host {} --port {} --tls implicit --ca-file {}; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_pop3-cli"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let password = format!("MAIL_PASSWORD={}", pass.expose());
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "160",
        "-y",
        "50",
        "-e",
        &password,
        "sh",
        "-c",
        &program,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    tmux.wait_for(":help for more", 1);
    std::thread::sleep(Duration::from_millis(300));

    tmux.keys(&["-l", "stta"]);
    tmux.keys(&["Enter"]);
    let before = tmux
        .wait_for("did you mean stat?", 1)
        .matches("S: +OK ")
        .count();
    tmux.keys(&["-l", "stat"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("S: +OK ", before + 1);
    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=", 1);
    assert!(screen.contains("C: stta\npop3-cli: unknown command \"stta\" (did you mean stat?); :help lists the known ones\n"), "{screen}");
    assert!(
        !screen.contains("-ERR"),
        "the typo never reached the server:\n{screen}"
    );
    assert_eq!(screen.matches("C: stat").count(), 1, "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains(pass.expose()),
        "the password is on the screen:\n{screen}"
    );
}

/// Issue 12.3: a wrong password typed at the prompt is asked again (three
/// tries, as mutt does); a right one then opens the session.
#[test]
fn issue_12_a_wrong_password_at_the_prompt_is_asked_again() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, pass) = env.account("BOB");
    let tmux = Tmux {
        socket: format!("pop3-cli-retry-{}", std::process::id()),
    };
    let program = format!(
        "{} {user} --host {} --port {} --tls implicit --ca-file {} -c stat; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_pop3-cli"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "160",
        "-y",
        "50",
        "env",
        "-u",
        "MAIL_PASSWORD",
        "sh",
        "-c",
        &program,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );

    tmux.wait_for("password for bob@example.test:", 1);
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["-l", "not-the-password"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("password for bob@example.test:", 2);
    assert!(screen.contains("try again (2 of 3)"), "{screen}");
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["-l", pass.expose()]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("EXIT=", 1);
    assert!(screen.contains("S: +OK Logged in."), "{screen}");
    assert!(
        screen.contains("C: stat") || screen.contains("C: STAT"),
        "{screen}"
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains(pass.expose()) && !screen.contains("not-the-password"),
        "a password is on the screen:\n{screen}"
    );
}

/// Issue 12.3: after three wrong passwords at the prompt the login fails
/// with exit 4, as a password from the argument does at once.
#[test]
fn issue_12_three_wrong_passwords_at_the_prompt_exit_4() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, _) = env.account("BOB");
    let tmux = Tmux {
        socket: format!("pop3-cli-retry3-{}", std::process::id()),
    };
    let program = format!(
        "{} {user} --host {} --port {} --tls implicit --ca-file {} -c stat; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_pop3-cli"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "160",
        "-y",
        "50",
        "env",
        "-u",
        "MAIL_PASSWORD",
        "sh",
        "-c",
        &program,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    for n in 1..=3 {
        tmux.wait_for("password for bob@example.test:", n);
        std::thread::sleep(Duration::from_millis(200));
        tmux.keys(&["-l", "wrong"]);
        tmux.keys(&["Enter"]);
    }
    let screen = tmux.wait_for("EXIT=", 1);
    assert!(screen.contains("EXIT=4"), "{screen}");
    assert_eq!(
        screen.matches("password for bob@example.test:").count(),
        3,
        "{screen}"
    );
}
