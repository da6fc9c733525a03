//! The async driver over the sans-I/O core: the blocking driver's loop
//! (`crate::link`) with `.await`, over `mail_wire::tokio::Connection`.
//! What the async client, session and body reader share.

use ::tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use mail_wire::tokio::Connection;
use mail_wire::{Direction, Secret, Transcript};

use crate::command::Command;
use crate::core::Pop3;
use crate::drive::{listing_lines, step, unexpected, whole_lines, Got, Step};
use crate::error::Error;
use crate::response::{Greeting, Reply, Status};

/// Body bytes decoded per round before they are passed on.
pub(crate) const CHUNK: usize = 64 * 1024;

/// A POP3 connection, its protocol state, and the settings both protocol
/// states use.
#[derive(Debug)]
pub(crate) struct Link<S> {
    pub(crate) conn: Connection<S>,
    pub(crate) core: Pop3,
    /// Show message bodies line by line in the transcript (else one note).
    pub(crate) echo_bodies: bool,
    /// What `read_body` decodes into, kept from message to message: a
    /// fresh buffer grew by doubling (allocations and copies) through
    /// every message of a download.
    chunk: Vec<u8>,
}

/// Where [`Link::next`] puts body pieces.
enum Body<'b> {
    /// No body is expected; pieces are dropped.
    Discard,
    /// Append to this buffer, and stop once it holds `want` bytes.
    Into(&'b mut Vec<u8>, usize),
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Link<S> {
    pub(crate) fn new(conn: Connection<S>) -> Self {
        let core = Pop3::new(conn.limits());
        Link {
            conn,
            core,
            echo_bodies: true,
            chunk: Vec::new(),
        }
    }

    /// Starts an exchange (see `mail_wire::tokio`'s cancellation rule).
    ///
    /// # Errors
    /// `Abandoned` when an earlier future was dropped mid-exchange.
    pub(crate) fn begin(&mut self) -> Result<(), Error> {
        Ok(self.conn.begin_exchange()?)
    }

    /// Ends the exchange begun by [`begin`](Self::begin) and passes `result` on.
    pub(crate) fn end<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        self.conn.end_exchange();
        result
    }

    /// Reads the server's greeting.
    pub(crate) async fn read_greeting(&mut self) -> Result<Greeting, Error> {
        match self.next(Body::Discard).await? {
            Some(Got::Greeting(greeting)) => Ok(greeting),
            other => Err(unexpected_or_more(other)),
        }
    }

    /// Queues a command without flushing (pipelining).
    pub(crate) async fn queue(&mut self, command: &Command<'_>) -> Result<(), Error> {
        let shown = self.core.send(command)?;
        self.write_queued(&shown).await
    }

    /// Queues a line typed at a console (see [`Pop3::send_raw`]).
    pub(crate) async fn queue_raw(&mut self, line: &str) -> Result<(), Error> {
        let shown = self.core.send_raw(line)?;
        self.write_queued(&shown).await
    }

    /// Sends the answer to a SASL challenge.
    pub(crate) async fn sasl_response(&mut self, response: &Secret) -> Result<(), Error> {
        let shown = self.core.sasl_response(response)?;
        self.write_queued(&shown).await?;
        Ok(self.conn.flush().await?)
    }

    /// Sends `*`, cancelling a SASL exchange.
    pub(crate) async fn sasl_cancel(&mut self) -> Result<(), Error> {
        let shown = self.core.sasl_cancel()?;
        self.write_queued(&shown).await?;
        Ok(self.conn.flush().await?)
    }

    async fn write_queued(&mut self, shown: &str) -> Result<(), Error> {
        let bytes = self.core.take_output();
        self.conn.write_raw(&bytes).await?;
        self.conn.note(Direction::Client, shown);
        Ok(())
    }

    /// Sends a command and reads its status line; `-ERR` is an error.
    pub(crate) async fn command(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.queue(command).await?;
        self.conn.flush().await?;
        self.expect_ok().await
    }

    /// Reads a status line; `-ERR` becomes [`Error::Rejected`] for the
    /// command it answers.
    pub(crate) async fn expect_ok(&mut self) -> Result<Reply, Error> {
        let (command, reply) = self.next_reply().await?;
        match reply.status {
            Status::Ok | Status::Continue => Ok(reply),
            Status::Err => Err(Error::Rejected { command, reply }),
        }
    }

    /// Reads one status line.
    pub(crate) async fn read_reply(&mut self) -> Result<Reply, Error> {
        self.next_reply().await.map(|(_, reply)| reply)
    }

    async fn next_reply(&mut self) -> Result<(&'static str, Reply), Error> {
        match self.next(Body::Discard).await? {
            Some(Got::Reply(command, reply)) => Ok((command, reply)),
            other => Err(unexpected_or_more(other)),
        }
    }

    /// Reads the lines of a listing (CAPA, LIST, UIDL) up to `.`, unstuffed;
    /// at most `max_literal` bytes in all.
    pub(crate) async fn read_listing(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        let mut body = Vec::new();
        if self.core.in_body() {
            match self.next(Body::Into(&mut body, usize::MAX)).await? {
                Some(Got::BodyEnd(_)) => {}
                other => return Err(unexpected_or_more(other)),
            }
        }
        Ok(listing_lines(&body))
    }

    /// Streams a message body (after `+OK`) to `out`; returns its size.
    pub(crate) async fn read_body<W>(&mut self, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let hidden = self.hide_body();
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.reserve(CHUNK);
        let result = async {
            loop {
                chunk.clear();
                let end = self.next_body(&mut chunk, CHUNK).await;
                // What arrived before a failure is passed on too, as the
                // blocking driver does piece by piece.
                let written = out.write_all(&chunk).await.map_err(Error::Output);
                let end = end?;
                written?;
                if let Some(size) = end {
                    out.flush().await.map_err(Error::Output)?;
                    return Ok(size);
                }
            }
        }
        .await;
        chunk.clear();
        self.chunk = chunk;
        self.show_body(hidden, result.as_ref().ok().copied());
        result
    }

    /// Decodes body bytes into `chunk` until it holds `want` bytes (then
    /// `None`) or the body ends (then its size).
    pub(crate) async fn next_body(
        &mut self,
        chunk: &mut Vec<u8>,
        want: usize,
    ) -> Result<Option<u64>, Error> {
        if !self.core.in_body() {
            return Ok(Some(0));
        }
        match self.next(Body::Into(chunk, want)).await? {
            None => Ok(None),
            Some(Got::BodyEnd(size)) => Ok(Some(size)),
            other => Err(unexpected_or_more(other)),
        }
    }

    /// With body echo off, takes the transcript away for the body.
    pub(crate) fn hide_body(&mut self) -> Option<Box<dyn Transcript + Send>> {
        if self.echo_bodies {
            return None;
        }
        self.conn.take_transcript()
    }

    /// Gives the transcript back after the body, with one note for it.
    pub(crate) fn show_body(
        &mut self,
        hidden: Option<Box<dyn Transcript + Send>>,
        size: Option<u64>,
    ) {
        if hidden.is_none() {
            return;
        }
        self.conn.set_transcript(hidden);
        if let Some(size) = size {
            self.conn
                .note(Direction::Server, &format!("<message: {size} bytes>"));
            self.conn.note(Direction::Server, ".");
        }
    }

    /// Feeds received bytes to the core until it completes an event, or
    /// until `body` holds what it wants (then `None`). Only complete lines
    /// are taken from the connection's buffer, so the transcript shows
    /// whole lines; when none is buffered, one is read (bounded by the
    /// line limit).
    async fn next(&mut self, mut body: Body<'_>) -> Result<Option<Got>, Error> {
        let limits = self.conn.limits();
        self.core.set_limits(limits);
        loop {
            let (used, got) = feed(
                &mut self.core,
                whole_lines(self.conn.buffered(), limits),
                &mut body,
            )?;
            if used > 0 {
                // Consume what the core took; the transcript sees it here.
                self.conn
                    .copy_exact(used as u64, &mut ::tokio::io::sink())
                    .await?;
            }
            if got.is_some() || body.is_full() {
                return Ok(got);
            }
            if used == 0 {
                let line = self.conn.read_line().await?;
                let (_, got) = feed(&mut self.core, line, &mut body.unbounded())?;
                debug_assert!(got.is_none(), "an event before the line end");
                if let (_, Some(got)) = feed(&mut self.core, b"\r\n", &mut body.unbounded())? {
                    return Ok(Some(got));
                }
                if body.is_full() {
                    return Ok(None);
                }
            }
        }
    }
}

impl Body<'_> {
    fn is_full(&self) -> bool {
        matches!(self, Body::Into(chunk, want) if chunk.len() >= *want)
    }

    /// The same place without the stop: a line read must be fed whole.
    fn unbounded(&mut self) -> Body<'_> {
        match self {
            Body::Discard => Body::Discard,
            Body::Into(chunk, _) => Body::Into(chunk, usize::MAX),
        }
    }
}

/// Feeds `input` to the core until an event other than a body piece,
/// until `body` is full, or until every byte is consumed; returns the
/// bytes consumed.
fn feed(core: &mut Pop3, input: &[u8], body: &mut Body<'_>) -> Result<(usize, Option<Got>), Error> {
    let mut at = 0;
    loop {
        if body.is_full() {
            return Ok((at, None));
        }
        match step(core, input.get(at..).unwrap_or_default())? {
            (used, None) => return Ok((at + used, None)),
            (used, Some(Step::Body(piece))) => {
                if let Body::Into(chunk, _) = body {
                    chunk.extend_from_slice(piece);
                }
                at += used;
            }
            (used, Some(Step::Got(got))) => return Ok((at + used, Some(got))),
        }
    }
}

/// An event of the wrong kind, or none where one was due.
fn unexpected_or_more(got: Option<Got>) -> Error {
    match got {
        Some(got) => unexpected(&got),
        None => unexpected(&Got::BodyEnd(0)),
    }
}
