//! `ScriptedStream`: an in-memory server for unit tests of protocol clients
//! (feature `testing`); [`LineServer`], a loopback TCP server that answers
//! line by line, for tests that run the programs; [`run_program`] and its
//! kin to run them, and [`Tmux`], a real terminal to run them in.
//!
//! A script is written in the transcript format users already read: `S:`
//! lines are served, `C:` lines are what the client must send, byte for byte
//! (CRLF added to both); `********` in a `C:` line matches any secret, and
//! the line `C: <message body>` matches any client lines up to the next `C:`
//! line (a message whose date and id vary from run to run).
//!
//! ```
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::{Connection, Limits, Line};
//!
//! let stream = ScriptedStream::from_transcript("S: 220 hello\nC: QUIT\nS: 221 bye\n");
//! let mut conn = Connection::new(stream, Limits::default());
//! assert_eq!(conn.read_line().unwrap(), b"220 hello");
//! conn.send(Line::public(b"QUIT")).unwrap();
//! assert_eq!(conn.read_line().unwrap(), b"221 bye");
//! conn.get_ref().assert_done();
//! ```
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use crate::transcript::MASK;

mod dependencies;
pub use dependencies::{assert_crates, assert_no_tokio_crate, is_tokio_crate, normal_dependencies};
#[cfg(feature = "tokio")]
mod immediate;
#[cfg(feature = "tokio")]
pub use immediate::Immediate;
mod mailbox;
mod refusals;
pub use refusals::{assert_name_mismatch, assert_unknown_issuer};
mod servers;
pub use servers::Protocol;
/// The script line that stands for any client lines up to the next `C:`
/// line, such as a message body whose headers (date, message id) vary.
pub const ANY_LINES: &str = "C: <message body>";
mod line_server;
pub use line_server::{
    assert_terminal_safe, LineServer, HOSTILE, HOSTILE_ESCAPED, HOSTILE_TEXT_ESCAPED,
};
mod programs;
pub use programs::{
    assert_found_tls_mode, assert_help_in_order, eml_files, fetch_summary_counts, finish,
    hostile_line, mailbox_turn, program, replay_provider, run_at_every_level, run_on_loopback,
    run_program, run_program_with_input, sample_message, unique_name, Ran, EXIT_CODE_LINES, LEVELS,
    LOOPBACK_PASSWORD, PROVIDER_PASSWORD,
};
mod terminal;
pub use terminal::{tmux_available, wrong_then_right_password, Tmux};

#[derive(Debug, Clone)]
enum Step {
    /// Bytes the server sends.
    Serve(Vec<u8>),
    /// Bytes the client must send; `MASK` inside matches anything up to CRLF.
    Expect(Vec<u8>),
    /// Any number of whole client lines, up to the line that matches the
    /// next `Expect` step (`C: <message body>` in a transcript).
    AnyLines,
}

#[derive(Debug, Default)]
struct State {
    steps: Vec<Step>,
    next: usize,
    /// Offset into the current `Serve` step.
    served_in_step: usize,
    /// Client bytes not yet matched against an `Expect` step.
    pending: Vec<u8>,
    written: Vec<u8>,
    served_total: usize,
    strict: bool,
    one_byte_reads: bool,
    eof_after: Option<usize>,
    error_after: Option<(usize, io::ErrorKind)>,
    write_error_after: Option<usize>,
    stall_after: Option<usize>,
    encrypted: bool,
}

impl State {
    /// True when the script has served all it may before a stall.
    fn stalled(&self) -> bool {
        self.stall_after.is_some_and(|n| self.served_total >= n)
    }
}

/// A scripted peer implementing `Read + Write`. Clones share one script, so
/// a test can keep a clone to inspect after handing the stream to a client.
#[derive(Debug, Clone, Default)]
pub struct ScriptedStream {
    state: Arc<Mutex<State>>,
}

impl ScriptedStream {
    /// A strict script parsed from `S:` / `C:` lines; `#` comments and blank
    /// lines are skipped.
    pub fn from_transcript(script: &str) -> Self {
        let stream = ScriptedStream::default();
        stream.state.lock().unwrap().strict = true;
        for line in script.lines() {
            let line = line.trim_start();
            if let Some(text) = line
                .strip_prefix("S: ")
                .or_else(|| (line == "S:").then_some(""))
            {
                stream.push(Step::Serve(format!("{text}\r\n").into_bytes()));
            } else if line == ANY_LINES {
                stream.push(Step::AnyLines);
            } else if let Some(text) = line
                .strip_prefix("C: ")
                .or_else(|| (line == "C:").then_some(""))
            {
                stream.push(Step::Expect(format!("{text}\r\n").into_bytes()));
            } else if !(line.is_empty() || line.starts_with('#')) {
                panic!("script line must start with `S: ` or `C: `: {line:?}");
            }
        }
        stream
    }

    /// A peer that serves `bytes` and then EOF, and accepts any writes.
    pub fn raw(bytes: &[u8]) -> Self {
        let stream = ScriptedStream::default();
        stream.push(Step::Serve(bytes.to_vec()));
        stream
    }

    /// Appends raw bytes for the server to send (no CRLF added).
    pub fn then_serve(self, bytes: &[u8]) -> Self {
        self.push(Step::Serve(bytes.to_vec()));
        self
    }

    /// Appends raw bytes the client must send (no CRLF added) and makes the script strict.
    pub fn then_expect(self, bytes: &[u8]) -> Self {
        self.state.lock().unwrap().strict = true;
        self.push(Step::Expect(bytes.to_vec()));
        self
    }

    fn push(&self, step: Step) {
        self.state.lock().unwrap().steps.push(step);
    }

    /// Reports the stream as protected by TLS ([`crate::Encrypted`]), as a
    /// connection after implicit TLS or STARTTLS would be.
    pub fn encrypted(self) -> Self {
        self.state.lock().unwrap().encrypted = true;
        self
    }

    /// Serves at most one byte per `read` call.
    pub fn one_byte_reads(self) -> Self {
        self.state.lock().unwrap().one_byte_reads = true;
        self
    }

    /// Ends the stream (EOF) after `n` server bytes.
    pub fn eof_after(self, n: usize) -> Self {
        self.state.lock().unwrap().eof_after = Some(n);
        self
    }

    /// Fails reads with an I/O error after `n` server bytes.
    pub fn error_after(self, n: usize) -> Self {
        self.error_kind_after(n, io::ErrorKind::Other)
    }

    /// Fails reads with an error of `kind` (e.g. `WouldBlock` for a time-out) after `n` server bytes.
    pub fn error_kind_after(self, n: usize, kind: io::ErrorKind) -> Self {
        self.state.lock().unwrap().error_after = Some((n, kind));
        self
    }

    /// Stops serving after `n` server bytes without closing, as a server
    /// that hangs: a blocking read fails with `WouldBlock` (what a socket
    /// read time-out gives), an async read never completes (the caller's
    /// time-out must end it).
    pub fn stall_after(self, n: usize) -> Self {
        self.state.lock().unwrap().stall_after = Some(n);
        self
    }

    /// Fails writes (as a reset connection) once the client has written `n` bytes.
    pub fn write_error_after(self, n: usize) -> Self {
        self.state.lock().unwrap().write_error_after = Some(n);
        self
    }

    /// Everything the client wrote so far.
    pub fn written(&self) -> Vec<u8> {
        self.state.lock().unwrap().written.clone()
    }

    /// Plays the server for a program under test: serves this script to the
    /// first client that connects to `listener` (within 30 s, else the
    /// thread panics rather than hang the test), in a thread. `S:` bytes go
    /// to the socket; bytes from the socket are matched against the `C:`
    /// lines (a mismatch panics the thread). When the script ends the
    /// server closes its side and still checks that nothing more came.
    /// Joining the handle gives the script back for [`assert_done`](Self::assert_done).
    pub fn serve_on(
        self,
        listener: std::net::TcpListener,
    ) -> std::thread::JoinHandle<ScriptedStream> {
        std::thread::spawn(move || {
            let mut socket = accept_within(&listener, PEER_PATIENCE);
            socket.set_read_timeout(Some(PEER_PATIENCE)).unwrap();
            let mut script = self;
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match script.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => socket.write_all(&buf[..n]).expect("the client reads"),
                    // The script waits for the client to send.
                    Err(_) => match socket
                        .read(&mut buf)
                        .expect("the client sends or closes in time")
                    {
                        0 => return script,
                        n => script.write_all(&buf[..n]).unwrap(),
                    },
                }
            }
            let _ = socket.shutdown(std::net::Shutdown::Write);
            while let Ok(n) = socket.read(&mut buf) {
                if n == 0 {
                    break;
                }
                script.write_all(&buf[..n]).unwrap();
            }
            script
        })
    }

    /// Panics unless every step of the script was served and matched.
    pub fn assert_done(&self) {
        let state = self.state.lock().unwrap();
        assert!(
            state.pending.is_empty(),
            "client sent bytes the script did not expect: {:?}",
            String::from_utf8_lossy(&state.pending)
        );
        if let Some(step) = state.steps.get(state.next) {
            panic!("script not finished; next step: {}", describe(step));
        }
    }
}

/// How long [`ScriptedStream::serve_on`] waits for the client to connect or send.
const PEER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The first connection to `listener`, waiting at most `patience`.
fn accept_within(
    listener: &std::net::TcpListener,
    patience: std::time::Duration,
) -> std::net::TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + patience;
    loop {
        match listener.accept() {
            Ok((socket, _)) => {
                socket.set_nonblocking(false).unwrap();
                return socket;
            }
            Err(err)
                if err.kind() == io::ErrorKind::WouldBlock
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(err) => panic!("no client connected to the scripted server: {err}"),
        }
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::Serve(bytes) => format!("S: {:?}", String::from_utf8_lossy(bytes)),
        Step::Expect(bytes) => format!("C: {:?}", String::from_utf8_lossy(bytes)),
        Step::AnyLines => ANY_LINES.to_owned(),
    }
}

impl State {
    /// Matches pending client bytes against `Expect` steps as far as possible.
    fn match_pending(&mut self) {
        loop {
            let expected = match self.steps.get(self.next) {
                Some(Step::Expect(expected)) => expected,
                Some(Step::AnyLines) => {
                    let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") else {
                        return;
                    };
                    let line_ends_skip = match self.steps.get(self.next + 1) {
                        Some(Step::Expect(next)) => {
                            matches!(match_expected(next, &self.pending), Match::Mismatch)
                        }
                        _ => true,
                    };
                    if line_ends_skip {
                        self.pending.drain(..end + 2);
                    } else {
                        self.next += 1;
                    }
                    continue;
                }
                _ => break,
            };
            match match_expected(expected, &self.pending) {
                Match::Consumed(n) => {
                    self.pending.drain(..n);
                    self.next += 1;
                }
                Match::NeedMore => return,
                Match::Mismatch => panic!(
                    "client sent {:?}, script expected {:?}",
                    String::from_utf8_lossy(&self.pending),
                    String::from_utf8_lossy(expected)
                ),
            }
        }
        if self.strict && !self.pending.is_empty() && self.next >= self.steps.len() {
            panic!(
                "client sent {:?} after the script ended",
                String::from_utf8_lossy(&self.pending)
            );
        }
    }
}

enum Match {
    Consumed(usize),
    NeedMore,
    Mismatch,
}

fn match_expected(expected: &[u8], got: &[u8]) -> Match {
    let mask = MASK.as_bytes();
    let Some(at) = expected.windows(mask.len()).position(|w| w == mask) else {
        return match_literal(expected, got);
    };
    let (prefix, suffix) = (&expected[..at], &expected[at + mask.len()..]);
    match match_literal(prefix, got) {
        Match::Consumed(n) => {
            let rest = &got[n..];
            // The secret runs up to the first CR or LF.
            match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
                Some(end) => match match_literal(suffix, &rest[end..]) {
                    Match::Consumed(m) => Match::Consumed(n + end + m),
                    other => other,
                },
                None => Match::NeedMore,
            }
        }
        other => other,
    }
}

fn match_literal(expected: &[u8], got: &[u8]) -> Match {
    let n = expected.len().min(got.len());
    if expected[..n] != got[..n] {
        Match::Mismatch
    } else if got.len() >= expected.len() {
        Match::Consumed(expected.len())
    } else {
        Match::NeedMore
    }
}

impl Read for ScriptedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.state.lock().unwrap();
        if let Some((n, kind)) = state.error_after {
            if state.served_total >= n {
                return Err(io::Error::new(kind, "scripted read error"));
            }
        }
        if state.eof_after.is_some_and(|n| state.served_total >= n) {
            return Ok(0);
        }
        if state.stalled() {
            return Err(io::Error::new(io::ErrorKind::WouldBlock, "scripted stall"));
        }
        loop {
            let next = state.next;
            match state.steps.get(next).cloned() {
                None => return Ok(0),
                Some(Step::AnyLines) => {
                    return Err(io::Error::other(
                        "scripted server: client reads while the script waits for its message body",
                    ))
                }
                Some(Step::Expect(expected)) => {
                    return Err(io::Error::other(format!(
                        "scripted server: client reads while the script waits for it to send {:?}",
                        String::from_utf8_lossy(&expected)
                    )))
                }
                Some(Step::Serve(bytes)) => {
                    let offset = state.served_in_step;
                    if offset >= bytes.len() {
                        state.next += 1;
                        state.served_in_step = 0;
                        continue;
                    }
                    let mut n = (bytes.len() - offset).min(buf.len());
                    if state.one_byte_reads {
                        n = n.min(1);
                    }
                    for limit in [
                        state.eof_after,
                        state.error_after.map(|(n, _)| n),
                        state.stall_after,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        n = n.min(limit.saturating_sub(state.served_total));
                    }
                    buf[..n].copy_from_slice(&bytes[offset..offset + n]);
                    state.served_in_step += n;
                    state.served_total += n;
                    if state.served_in_step == bytes.len() {
                        state.next += 1;
                        state.served_in_step = 0;
                    }
                    return Ok(n);
                }
            }
        }
    }
}

impl Write for ScriptedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.state.lock().unwrap();
        let mut buf = buf;
        if let Some(limit) = state.write_error_after {
            let room = limit.saturating_sub(state.written.len());
            if room == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "scripted write error",
                ));
            }
            buf = &buf[..buf.len().min(room)];
        }
        state.written.extend_from_slice(buf);
        state.pending.extend_from_slice(buf);
        state.match_pending();
        if !state.strict {
            state.pending.clear();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_body_matches_any_lines_up_to_the_next_client_line() {
        let mut s =
            ScriptedStream::from_transcript("S: 354 go\nC: <message body>\nC: .\nS: 250 ok\n");
        let mut buf = [0u8; 32];
        let n = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"354 go\r\n");
        assert!(s.read(&mut buf).is_err(), "the script waits for the body");
        for byte in b"Date: today\r\n\r\n..a dot\r\n.\r\n" {
            s.write_all(&[*byte]).unwrap();
        }
        let n = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"250 ok\r\n");
        s.assert_done();
    }

    #[test]
    #[should_panic(expected = "after the script ended")]
    fn message_body_still_ends_at_the_next_client_line() {
        let mut s = ScriptedStream::from_transcript("C: <message body>\nC: .\n");
        s.write_all(b"body\r\n.\r\nQUIT\r\n").unwrap();
    }

    #[test]
    fn wildcard_matches_any_secret() {
        let mut s = ScriptedStream::from_transcript("C: AUTH PLAIN ********\nS: 235 ok\n");
        s.write_all(b"AUTH PLAIN abc").unwrap();
        s.write_all(b"def\r\n").unwrap();
        let mut buf = [0u8; 32];
        let n = s.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"235 ok\r\n");
        s.assert_done();
    }

    #[test]
    #[should_panic(expected = "script expected")]
    fn wrong_client_bytes_panic() {
        let mut s = ScriptedStream::from_transcript("C: EHLO a\n");
        s.write_all(b"HELO a\r\n").unwrap();
    }

    #[test]
    fn reading_before_sending_what_is_expected_is_an_error() {
        let mut s = ScriptedStream::from_transcript("C: EHLO a\nS: 250 ok\n");
        let mut buf = [0u8; 8];
        assert!(s.read(&mut buf).is_err());
    }

    #[test]
    fn a_connection_says_whether_its_stream_is_encrypted() {
        let plain = crate::Connection::new(ScriptedStream::raw(b""), crate::Limits::default());
        assert!(!plain.is_encrypted());
        let tls = crate::Connection::new(
            ScriptedStream::raw(b"").encrypted(),
            crate::Limits::default(),
        );
        assert!(tls.is_encrypted());
    }

    #[test]
    fn eof_after_cuts_the_stream() {
        let mut s = ScriptedStream::raw(b"abcdef").eof_after(4);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcd");
    }
}

/// The same script for the async clients: reads and writes complete at
/// once (a stall stays pending), with every option of the blocking side.
#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for ScriptedStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.lock().unwrap().stalled() {
            return std::task::Poll::Pending;
        }
        let n = Read::read(this, buf.initialize_unfilled())?;
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for ScriptedStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::task::Poll::Ready(Write::write(self.get_mut(), buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl crate::Encrypted for ScriptedStream {
    fn is_encrypted(&self) -> bool {
        self.state.lock().unwrap().encrypted
    }
}

/// A real server started by `scripts/servers`, described by its `MAILTEST_*`
/// variables (from the process environment, or from the file named by
/// `MAILTEST_ENV_FILE`; see [`TestEnv::each`] for every server at once).
#[derive(Debug, Clone)]
pub struct TestEnv {
    vars: HashMap<String, String>,
}

impl TestEnv {
    /// The servers, or `None` (with a loud note on stderr) when none are
    /// configured. Under `CI=true` a missing server is a failure, never a skip.
    pub fn load() -> Option<TestEnv> {
        let mut vars = process_vars();
        if let Ok(path) = std::env::var("MAILTEST_ENV_FILE") {
            for (key, value) in read_env_file(&path) {
                vars.entry(key).or_insert(value);
            }
        }
        if vars.contains_key("MAILTEST_HOST") {
            return Some(TestEnv { vars });
        }
        assert!(
            !in_ci(),
            "CI=true but no mail servers: run the tests through scripts/test"
        );
        eprintln!("SKIPPED: no MAILTEST_* servers configured; run scripts/test to start them");
        None
    }

    /// A variable, or `None` when this server's scripts do not set it.
    pub fn var_opt(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    /// A variable; panics with its name when missing.
    pub fn var(&self, key: &str) -> String {
        self.vars
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} is not set by the mail server scripts"))
    }

    /// The server on the port named by `port_var` (e.g. `MAILTEST_SMTPS_PORT`),
    /// with the certificate name and a short time limit for tests.
    pub fn server(&self, port_var: &str) -> crate::Server {
        let port = self
            .var(port_var)
            .parse()
            .unwrap_or_else(|_| panic!("{port_var} is not a port"));
        let mut server = crate::Server::new(self.var("MAILTEST_HOST"), port);
        server.tls_name = Some(self.var("MAILTEST_TLS_NAME"));
        server.timeout = std::time::Duration::from_secs(20);
        server
    }

    /// TLS settings trusting the throwaway CA, with full verification.
    pub fn tls(&self) -> crate::TlsConfig {
        let mut tls = crate::TlsConfig::new();
        tls.add_ca_file(std::path::Path::new(&self.var("MAILTEST_CA_FILE")))
            .unwrap();
        tls
    }

    /// `(user, password)` of a test account: `"ALICE"`, `"BOB"` or `"CAROL"`.
    pub fn account(&self, who: &str) -> (String, crate::Secret) {
        (
            self.var(&format!("MAILTEST_{who}_USER")),
            crate::Secret::new(self.var(&format!("MAILTEST_{who}_PASS"))),
        )
    }

    /// Polls the maildir of `who` (`"ALICE"`, `"BOB"`, `"CAROL"`; its `new`
    /// and `cur`) until a message containing `marker` is there, and returns
    /// its bytes. Delivery into Dovecot is asynchronous, hence the polling.
    ///
    /// # Panics
    /// When no such message arrives within `timeout`.
    pub fn wait_for_mail(&self, who: &str, marker: &str, timeout: std::time::Duration) -> Vec<u8> {
        let maildir = std::path::PathBuf::from(self.var(&format!("MAILTEST_{who}_MAILDIR")));
        let deadline = std::time::Instant::now() + timeout;
        loop {
            for sub in ["new", "cur"] {
                let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let Ok(bytes) = std::fs::read(entry.path()) else {
                        continue;
                    };
                    if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                        return bytes;
                    }
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no message with {marker} reached {who}'s maildir {} within {timeout:?}",
                maildir.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Hands `message` (CRLF lines) to the port-25-style Postfix service
    /// (`MAILTEST_SMTP_PORT`: no auth, test domains only) over plain SMTP,
    /// dot-stuffing it (RFC 5321 §4.5.2). Independent of mail-smtp, so tests
    /// of the other crates do not rest on the code under test.
    ///
    /// # Panics
    /// On any connection failure or reply other than the expected one.
    pub fn deliver_raw(&self, from: &str, to: &str, message: &[u8]) {
        let server = self.server("MAILTEST_SMTP_PORT");
        let mut conn =
            crate::Connection::connect(&server, crate::Security::Plain, &crate::TlsConfig::new())
                .unwrap_or_else(|err| {
                    panic!("cannot connect to {}:{}: {err}", server.host, server.port)
                });
        let expect = |conn: &mut crate::Connection<crate::NetStream>, code: &str, after: &str| loop {
            let line = String::from_utf8_lossy(conn.read_line().unwrap()).into_owned();
            assert!(
                line.starts_with(code),
                "after {after}: expected {code}, got {line}"
            );
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        };
        expect(&mut conn, "220", "connecting");
        for (line, code) in [
            ("EHLO client.example.test".to_owned(), "250"),
            (format!("MAIL FROM:<{from}>"), "250"),
            (format!("RCPT TO:<{to}>"), "250"),
            ("DATA".to_owned(), "354"),
        ] {
            conn.send(crate::Line::public(line.as_bytes())).unwrap();
            expect(&mut conn, code, &line);
        }
        let mut stuffed = Vec::with_capacity(message.len() + 8);
        for line in message.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b".") {
                stuffed.push(b'.');
            }
            stuffed.extend_from_slice(line);
        }
        if !stuffed.is_empty() && !stuffed.ends_with(b"\r\n") {
            stuffed.extend_from_slice(b"\r\n");
        }
        stuffed.extend_from_slice(b".\r\n");
        conn.write_raw(&stuffed).unwrap();
        conn.flush().unwrap();
        expect(&mut conn, "250", "the message");
        conn.send(crate::Line::public(b"QUIT")).unwrap();
    }

    /// Runs `doveadm` (`MAILTEST_DOVEADM`) with `args`, feeding it `stdin`.
    ///
    /// # Panics
    /// When it cannot start or fails.
    pub fn doveadm(&self, args: &[&str], stdin: Option<&[u8]>) {
        mailbox::run(&self.var("MAILTEST_DOVEADM"), args, stdin);
    }
}

/// The `MAILTEST_*` variables of the process environment.
fn process_vars() -> HashMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("MAILTEST_"))
        .collect()
}

/// The `KEY=value` lines of an env file written by the server scripts.
fn read_env_file(path: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("env file {path}: {err}"));
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), unquote(value.trim())))
        .collect()
}

/// Whether this is a CI run, where a missing server fails instead of skipping.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Undoes the shell quoting of the env file: `'a b'` and `'it'\''s'`.
fn unquote(value: &str) -> String {
    match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("'\\''", "'"),
        None => value.to_owned(),
    }
}

/// A TCP proxy on loopback that slows the server-to-client direction to
/// about `bytes_per_second`, so a test can interrupt a download half-way.
/// Serves connections until the process ends; returns its port.
pub fn throttled_proxy(target: std::net::SocketAddr, bytes_per_second: usize) -> u16 {
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::time::Duration;

    fn pump(mut from: TcpStream, mut to: TcpStream, rate: Option<usize>) {
        let chunk = rate.map_or(64 * 1024, |r| (r / 20).max(1));
        let mut buf = vec![0; chunk];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    if rate.is_some() {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    }

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(target) else {
                continue;
            };
            let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || pump(client, server, None));
            std::thread::spawn(move || pump(s2, c2, Some(bytes_per_second)));
        }
    });
    port
}
