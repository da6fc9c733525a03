//! Running the programs under test: one process with a clean environment,
//! against a loopback server that misbehaves on purpose, against a provider
//! transcript, or against a real server as one of its accounts.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{LineServer, ScriptedStream, TestEnv, HOSTILE};

/// What a finished program left behind.
#[derive(Debug, Clone)]
pub struct Ran {
    /// The exit code, `None` when a signal ended it.
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
    /// Wall time from start to exit.
    pub elapsed: Duration,
}

impl Ran {
    /// stdout as text (invalid UTF-8 replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stderr as text (invalid UTF-8 replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Exit code, stderr and stdout, for an assertion message.
    pub fn show(&self) -> String {
        format!(
            "exit {:?}\nstderr: {}\nstdout:\n{}",
            self.code,
            self.stderr_text(),
            self.stdout_text()
        )
    }

    /// Panics when `secret` appears on stdout or stderr.
    pub fn assert_secret_hidden(&self, secret: &str) {
        assert!(
            !self.stdout_text().contains(secret) && !self.stderr_text().contains(secret),
            "password in output:\n{}",
            self.show()
        );
    }
}

/// Runs `bin` with `args` and `env` on top of this process's environment
/// without `MAIL_PASSWORD` and `RUST_LOG` (so nothing outside the test
/// decides what it sees), stdin closed; waits for it to exit.
pub fn run_program(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let started = Instant::now();
    let out = program(bin, args, env)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"));
    Ran {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
        elapsed: started.elapsed(),
    }
}

/// The command [`run_program`] runs, for a test that needs the process
/// while it runs: stdin, stdout and stderr are pipes; see [`finish`].
pub fn program(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(bin);
    command
        .args(args)
        .env_remove("MAIL_PASSWORD")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Writes `input` to the stdin of a [`program`] started at `started`, closes
/// it and waits for the exit.
pub fn finish(mut child: Child, input: &[u8], started: Instant) -> Ran {
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits before reading all of it is not our failure.
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().unwrap();
    Ran {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
        elapsed: started.elapsed(),
    }
}

/// [`run_program`] with `input` on stdin.
pub fn run_program_with_input(bin: &str, args: &[&str], env: &[(&str, &str)], input: &[u8]) -> Ran {
    let started = Instant::now();
    let child = program(bin, args, env)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"));
    finish(child, input, started)
}

/// `tag`, this process and the time: a name no other run has used.
pub fn unique_name(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// A message for the download suites: an encoded-word From, a unique
/// Subject and Message-ID (`tag` must be ASCII: Cyrus replaces raw 8-bit
/// header bytes with `X`), a UTF-8 greeting, then `tricky` (the lines a
/// protocol's framing gets wrong most easily, CRLF-ended) and 200 plain
/// lines, so the body is longer than one read.
pub fn sample_message(tag: &str, tricky: &str) -> Vec<u8> {
    let id = unique_name(tag);
    let mut text = format!(
        "From: =?UTF-8?B?7ZmN6ri464+Z?= <alice@example.test>\r\n\
         To: Bob <bob@example.test>\r\n\
         Subject: {id}\r\n\
         Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n\
         Message-ID: <{id}@example.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         안녕하세요, {tag}.\r\n\
         {tricky}"
    );
    for n in 0..200 {
        text.push_str(&format!("line {n} of a body longer than one read\r\n"));
    }
    text.into_bytes()
}

/// The contents of the `.eml` files in `dir`.
pub fn eml_files(dir: &std::path::Path) -> std::collections::BTreeSet<Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// The password [`run_on_loopback`] gives; no output may show it.
pub const LOOPBACK_PASSWORD: &str = "pw-not-shown";

/// The verbosity levels a program's output is checked at: `-q`, default, `-v`.
pub const LEVELS: [&[&str]; 3] = [&["-q"], &[], &["-v"]];

/// The exit-code lines every program's `--help` ends with.
pub const EXIT_CODE_LINES: [&str; 6] = [
    "0  ok",
    "2  usage",
    "3  connection",
    "4  authentication",
    "5  a command rejected",
    "6  the server broke",
];

/// `text` followed by [`HOSTILE`] and CRLF: one reply line that tries to
/// drive the terminal.
pub fn hostile_line(text: &str) -> Vec<u8> {
    let mut line = text.as_bytes().to_vec();
    line.extend_from_slice(HOSTILE);
    line.extend_from_slice(b"\r\n");
    line
}

/// Runs `bin` as `bob@example.test` against `server` on 127.0.0.1 without
/// TLS (10 s time limit, password [`LOOPBACK_PASSWORD`]), then `args`.
pub fn run_on_loopback(bin: &str, server: &LineServer, args: &[&str]) -> Ran {
    let port = server.port().to_string();
    let mut all = vec![
        "bob@example.test",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "none",
        "--timeout",
        "10",
    ];
    all.extend_from_slice(args);
    run_program(bin, &all, &[("MAIL_PASSWORD", LOOPBACK_PASSWORD)])
}

/// [`run_on_loopback`] once per [`LEVELS`] entry, each against a fresh
/// `server()` that is waited for; the level comes back with each run.
pub fn run_at_every_level(
    bin: &str,
    server: impl Fn() -> LineServer,
    args: &[&str],
) -> Vec<(&'static [&'static str], Ran)> {
    LEVELS
        .iter()
        .map(|level| {
            let server = server();
            let mut all = level.to_vec();
            all.extend_from_slice(args);
            let ran = run_on_loopback(bin, &server, &all);
            server.lines();
            (*level, ran)
        })
        .collect()
}

/// `bin --help`, checked to succeed and to show `in_order` in that order,
/// then every [`EXIT_CODE_LINES`] entry; returns the help text.
pub fn assert_help_in_order(bin: &str, in_order: &[&str]) -> String {
    let ran = run_program(bin, &["--help"], &[]);
    let help = ran.stdout_text();
    assert_eq!(ran.code, Some(0), "{}", ran.stderr_text());
    let mut from = 0;
    for part in in_order {
        let at = help[from..]
            .find(part)
            .unwrap_or_else(|| panic!("{part:?} missing or out of order:\n{help}"));
        from += at + part.len();
    }
    for code in EXIT_CODE_LINES {
        assert!(help.contains(code), "{code} missing:\n{help}");
    }
    help
}

/// The password [`replay_provider`] gives on the command line.
pub const PROVIDER_PASSWORD: &str = "app-pass 0123";

/// Runs `bin` for the account of `fixtures/providers/<file>` against that
/// transcript (after `rewrite`, for what the program composes itself) on a
/// loopback socket without TLS: `ACCOUNT PASSWORD --host 127.0.0.1 --port P
/// --tls none`, then `args`. Checks the whole script was played and the
/// password never reached the output; returns the exit code (-1 for a
/// signal) and stdout followed by stderr.
pub fn replay_provider(
    bin: &str,
    file: &str,
    rewrite: impl FnOnce(&str) -> String,
    args: &[&str],
) -> (i32, String) {
    let path = format!(
        "{}/../../fixtures/providers/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let script = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let account = script
        .lines()
        .find_map(|l| l.strip_prefix("# account: "))
        .unwrap_or_else(|| panic!("{file}: no `# account:` line"))
        .trim()
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = ScriptedStream::from_transcript(&rewrite(&script)).serve_on(listener);
    let mut all = vec![
        account.as_str(),
        PROVIDER_PASSWORD,
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "none",
    ];
    all.extend_from_slice(args);
    let ran = run_program(bin, &all, &[]);
    let output = format!("{}{}", ran.stdout_text(), ran.stderr_text());
    let name = bin.rsplit('/').next().unwrap_or(bin);
    match server.join() {
        Ok(script) => script.assert_done(),
        Err(_) => panic!("{file}: {name} did not send what the provider expects:\n{output}"),
    }
    assert!(
        !output.contains(PROVIDER_PASSWORD),
        "{file}: the password reached the output:\n{output}"
    );
    (ran.code.unwrap_or(-1), output)
}

impl TestEnv {
    /// Runs `bin` as account `who` (its password in `MAIL_PASSWORD`) against
    /// `host` on the port in `port_var` with `--tls mode`, then `args`;
    /// checks the password reached neither stdout nor stderr.
    pub fn run_as(
        &self,
        bin: &str,
        who: &str,
        host: &str,
        port_var: &str,
        mode: &str,
        args: &[&str],
    ) -> Ran {
        self.run_as_with_env(bin, who, host, port_var, mode, args, &[])
    }

    /// [`run_as`](Self::run_as) with more variables in the program's environment.
    #[allow(clippy::too_many_arguments)]
    pub fn run_as_with_env(
        &self,
        bin: &str,
        who: &str,
        host: &str,
        port_var: &str,
        mode: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Ran {
        let (user, pass) = self.account(who);
        let port = self.var(port_var);
        let mut all = vec![
            user.as_str(),
            "--host",
            host,
            "--port",
            &port,
            "--tls",
            mode,
        ];
        all.extend_from_slice(args);
        let mut vars = vec![("MAIL_PASSWORD", pass.expose())];
        vars.extend_from_slice(env);
        let ran = run_program(bin, &all, &vars);
        assert!(
            !ran.stdout_text().contains(pass.expose())
                && !ran.stderr_text().contains(pass.expose()),
            "the password reached the output"
        );
        ran
    }
}

/// A run given the wrong `--tls` mode for its port that found the right
/// one (issue 12.1): exit 0 within 5 s, and one line on stderr naming
/// `--tls right`. Returns stdout and stderr.
pub fn assert_found_tls_mode(ran: &Ran, right: &str) -> (String, String) {
    let (stdout, stderr) = (ran.stdout_text(), ran.stderr_text());
    assert_eq!(ran.code, Some(0), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("--tls {right}")), "{stderr}");
    assert!(ran.elapsed < Duration::from_secs(5), "{:?}", ran.elapsed);
    (stdout, stderr)
}

/// Tests of one binary that share the servers' mailboxes hold this, one at
/// a time (a failed test does not block the others).
pub fn mailbox_turn() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TestEnv {
    /// Starts `bin` as account `who` (its password in `MAIL_PASSWORD`) with
    /// implicit TLS to the certificate's name on `port` (a server port or a
    /// proxy in front of one), then `args`; stdin closed, output piped.
    pub fn spawn_as(&self, bin: &str, who: &str, port: u16, args: &[&str]) -> Child {
        let (user, pass) = self.account(who);
        let (host, port, ca_file) = (
            self.var("MAILTEST_TLS_NAME"),
            port.to_string(),
            self.var("MAILTEST_CA_FILE"),
        );
        let mut all = vec![
            user.as_str(),
            "--host",
            &host,
            "--port",
            &port,
            "--tls",
            "implicit",
            "--ca-file",
            &ca_file,
        ];
        all.extend_from_slice(args);
        program(bin, &all, &[("MAIL_PASSWORD", pass.expose())])
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run {bin}: {err}"))
    }

    /// The port of a [`throttled_proxy`](super::throttled_proxy) to this
    /// server's `port_var` port, passing about 1.5 MB/s: slow enough for a
    /// signal to land half-way through a download.
    pub fn slow_port(&self, port_var: &str) -> u16 {
        use std::net::ToSocketAddrs;
        let port: u16 = self.var(port_var).parse().unwrap();
        let target = (self.var("MAILTEST_HOST").as_str(), port)
            .to_socket_addrs()
            .unwrap()
            .next()
            .unwrap();
        super::throttled_proxy(target, 1_500_000)
    }
}

/// The numbers of the summary line of `--fetch-all`, `saved N messages
/// (X.Y MB) to DIR in T.T s; K already there; F failed[; D deleted on the
/// server]`, checked to have that shape: N, K, F and D when present.
pub fn fetch_summary_counts(line: &str) -> Vec<u64> {
    let words: Vec<&str> = line.split(' ').collect();
    assert!(words.len() > 5, "{line}");
    assert_eq!(
        (words[0], words[2], words[4], words[5]),
        ("saved", "messages", "MB)", "to"),
        "{line}"
    );
    assert!(words[3].starts_with('('), "{line}");
    let parts: Vec<&str> = line.split("; ").collect();
    assert!(parts.len() >= 3, "{line}");
    assert!(parts[0].ends_with(" s"), "{line}");
    assert!(parts[1].ends_with(" already there"), "{line}");
    assert!(parts[2].ends_with(" failed"), "{line}");
    let mut numbers = vec![words[1].parse().unwrap()];
    for part in &parts[1..] {
        if let Some(n) = part.split(' ').next().and_then(|n| n.parse().ok()) {
            numbers.push(n);
        }
    }
    numbers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_program_hides_the_password_variable_and_gives_what_it_is_told() {
        let ran = run_program(
            "sh",
            &[
                "-c",
                "echo \"[$MAIL_PASSWORD][$EXTRA]\"; echo err >&2; exit 3",
            ],
            &[("EXTRA", "given")],
        );
        assert_eq!(ran.code, Some(3));
        assert_eq!(ran.stdout_text(), "[][given]\n");
        assert_eq!(ran.stderr_text(), "err\n");
        let ran = run_program_with_input("sh", &["-c", "tr a-z A-Z"], &[], b"typed\n");
        assert_eq!((ran.code, ran.stdout_text()), (Some(0), "TYPED\n".into()));
    }

    #[test]
    fn fetch_summary_counts_reads_every_number_and_refuses_other_lines() {
        let line = "saved 3 messages (0.1 MB) to out in 0.2 s; 4 already there; 0 failed";
        assert_eq!(fetch_summary_counts(line), [3, 4, 0]);
        let deleted = format!("{line}; 7 deleted on the server");
        assert_eq!(fetch_summary_counts(&deleted), [3, 4, 0, 7]);
        for bad in [
            "saved 3 messages to out",
            "kept 3 messages (0.1 MB) to out in 0.2 s; 4 already there; 0 failed",
        ] {
            assert!(
                std::panic::catch_unwind(|| fetch_summary_counts(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
