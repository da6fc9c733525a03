//! `smtp-send` with the password typed at its no-echo prompt in a real
//! terminal (tmux on its own socket); the screen is read back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mail_wire::testing::{wrong_then_right_password, TestEnv, Tmux};

/// Issue 12.3: a wrong password typed at the prompt is asked again, and the
/// message goes out with the right one.
#[test]
fn issue_12_a_wrong_password_at_the_prompt_is_asked_again() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("ALICE");
    let command = format!(
        "env -u MAIL_PASSWORD {} {user} --host {} --port {} --tls implicit --ca-file {} --to bob@example.test \
         --body retried; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_smtp-send"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_SMTPS_PORT"),
        env.var("MAILTEST_CA_FILE")
    );
    let Some(tmux) = Tmux::start("smtp-send-retry", (220, 60), &[], &command) else {
        return;
    };
    let (second, screen) =
        wrong_then_right_password(&tmux, "password for alice@example.test:", pass.expose());
    assert!(second.contains("535"), "{second}");
    assert!(screen.contains("S: 235 "), "{screen}");
}
