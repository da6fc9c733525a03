//! `smtp-send` with the password typed at its no-echo prompt in a real
//! terminal (tmux on its own socket); the screen is read back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::{Duration, Instant};

use mail_wire::testing::TestEnv;

/// A tmux server of our own (`-L`), killed (only it) when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "console"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-500", "-t", "console"])
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
                "timed out waiting for {text:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !ci,
            "CI=true but tmux is missing (scripts/test installs it)"
        );
        eprintln!("SKIPPED: tmux is not installed");
    }
    found
}

/// Issue 12.3: a wrong password typed at the prompt is asked again, and the
/// message goes out with the right one.
#[test]
fn issue_12_a_wrong_password_at_the_prompt_is_asked_again() {
    let Some(env) = TestEnv::load() else { return };
    if !tmux_available() {
        return;
    }
    let (user, pass) = env.account("ALICE");
    let tmux = Tmux {
        socket: format!("smtp-send-retry-{}", std::process::id()),
    };
    let command = format!(
        "env -u MAIL_PASSWORD {} {user} --host {} --port {} --tls implicit --ca-file {} --to bob@example.test \
         --body retried; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_smtp-send"),
        env.var("MAILTEST_HOST"),
        env.var("MAILTEST_SMTPS_PORT"),
        env.var("MAILTEST_CA_FILE")
    );
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "console",
        "-x",
        "220",
        "-y",
        "60",
        &command,
    ]);
    tmux.wait_for("password for alice@example.test:", 1);
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["-l", "not-the-password"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("password for alice@example.test:", 2);
    assert!(
        screen.contains("try again (2 of 3)") && screen.contains("535"),
        "{screen}"
    );
    std::thread::sleep(Duration::from_millis(200));
    tmux.keys(&["-l", pass.expose()]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("EXIT=", 1);
    assert!(screen.contains("S: 235 "), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        !screen.contains(pass.expose()) && !screen.contains("not-the-password"),
        "a password is on the screen"
    );
}
