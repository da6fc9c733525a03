//! Console mode: one line typed by a person goes out as typed, and its
//! complete reply (every line of a listing or message) is read back.
//!
//! Credentials typed at the console are masked in the transcript: the
//! argument of `PASS`, the digest of `APOP`, the initial response of `AUTH`,
//! and every line answering a SASL challenge (`+ ...`).

use std::io::{Read, Write};

use mail_wire::{Line, Secret};

use crate::command::expects_multiline;
use crate::error::{EncodeError, Error};
use crate::response::{Reply, Status};
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

/// Splits a typed line into the part shown and the secret part.
fn split_secret(line: &str, sasl_pending: bool) -> (&str, Option<&str>) {
    if sasl_pending {
        return ("", Some(line));
    }
    let verb_end = line.find(' ').unwrap_or(line.len());
    let verb = line
        .get(..verb_end)
        .unwrap_or_default()
        .to_ascii_uppercase();
    // The secret starts after `skip` space-separated words.
    let skip = match verb.as_str() {
        "PASS" => 1,
        "APOP" | "AUTH" => 2,
        _ => return (line, None),
    };
    let mut at = 0;
    for _ in 0..skip {
        match line.get(at..).and_then(|rest| rest.find(' ')) {
            Some(space) => at += space + 1,
            None => return (line, None),
        }
    }
    match (line.get(..at), line.get(at..)) {
        (Some(public), Some(secret)) if !secret.is_empty() => (public, Some(secret)),
        _ => (line, None),
    }
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
        if let Some(at) = line.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(EncodeError::LineBreak {
                what: "command",
                at,
            }
            .into());
        }
        if line.trim().is_empty() {
            return Err(EncodeError::Empty { what: "command" }.into());
        }
        let (public, secret) = split_secret(line, self.sasl_pending);
        let secret = secret.map(Secret::new);
        let wire_line = match &secret {
            Some(secret) => Line::with_secret(public.as_bytes(), secret),
            None => Line::public(public.as_bytes()),
        };
        self.link.conn.send(wire_line)?;

        let reply = self.link.read_reply()?;
        let mut words = line.split_ascii_whitespace();
        let verb = words.next().unwrap_or_default();
        let has_argument = words.next().is_some();
        let was_sasl = std::mem::replace(&mut self.sasl_pending, reply.status == Status::Continue);
        let body_size =
            if reply.status == Status::Ok && !was_sasl && expects_multiline(verb, has_argument) {
                Some(self.link.read_body(out)?)
            } else {
                None
            };
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
    use mail_wire::testing::ScriptedStream;
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
        assert!(s.sasl_pending);
        s.raw("YWxpY2U=", &mut std::io::sink()).unwrap();
        assert!(!s.sasl_pending);
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
