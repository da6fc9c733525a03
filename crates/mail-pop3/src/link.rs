//! The blocking driver over the sans-I/O core: it writes the bytes the
//! core queues, feeds it the bytes received, and shows both in the
//! connection's transcript. What the client and the session share.

use std::io::{self, Read, Write};

use mail_wire::{Connection, Direction, Secret};

use crate::command::Command;
use crate::core::Pop3;
use crate::drive::{step, unexpected, whole_lines, Got, Lines, Step};
use crate::error::Error;
use crate::response::{Greeting, Reply, Status};

/// A POP3 connection, its protocol state, and the settings both protocol
/// states use.
#[derive(Debug)]
pub(crate) struct Link<S> {
    pub(crate) conn: Connection<S>,
    pub(crate) core: Pop3,
    /// Show message bodies line by line in the transcript (else one note).
    pub(crate) echo_bodies: bool,
}

impl<S: Read + Write> Link<S> {
    pub(crate) fn new(conn: Connection<S>) -> Self {
        let core = Pop3::new(conn.limits());
        Link {
            conn,
            core,
            echo_bodies: true,
        }
    }

    /// Reads the server's greeting.
    pub(crate) fn read_greeting(&mut self) -> Result<Greeting, Error> {
        match self.next(&mut io::sink())? {
            Got::Greeting(greeting) => Ok(greeting),
            other => Err(unexpected(&other)),
        }
    }

    /// Queues a command without flushing (pipelining).
    pub(crate) fn queue(&mut self, command: &Command<'_>) -> Result<(), Error> {
        let shown = self.core.send(command)?;
        self.write_queued(&shown)
    }

    /// Queues a line typed at a console (see [`Pop3::send_raw`]).
    pub(crate) fn queue_raw(&mut self, line: &str) -> Result<(), Error> {
        let shown = self.core.send_raw(line)?;
        self.write_queued(&shown)
    }

    /// Sends the answer to a SASL challenge.
    pub(crate) fn sasl_response(&mut self, response: &Secret) -> Result<(), Error> {
        let shown = self.core.sasl_response(response)?;
        self.write_queued(&shown)?;
        Ok(self.conn.flush()?)
    }

    /// Sends `*`, cancelling a SASL exchange.
    pub(crate) fn sasl_cancel(&mut self) -> Result<(), Error> {
        let shown = self.core.sasl_cancel()?;
        self.write_queued(&shown)?;
        Ok(self.conn.flush()?)
    }

    fn write_queued(&mut self, shown: &str) -> Result<(), Error> {
        let bytes = self.core.take_output();
        self.conn.write_raw(&bytes)?;
        self.conn.note(Direction::Client, shown);
        Ok(())
    }

    /// Sends a command and reads its status line; `-ERR` is an error.
    pub(crate) fn command(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.queue(command)?;
        self.conn.flush()?;
        self.expect_ok()
    }

    /// Reads a status line; `-ERR` becomes [`Error::Rejected`] for the
    /// command it answers.
    pub(crate) fn expect_ok(&mut self) -> Result<Reply, Error> {
        let (command, reply) = self.next_reply()?;
        match reply.status {
            Status::Ok | Status::Continue => Ok(reply),
            Status::Err => Err(Error::Rejected { command, reply }),
        }
    }

    /// Reads one status line.
    pub(crate) fn read_reply(&mut self) -> Result<Reply, Error> {
        self.next_reply().map(|(_, reply)| reply)
    }

    fn next_reply(&mut self) -> Result<(&'static str, Reply), Error> {
        match self.next(&mut io::sink())? {
            Got::Reply(command, reply) => Ok((command, reply)),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends a command and reads its listing; `-ERR` is an error.
    pub(crate) fn listing(&mut self, command: &Command<'_>) -> Result<Vec<Vec<u8>>, Error> {
        self.command(command)?;
        self.read_listing()
    }

    /// Reads the lines of a listing (CAPA, LIST, UIDL) up to `.`, unstuffed;
    /// at most `max_literal` bytes in all.
    pub(crate) fn read_listing(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        let mut lines = Vec::new();
        self.read_listing_each(&mut |line| {
            lines.push(line.to_vec());
            Ok(())
        })?;
        Ok(lines)
    }

    /// Reads a multi-line listing (after `+OK`), handing each line, without
    /// its CRLF, to `each` as it arrives, so no listing is ever whole in
    /// memory. When `each` fails, the rest of the listing is still read (the
    /// session stays in step) and its first error returned.
    pub(crate) fn read_listing_each(
        &mut self,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut lines = Lines {
            partial: Vec::new(),
            each,
            failed: None,
        };
        let read = self.read_body_into(&mut lines);
        match lines.failed {
            Some(err) => Err(err),
            None => read.map(drop),
        }
    }

    /// Streams a message body (after `+OK`) to `out`; returns its size.
    pub(crate) fn read_body(&mut self, out: &mut dyn Write) -> Result<u64, Error> {
        if self.echo_bodies || !self.conn.has_transcript() {
            return self.read_body_into(out);
        }
        let transcript = self.conn.take_transcript();
        let result = self.read_body_into(out);
        self.conn.set_transcript(transcript);
        if let Ok(size) = result {
            self.conn
                .note(Direction::Server, &format!("<message: {size} bytes>"));
            self.conn.note(Direction::Server, ".");
        }
        result
    }

    fn read_body_into(&mut self, out: &mut dyn Write) -> Result<u64, Error> {
        if !self.core.in_body() {
            return Ok(0);
        }
        match self.next(out)? {
            Got::BodyEnd(size) => Ok(size),
            other => Err(unexpected(&other)),
        }
    }

    /// Feeds received bytes to the core until it completes an event,
    /// writing body pieces to `out`. Only complete lines are taken from the
    /// connection's buffer, so the transcript shows whole lines; when none
    /// is buffered, one is read (bounded by the line limit).
    fn next(&mut self, out: &mut dyn Write) -> Result<Got, Error> {
        let limits = self.conn.limits();
        self.core.set_limits(limits);
        loop {
            let (used, got) = feed(
                &mut self.core,
                whole_lines(self.conn.buffered(), limits),
                out,
            )?;
            if used > 0 {
                // Consume what the core took; the transcript sees it here.
                self.conn.copy_exact(used as u64, &mut io::sink())?;
            }
            if let Some(got) = got {
                return Ok(got);
            }
            if used == 0 {
                let line = self.conn.read_line()?;
                let (_, got) = feed(&mut self.core, line, out)?;
                debug_assert!(got.is_none(), "an event before the line end");
                if let (_, Some(got)) = feed(&mut self.core, b"\r\n", out)? {
                    return Ok(got);
                }
            }
        }
    }
}

/// Feeds `input` to the core until an event other than a body piece, or
/// until every byte is consumed; returns the bytes consumed.
fn feed(core: &mut Pop3, input: &[u8], out: &mut dyn Write) -> Result<(usize, Option<Got>), Error> {
    let mut at = 0;
    loop {
        match step(core, input.get(at..).unwrap_or_default())? {
            (used, None) => return Ok((at + used, None)),
            (used, Some(Step::Body(piece))) => {
                out.write_all(piece).map_err(Error::Output)?;
                at += used;
            }
            (used, Some(Step::Got(got))) => return Ok((at + used, Some(got))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Limits, Recording};

    /// A link in the middle of a multi-line reply.
    fn body_link<S: Read + Write>(conn: Connection<S>) -> Link<S> {
        let mut link = Link::new(conn);
        link.core = Pop3::reading_body(link.conn.limits());
        link
    }

    /// Reads a body from `conn` with at most `limit` bytes accepted.
    fn copy_multiline<S: Read + Write>(
        conn: Connection<S>,
        out: &mut dyn Write,
        limit: u64,
    ) -> (Result<u64, Error>, Link<S>) {
        let mut link = body_link(conn);
        let mut limits = link.conn.limits();
        limits.max_literal = limit;
        link.conn.set_limits(limits);
        let result = link.read_body(out);
        (result, link)
    }

    fn read_all(stream: ScriptedStream) -> (Result<u64, Error>, Vec<u8>, Vec<u8>) {
        let mut link = body_link(Connection::new(stream, Limits::default()));
        let mut out = Vec::new();
        let result = link.read_body(&mut out);
        let rest = link.conn.buffered().to_vec();
        (result, out, rest)
    }

    #[test]
    fn unstuffs_known_answers() {
        let table: &[(&[u8], &[u8])] = &[
            (b".\r\n", b""),
            (b"a\r\nb\r\n.\r\n", b"a\r\nb\r\n"),
            (b"..\r\n.\r\n", b".\r\n"),
            (b"...\r\n.\r\n", b"..\r\n"),
            (b"..x\r\nx.\r\n.x\r\n.\r\n", b".x\r\nx.\r\nx\r\n"),
            (b"\r\n\r\n.\r\n", b"\r\n\r\n"),
            (b"bare\nlf\n.\n", b"bare\r\nlf\r\n"),
            (b"a\r\n. \r\n.\r\n", b"a\r\n \r\n"),
            (b"cr\rin\r\n.\r\n", b"cr\rin\r\n"),
        ];
        for (wire, expected) in table {
            let (result, out, _) = read_all(ScriptedStream::raw(wire));
            assert_eq!(out, *expected, "wire {:?}", String::from_utf8_lossy(wire));
            assert_eq!(result.unwrap(), expected.len() as u64);
        }
    }

    #[test]
    fn every_split_of_the_stream_gives_the_same_bytes() {
        let wire: &[u8] =
            b"Subject: x\r\n\r\n..leading\r\nplain\n\r\n...\r\n..\r\nend\r\n.\r\n+OK next\r\n";
        let expected: &[u8] = b"Subject: x\r\n\r\n.leading\r\nplain\r\n\r\n..\r\n.\r\nend\r\n";
        for split in 0..wire.len() {
            let (head, tail) = wire.split_at(split);
            let stream = ScriptedStream::raw(head).then_serve(tail);
            let (result, out, rest) = read_all(stream);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
                "split at {split}"
            );
            assert_eq!(result.unwrap(), expected.len() as u64);
            // Nothing after the terminator was consumed.
            assert!(
                b"+OK next\r\n".starts_with(&rest),
                "split at {split}: {rest:?}"
            );
        }
        let (_, out, _) = read_all(ScriptedStream::raw(wire).one_byte_reads());
        assert_eq!(out, expected);
    }

    #[test]
    fn the_next_reply_stays_buffered() {
        let conn = Connection::new(
            ScriptedStream::raw(b"a\r\n.\r\n+OK 2\r\n"),
            Limits::default(),
        );
        let mut out = Vec::new();
        let (result, mut link) = copy_multiline(conn, &mut out, 100);
        result.unwrap();
        assert_eq!(link.conn.read_line().unwrap(), b"+OK 2");
    }

    #[test]
    fn a_reply_cut_short_is_closed() {
        let (result, out, _) = read_all(ScriptedStream::raw(b"line one\r\nline tw"));
        assert!(
            matches!(result, Err(Error::Wire(mail_wire::Error::Closed))),
            "{result:?}"
        );
        assert_eq!(out, b"line one\r\n");
    }

    #[test]
    fn a_reply_that_never_ends_times_out() {
        let stream =
            ScriptedStream::raw(b"a\r\nb\r\nc\r\n").error_kind_after(9, io::ErrorKind::WouldBlock);
        let (result, _, _) = read_all(stream);
        assert!(
            matches!(result, Err(Error::Wire(mail_wire::Error::Timeout))),
            "{result:?}"
        );
    }

    #[test]
    fn more_than_the_limit_is_refused() {
        let conn = Connection::new(
            ScriptedStream::raw(&b"0123456789\r\n".repeat(100)),
            Limits::default(),
        );
        let (result, _) = copy_multiline(conn, &mut io::sink(), 500);
        assert!(matches!(
            result,
            Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
                limit: 500,
                ..
            }))
        ));
    }

    #[test]
    fn an_overlong_line_is_refused() {
        let limits = Limits {
            max_line: 100,
            max_literal: 1000,
        };
        let mut data = vec![b'x'; 5000];
        data.extend_from_slice(b"\r\n.\r\n");
        let conn = Connection::new(ScriptedStream::raw(&data), limits);
        let (result, _) = copy_multiline(conn, &mut io::sink(), u64::MAX);
        assert!(
            matches!(
                result,
                Err(Error::Wire(mail_wire::Error::LineTooLong { limit: 100 }))
            ),
            "{result:?}"
        );
    }

    #[test]
    fn a_failing_writer_is_an_output_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let conn = Connection::new(ScriptedStream::raw(b"a\r\n.\r\n"), Limits::default());
        assert!(matches!(
            copy_multiline(conn, &mut Full, 100).0,
            Err(Error::Output(_))
        ));
    }

    #[test]
    fn the_transcript_sees_the_wire_lines() {
        let rec = Recording::new();
        let conn = Connection::new(ScriptedStream::raw(b"..x\r\ny\r\n.\r\n"), Limits::default());
        let mut conn = conn;
        conn.set_transcript(Some(Box::new(rec.clone())));
        copy_multiline(conn, &mut io::sink(), 100).0.unwrap();
        assert_eq!(rec.lines(), ["S: ..x", "S: y", "S: ."]);
    }

    #[test]
    fn a_large_message_streams_through_a_small_buffer() {
        let line = b"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789\r\n";
        let count = 200_000; // about 15 MB
        let mut wire = line.repeat(count);
        wire.extend_from_slice(b".\r\n");
        struct Counter(u64);
        impl Write for Counter {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 += b.len() as u64;
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let conn = Connection::new(ScriptedStream::raw(&wire), Limits::default());
        let mut counter = Counter(0);
        let n = copy_multiline(conn, &mut counter, u64::MAX).0.unwrap();
        assert_eq!(
            (n, counter.0),
            ((line.len() * count) as u64, (line.len() * count) as u64)
        );
    }

    #[test]
    fn listing_lines_are_whole_however_the_pieces_fall() {
        let mut seen = Vec::new();
        let mut each = |line: &[u8]| {
            seen.push(String::from_utf8_lossy(line).into_owned());
            if line == b"bad" {
                Err(Error::Protocol(crate::error::ParseError::new(
                    "a listing line",
                    line,
                )))
            } else {
                Ok(())
            }
        };
        let mut lines = Lines {
            partial: Vec::new(),
            each: &mut each,
            failed: None,
        };
        for piece in ["1 a\r\n2 b\r", "\n3 ", "c\r\nbad\r\n", "4 d\r\n", "no end"] {
            lines.write_all(piece.as_bytes()).unwrap();
        }
        assert!(lines.failed.is_some(), "the first error is kept");
        assert_eq!(
            seen,
            ["1 a", "2 b", "3 c", "bad"],
            "nothing handed over after it"
        );
    }
}
