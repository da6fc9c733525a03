//! The I/O-free half of a connection, shared by the blocking
//! [`Connection`](crate::Connection) and the async
//! `mail_wire::tokio::Connection`: the input buffer with its line search and
//! limits, the output queue with its line check, and the transcript echo.
//! The drivers only move bytes between these buffers and their stream.

use std::ops::Range;

use crate::transcript::{escape_for_display, Direction, Line, Transcript, MASK};
use crate::{Error, Limits};

const INITIAL_BUFFER: usize = 64 * 1024;
/// Output is queued up to this size before it is written.
pub(crate) const WRITE_CHUNK: usize = 64 * 1024;

/// What a driver does with raw bytes handed to `write_raw`.
pub(crate) struct RawPlan {
    /// Write what is queued first.
    pub flush_first: bool,
    /// Write the bytes straight to the stream instead of queueing them.
    pub direct: bool,
}

/// Buffers, limits and transcript of one connection.
pub(crate) struct Buffers {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    limits: Limits,
    transcript: Option<Box<dyn Transcript + Send>>,
}

impl std::fmt::Debug for Buffers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("buffered", &(self.end - self.start))
            .field("queued", &self.out.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Buffers {
    pub(crate) fn new(limits: Limits) -> Self {
        Buffers {
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            out: Vec::with_capacity(WRITE_CHUNK),
            limits,
            transcript: None,
        }
    }

    pub(crate) fn set_transcript(&mut self, transcript: Option<Box<dyn Transcript + Send>>) {
        self.transcript = transcript;
    }

    pub(crate) fn take_transcript(&mut self) -> Option<Box<dyn Transcript + Send>> {
        self.transcript.take()
    }

    pub(crate) fn has_transcript(&self) -> bool {
        self.transcript.is_some()
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    pub(crate) fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Bytes received and not yet consumed.
    pub(crate) fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Takes the next whole line out of the buffer, echoes it to the
    /// transcript and returns where it lies (without CRLF or bare LF);
    /// `None` when more bytes are needed. `scanned` remembers how far the
    /// search got, so a line arriving in many pieces is searched once.
    ///
    /// # Errors
    /// [`Error::LineTooLong`] past `max_line` bytes.
    pub(crate) fn take_line(&mut self, scanned: &mut usize) -> Result<Option<Range<usize>>, Error> {
        let window = self
            .buf
            .get(self.start + *scanned..self.end)
            .unwrap_or_default();
        let Some(pos) = window.iter().position(|&b| b == b'\n') else {
            *scanned = self.end - self.start;
            // One byte of slack for the CR of a line exactly at the limit.
            if *scanned > self.limits.max_line + 1 {
                return Err(self.line_too_long());
            }
            return Ok(None);
        };
        let newline = self.start + *scanned + pos;
        let line_start = self.start;
        self.start = newline + 1;
        *scanned = 0;
        let mut line_end = newline;
        if line_end > line_start && self.buf.get(line_end - 1) == Some(&b'\r') {
            line_end -= 1;
        }
        if line_end - line_start > self.limits.max_line {
            return Err(self.line_too_long());
        }
        if let Some(transcript) = self.transcript.as_mut() {
            let line = self.buf.get(line_start..line_end).unwrap_or_default();
            transcript.line(Direction::Server, &escape_for_display(line));
        }
        Ok(Some(line_start..line_end))
    }

    fn line_too_long(&self) -> Error {
        Error::LineTooLong {
            limit: self.limits.max_line,
        }
    }

    /// The bytes of a line found by [`take_line`](Self::take_line).
    pub(crate) fn line(&self, range: Range<usize>) -> &[u8] {
        self.buf.get(range).unwrap_or_default()
    }

    /// Room to read into: moves unread bytes to the front or grows the
    /// buffer (never past what the longest line needs) when it is full.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
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
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Records that `n` bytes were read into [`spare`](Self::spare).
    pub(crate) fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// # Errors
    /// [`Error::LiteralTooLarge`] when `n` exceeds `max_literal`.
    pub(crate) fn check_literal(&self, n: u64) -> Result<(), Error> {
        if n > self.limits.max_literal {
            return Err(Error::LiteralTooLarge {
                size: n,
                limit: self.limits.max_literal,
            });
        }
        Ok(())
    }

    /// An echo for a literal's lines when a transcript listens.
    pub(crate) fn literal_echo(&self) -> Option<LineEcho> {
        self.transcript.is_some().then(LineEcho::default)
    }

    /// At most `left` buffered bytes of a literal, not yet consumed.
    pub(crate) fn literal_chunk(&self, left: u64) -> &[u8] {
        let take = usize::try_from(left)
            .unwrap_or(usize::MAX)
            .min(self.end - self.start);
        self.buf
            .get(self.start..self.start + take)
            .unwrap_or_default()
    }

    /// Consumes `n` literal bytes, echoing them to the transcript.
    pub(crate) fn consume_literal(&mut self, n: usize, echo: &mut Option<LineEcho>) {
        let n = n.min(self.end - self.start);
        if let (Some(echo), Some(transcript)) = (echo.as_mut(), self.transcript.as_mut()) {
            let chunk = self.buf.get(self.start..self.start + n).unwrap_or_default();
            echo.feed(chunk, transcript.as_mut());
        }
        self.start += n;
    }

    /// Ends a literal's echo with its last, unterminated line.
    pub(crate) fn finish_literal(&mut self, echo: &mut Option<LineEcho>) {
        if let (Some(echo), Some(transcript)) = (echo.as_mut(), self.transcript.as_mut()) {
            echo.finish(transcript.as_mut());
        }
    }

    /// Queues one line with its CRLF and shows it (secret masked); true
    /// when the queue is full enough to be written.
    ///
    /// # Errors
    /// [`Error::LineBreak`] if the line holds CR, LF or NUL; nothing is
    /// queued then.
    pub(crate) fn queue_line(&mut self, line: Line<'_>) -> Result<bool, Error> {
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
        Ok(self.out.len() >= WRITE_CHUNK)
    }

    /// How `len` raw bytes go out: queued, or written at once when large.
    pub(crate) fn raw_plan(&self, len: usize) -> RawPlan {
        RawPlan {
            flush_first: self.out.len() + len > WRITE_CHUNK && !self.out.is_empty(),
            direct: len >= WRITE_CHUNK,
        }
    }

    /// Queues raw bytes (no check, no transcript).
    pub(crate) fn queue_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// What is queued to be written.
    pub(crate) fn queued(&self) -> &[u8] {
        &self.out
    }

    /// Forgets the queue once it is written.
    pub(crate) fn clear_queued(&mut self) {
        self.out.clear();
    }

    /// Shows a line that is not itself on the wire, escaped.
    pub(crate) fn note_bytes(&mut self, direction: Direction, bytes: &[u8]) {
        if let Some(transcript) = self.transcript.as_mut() {
            transcript.line(direction, &escape_for_display(bytes));
        }
    }

    /// The initial capacity for a literal of `n` bytes read into memory:
    /// it grows with the bytes that arrive, never with the size announced.
    pub(crate) fn literal_capacity(n: u64) -> usize {
        usize::try_from(n).unwrap_or(0).min(INITIAL_BUFFER)
    }
}

/// Splits literal bytes into transcript lines across chunk boundaries.
#[derive(Default)]
pub(crate) struct LineEcho {
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
