//! A real terminal for tests of the programs: a tmux server of our own
//! (`-L`), keys typed into one window, the screen read back.

use std::process::Command;
use std::time::{Duration, Instant};

use super::in_ci;

/// How long [`Tmux::wait_for`] waits for the screen.
const PATIENCE: Duration = Duration::from_secs(20);

/// Whether tmux can run. Missing outside CI: a loud note and `false`;
/// missing under `CI=true`: a failure, never a skip.
pub fn tmux_available() -> bool {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !in_ci(),
            "CI=true but tmux is missing (scripts/test installs it)"
        );
        eprintln!("SKIPPED: tmux is not installed");
    }
    found
}

/// One tmux server on its own socket with one window, `console`; only this
/// server is killed when dropped.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs the shell line `command` in a `width`×`height` window with `env`
    /// added to its environment, on a socket named after `name` and this
    /// process. `None` when tmux is missing (see [`tmux_available`]).
    pub fn start(
        name: &str,
        (width, height): (u16, u16),
        env: &[(&str, &str)],
        command: &str,
    ) -> Option<Tmux> {
        if !tmux_available() {
            return None;
        }
        let tmux = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        let (width, height) = (width.to_string(), height.to_string());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            "console",
            "-x",
            &width,
            "-y",
            &height,
        ];
        let pairs: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for pair in &pairs {
            args.extend(["-e", pair]);
        }
        // One argument: tmux runs it with its default shell, which (unlike
        // a plain `sh -c`) outlives a Ctrl-C the program itself handles.
        args.push(command);
        let out = tmux.command().args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(tmux)
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket]);
        command
    }

    /// `tmux send-keys` to the window: key names (`Enter`, `C-d`, `Up`) or
    /// text; `["-l", text]` sends text literally.
    pub fn keys(&self, keys: &[&str]) {
        let out = self
            .command()
            .args(["send-keys", "-t", "console"])
            .args(keys)
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux send-keys {keys:?}");
    }

    /// Types `text` literally, then Enter.
    pub fn type_line(&self, text: &str) {
        self.keys(&["-l", text]);
        self.keys(&["Enter"]);
    }

    /// The window with its scrollback, wrapped lines joined.
    pub fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-J", "-S", "-500", "-t", "console"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_for_count(text, 1)
    }

    /// Waits until the screen shows `text` at least `times` times.
    pub fn wait_for_count(&self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= times {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} ×{times}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Answers the no-echo `prompt` once per entry of `answers`, each after
    /// its prompt appears; returns the screen as each prompt appeared.
    pub fn answer_prompts(&self, prompt: &str, answers: &[&str]) -> Vec<String> {
        answers
            .iter()
            .enumerate()
            .map(|(n, answer)| {
                let screen = self.wait_for_count(prompt, n + 1);
                // Echo is switched off just after the prompt is written.
                std::thread::sleep(Duration::from_millis(200));
                self.type_line(answer);
                screen
            })
            .collect()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// Types a wrong password at the first `prompt`, then `right` at the
/// second, and waits for the shell's `EXIT=` line; checks the program asked
/// again (`try again (2 of 3)`), exited 0 and showed neither password.
/// Returns the screen at the second prompt and the final screen.
pub fn wrong_then_right_password(tmux: &Tmux, prompt: &str, right: &str) -> (String, String) {
    const WRONG: &str = "not-the-password";
    let screens = tmux.answer_prompts(prompt, &[WRONG, right]);
    let second = screens.last().cloned().unwrap_or_default();
    assert!(second.contains("try again (2 of 3)"), "{second}");
    let last = tmux.wait_for("EXIT=");
    assert!(last.contains("EXIT=0"), "{last}");
    assert!(
        !last.contains(right) && !last.contains(WRONG),
        "a password is on the screen"
    );
    (second, last)
}
