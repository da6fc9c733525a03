//! IDLE (RFC 2177) as a stream of updates that the caller ends when it
//! likes, over the same sans-I/O [`Idle`](crate::sans_io::Idle) machine as
//! the blocking client.

use std::collections::VecDeque;

use mail_wire::Line;
use tokio::io::{AsyncRead, AsyncWrite};

use super::exchange::Piece;
use super::Selected;
use crate::error::{rejection, Error};
use crate::mailbox::Mailbox;
use crate::requests;
use crate::response::Untagged;
use crate::sans_io::{self, IdleEvent};

/// An IDLE under way; it owns the client until [`done`](Self::done) gives
/// it back.
///
/// Take updates with [`next`](Self::next), which is cancel-safe, so it can
/// race a timer or a shutdown signal in `tokio::select!`; end with
/// [`done`](Self::done). Dropping an `Idle` drops the client inside it and
/// closes the connection (the server is still idling; nothing more is sent).
///
/// ```no_run
/// # async fn example(inbox: mail_imap::tokio::Selected<mail_imap::tokio::NetStream>) -> Result<(), mail_imap::Error> {
/// use std::time::Duration;
///
/// let mut idle = inbox.idle().await.map_err(|(e, _)| e)?;
/// let timer = tokio::time::sleep(Duration::from_secs(29 * 60));
/// tokio::pin!(timer);
/// loop {
///     tokio::select! {
///         update = idle.next() => println!("{:?}", update?),
///         () = &mut timer => break,
///     }
/// }
/// let inbox = idle.done().await?;
/// # drop(inbox); Ok(()) }
/// ```
pub struct Idle<S> {
    selected: Selected<S>,
    idle: sans_io::Idle,
    early: VecDeque<Untagged>,
}

impl<S> std::fmt::Debug for Idle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idle")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Selected<S> {
    /// Sends IDLE (RFC 2177) and waits for the server's `+`; updates that
    /// come first are the first [`Idle::next`] gives.
    ///
    /// Cancellation: dropping the future drops the client and closes the
    /// connection.
    ///
    /// # Errors
    /// `(error, self)`: [`Error::Unsupported`] without IDLE (nothing sent),
    /// a rejection, or the connection.
    #[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
    pub async fn idle(mut self) -> Result<Idle<S>, (Error, Self)> {
        if let Err(err) = requests::check_idle(self.core()) {
            return Err((err, self));
        }
        let tag = self.core().next_tag();
        let mut idle = sans_io::Idle::new(tag);
        let mut early = VecDeque::new();
        let started = self.start(&mut idle, &mut early).await;
        match started {
            Ok(()) => Ok(Idle {
                selected: self,
                idle,
                early,
            }),
            Err(err) => {
                self.core().conn.end_exchange();
                Err((err, self))
            }
        }
    }

    async fn start(
        &mut self,
        idle: &mut sans_io::Idle,
        early: &mut VecDeque<Untagged>,
    ) -> Result<(), Error> {
        let core = self.core();
        core.conn.begin_exchange()?;
        core.conn.send(Line::public(&idle.command_line())).await?;
        // An update may arrive before the `+` (RFC 2177 lets the server
        // send untagged data at any time).
        while !idle.is_idling() {
            let response = core.read_response().await?;
            match idle.receive(response)? {
                IdleEvent::Update(u) => {
                    core.absorb(&u);
                    early.push_back(u);
                }
                IdleEvent::Completed(t) => return Err(rejection("IDLE", t)),
                _ => {}
            }
        }
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Idle<S> {
    /// The next update (EXISTS, EXPUNGE, FETCH flags, ...), already folded
    /// into [`mailbox`](Self::mailbox). Read time-outs do not end it: the
    /// caller's own timer does (RFC 2177 asks to end IDLE within 29 minutes).
    ///
    /// Cancellation: cancel-safe. A dropped `next` loses no update: a line
    /// read halfway stays in the connection's buffer. (An update that
    /// carries a literal, which servers do not send during IDLE, is the
    /// exception: cancelled halfway through it, the client is broken.)
    ///
    /// # Errors
    /// A malformed or unexpected response, BYE, or the connection.
    pub async fn next(&mut self) -> Result<Untagged, Error> {
        if let Some(update) = self.early.pop_front() {
            return Ok(update);
        }
        let core = self.selected.core();
        loop {
            let Piece::Done(response) = core.advance(false, true).await? else {
                return Err(Error::Unexpected("a streamed literal during IDLE".into()));
            };
            if let IdleEvent::Update(u) = self.idle.receive(response)? {
                core.absorb(&u);
                return Ok(u);
            }
        }
    }

    /// The mailbox's state, current with every update read.
    pub fn mailbox(&self) -> &Mailbox {
        self.selected.mailbox()
    }

    /// Sends DONE, reads the tagged reply, and gives the client back.
    /// Updates not yet taken, and those that come before the reply, are
    /// kept with the unsolicited ones ([`Session::take_unsolicited`](super::Session::take_unsolicited)).
    ///
    /// Cancellation: dropping the future drops the client and closes the
    /// connection.
    ///
    /// # Errors
    /// A rejection, or the connection.
    pub async fn done(mut self) -> Result<Selected<S>, Error> {
        let core = self.selected.core();
        core.unsolicited.extend(self.early.drain(..));
        let result = async {
            core.conn.send(Line::public(self.idle.done())).await?;
            let mut updates = Vec::new();
            let finished = core.finish(self.idle.tag(), "IDLE", &mut updates).await;
            core.unsolicited.extend(updates);
            finished
        }
        .await;
        core.conn.end_exchange();
        result?;
        Ok(self.selected)
    }
}
