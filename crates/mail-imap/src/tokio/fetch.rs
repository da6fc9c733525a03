//! FETCH, all in memory or streamed: body sections go to an `AsyncWrite`
//! as they arrive and never sit whole in memory.

use std::collections::VecDeque;

use tokio::io::{AsyncRead, AsyncWrite};

use super::exchange::{Core, Piece};
use super::Selected;
use crate::error::Error;
use crate::requests;
use crate::response::{Fetch, Tag};
use crate::sans_io::BodyContext;
use crate::sequence::SequenceSet;

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Selected<S> {
    /// FETCH with items as written (`(FLAGS UID)`, `BODY.PEEK[]`), all in memory.
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Rejection, limits, the connection.
    pub async fn fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        let request = requests::fetch("FETCH", set, items)?;
        self.core().request(request).await
    }

    /// UID FETCH, all in memory.
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch).
    pub async fn uid_fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        let request = requests::fetch("UID FETCH", set, items)?;
        self.core().request(request).await
    }

    /// FETCH whose body sections stream: see [`FetchStream`].
    ///
    /// Cancellation: not cancel-safe; neither is dropping the stream before
    /// [`FetchStream::next`] gave `None` or an error: the client is then
    /// broken (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Sending the command.
    pub async fn fetch_stream(
        &mut self,
        set: &SequenceSet,
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("FETCH", std::slice::from_ref(set), items)
            .await
    }

    /// UID FETCH over several sets, pipelined: every command is sent before
    /// the first answer is read; events come in order.
    ///
    /// Cancellation: as [`fetch_stream`](Self::fetch_stream).
    ///
    /// # Errors
    /// Sending the commands.
    pub async fn uid_fetch_stream(
        &mut self,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("UID FETCH", sets, items).await
    }

    async fn stream_many(
        &mut self,
        verb: &'static str,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        let commands = sets
            .iter()
            .map(|set| requests::fetch_command(verb, set, items))
            .collect::<Result<Vec<_>, _>>()?;
        let core = self.core();
        // The exchange ends when the stream has read its last completion.
        core.conn.begin_exchange()?;
        let mut tags = VecDeque::new();
        let mut seen = Vec::new();
        let sent = async {
            for cmd in &commands {
                let tag = core.next_tag();
                core.queue_tagged(&tag, cmd, &mut seen).await?;
                tags.push_back(tag);
            }
            core.conn.flush().await.map_err(Error::from)
        }
        .await;
        core.unsolicited.extend(seen);
        if let Err(err) = sent {
            core.conn.end_exchange();
            return Err(err);
        }
        Ok(FetchStream {
            core,
            tags,
            command: verb,
        })
    }
}

/// A FETCH in progress, read one event at a time so body sections stream
/// to a writer and never sit whole in memory: the async twin of
/// [`crate::FetchStream`].
///
/// Read it until [`next`](Self::next) gives `None` or an error; a stream
/// dropped before that leaves the client broken (its responses are still
/// on the wire), and every later call returns
/// [`WireError::Abandoned`](crate::WireError::Abandoned).
pub struct FetchStream<'a, S> {
    core: &'a mut Core<S>,
    tags: VecDeque<Tag>,
    command: &'static str,
}

/// One event of a [`FetchStream`].
pub enum FetchEvent<'s, S> {
    /// A body section is next on the wire: read it with [`BodyReader::copy_to`]
    /// (or skip it by asking for the next event).
    Body(BodyReader<'s, S>),
    /// A FETCH response is complete (streamed sections show as
    /// [`NString::Streamed`](crate::response::NString::Streamed)).
    Fetch(Fetch),
}

/// A body literal waiting on the wire.
pub struct BodyReader<'s, S> {
    core: &'s mut Core<S>,
    /// Where it belongs.
    pub context: BodyContext,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> BodyReader<'_, S> {
    /// Streams the section to `out`, a piece at a time.
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// Reading from the server, or writing to `out` (as [`mail_wire::Error::Io`]).
    pub async fn copy_to<W>(self, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.core.copy_body(out).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> FetchStream<'_, S> {
    /// The next event, or `None` after the last command's OK.
    ///
    /// Cancellation: not cancel-safe (see [the module docs](super#cancellation)).
    ///
    /// # Errors
    /// A NO/BAD completion, a broken response, or the connection.
    pub async fn next(&mut self) -> Result<Option<FetchEvent<'_, S>>, Error> {
        let result = self.step().await;
        if !matches!(result, Ok(Some(_))) {
            self.core.conn.end_exchange();
        }
        match result? {
            Some(Step::Body(context)) => Ok(Some(FetchEvent::Body(BodyReader {
                core: self.core,
                context,
            }))),
            Some(Step::Fetch(fetch)) => Ok(Some(FetchEvent::Fetch(fetch))),
            None => Ok(None),
        }
    }

    async fn step(&mut self) -> Result<Option<Step>, Error> {
        // A section not read by the caller is skipped.
        self.core.copy_body(&mut tokio::io::sink()).await?;
        loop {
            if self.tags.is_empty() {
                return Ok(None);
            }
            match self.core.advance(true, false).await? {
                Piece::Body(context) => return Ok(Some(Step::Body(context))),
                Piece::Done(response) => {
                    let fetch = requests::fetch_response(
                        self.core,
                        &mut self.tags,
                        self.command,
                        response,
                    )?;
                    if let Some(fetch) = fetch {
                        return Ok(Some(Step::Fetch(fetch)));
                    }
                }
            }
        }
    }
}

enum Step {
    Body(BodyContext),
    Fetch(Fetch),
}
