//! `Connection<S>`: buffered, bounded line I/O over any `Read + Write`.

use std::io::{self, Read, Write};

use crate::buffers::Buffers;
use crate::transcript::{Direction, Line, Transcript};
use crate::Error;

/// Bounds on what the server may make us read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line accepted, without its line end.
    pub max_line: usize,
    /// Largest literal or message body read by `read_exact` or `copy_exact`.
    pub max_literal: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_literal: 256 * 1024 * 1024,
        }
    }
}

/// A line-oriented connection: reads lines and exact byte counts from a
/// buffer, queues and sends lines, and tells a [`Transcript`] about both.
pub struct Connection<S> {
    pub(crate) stream: S,
    pub(crate) buffers: Buffers,
}

impl<S> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.buffers.fmt(f)
    }
}

impl<S: Read + Write> Connection<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S, limits: Limits) -> Self {
        Connection {
            stream,
            buffers: Buffers::new(limits),
        }
    }

    /// Sets (or with `None` removes) the observer of every line.
    pub fn set_transcript(&mut self, transcript: Option<Box<dyn Transcript + Send>>) {
        self.buffers.set_transcript(transcript);
    }

    /// Takes the observer away, e.g. to hand it to the connection that replaces this one.
    pub fn take_transcript(&mut self) -> Option<Box<dyn Transcript + Send>> {
        self.buffers.take_transcript()
    }

    /// True when a transcript is listening.
    pub fn has_transcript(&self) -> bool {
        self.buffers.has_transcript()
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.buffers.limits()
    }

    /// Changes the limits, e.g. a protocol's own line length.
    pub fn set_limits(&mut self, limits: Limits) {
        self.buffers.set_limits(limits);
    }

    /// Reads one line and returns it without its CRLF (or bare LF).
    ///
    /// # Errors
    /// [`Error::LineTooLong`] past `max_line` bytes, [`Error::Closed`] at EOF,
    /// [`Error::Timeout`] and I/O errors from the stream.
    pub fn read_line(&mut self) -> Result<&[u8], Error> {
        let mut scanned = 0;
        loop {
            if let Some(line) = self.buffers.take_line(&mut scanned)? {
                return Ok(self.buffers.line(line));
            }
            self.fill()?;
        }
    }

    /// Reads exactly `n` bytes (an IMAP literal, say) into memory.
    ///
    /// Memory grows with the bytes that actually arrive, never with the
    /// announced size alone.
    ///
    /// # Errors
    /// [`Error::LiteralTooLarge`] when `n` exceeds `max_literal`, before any
    /// read; [`Error::Closed`] if the stream ends first.
    pub fn read_exact(&mut self, n: u64) -> Result<Vec<u8>, Error> {
        self.buffers.check_literal(n)?;
        let mut out = Vec::with_capacity(Buffers::literal_capacity(n));
        self.copy_exact(n, &mut out)?;
        Ok(out)
    }

    /// Streams exactly `n` bytes to `out` through the buffer, so a message of
    /// any size needs only the buffer's memory.
    ///
    /// # Errors
    /// As [`read_exact`](Self::read_exact), plus errors from writing to `out`
    /// (reported as [`Error::Io`]).
    pub fn copy_exact(&mut self, n: u64, out: &mut dyn Write) -> Result<(), Error> {
        self.buffers.check_literal(n)?;
        let mut left = n;
        let mut echo = self.buffers.literal_echo();
        while left > 0 {
            if self.buffers.buffered().is_empty() {
                self.fill()?;
            }
            let chunk = self.buffers.literal_chunk(left);
            out.write_all(chunk).map_err(Error::Io)?;
            let taken = chunk.len();
            self.buffers.consume_literal(taken, &mut echo);
            left -= taken as u64;
        }
        self.buffers.finish_literal(&mut echo);
        Ok(())
    }

    /// Bytes received and not yet consumed.
    pub fn buffered(&self) -> &[u8] {
        self.buffers.buffered()
    }

    /// Reads more bytes into the buffer; returns how many arrived.
    fn fill(&mut self) -> Result<usize, Error> {
        loop {
            match self.stream.read(self.buffers.spare()) {
                Ok(0) => return Err(Error::Closed),
                Ok(n) => {
                    self.buffers.filled(n);
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(Error::from_io(err)),
            }
        }
    }

    /// Queues one line (CRLF added) and sends everything queued.
    ///
    /// # Errors
    /// [`Error::LineBreak`] if the line holds CR, LF or NUL (nothing is
    /// queued then); write errors and time-outs.
    pub fn send(&mut self, line: Line<'_>) -> Result<(), Error> {
        self.queue(line)?;
        self.flush()
    }

    /// Queues one line (CRLF added) without sending it yet, for pipelining.
    ///
    /// # Errors
    /// [`Error::LineBreak`] if the line holds CR, LF or NUL.
    pub fn queue(&mut self, line: Line<'_>) -> Result<(), Error> {
        if self.buffers.queue_line(line)? {
            self.flush()?;
        }
        Ok(())
    }

    /// Queues raw bytes (a message body, a literal) with no line check and no
    /// transcript; the caller is responsible for their framing.
    ///
    /// # Errors
    /// Write errors and time-outs when the queue is flushed on the way.
    pub fn write_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let plan = self.buffers.raw_plan(bytes.len());
        if plan.flush_first {
            self.flush()?;
        }
        if plan.direct {
            return self.stream.write_all(bytes).map_err(Error::from_io);
        }
        self.buffers.queue_raw(bytes);
        Ok(())
    }

    /// Sends everything queued.
    ///
    /// # Errors
    /// Write errors and time-outs.
    pub fn flush(&mut self) -> Result<(), Error> {
        if !self.buffers.queued().is_empty() {
            self.stream
                .write_all(self.buffers.queued())
                .map_err(Error::from_io)?;
            self.buffers.clear_queued();
        }
        self.stream.flush().map_err(Error::from_io)
    }

    /// Shows a line in the transcript that is not itself on the wire, such as
    /// `<message body: 2048 bytes>`.
    pub fn note(&mut self, direction: Direction, text: &str) {
        self.buffers.note_bytes(direction, text.as_bytes());
    }

    /// Shows bytes sent or received outside the line calls (a line of
    /// message content written with [`write_raw`](Self::write_raw)) as one
    /// transcript line, escaped like every other line.
    pub fn note_bytes(&mut self, direction: Direction, bytes: &[u8]) {
        self.buffers.note_bytes(direction, bytes);
    }

    /// The stream.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The stream, mutably: reading or writing it directly bypasses the buffers.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Gives the stream back, dropping buffered input and queued output.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ScriptedStream;
    use crate::transcript::Recording;
    use crate::Secret;

    fn conn(server: &[u8]) -> Connection<ScriptedStream> {
        Connection::new(ScriptedStream::raw(server), Limits::default())
    }

    #[test]
    fn reads_lines_with_crlf_and_bare_lf() {
        let mut c = conn(b"one\r\ntwo\nthree\r\n");
        assert_eq!(c.read_line().unwrap(), b"one");
        assert_eq!(c.read_line().unwrap(), b"two");
        assert_eq!(c.read_line().unwrap(), b"three");
        assert!(matches!(c.read_line(), Err(Error::Closed)));
    }

    #[test]
    fn reads_lines_split_into_one_byte_reads() {
        let mut c = Connection::new(
            ScriptedStream::raw(b"250-a\r\n250 b\r\n").one_byte_reads(),
            Limits::default(),
        );
        assert_eq!(c.read_line().unwrap(), b"250-a");
        assert_eq!(c.read_line().unwrap(), b"250 b");
    }

    #[test]
    fn ten_megabyte_line_without_crlf_is_line_too_long() {
        let big = vec![b'a'; 10 * 1024 * 1024];
        let mut c = conn(&big);
        assert!(matches!(
            c.read_line(),
            Err(Error::LineTooLong { limit: 65536 })
        ));
    }

    #[test]
    fn line_exactly_at_the_limit_is_accepted() {
        let limits = Limits {
            max_line: 10,
            max_literal: 100,
        };
        let mut c = Connection::new(
            ScriptedStream::raw(b"0123456789\r\n01234567890\r\n"),
            limits,
        );
        assert_eq!(c.read_line().unwrap(), b"0123456789");
        assert!(matches!(
            c.read_line(),
            Err(Error::LineTooLong { limit: 10 })
        ));
    }

    #[test]
    fn long_lines_grow_the_buffer_up_to_the_limit() {
        let mut data = vec![b'x'; 200_000];
        data.extend_from_slice(b"\r\nnext\r\n");
        let limits = Limits {
            max_line: 300_000,
            max_literal: 100,
        };
        let mut c = Connection::new(ScriptedStream::raw(&data), limits);
        assert_eq!(c.read_line().unwrap().len(), 200_000);
        assert_eq!(c.read_line().unwrap(), b"next");
    }

    #[test]
    fn read_exact_mixes_with_lines() {
        let mut c = Connection::new(
            ScriptedStream::raw(b"* 1 FETCH {5}\r\nhello)\r\n").one_byte_reads(),
            Limits::default(),
        );
        assert_eq!(c.read_line().unwrap(), b"* 1 FETCH {5}");
        assert_eq!(c.read_exact(5).unwrap(), b"hello");
        assert_eq!(c.read_line().unwrap(), b")");
    }

    #[test]
    fn huge_announced_literal_is_refused_before_reading() {
        let mut c = conn(b"abc");
        let err = c.read_exact(u64::MAX).unwrap_err();
        assert!(matches!(err, Error::LiteralTooLarge { size: u64::MAX, .. }));
        assert_eq!(
            c.read_line().unwrap_err().to_string(),
            "the server closed the connection"
        );
    }

    #[test]
    fn literal_cut_short_is_closed() {
        let mut c = conn(b"abc");
        assert!(matches!(c.read_exact(10), Err(Error::Closed)));
    }

    #[test]
    fn sends_lines_with_crlf_and_masks_secrets() {
        let rec = Recording::new();
        let stream =
            ScriptedStream::from_transcript("C: AUTH PLAIN AGFsaWNlAHNlY3JldA==\nC: NOOP\n");
        let mut c = Connection::new(stream, Limits::default());
        c.set_transcript(Some(Box::new(rec.clone())));
        let secret = Secret::new("AGFsaWNlAHNlY3JldA==");
        c.send(Line::with_secret(b"AUTH PLAIN ", &secret)).unwrap();
        c.send(Line::public(b"NOOP")).unwrap();
        c.get_ref().assert_done();
        assert_eq!(rec.lines(), vec!["C: AUTH PLAIN ********", "C: NOOP"]);
    }

    #[test]
    fn refuses_cr_lf_nul_in_lines_before_writing() {
        let mut c = conn(b"");
        for bad in [&b"RCPT TO:<a>\r\nDATA"[..], b"x\ny", b"nul\0"] {
            assert!(matches!(
                c.send(Line::public(bad)),
                Err(Error::LineBreak { .. })
            ));
        }
        let secret = Secret::new("pw\r\nQUIT");
        assert!(matches!(
            c.send(Line::with_secret(b"PASS ", &secret)),
            Err(Error::LineBreak { at: 7 })
        ));
        assert!(c.get_ref().written().is_empty());
    }

    #[test]
    fn server_lines_reach_the_transcript_escaped() {
        let rec = Recording::new();
        let mut c = conn(b"220 \x1b[2Jhi\r\n");
        c.set_transcript(Some(Box::new(rec.clone())));
        c.read_line().unwrap();
        assert_eq!(rec.lines(), vec!["S: 220 \\x1b[2Jhi"]);
    }

    #[test]
    fn literal_lines_reach_the_transcript_across_reads() {
        let rec = Recording::new();
        let mut c = Connection::new(
            ScriptedStream::raw(b"ab\r\ncd\r\nef").one_byte_reads(),
            Limits::default(),
        );
        c.set_transcript(Some(Box::new(rec.clone())));
        let mut out = Vec::new();
        c.copy_exact(10, &mut out).unwrap();
        assert_eq!(out, b"ab\r\ncd\r\nef");
        assert_eq!(rec.lines(), vec!["S: ab", "S: cd", "S: ef"]);
    }

    #[test]
    fn read_errors_and_timeouts_are_typed() {
        let mut c = Connection::new(
            ScriptedStream::raw(b"abc").error_after(2),
            Limits::default(),
        );
        assert!(matches!(c.read_line(), Err(Error::Io(_))));
        let mut c = Connection::new(
            ScriptedStream::raw(b"abc").error_kind_after(2, io::ErrorKind::WouldBlock),
            Limits::default(),
        );
        assert!(matches!(c.read_line(), Err(Error::Timeout)));
    }
}
