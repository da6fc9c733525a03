//! [`BodyReader`]: a message body (RETR, TOP) as an [`AsyncRead`] that
//! borrows the session and unstuffs incrementally with the core's
//! [`BodyDecoder`](crate::core::BodyDecoder).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use mail_wire::Transcript;

use super::link::{Link, CHUNK};
use crate::error::Error;

/// What one round of decoding gives back: the link, the decoded bytes,
/// and the body's size once it has ended.
type Round<'a, S> = (&'a mut Link<S>, Vec<u8>, Result<Option<u64>, Error>);

enum State<'a, S> {
    /// Between rounds: the decoded bytes are being handed out.
    Idle(&'a mut Link<S>),
    /// A round is reading from the server; it holds the link until done.
    Reading(Pin<Box<dyn Future<Output = Round<'a, S>> + Send + 'a>>),
    /// The body ended: the exchange is over.
    Done,
    /// An error ended the body: returned once the bytes decoded before
    /// it are handed out, then a plain note.
    Failed(Option<Error>),
}

/// The body of a `RETR` or `TOP` reply, unstuffed, as an [`AsyncRead`]
/// ([`Session::retr_reader`](super::Session::retr_reader)). It borrows the
/// session, so no other command can be sent until it is gone.
///
/// At most one 64 KB round of decoded bytes is held at once, whatever the
/// message's size. A read of 0 bytes means the body ended; then
/// [`size`](Self::size) is its size and the session is ready for the next
/// command.
///
/// Errors come as an [`io::Error`] of kind `Other` whose inner error is
/// the [`crate::Error`] (`err.into_inner()` and `downcast`); after one,
/// the reader reads nothing more.
///
/// # Dropping it early
/// Dropping the reader before its end leaves the connection in the
/// middle of the reply: the session is then broken, and every later call
/// on it fails at once with
/// [`WireError::Abandoned`](crate::WireError::Abandoned) (`is_wire()`).
/// To skip the rest of a message and keep the session, call
/// [`finish`](Self::finish), which reads and discards it.
pub struct BodyReader<'a, S> {
    state: State<'a, S>,
    /// Decoded bytes of the last round, and how many were handed out.
    chunk: Vec<u8>,
    at: usize,
    size: Option<u64>,
    /// The transcript, taken away while the body is read with echo off.
    hidden: Option<Box<dyn Transcript + Send>>,
}

impl<S> fmt::Debug for BodyReader<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyReader")
            .field("buffered", &(self.chunk.len() - self.at))
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Send + 'a> BodyReader<'a, S> {
    /// After the `+OK`, inside the exchange begun for the command.
    pub(crate) fn new(link: &'a mut Link<S>) -> Self {
        let hidden = link.hide_body();
        BodyReader {
            state: State::Idle(link),
            chunk: Vec::new(),
            at: 0,
            size: None,
            hidden,
        }
    }

    /// The body's size (bytes after unstuffing) once its end was read.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// Reads and discards the rest of the body, so the session can go on;
    /// returns the body's size.
    ///
    /// Cancellation: not cancel-safe; dropping its future leaves the
    /// session broken, as dropping the reader does.
    ///
    /// # Errors
    /// The error that ended the body (also one returned by an earlier read).
    pub async fn finish(mut self) -> Result<u64, Error> {
        loop {
            if let Some(size) = self.size {
                return Ok(size);
            }
            self.at = self.chunk.len();
            std::future::poll_fn(|cx| self.poll_round(cx))
                .await
                .map_err(into_error)?;
        }
    }

    /// Drives the reader until decoded bytes are waiting, the body has
    /// ended, or an error came.
    fn poll_round(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.at < self.chunk.len() {
                return Poll::Ready(Ok(()));
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return Poll::Ready(Ok(())),
                State::Failed(err) => {
                    self.state = State::Failed(None);
                    return Poll::Ready(Err(match err {
                        Some(err) => io::Error::other(err),
                        None => io::Error::other(
                            "the message body failed to arrive (reported by an earlier read)",
                        ),
                    }));
                }
                State::Idle(link) => {
                    let mut chunk = std::mem::take(&mut self.chunk);
                    chunk.clear();
                    self.at = 0;
                    self.state = State::Reading(Box::pin(async move {
                        let result = link.next_body(&mut chunk, CHUNK).await;
                        (link, chunk, result)
                    }));
                }
                State::Reading(mut round) => match round.as_mut().poll(cx) {
                    Poll::Pending => {
                        self.state = State::Reading(round);
                        return Poll::Pending;
                    }
                    Poll::Ready((link, chunk, result)) => {
                        self.chunk = chunk;
                        match result {
                            Ok(None) => self.state = State::Idle(link),
                            Ok(Some(size)) => {
                                link.show_body(self.hidden.take(), Some(size));
                                link.conn.end_exchange();
                                self.size = Some(size);
                            }
                            Err(err) => {
                                link.show_body(self.hidden.take(), None);
                                link.conn.end_exchange();
                                self.state = State::Failed(Some(err));
                            }
                        }
                    }
                },
            }
        }
    }
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin + Send + 'a> AsyncRead for BodyReader<'a, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_round(cx) {
            Poll::Ready(Ok(())) => {
                let waiting = this.chunk.get(this.at..).unwrap_or_default();
                let n = waiting.len().min(buf.remaining());
                buf.put_slice(waiting.get(..n).unwrap_or_default());
                this.at += n;
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

/// The crate's error inside an [`io::Error`] from [`BodyReader`], back out.
fn into_error(err: io::Error) -> Error {
    if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(Ok(inner)) = err.into_inner().map(|inner| inner.downcast::<Error>()) {
            return *inner;
        }
        return Error::Wire(mail_wire::Error::Closed);
    }
    Error::Wire(mail_wire::Error::Io(err))
}
