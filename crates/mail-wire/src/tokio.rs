//! The async connection for tokio (feature `tokio`): the same buffers,
//! limits, line rules and transcript as the blocking
//! [`Connection`](crate::Connection), each I/O method `async`, every read
//! and write bounded by a time-out.
//!
//! # Cancellation
//!
//! [`Connection::read_line`] is cancel-safe: bytes already read stay in the
//! connection's buffer, so dropping its future (a `select!` branch that
//! lost, a `tokio::time::timeout` that fired) loses nothing, and the next
//! `read_line` returns the whole line.
//!
//! Every other I/O method may have put bytes on the wire or taken them off
//! when its future is dropped. The connection then refuses all further I/O
//! with [`Error::Abandoned`], so a half-sent command is never followed by
//! another. A protocol client marks each exchange (a command and its reply)
//! with [`Connection::begin_exchange`] and [`Connection::end_exchange`]; an
//! exchange that was begun and never ended means a future was dropped in
//! the middle of it, and the next `begin_exchange` fails the same way:
//!
//! ```
//! # async fn example<S>(conn: &mut mail_wire::tokio::Connection<S>) -> Result<Vec<u8>, mail_wire::Error>
//! # where S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {
//! use mail_wire::Line;
//!
//! conn.begin_exchange()?; // Err(Abandoned) after a cancelled exchange
//! let result = async {
//!     conn.send(Line::public(b"NOOP")).await?;
//!     Ok(conn.read_line().await?.to_vec())
//! }
//! .await;
//! conn.end_exchange(); // reached on success and on error, not on cancellation
//! result
//! # }
//! ```
//!
//! Opening a connection ([`Connection::connect`]) connects in exactly the
//! TLS mode asked for; [`TlsConfig::detect_mode`](crate::TlsConfig::detect_mode),
//! which serves the interactive programs, is a blocking-side feature.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::buffers::Buffers;
use crate::transcript::{Direction, Line, Transcript};
use crate::{Encrypted, Error, Limits};

mod net;
pub use net::NetStream;

/// A line-oriented async connection: reads lines and exact byte counts from
/// a buffer, queues and sends lines, and tells a [`Transcript`] about both.
pub struct Connection<S> {
    pub(crate) stream: S,
    pub(crate) buffers: Buffers,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// A method that is not cancel-safe is running (or its future was dropped).
    in_operation: bool,
    /// Between `begin_exchange` and `end_exchange`.
    in_exchange: bool,
    /// A dropped future left the connection mid-operation or mid-exchange.
    abandoned: bool,
}

impl<S> std::fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.buffers.fmt(f)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Connection<S> {
    /// Wraps a connected stream, with no time-out until
    /// [`set_read_timeout`](Self::set_read_timeout) and
    /// [`set_write_timeout`](Self::set_write_timeout) set one
    /// ([`connect`](Self::connect) sets both from [`Server::timeout`](crate::Server::timeout)).
    pub fn new(stream: S, limits: Limits) -> Self {
        Connection {
            stream,
            buffers: Buffers::new(limits),
            read_timeout: None,
            write_timeout: None,
            in_operation: false,
            in_exchange: false,
            abandoned: false,
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

    /// The time limit for each read from the stream (`None`: wait forever).
    pub fn read_timeout(&self) -> Option<Duration> {
        self.read_timeout
    }

    /// Changes the time limit for each read, e.g. a longer one while idling.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// The time limit for each write to the stream (`None`: wait forever).
    pub fn write_timeout(&self) -> Option<Duration> {
        self.write_timeout
    }

    /// Changes the time limit for each write.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// Marks the start of an exchange that must not be cut short (a command
    /// and its reply). Pair it with [`end_exchange`](Self::end_exchange) on
    /// every path that returns, errors included; only a dropped future
    /// skips it.
    ///
    /// # Errors
    /// [`Error::Abandoned`] when an earlier exchange or operation never
    /// finished because its future was dropped; the connection then stays
    /// refused, and nothing is sent.
    pub fn begin_exchange(&mut self) -> Result<(), Error> {
        if self.in_exchange {
            self.abandoned = true;
        }
        self.usable()?;
        self.in_exchange = true;
        Ok(())
    }

    /// Marks the end of the exchange begun by [`begin_exchange`](Self::begin_exchange).
    pub fn end_exchange(&mut self) {
        self.in_exchange = false;
    }

    /// True once a dropped future left the connection in an unknown state
    /// (found by the next call, which failed with [`Error::Abandoned`]).
    pub fn is_abandoned(&self) -> bool {
        self.abandoned || self.in_operation
    }

    /// `Err(Abandoned)` when a dropped future left the connection mid-operation.
    fn usable(&mut self) -> Result<(), Error> {
        if self.in_operation {
            self.abandoned = true;
        }
        if self.abandoned {
            return Err(Error::Abandoned);
        }
        Ok(())
    }

    /// Starts an operation that is not cancel-safe: until
    /// [`leave`](Self::leave), a dropped future shows as `in_operation`.
    fn enter(&mut self) -> Result<(), Error> {
        self.usable()?;
        self.in_operation = true;
        Ok(())
    }

    fn leave<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        self.in_operation = false;
        result
    }

    /// Reads one line and returns it without its CRLF (or bare LF).
    ///
    /// Cancel-safe: if the future is dropped, the bytes read so far stay
    /// buffered and the next call returns the whole line.
    ///
    /// # Errors
    /// [`Error::LineTooLong`] past `max_line` bytes, [`Error::Closed`] at EOF,
    /// [`Error::Timeout`] when no byte arrives within the read time-out,
    /// [`Error::Abandoned`], and I/O errors from the stream.
    pub async fn read_line(&mut self) -> Result<&[u8], Error> {
        self.usable()?;
        let mut scanned = 0;
        loop {
            if let Some(line) = self.buffers.take_line(&mut scanned)? {
                return Ok(self.buffers.line(line));
            }
            self.fill().await?;
        }
    }

    /// Reads exactly `n` bytes (an IMAP literal, say) into memory.
    ///
    /// Memory grows with the bytes that actually arrive, never with the
    /// announced size alone. Not cancel-safe (see the module docs).
    ///
    /// # Errors
    /// [`Error::LiteralTooLarge`] when `n` exceeds `max_literal`, before any
    /// read; [`Error::Closed`] if the stream ends first; time-outs.
    pub async fn read_exact(&mut self, n: u64) -> Result<Vec<u8>, Error> {
        self.buffers.check_literal(n)?;
        let mut out = Vec::with_capacity(Buffers::literal_capacity(n));
        self.copy_exact(n, &mut out).await?;
        Ok(out)
    }

    /// Streams exactly `n` bytes to `out` through the buffer, so a message of
    /// any size needs only the buffer's memory. Not cancel-safe.
    ///
    /// # Errors
    /// As [`read_exact`](Self::read_exact), plus errors from writing to `out`
    /// (reported as [`Error::Io`]).
    pub async fn copy_exact<W>(&mut self, n: u64, out: &mut W) -> Result<(), Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.buffers.check_literal(n)?;
        self.enter()?;
        let result = self.copy_literal(n, out).await;
        self.leave(result)
    }

    async fn copy_literal<W>(&mut self, n: u64, out: &mut W) -> Result<(), Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut left = n;
        let mut echo = self.buffers.literal_echo();
        while left > 0 {
            if self.buffers.buffered().is_empty() {
                self.fill().await?;
            }
            let chunk = self.buffers.literal_chunk(left);
            out.write_all(chunk).await.map_err(Error::Io)?;
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

    /// Reads more bytes into the buffer within the read time-out; returns
    /// how many arrived. Cancel-safe: bytes are only ever added whole.
    async fn fill(&mut self) -> Result<usize, Error> {
        let timeout = self.read_timeout;
        let read = self.stream.read(self.buffers.spare());
        match within(timeout, read).await? {
            Ok(0) => Err(Error::Closed),
            Ok(n) => {
                self.buffers.filled(n);
                Ok(n)
            }
            Err(err) => Err(Error::from_io(err)),
        }
    }

    /// Queues one line (CRLF added) and sends everything queued.
    /// Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::LineBreak`] if the line holds CR, LF or NUL (nothing is
    /// queued then); write errors and time-outs.
    pub async fn send(&mut self, line: Line<'_>) -> Result<(), Error> {
        self.usable()?;
        self.buffers.queue_line(line)?;
        self.flush().await
    }

    /// Queues one line (CRLF added) without sending it yet, for pipelining;
    /// a full queue is written on the way. Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::LineBreak`] if the line holds CR, LF or NUL; write errors
    /// and time-outs.
    pub async fn queue(&mut self, line: Line<'_>) -> Result<(), Error> {
        self.usable()?;
        if self.buffers.queue_line(line)? {
            self.flush().await?;
        }
        Ok(())
    }

    /// Queues raw bytes (a message body, a literal) with no line check and no
    /// transcript; the caller is responsible for their framing. Not cancel-safe.
    ///
    /// # Errors
    /// Write errors and time-outs when the queue is flushed on the way.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.usable()?;
        let plan = self.buffers.raw_plan(bytes.len());
        if plan.flush_first {
            self.flush().await?;
        }
        if plan.direct {
            self.enter()?;
            let result = write_all_within(&mut self.stream, bytes, self.write_timeout).await;
            return self.leave(result);
        }
        self.buffers.queue_raw(bytes);
        Ok(())
    }

    /// Sends everything queued. Not cancel-safe.
    ///
    /// # Errors
    /// Write errors and time-outs.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.enter()?;
        let result = self.write_queued().await;
        self.leave(result)
    }

    async fn write_queued(&mut self) -> Result<(), Error> {
        let timeout = self.write_timeout;
        if !self.buffers.queued().is_empty() {
            write_all_within(&mut self.stream, self.buffers.queued(), timeout).await?;
            self.buffers.clear_queued();
        }
        within(timeout, self.stream.flush())
            .await?
            .map_err(Error::from_io)
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

impl<S: AsyncRead + AsyncWrite + Unpin + Send + Encrypted> Connection<S> {
    /// True once TLS protects the connection (after implicit TLS or a
    /// successful STARTTLS).
    pub fn is_encrypted(&self) -> bool {
        self.stream.is_encrypted()
    }
}

/// Awaits `io` for at most `timeout`; running out is [`Error::Timeout`],
/// as a socket time-out is on the blocking side.
///
/// The timer is armed only once `io` has to wait: most writes, and reads
/// of bytes already received, finish on their first poll, and arming a
/// timer for each of them (a clock read, a timer entry) was a tenth of a
/// pipelined SMTP session's CPU.
async fn within<T>(timeout: Option<Duration>, io: impl Future<Output = T>) -> Result<T, Error> {
    let mut io = std::pin::pin!(io);
    let first = std::future::poll_fn(|cx| Poll::Ready(io.as_mut().poll(cx))).await;
    if let Poll::Ready(value) = first {
        return Ok(value);
    }
    match timeout {
        Some(limit) => ::tokio::time::timeout(limit, io)
            .await
            .map_err(|_| Error::Timeout),
        None => Ok(io.await),
    }
}

/// Writes all of `bytes`, each write within `timeout` (as a socket's write
/// time-out bounds each write on the blocking side).
async fn write_all_within<S: AsyncWrite + Unpin + ?Sized>(
    stream: &mut S,
    mut bytes: &[u8],
    timeout: Option<Duration>,
) -> Result<(), Error> {
    while !bytes.is_empty() {
        match within(timeout, stream.write(bytes)).await? {
            Ok(0) => return Err(Error::Closed),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(Error::from_io(err)),
        }
    }
    Ok(())
}
