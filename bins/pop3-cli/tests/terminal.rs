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

use std::time::Duration;

use mail_wire::testing::{wrong_then_right_password, TestEnv, Tmux};

/// `pop3-cli` as `user` on the POP3S port of the test server in a 160×50
/// terminal, `args` after the connection options; the password comes from
/// `password` in `MAIL_PASSWORD`, or from the prompt when `None`.
fn console(
    env: &TestEnv,
    name: &str,
    user: &str,
    password: Option<&str>,
    args: &str,
) -> Option<Tmux> {
    let command = format!(
        "{}{} {user} --host {} --port {} --tls implicit --ca-file {} {args}; echo EXIT=$?; sleep 60",
        if password.is_none() { "env -u MAIL_PASSWORD " } else { "" },
        env!("CARGO_BIN_EXE_pop3-cli"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_POP3S_PORT"),
        env.var("MAILTEST_CA_FILE"),
    );
    let vars: Vec<(&str, &str)> = password.map(|p| ("MAIL_PASSWORD", p)).into_iter().collect();
    Tmux::start(name, (160, 50), &vars, &command)
}

#[test]
fn a_person_logs_in_types_commands_recalls_history_and_leaves_with_ctrl_d() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("BOB");
    env.empty_mailbox("BOB");
    env.save("BOB", b"From: bob@example.test\r\nSubject: =?UTF-8?B?7ZWc6riA?= in a terminal\r\n\r\nHello from tmux.\r\n");
    let Some(tmux) = console(&env, "pop3-cli-test", &user, None, "") else {
        return;
    };

    // The password is typed at a prompt that does not echo it.
    tmux.answer_prompts("password for bob@example.test:", &[pass.expose()]);
    tmux.wait_for("S: +OK Logged in.");
    // The banner comes just before the line editor takes the terminal; give
    // it a moment so the first keys meet the editor, not the cooked tty.
    tmux.wait_for("type POP3 commands");
    std::thread::sleep(Duration::from_millis(300));

    tmux.type_line("stat");
    let screen = tmux.wait_for("S: +OK 1 ");
    assert_eq!(
        screen.matches("C: stat").count(),
        1,
        "the typed command shows once:\n{screen}"
    );

    tmux.type_line("list");
    tmux.wait_for("S: +OK 1 messages");
    // Up arrow recalls `list` from the history.
    tmux.keys(&["Up"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for_count("S: +OK 1 messages", 2);
    assert_eq!(screen.matches("C: list").count(), 2, "{screen}");

    tmux.type_line(":show 1");
    tmux.wait_for("Hello from tmux.");
    let screen = tmux.wait_for("Subject: 한글 in a terminal");
    assert!(screen.contains("S: <message: "), "{screen}");

    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=");
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
    let (user, pass) = env.account("ALICE");
    let Some(tmux) = console(&env, "pop3-cli-typo-test", &user, Some(pass.expose()), "") else {
        return;
    };
    tmux.wait_for(":help for more");
    std::thread::sleep(Duration::from_millis(300));

    tmux.type_line("stta");
    let before = tmux
        .wait_for("did you mean stat?")
        .matches("S: +OK ")
        .count();
    tmux.type_line("stat");
    tmux.wait_for_count("S: +OK ", before + 1);
    tmux.keys(&["C-d"]);
    let screen = tmux.wait_for("EXIT=");
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
    let (user, pass) = env.account("BOB");
    let Some(tmux) = console(&env, "pop3-cli-retry", &user, None, "-c stat") else {
        return;
    };
    let (_, screen) =
        wrong_then_right_password(&tmux, "password for bob@example.test:", pass.expose());
    assert!(screen.contains("S: +OK Logged in."), "{screen}");
    assert!(
        screen.contains("C: stat") || screen.contains("C: STAT"),
        "{screen}"
    );
}

/// Issue 12.3: after three wrong passwords at the prompt the login fails
/// with exit 4, as a password from the argument does at once.
#[test]
fn issue_12_three_wrong_passwords_at_the_prompt_exit_4() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("BOB");
    let Some(tmux) = console(&env, "pop3-cli-retry3", &user, None, "-c stat") else {
        return;
    };
    tmux.answer_prompts("password for bob@example.test:", &["wrong"; 3]);
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("EXIT=4"), "{screen}");
    assert_eq!(
        screen.matches("password for bob@example.test:").count(),
        3,
        "{screen}"
    );
}
