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
        let verb = line.split_ascii_whitespace().next().unwrap_or_default();
        let closed = !was_sasl && verb.eq_ignore_ascii_case("QUIT");
        Ok(RawReply {
            reply,
            body_size,
            closed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use crate::core::split_secret;
    use crate::response::Status;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::Secret;
    use mail_wire::{Connection, Limits, Recording};

    fn session(script: &str) -> (Session<ScriptedStream>, ScriptedStream, Recording) {
        let stream = ScriptedStream::from_transcript(&format!(
            "S: +OK ready\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n{script}"
        ));
        let mut conn = Connection::new(stream.clone(), Limits::default());
        let rec = Recording::new();
        conn.set_transcript(Some(Box::new(rec.clone())));
        let session = Client::new(conn)
            .unwrap()
            .login("a", &Secret::new("pw"))
            .map_err(|(e, _)| e)
            .unwrap();
        (session, stream, rec)
    }

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
    fn listings_and_messages_are_read_to_the_end() {
        let (mut s, stream, rec) = session(
            "C: list\nS: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\nC: retr 1\nS: +OK\nS: ..x\nS: y\nS: .\n\
             C: list 1\nS: +OK 1 120\nC: retr 7\nS: -ERR no such message\nC: quit\nS: +OK bye\n",
        );
        let r = s.raw("list", &mut std::io::sink()).unwrap();
        assert_eq!((r.reply.is_ok(), r.body_size), (true, Some(14)));
        let mut out = Vec::new();
        let r = s.raw("retr 1", &mut out).unwrap();
        assert_eq!(
            (out.as_slice(), r.body_size),
            (&b".x\r\ny\r\n"[..], Some(7))
        );
        assert_eq!(
            s.raw("list 1", &mut std::io::sink()).unwrap().body_size,
            None
        );
        let r = s.raw("retr 7", &mut std::io::sink()).unwrap();
        assert_eq!((r.reply.status, r.body_size), (Status::Err, None));
        assert!(s.raw("quit", &mut std::io::sink()).unwrap().closed);
        stream.assert_done();
        let lines = rec.lines();
        assert!(lines.contains(&"S: 2 200".to_owned()) && lines.contains(&"S: ..x".to_owned()));
    }

    #[test]
    fn typed_credentials_are_masked_but_sent() {
        let (mut s, stream, rec) = session(
            "C: pass hunter2\nS: -ERR already logged in\nC: AUTH LOGIN\nS: + VXNlcm5hbWU6\nC: ********\nS: -ERR no\n",
        );
        s.raw("pass hunter2", &mut std::io::sink()).unwrap();
        s.raw("AUTH LOGIN", &mut std::io::sink()).unwrap();
        assert!(s.link.core.awaiting_sasl_response());
        s.raw("YWxpY2U=", &mut std::io::sink()).unwrap();
        assert!(!s.link.core.awaiting_sasl_response());
        stream.assert_done();
        let shown = rec.lines().join("\n");
        assert!(
            !shown.contains("hunter2") && !shown.contains("YWxpY2U="),
            "{shown}"
        );
        assert!(shown.contains("C: pass ********"));
    }

    #[test]
    fn line_breaks_and_empty_lines_are_refused_before_sending() {
        let (mut s, stream, _) = session("");
        for line in ["list\r\ndele 1", "noop\n", "", "   "] {
            assert!(
                matches!(s.raw(line, &mut std::io::sink()), Err(Error::Invalid(_))),
                "{line:?}"
            );
        }
        stream.assert_done();
    }
}
