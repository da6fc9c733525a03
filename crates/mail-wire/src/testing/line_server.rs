//! A one-connection TCP server on 127.0.0.1 that answers each line the
//! client sends: end-to-end tests of the programs against a server that
//! misbehaves on purpose (hostile text, rejections) where the real servers
//! never would.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

/// Server text that tries to drive a terminal: ESC (colour, OSC title),
/// CSI as the C1 character U+009B and as the raw byte 0x9B, BEL and DEL,
/// around readable Korean.
pub const HOSTILE: &[u8] = b"\x1b[31mred \xc2\x9b2J csi \x9b raw \x07bell \x1b]0;owned\x07 osc \x7f del \xec\x95\x88\xeb\x85\x95";

/// What the client sees once [`HOSTILE`] is escaped (the Korean stays).
pub const HOSTILE_ESCAPED: &str =
    "\\x1b[31mred \\x9b2J csi \\x9b raw \\x07bell \\x1b]0;owned\\x07 osc \\x7f del 안녕";

/// What an error sentence shows of [`HOSTILE`]: reply parsers keep text as
/// UTF-8 with an invalid byte replaced by U+FFFD, then it is escaped.
pub const HOSTILE_TEXT_ESCAPED: &str =
    "\\x1b[31mred \\x9b2J csi \u{fffd} raw \\x07bell \\x1b]0;owned\\x07 osc \\x7f del 안녕";

/// Serves one connection: sends the greeting, then for each line the client
/// sends (without CRLF) writes what `respond` returns; `None` closes.
pub struct LineServer {
    port: u16,
    handle: Option<JoinHandle<Vec<String>>>,
}

impl LineServer {
    /// Listens on a free loopback port and serves in a thread.
    pub fn start(
        greeting: &[u8],
        mut respond: impl FnMut(&str) -> Option<Vec<u8>> + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let greeting = greeting.to_vec();
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let Ok((stream, _)) = listener.accept() else {
                return seen;
            };
            let _ = serve(stream, &greeting, &mut respond, &mut seen);
            seen
        });
        LineServer {
            port,
            handle: Some(handle),
        }
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The lines the client sent, once the connection is over.
    pub fn lines(mut self) -> Vec<String> {
        self.handle
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

fn serve(
    stream: TcpStream,
    greeting: &[u8],
    respond: &mut impl FnMut(&str) -> Option<Vec<u8>>,
    seen: &mut Vec<String>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut writer = stream.try_clone()?;
    writer.write_all(greeting)?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned();
        seen.push(text.clone());
        match respond(&text) {
            Some(bytes) => writer.write_all(&bytes)?,
            None => return Ok(()),
        }
    }
}

/// Panics when `output` holds anything that could drive a terminal: a C0
/// control other than LF and TAB, DEL, a C1 control (U+0080..U+009F), or
/// bytes that are not UTF-8 (a raw 0x9B is CSI to some terminals).
pub fn assert_terminal_safe(output: &[u8], what: &str) {
    let text = match std::str::from_utf8(output) {
        Ok(text) => text,
        Err(err) => panic!(
            "{what}: not UTF-8 at byte {}:\n{}",
            err.valid_up_to(),
            String::from_utf8_lossy(output)
        ),
    };
    for (at, c) in text.char_indices() {
        let code = u32::from(c);
        let bad = (c.is_control() && c != '\n' && c != '\t') || (0x80..0xa0).contains(&code);
        assert!(
            !bad,
            "{what}: control character U+{code:04X} at byte {at}:\n{}",
            text.escape_debug()
        );
    }
}
