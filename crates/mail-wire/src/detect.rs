//! Finding the TLS mode a server really speaks when the one asked for is
//! wrong: a port that waits for a TLS ClientHello stays silent, and a
//! plain-text greeting read as a TLS record fails the handshake at once.

use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::transcript::excerpt;
use crate::Error;

/// How long a plain or STARTTLS connection waits for the greeting before it
/// tries a TLS handshake. Real greetings arrive within milliseconds; SMTP
/// servers that delay theirs on purpose are served by the reconnect that
/// follows a failed attempt.
pub(crate) const GREETING_WAIT: Duration = Duration::from_secs(2);

/// What connecting found out about the server's TLS mode, reported to the
/// callback given to [`TlsConfig::detect_mode`](crate::TlsConfig::detect_mode).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModeSwitch {
    /// A plain or STARTTLS connection met silence, and a TLS handshake with
    /// a verified certificate succeeded: the port speaks TLS from the first
    /// byte, and the session goes on as implicit TLS.
    ToImplicit {
        /// `host:port`.
        server: String,
    },
    /// Implicit TLS met a plain-text greeting: the session goes on over a
    /// new connection in STARTTLS mode (TLS still required and verified).
    ToStartTls {
        /// `host:port`.
        server: String,
        /// The start of the server's greeting (60 bytes at most), escaped for display.
        greeting: String,
    },
}

/// True when nothing arrives within `wait`, as from a server waiting for a
/// TLS ClientHello. Nothing is consumed; the read time limit is restored.
///
/// # Errors
/// The socket's own failures.
pub(crate) fn is_silent(tcp: &TcpStream, wait: Duration) -> Result<bool, Error> {
    let before = tcp.read_timeout()?;
    tcp.set_read_timeout(Some(wait))?;
    let peeked = tcp.peek(&mut [0u8; 1]);
    tcp.set_read_timeout(before)?;
    match peeked {
        Ok(_) => Ok(false),
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Ok(true)
        }
        Err(err) => Err(Error::from_io(err)),
    }
}

/// True when a handshake failed because the peer's first bytes were no TLS
/// record (OpenSSL: "wrong version number"; other backends word it their way).
pub(crate) fn is_plain_text_reply(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "wrong version number",
        "unknown protocol",
        "packet length too long",
        "record overflow",
        "http request",
    ]
    .iter()
    .any(|sign| reason.contains(sign))
}

/// The server's first line when it looks like a mail greeting in plain text
/// (`220 `, `+OK`, `* OK`, ...), waiting up to `wait` for it. Nothing is
/// consumed, so the protocol still reads the greeting itself.
pub(crate) fn peek_text_greeting(tcp: &TcpStream, wait: Duration) -> Option<String> {
    let before = tcp.read_timeout().ok()?;
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 128];
    let mut seen = 0;
    while seen < buf.len() && !buf.get(..seen)?.contains(&b'\n') {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())?;
        tcp.set_read_timeout(Some(left)).ok()?;
        match tcp.peek(&mut buf) {
            Ok(0) => break,
            // Peeking again returns the same bytes until more arrive.
            Ok(n) if n == seen => std::thread::sleep(Duration::from_millis(20)),
            Ok(n) => seen = n,
            Err(_) => break,
        }
    }
    tcp.set_read_timeout(before).ok()?;
    let text = buf.get(..seen)?;
    let line = text
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    looks_like_greeting(line).then(|| excerpt(line, 60))
}

fn looks_like_greeting(line: &[u8]) -> bool {
    let opening = [
        &b"220"[..],
        b"+OK",
        b"-ERR",
        b"* OK",
        b"* PREAUTH",
        b"* BYE",
        b"421",
        b"554",
    ];
    opening.iter().any(|start| line.starts_with(start))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn openssl_reasons_for_a_plain_text_peer_are_recognised() {
        let reason =
            "error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:350:";
        assert!(is_plain_text_reply(reason));
        assert!(!is_plain_text_reply(
            "certificate verify failed (unable to get local issuer certificate)"
        ));
    }

    #[test]
    fn greetings_of_the_three_protocols_are_recognised() {
        for line in [
            &b"220 mail.example.test ESMTP"[..],
            b"+OK Dovecot ready.",
            b"* OK [CAPABILITY IMAP4rev1] ready",
        ] {
            assert!(looks_like_greeting(line), "{line:?}");
        }
        for line in [&b"\x16\x03\x03\x00\x7a"[..], b"", b"HTTP/1.1 400"] {
            assert!(!looks_like_greeting(line), "{line:?}");
        }
    }

    #[test]
    fn silence_and_a_greeting_are_told_apart_without_consuming_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let tcp = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(9))).unwrap();
        assert!(is_silent(&tcp, Duration::from_millis(100)).unwrap());
        assert_eq!(tcp.read_timeout().unwrap(), Some(Duration::from_secs(9)));
        peer.write_all(b"+OK ready \x1b[31m\r\n").unwrap();
        assert!(!is_silent(&tcp, Duration::from_secs(2)).unwrap());
        assert_eq!(
            peek_text_greeting(&tcp, Duration::from_secs(2)).as_deref(),
            Some("+OK ready \\x1b[31m")
        );
        assert_eq!(
            peek_text_greeting(&tcp, Duration::from_secs(2)).as_deref(),
            Some("+OK ready \\x1b[31m")
        );
        assert_eq!(tcp.read_timeout().unwrap(), Some(Duration::from_secs(9)));
    }
}
