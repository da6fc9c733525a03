//! The async driver of one command and its responses over a
//! [`Connection`]: the blocking `exchange.rs` with `.await` — bytes move
//! between the connection and the sans-I/O [`ResponseFramer`], literals are
//! read to memory or streamed to a writer, and every untagged response is
//! folded into the session state as it arrives.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use mail_wire::tokio::Connection;
use mail_wire::{Direction, Line};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::command::Command;
use crate::error::{rejection, Error};
pub(crate) use crate::exchange::Piece;
use crate::exchange::LITERAL_CHUNK;
use crate::requests::{self, Request};
use crate::response::{Response, Tag, Tagged, Untagged};
use crate::sans_io::{
    completion, CommandSender, FrameEvent, FrameLimits, Received, ResponseFramer, SendStep, Wants,
};
use crate::state::State;

/// The shared core of the async `Client`, `Session` and `Selected`.
pub(crate) struct Core<S> {
    pub(crate) conn: Connection<S>,
    framer: ResponseFramer,
    state: State,
    pub(crate) patience: Option<Duration>,
}

// The session state is the core's own; methods and fields read through.
impl<S> std::ops::Deref for Core<S> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.state
    }
}

impl<S> std::ops::DerefMut for Core<S> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

/// Takes the literal bytes `copy_exact` writes, feeds them to the framer,
/// and passes the body chunks it hands out on to `out`. At most one write's
/// worth of chunks waits in `pending`, so a streamed section never sits
/// whole in memory.
struct Feed<'a, W: ?Sized> {
    framer: &'a mut ResponseFramer,
    out: &'a mut W,
    pending: Vec<u8>,
    written: u64,
    ended: bool,
}

impl<W: AsyncWrite + Unpin + ?Sized> Feed<'_, W> {
    /// Takes every event the framer has; body chunks go to `pending`.
    fn drain(&mut self) -> io::Result<()> {
        loop {
            if self.ended || self.framer.wants() == Wants::Line {
                return Ok(());
            }
            match self.framer.next().map_err(io::Error::other)? {
                FrameEvent::BodyChunk(chunk) => self.pending.extend_from_slice(chunk),
                FrameEvent::BodyEnd => {
                    self.ended = true;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = match Pin::new(&mut *self.out).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            };
            self.pending.drain(..n);
            self.written += n as u64;
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin + ?Sized> AsyncWrite for Feed<'_, W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Pending => return Poll::Pending,
        }
        this.framer.feed(buf);
        this.drain()?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_pending(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut *this.out).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Core<S> {
    pub(crate) fn new(conn: Connection<S>) -> Self {
        let framer = ResponseFramer::new(conn.limits().into());
        Core {
            conn,
            framer,
            state: State::default(),
            patience: None,
        }
    }

    /// Bytes received and not yet part of a response, in the connection's
    /// buffer or the framer's (none may remain when TLS starts).
    pub(crate) fn unread(&self) -> usize {
        self.conn.buffered().len() + self.framer.buffered().len()
    }

    fn keep_waiting(&self, started: Instant) -> bool {
        self.patience.is_some_and(|p| started.elapsed() < p)
    }

    fn framer_limits(&self) -> FrameLimits {
        self.conn.limits().into()
    }

    /// Reads one line into the framer. Cancel-safe: the connection keeps a
    /// partial line, and the framer sees the line only once it is whole.
    async fn feed_line(&mut self, forever: bool) -> Result<(), Error> {
        let started = Instant::now();
        loop {
            let err = match self.conn.read_line().await {
                Ok(line) => {
                    self.framer.feed(line);
                    self.framer.feed(b"\r\n");
                    return Ok(());
                }
                Err(err) => err,
            };
            match err {
                mail_wire::Error::Timeout if forever || self.keep_waiting(started) => continue,
                err => return Err(self.state.wire_error(err)),
            }
        }
    }

    /// Reads to the next framing event. With `stream_bodies`, stops before
    /// a FETCH body literal and hands its context back; the caller then
    /// consumes it with [`copy_body`](Self::copy_body) (or it is skipped).
    /// With `forever`, read time-outs between responses are waited out (IDLE).
    pub(crate) async fn advance(
        &mut self,
        stream_bodies: bool,
        forever: bool,
    ) -> Result<Piece, Error> {
        self.framer.set_stream_bodies(stream_bodies);
        self.framer.set_limits(self.framer_limits());
        loop {
            match self.framer.next()? {
                FrameEvent::Response(r) => return Ok(Piece::Done(r)),
                FrameEvent::BodyStart(ctx) => return Ok(Piece::Body(ctx)),
                FrameEvent::BodyChunk(_) | FrameEvent::BodyEnd => {}
                FrameEvent::NeedMore => match self.framer.wants() {
                    Wants::Line => self.feed_line(forever).await?,
                    Wants::Literal(_) => {
                        self.copy_body(&mut tokio::io::sink()).await?;
                    }
                },
            }
        }
    }

    /// Moves the literal under way (a streamed body goes to `out`, any other
    /// literal into its response) from the connection through the framer.
    /// Returns how many bytes went to `out`.
    pub(crate) async fn copy_body<W>(&mut self, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let limits = self.framer_limits();
        let mut framer = std::mem::replace(&mut self.framer, ResponseFramer::new(limits));
        let result = self.pump(&mut framer, out).await;
        self.framer = framer;
        result
    }

    async fn pump<W>(&mut self, framer: &mut ResponseFramer, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut feed = Feed {
            framer,
            out,
            pending: Vec::new(),
            written: 0,
            ended: false,
        };
        feed.drain().map_err(mail_wire::Error::Io)?;
        feed.flush().await.map_err(mail_wire::Error::Io)?;
        while let Wants::Literal(n) = feed.framer.wants() {
            if feed.ended || n == 0 {
                break;
            }
            let copied = self.copy_literal(n, &mut feed).await;
            feed.drain().map_err(mail_wire::Error::Io)?;
            if copied.is_err() {
                // What did arrive still reaches the caller.
                let _ = feed.flush().await;
            }
            copied?;
            feed.flush().await.map_err(mail_wire::Error::Io)?;
        }
        Ok(feed.written)
    }

    /// Copies a literal of `n` bytes to `out`, the transcript showing it
    /// or, with literals hidden, only its size.
    async fn copy_literal<W>(&mut self, n: u64, out: &mut W) -> Result<(), Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let hidden = if self.echo_literals {
            None
        } else {
            self.conn.take_transcript()
        };
        let result = self.conn.copy_exact(n, out).await;
        if let Some(t) = hidden {
            self.conn.set_transcript(Some(t));
            self.conn
                .note(Direction::Server, &format!("<literal of {n} bytes>"));
        }
        result.map_err(|err| self.state.wire_error(err))
    }

    /// Reads one whole response, literals in memory.
    pub(crate) async fn read_response(&mut self) -> Result<Response, Error> {
        match self.advance(false, false).await? {
            Piece::Done(r) => Ok(r),
            Piece::Body(_) => Err(Error::Unexpected("a streamed literal".into())),
        }
    }

    /// Sends a command without the final flush, for pipelining;
    /// synchronizing literals wait for the go-ahead, and with LITERAL+
    /// (RFC 7888) no literal waits. Untagged responses that arrive
    /// meanwhile are kept in `seen`.
    pub(crate) async fn queue_tagged(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        self.queue_tagged_from::<tokio::io::Empty>(tag, cmd, seen, None)
            .await
    }

    /// As `queue_tagged`; a supplied literal is copied from `source`.
    pub(crate) async fn queue_tagged_from<R>(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
        mut source: Option<&mut R>,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let mut sender = CommandSender::new(tag.clone(), cmd, self.literal_mode());
        loop {
            match sender.next() {
                SendStep::Line { public, secret } => match secret {
                    Some(s) => self.conn.queue(Line::with_secret(public, s)).await?,
                    None => self.conn.queue(Line::public(public)).await?,
                },
                SendStep::Literal { bytes, secret } => {
                    self.conn.write_raw(bytes).await?;
                    let shown = if secret {
                        mail_wire::MASK.to_owned()
                    } else {
                        format!("<literal of {} bytes>", bytes.len())
                    };
                    self.conn.note(Direction::Client, &shown);
                }
                SendStep::Supply { size } => {
                    let Some(source) = source.as_mut() else {
                        return Err(Error::Unexpected("a literal with no source".into()));
                    };
                    self.supply(&mut **source, size).await?;
                }
                SendStep::AwaitContinuation => {
                    self.conn.flush().await?;
                    let response = self.read_response().await?;
                    match sender.receive(response)? {
                        Received::Untagged(u) => {
                            self.absorb(&u);
                            seen.push(u);
                        }
                        Received::Completed(t) => {
                            self.absorb_code(t.text.code.as_ref(), &t.text.text);
                            return Err(rejection(cmd.name, t));
                        }
                        _ => {}
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Copies exactly `size` bytes of a literal from `source` to the wire.
    async fn supply<R>(&mut self, source: &mut R, size: u64) -> Result<(), Error>
    where
        R: AsyncRead + Unpin + Send + ?Sized,
    {
        let mut buf = vec![0; LITERAL_CHUNK];
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = source.read(chunk).await.map_err(mail_wire::Error::Io)?;
            if n == 0 {
                return Err(requests::ended_early(left));
            }
            self.conn
                .write_raw(chunk.get(..n).unwrap_or_default())
                .await?;
            left -= n as u64;
        }
        self.conn
            .note(Direction::Client, &format!("<literal of {size} bytes>"));
        Ok(())
    }

    /// Reads to the tagged completion of `tag`; untagged responses go to `seen`.
    pub(crate) async fn finish(
        &mut self,
        tag: &Tag,
        command: &'static str,
        seen: &mut Vec<Untagged>,
    ) -> Result<Tagged, Error> {
        loop {
            let response = self.read_response().await?;
            match completion(tag, command, response)? {
                Received::Untagged(u) => {
                    self.absorb(&u);
                    seen.push(u);
                }
                Received::Completed(t) => return self.state.complete(command, t),
                _ => {}
            }
        }
    }

    /// Sends `cmd` and reads to its completion, as one exchange: a dropped
    /// future leaves the connection refused (`Abandoned`).
    pub(crate) async fn run(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        self.conn.begin_exchange()?;
        let result = self.run_in_exchange(cmd).await;
        self.conn.end_exchange();
        result
    }

    async fn run_in_exchange(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        let mut seen = Vec::new();
        let tag = self.next_tag();
        self.queue_tagged(&tag, &cmd, &mut seen).await?;
        self.conn.flush().await?;
        let done = self.finish(&tag, cmd.name, &mut seen).await?;
        Ok((seen, done))
    }

    /// Sends a request's command and reads its answer into its result.
    pub(crate) async fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
        let (seen, done) = self.run(request.command).await?;
        (request.outcome)(seen, done)
    }

    /// LOGOUT (RFC 3501 §6.1.3).
    pub(crate) async fn logout(&mut self) -> Result<(), Error> {
        let result = self.request(requests::logout()).await;
        requests::logout_outcome(&self.state, result)
    }
}
