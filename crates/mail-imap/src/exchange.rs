//! The blocking driver of one command and its responses over a
//! [`Connection`]: bytes move between the connection and the sans-I/O
//! [`ResponseFramer`], literals are read to memory or streamed to a writer,
//! and every untagged response is folded into the session state as it arrives.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mail_wire::{Connection, Direction, Line};

use crate::command::Command;
use crate::error::{rejection, Error};
use crate::requests::{self, Request};
use crate::response::{Response, Tag, Tagged, Untagged};
use crate::sans_io::{
    completion, BodyContext, CommandSender, FrameEvent, Received, ResponseFramer, SendStep, Wants,
};
use crate::state::State;

/// How much of a supplied literal is read from its source at a time.
pub(crate) const LITERAL_CHUNK: usize = 64 * 1024;

/// What reading a frame produced.
pub(crate) enum Piece {
    /// A complete response.
    Done(Response),
    /// A body literal waits to be read by the caller.
    Body(BodyContext),
}

/// The shared core of [`Client`](crate::Client), [`Session`](crate::Session)
/// and [`Selected`](crate::Selected).
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

struct Counting<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

/// Feeds literal bytes to the framer as they arrive; body chunks go on to
/// `out`, so a streamed section never sits whole in memory.
struct Feed<'a> {
    framer: &'a mut ResponseFramer,
    out: &'a mut dyn Write,
    ended: bool,
}

impl Feed<'_> {
    fn drain(&mut self) -> io::Result<()> {
        loop {
            if self.framer.wants() == Wants::Line {
                return Ok(());
            }
            match self.framer.next().map_err(io::Error::other)? {
                FrameEvent::BodyChunk(chunk) => self.out.write_all(chunk)?,
                FrameEvent::BodyEnd => {
                    self.ended = true;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
    }
}

impl Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.framer.feed(buf);
        self.drain()?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<S: Read + Write> Core<S> {
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

    /// Copies a literal of `n` bytes to `out`; returns how many arrived
    /// before an error in the error case through `done`.
    pub(crate) fn copy_literal(
        &mut self,
        n: u64,
        out: &mut dyn Write,
        done: &mut u64,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let hidden = if self.echo_literals {
            None
        } else {
            self.conn.take_transcript()
        };
        let result = loop {
            let mut counting = Counting { inner: out, n: 0 };
            let result = self.conn.copy_exact(n - *done, &mut counting);
            *done += counting.n;
            match result {
                Ok(()) => break Ok(()),
                Err(mail_wire::Error::Timeout) if self.keep_waiting(started) => continue,
                Err(err) => break Err(self.wire_error(err)),
            }
        };
        if let Some(t) = hidden {
            self.conn.set_transcript(Some(t));
            self.conn
                .note(Direction::Server, &format!("<literal of {n} bytes>"));
        }
        result
    }

    /// Reads to the next framing event. With `stream_bodies`, stops before
    /// a FETCH body literal and hands its context back; the caller then
    /// consumes it with [`copy_body`](Self::copy_body) (or it is skipped).
    pub(crate) fn advance(&mut self, stream_bodies: bool) -> Result<Piece, Error> {
        self.framer.set_stream_bodies(stream_bodies);
        self.framer.set_limits(self.conn.limits().into());
        loop {
            match self.framer.next()? {
                FrameEvent::Response(r) => return Ok(Piece::Done(r)),
                FrameEvent::BodyStart(ctx) => return Ok(Piece::Body(ctx)),
                FrameEvent::BodyChunk(_) | FrameEvent::BodyEnd => {}
                FrameEvent::NeedMore => match self.framer.wants() {
                    Wants::Line => self.feed_line()?,
                    Wants::Literal(_) => {
                        self.copy_body(&mut io::sink())?;
                    }
                },
            }
        }
    }

    fn feed_line(&mut self) -> Result<(), Error> {
        let started = Instant::now();
        loop {
            let err = match self.conn.read_line() {
                Ok(line) => {
                    self.framer.feed(line);
                    self.framer.feed(b"\r\n");
                    return Ok(());
                }
                Err(err) => err,
            };
            match err {
                mail_wire::Error::Timeout if self.keep_waiting(started) => continue,
                err => return Err(self.wire_error(err)),
            }
        }
    }

    /// Moves the literal under way (a streamed body goes to `out`, any other
    /// literal into its response) from the connection through the framer.
    /// Returns how many bytes went to `out`.
    pub(crate) fn copy_body(&mut self, out: &mut dyn Write) -> Result<u64, Error> {
        let limits = self.framer_limits();
        let mut framer = std::mem::replace(&mut self.framer, ResponseFramer::new(limits));
        let mut counting = Counting { inner: out, n: 0 };
        let result = self.pump(&mut framer, &mut counting);
        self.framer = framer;
        result.map(|()| counting.n)
    }

    fn framer_limits(&self) -> crate::sans_io::FrameLimits {
        self.conn.limits().into()
    }

    fn pump(&mut self, framer: &mut ResponseFramer, out: &mut dyn Write) -> Result<(), Error> {
        let mut feed = Feed {
            framer,
            out,
            ended: false,
        };
        feed.drain().map_err(mail_wire::Error::Io)?;
        while let Wants::Literal(n) = feed.framer.wants() {
            if feed.ended || n == 0 {
                break;
            }
            let mut done = 0;
            self.copy_literal(n, &mut feed, &mut done)?;
            feed.drain().map_err(mail_wire::Error::Io)?;
        }
        Ok(())
    }

    /// Reads one whole response, literals in memory.
    pub(crate) fn read_response(&mut self) -> Result<Response, Error> {
        match self.advance(false)? {
            Piece::Done(r) => Ok(r),
            Piece::Body(_) => Err(Error::Unexpected("a streamed literal".into())),
        }
    }

    /// Reads one response, or `None` when a socket time-out passes first
    /// (only whole lines reach the framer, so nothing is lost); for IDLE,
    /// where the driver's clock decides when to stop.
    pub(crate) fn poll_response(&mut self) -> Result<Option<Response>, Error> {
        let patience = self.patience.take();
        let result = self.read_response();
        self.patience = patience;
        match result {
            Ok(r) => Ok(Some(r)),
            Err(Error::Wire(mail_wire::Error::Timeout)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Sends a command; synchronizing literals wait for the go-ahead, and
    /// with LITERAL+ (RFC 7888) no literal waits. Untagged responses that
    /// arrive meanwhile are kept in `seen`.
    pub(crate) fn send(&mut self, cmd: &Command, seen: &mut Vec<Untagged>) -> Result<Tag, Error> {
        let tag = self.next_tag();
        self.send_tagged(&tag, cmd, seen)?;
        Ok(tag)
    }

    pub(crate) fn send_tagged(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        self.queue_tagged(tag, cmd, seen)?;
        self.conn.flush()?;
        Ok(())
    }

    /// As `send_tagged` without the final flush, for pipelining.
    pub(crate) fn queue_tagged(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        self.queue_tagged_from(tag, cmd, seen, None)
    }

    /// As `queue_tagged`; a supplied literal is copied from `source`.
    pub(crate) fn queue_tagged_from(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
        mut source: Option<&mut dyn Read>,
    ) -> Result<(), Error> {
        let mut sender = CommandSender::new(tag.clone(), cmd, self.literal_mode());
        loop {
            match sender.next() {
                SendStep::Line { public, secret } => match secret {
                    Some(s) => self.conn.queue(Line::with_secret(public, s))?,
                    None => self.conn.queue(Line::public(public))?,
                },
                SendStep::Literal { bytes, secret } => {
                    self.conn.write_raw(bytes)?;
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
                    self.supply(*source, size)?;
                }
                SendStep::AwaitContinuation => {
                    self.conn.flush()?;
                    let response = self.read_response()?;
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
    fn supply(&mut self, source: &mut dyn Read, size: u64) -> Result<(), Error> {
        let mut buf = vec![0; LITERAL_CHUNK];
        let mut left = size;
        while left > 0 {
            let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = source.read(chunk).map_err(mail_wire::Error::Io)?;
            if n == 0 {
                return Err(requests::ended_early(left));
            }
            self.conn.write_raw(chunk.get(..n).unwrap_or_default())?;
            left -= n as u64;
        }
        self.conn
            .note(Direction::Client, &format!("<literal of {size} bytes>"));
        Ok(())
    }

    /// Reads to the tagged completion of `tag`; untagged responses go to `seen`.
    pub(crate) fn finish(
        &mut self,
        tag: &Tag,
        command: &'static str,
        seen: &mut Vec<Untagged>,
    ) -> Result<Tagged, Error> {
        loop {
            let response = self.read_response()?;
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

    /// Sends a request's command and reads its answer into its result.
    pub(crate) fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
        let (seen, done) = self.run(request.command)?;
        (request.outcome)(seen, done)
    }

    /// LOGOUT (RFC 3501 §6.1.3).
    pub(crate) fn logout(&mut self) -> Result<(), Error> {
        let result = self.request(requests::logout());
        requests::logout_outcome(&self.state, result)
    }

    /// Sends `cmd` and reads to its completion.
    pub(crate) fn run(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        let mut seen = Vec::new();
        let tag = self.send(&cmd, &mut seen)?;
        let done = self.finish(&tag, cmd.name, &mut seen)?;
        Ok((seen, done))
    }
}
