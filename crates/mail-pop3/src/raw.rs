//! Console mode: one line typed by a person goes out as typed, and its
//! complete reply (every line of a listing or message) is read back.
//!
//! Credentials typed at the console are masked in the transcript: the
//! argument of `PASS`, the digest of `APOP`, the initial response of `AUTH`,
//! and every line answering a SASL challenge (`+ ...`).

use std::io::{Read, Write};

use crate::error::Error;
use crate::response::Reply;
use crate::session::Session;

/// The answer to a raw command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    /// The status line.
    pub reply: Reply,
    /// Bytes of the multi-line body that followed, if any (unstuffed).
    pub body_size: Option<u64>,
    /// True after `QUIT`: the server closes the connection.
    pub closed: bool,
}

impl<S: Read + Write> Session<S> {
    /// Sends `line` as typed (CRLF added) and reads the complete reply; a
    /// multi-line body is streamed to `out` (and shown by the transcript).
    /// A `-ERR` is a normal [`RawReply`] here, not an error.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty line or CR/LF/NUL in it (nothing is
    /// sent); protocol and wire errors.
    pub fn raw(&mut self, line: &str, out: &mut dyn Write) -> Result<RawReply, Error> {
        let was_sasl = self.link.core.awaiting_sasl_response();
        self.link.queue_raw(line)?;
        self.link.conn.flush()?;
        let reply = self.link.read_reply()?;
        let body_size = if self.link.core.in_body() {
            Some(self.link.read_body(out)?)
        } else {
            None
        };
        Ok(RawReply {
            reply,
            body_size,
            closed: closes(line, was_sasl),
        })
    }
}

/// True when a typed `line` (a command, not the answer to a SASL
/// challenge) is `QUIT`: after its reply the server closes the connection.
pub(crate) fn closes(line: &str, answering_sasl: bool) -> bool {
    let verb = line.split_ascii_whitespace().next().unwrap_or_default();
    !answering_sasl && verb.eq_ignore_ascii_case("QUIT")
}

// The console against scripted servers, for both clients: tests/scripted.rs.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::split_secret;

    #[test]
    fn secrets_are_split_off_typed_lines() {
        let table: &[(&str, bool, &str, Option<&str>)] = &[
            ("pass hunter2", false, "pass ", Some("hunter2")),
            (
                "PASS c4rol pa\"ss\\word",
                false,
                "PASS ",
                Some("c4rol pa\"ss\\word"),
            ),
            (
                "apop mrose c4c9334b",
                false,
                "apop mrose ",
                Some("c4c9334b"),
            ),
            (
                "AUTH PLAIN AGFsaWNlAHB3",
                false,
                "AUTH PLAIN ",
                Some("AGFsaWNlAHB3"),
            ),
            ("AUTH LOGIN", false, "AUTH LOGIN", None),
            ("pass", false, "pass", None),
            ("list 1", false, "list 1", None),
            ("YWxpY2U=", true, "", Some("YWxpY2U=")),
        ];
        for (line, sasl, public, secret) in table {
            assert_eq!(split_secret(line, *sasl), (*public, *secret), "{line}");
        }
    }

    #[test]
    fn only_a_typed_quit_closes() {
        assert!(closes("quit", false) && closes("QUIT ", false));
        assert!(!closes("quit", true) && !closes("quitter", false) && !closes("noop", false));
    }
}
