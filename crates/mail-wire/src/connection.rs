//! `Connection<S>`: buffered, bounded line I/O over any `Read + Write`.

use std::io::{self, Read, Write};

use crate::transcript::{escape_for_display, Direction, Line, Transcript, MASK};
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

const INITIAL_BUFFER: usize = 64 * 1024;
const WRITE_CHUNK: usize = 64 * 1024;

/// A line-oriented connection: reads lines and exact byte counts from a
/// buffer, queues and sends lines, and tells a [`Transcript`] about both.
pub struct Connection<S> {
    pub(crate) stream: S,
    buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    out: Vec<u8>,
    limits: Limits,
    transcript: Option<Box<dyn Transcript + Send>>,
}

impl<S> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("buffered", &(self.end - self.start))
            .field("queued", &self.out.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<S: Read + Write> Connection<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S, limits: Limits) -> Self {
        Connection {
            stream,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            out: Vec::with_capacity(WRITE_CHUNK),
            limits,
            transcript: None,
        }
    }

    /// Sets (or with `None` removes) the observer of every line.
    pub fn set_transcript(&mut self, transcript: Option<Box<dyn Transcript + Send>>) {
        self.transcript = transcript;
    }

    /// Takes the observer away, e.g. to hand it to the connection that replaces this one.
    pub fn take_transcript(&mut self) -> Option<Box<dyn Transcript + Send>> {
        self.transcript.take()
    }

    /// True when a transcript is listening.
    pub fn has_transcript(&self) -> bool {
        self.transcript.is_some()
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Changes the limits, e.g. a protocol's own line length.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Reads one line and returns it without its CRLF (or bare LF).
    ///
    /// # Errors
    /// [`Error::LineTooLong`] past `max_line` bytes, [`Error::Closed`] at EOF,
    /// [`Error::Timeout`] and I/O errors from the stream.
    pub fn read_line(&mut self) -> Result<&[u8], Error> {
        let mut scanned = 0;
        loop {
            let window = self
                .buf
                .get(self.start + scanned..self.end)
                .unwrap_or_default();
            if let Some(pos) = window.iter().position(|&b| b == b'\n') {
                let newline = self.start + scanned + pos;
                let line_start = self.start;
                self.start = newline + 1;
                let mut line_end = newline;
                if line_end > line_start && self.buf.get(line_end - 1) == Some(&b'\r') {
                    line_end -= 1;
                }
                if line_end - line_start > self.limits.max_line {
                    return Err(Error::LineTooLong {
                        limit: self.limits.max_line,
                    });
                }
                let line = self.buf.get(line_start..line_end).unwrap_or_default();
                if let Some(transcript) = self.transcript.as_mut() {
                    transcript.line(Direction::Server, &escape_for_display(line));
                }
                return Ok(line);
            }
            scanned = self.end - self.start;
            // One byte of slack for the CR of a line exactly at the limit.
            if scanned > self.limits.max_line + 1 {
                return Err(Error::LineTooLong {
                    limit: self.limits.max_line,
                });
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
        self.check_literal(n)?;
        let mut out = Vec::with_capacity(usize::try_from(n).unwrap_or(0).min(INITIAL_BUFFER));
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
        self.check_literal(n)?;
        let mut left = n;
        let mut echo = self.transcript.is_some().then(LineEcho::default);
        while left > 0 {
            if self.start == self.end {
                self.fill()?;
            }
            let available = (self.end - self.start) as u64;
            let take = usize::try_from(left.min(available)).unwrap_or(usize::MAX);
            let chunk = self
                .buf
                .get(self.start..self.start + take)
                .unwrap_or_default();
            out.write_all(chunk).map_err(Error::Io)?;
            if let (Some(echo), Some(transcript)) = (echo.as_mut(), self.transcript.as_mut()) {
                echo.feed(chunk, transcript.as_mut());
            }
            self.start += take;
            left -= take as u64;
        }
        if let (Some(echo), Some(transcript)) = (echo.as_mut(), self.transcript.as_mut()) {
            echo.finish(transcript.as_mut());
        }
        Ok(())
    }

    fn check_literal(&self, n: u64) -> Result<(), Error> {
        if n > self.limits.max_literal {
            return Err(Error::LiteralTooLarge {
                size: n,
                limit: self.limits.max_literal,
            });
        }
        Ok(())
    }

    /// Bytes received and not yet consumed.
    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Reads more bytes into the buffer; returns how many arrived.
    fn fill(&mut self) -> Result<usize, Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let grown = (self.buf.len() * 2)
                    .min(self.limits.max_line + 2)
                    .max(self.buf.len() + 1);
                self.buf.resize(grown, 0);
            }
        }
        loop {
            let spare = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.stream.read(spare) {
                Ok(0) => return Err(Error::Closed),
                Ok(n) => {
                    self.end += n;
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
        let secret = line
            .secret
            .map(|s| s.expose().as_bytes())
            .unwrap_or_default();
        if let Some(at) = line
            .public
            .iter()
            .chain(secret)
            .position(|b| matches!(b, b'\r' | b'\n' | 0))
        {
            return Err(Error::LineBreak { at });
        }
        self.out.extend_from_slice(line.public);
        self.out.extend_from_slice(secret);
        self.out.extend_from_slice(b"\r\n");
        if let Some(transcript) = self.transcript.as_mut() {
            let mut shown = escape_for_display(line.public);
            if line.secret.is_some() {
                shown.push_str(MASK);
            }
            transcript.line(Direction::Client, &shown);
        }
        if self.out.len() >= WRITE_CHUNK {
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
        if self.out.len() + bytes.len() > WRITE_CHUNK && !self.out.is_empty() {
            self.flush()?;
        }
        if bytes.len() >= WRITE_CHUNK {
            return self.stream.write_all(bytes).map_err(Error::from_io);
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// Sends everything queued.
    ///
    /// # Errors
    /// Write errors and time-outs.
    pub fn flush(&mut self) -> Result<(), Error> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).map_err(Error::from_io)?;
            self.out.clear();
        }
        self.stream.flush().map_err(Error::from_io)
    }

    /// Shows a line in the transcript that is not itself on the wire, such as
    /// `<message body: 2048 bytes>`.
    pub fn note(&mut self, direction: Direction, text: &str) {
        if let Some(transcript) = self.transcript.as_mut() {
            transcript.line(direction, &escape_for_display(text.as_bytes()));
        }
    }

    /// Shows bytes sent or received outside the line calls (a line of
    /// message content written with [`write_raw`](Self::write_raw)) as one
    /// transcript line, escaped like every other line.
    pub fn note_bytes(&mut self, direction: Direction, bytes: &[u8]) {
        if let Some(transcript) = self.transcript.as_mut() {
            transcript.line(direction, &escape_for_display(bytes));
        }
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

/// Splits literal bytes into transcript lines across chunk boundaries.
#[derive(Default)]
struct LineEcho {
    partial: Vec<u8>,
}

impl LineEcho {
    fn feed(&mut self, mut chunk: &[u8], transcript: &mut dyn Transcript) {
        while let Some(pos) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(pos);
            self.partial.extend_from_slice(head);
            if self.partial.last() == Some(&b'\r') {
                self.partial.pop();
            }
            transcript.line(Direction::Server, &escape_for_display(&self.partial));
            self.partial.clear();
            chunk = rest.get(1..).unwrap_or_default();
        }
        self.partial.extend_from_slice(chunk);
    }

    fn finish(&mut self, transcript: &mut dyn Transcript) {
        if !self.partial.is_empty() {
            transcript.line(Direction::Server, &escape_for_display(&self.partial));
            self.partial.clear();
        }
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
