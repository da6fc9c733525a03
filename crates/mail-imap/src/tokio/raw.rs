//! Console mode for the async client: one line typed by a person, one
//! complete reply, as [`crate::raw::Console`] does, over the same
//! I/O-free handling of typed lines and replies.
//!
//! Cancellation: every method that reads or sends is not cancel-safe; a
//! dropped future leaves the console broken (see
//! [the module docs](super#cancellation)).

use std::time::{Duration, Instant};

use mail_wire::{Direction, Line};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::exchange::{Core, Piece};
use super::{Client, Session};
use crate::command::Command;
use crate::error::Error;
use crate::raw::{
    append_command, data_line, fetch_message_command, logout_outcome, message_body, prepare,
    quoted_bodies, split_line, Awaiting, Outgoing, ReplyCollector,
};
use crate::response::{Response, Tag, Tagged};
use crate::sans_io::Idle;
use crate::Mailbox;

pub use crate::raw::Reply;

/// A session driven by typed lines: the async twin of [`crate::raw::Console`].
pub struct Console<S> {
    core: Box<Core<S>>,
    pending: Awaiting,
}

impl<S> std::fmt::Debug for Console<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// Hands the connection to a console (before login).
    pub fn into_console(self) -> Console<S> {
        Console {
            core: self.core,
            pending: None,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
    /// Hands the connection to a console (after login).
    pub fn into_console(self) -> Console<S> {
        Console {
            core: self.core,
            pending: None,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Console<S> {
    /// The selected mailbox's state, as far as the responses told.
    pub fn mailbox(&self) -> &Mailbox {
        &self.core.mailbox
    }

    /// `[ALERT]` texts received so far, taken out.
    pub fn take_alerts(&mut self) -> Vec<String> {
        std::mem::take(&mut self.core.alerts)
    }

    /// True when the server advertises `name`.
    pub fn has_capability(&self, name: &str) -> bool {
        self.core.has_capability(name)
    }

    /// True when the last reply was a continuation request: the next line
    /// is data for that command ([`send_data`](Self::send_data)).
    pub fn awaits_data(&self) -> bool {
        self.pending.is_some()
    }

    /// Sends one typed line and reads its complete reply, as
    /// [`crate::raw::Console::execute`].
    ///
    /// # Errors
    /// CR/LF in the line, a broken response, a tagged reply for another
    /// tag, the connection. A NO or BAD is a reply, not an error.
    pub async fn execute(&mut self, line: &str) -> Result<Reply, Error> {
        if self.pending.is_some() {
            return self.send_data(line, &mut tokio::io::sink()).await;
        }
        let (tag, command, rest) = split_line(line, String::new);
        let tag = Some(tag).filter(|t| !t.is_empty());
        self.execute_parts(tag.as_deref(), &command, &rest, &mut tokio::io::sink())
            .await
    }

    /// Sends a line of data for the command waiting on a continuation, as
    /// [`crate::raw::Console::send_data`].
    ///
    /// # Errors
    /// As [`execute`](Self::execute); no command waits for data.
    pub async fn send_data<W>(&mut self, line: &str, fetched: &mut W) -> Result<Reply, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let (tag, secret, data) = data_line(&mut self.pending, line)?;
        self.core.conn.begin_exchange()?;
        let result = async {
            match &data {
                Some(data) => self.core.conn.send(Line::with_secret(b"", data)).await?,
                None => self.core.conn.send(Line::public(line.as_bytes())).await?,
            }
            self.read_reply(tag, secret, fetched).await
        }
        .await;
        self.core.conn.end_exchange();
        result
    }

    /// Sends `command rest` under `tag` (a new one when `None`) and reads
    /// the complete reply, FETCH body sections also written to `fetched`,
    /// as [`crate::raw::Console::execute_parts`].
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub async fn execute_parts<W>(
        &mut self,
        tag: Option<&str>,
        command: &str,
        rest: &str,
        fetched: &mut W,
    ) -> Result<Reply, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let prepared = prepare(&mut self.core, self.pending.is_some(), tag, command, rest)?;
        self.core.conn.begin_exchange()?;
        let result = async {
            match prepared.outgoing {
                Outgoing::Typed(cmd) => return self.send_typed(prepared.tag, &cmd, fetched).await,
                Outgoing::Line { public, secret } => match secret {
                    Some(secret) => {
                        self.core
                            .conn
                            .send(Line::with_secret(&public, &secret))
                            .await?
                    }
                    None => self.core.conn.send(Line::public(&public)).await?,
                },
            }
            self.read_reply(prepared.tag, prepared.authenticate, fetched)
                .await
        }
        .await;
        self.core.conn.end_exchange();
        result
    }

    async fn send_typed<W>(
        &mut self,
        tag: Tag,
        cmd: &Command,
        fetched: &mut W,
    ) -> Result<Reply, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let mut seen = Vec::new();
        let queued = self.core.queue_tagged(&tag, cmd, &mut seen).await;
        let queued = match queued {
            Ok(()) => self.core.conn.flush().await.map_err(Error::from),
            Err(err) => Err(err),
        };
        let mut reply = match queued {
            Ok(()) => self.read_reply(tag, false, fetched).await?,
            Err(Error::Rejected { reply, .. }) => Reply {
                tagged: Some(*reply),
                ..Reply::default()
            },
            Err(err) => return Err(err),
        };
        seen.append(&mut reply.untagged);
        reply.untagged = seen;
        Ok(reply)
    }

    async fn read_reply<W>(
        &mut self,
        tag: Tag,
        secret_continuation: bool,
        fetched: &mut W,
    ) -> Result<Reply, Error>
    where
        W: AsyncWrite + Unpin + Send + ?Sized,
    {
        let mut collector = ReplyCollector::new(tag, secret_continuation);
        loop {
            match self.core.advance(true, false).await? {
                Piece::Body(_) => {
                    self.core.copy_body(fetched).await?;
                }
                Piece::Done(response) => {
                    for body in quoted_bodies(&response) {
                        fetched
                            .write_all(body)
                            .await
                            .map_err(mail_wire::Error::from)?;
                    }
                    if let Some((reply, pending)) = collector.receive(&mut self.core, response)? {
                        self.pending = pending;
                        return Ok(reply);
                    }
                }
            }
        }
    }

    /// Runs a typed IDLE line: shows updates (through the transcript) until
    /// `stop_now(updates seen)` is true or `limit` passes, then sends DONE,
    /// as [`crate::raw::Console::idle`]. `stop_now` and `limit` are checked
    /// after each update and whenever a read time-out passes.
    ///
    /// # Errors
    /// As [`execute`](Self::execute).
    pub async fn idle(
        &mut self,
        line: &str,
        limit: Duration,
        mut stop_now: impl FnMut(usize) -> bool,
    ) -> Result<Reply, Error> {
        let mut reply = self.execute(line).await?;
        let Some((tag, _)) = self.pending.take() else {
            return Ok(reply);
        };
        self.core.conn.begin_exchange()?;
        let poll = self
            .core
            .conn
            .read_timeout()
            .unwrap_or(Duration::from_secs(1));
        let result = async {
            let deadline = Instant::now() + limit;
            // Updates that came before the `+` count too: they are IDLE's.
            while Instant::now() < deadline && !stop_now(reply.untagged.len()) {
                let wait = deadline.saturating_duration_since(Instant::now()).min(poll);
                // A line read is cancel-safe: a time-out here loses nothing.
                if let Ok(piece) = tokio::time::timeout(wait, self.core.advance(false, true)).await
                {
                    if let Piece::Done(Response::Untagged(u)) = piece? {
                        self.core.absorb(&u);
                        reply.untagged.push(u);
                    }
                }
            }
            self.core.conn.send(Line::public(Idle::DONE)).await?;
            let rest = self.read_reply(tag, false, &mut tokio::io::sink()).await?;
            reply.untagged.extend(rest.untagged);
            reply.tagged = rest.tagged;
            reply.continuation = None;
            Ok(reply)
        }
        .await;
        self.core.conn.end_exchange();
        result
    }

    /// FETCH n BODY.PEEK[] into memory (for `:show` and `:save`).
    ///
    /// # Errors
    /// Rejection (no mailbox selected), limits, the connection.
    pub async fn fetch_message(&mut self, seq: u32) -> Result<Vec<u8>, Error> {
        let cmd = fetch_message_command(seq)?;
        let echo = std::mem::replace(&mut self.core.echo_literals, false);
        let result = self.core.run(cmd).await;
        self.core.echo_literals = echo;
        let (seen, _) = result?;
        message_body(seen, seq)
    }

    /// APPEND a message (for `:append`).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn append(&mut self, mailbox: &str, message: Vec<u8>) -> Result<Tagged, Error> {
        let cmd = append_command(&self.core, mailbox, message)?;
        self.core.run(cmd).await.map(|(_, t)| t)
    }

    /// Writes a note into the transcript (e.g. decoded mailbox names).
    pub fn note(&mut self, text: &str) {
        self.core.conn.note(Direction::Server, text);
    }

    /// LOGOUT, tolerating a server that closes right after BYE.
    ///
    /// # Errors
    /// The connection.
    pub async fn logout(mut self) -> Result<(), Error> {
        logout_outcome(self.core.run(Command::new("LOGOUT")).await.map(|_| ()))
    }
}
