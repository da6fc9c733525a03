//! FETCH, all in memory or streamed: body sections go to a writer as they
//! arrive and never sit whole in memory.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use crate::error::Error;
use crate::exchange::{Core, Piece};
use crate::requests;
use crate::response::{Fetch, Tag};
use crate::sans_io::BodyContext;
use crate::sequence::SequenceSet;
use crate::Selected;

impl<S: Read + Write> Selected<S> {
    /// FETCH with items as written (`(FLAGS UID)`, `BODY.PEEK[]`), all in memory.
    ///
    /// # Errors
    /// Rejection, limits, the connection.
    pub fn fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        self.core().request(requests::fetch("FETCH", set, items)?)
    }

    /// UID FETCH, all in memory.
    ///
    /// # Errors
    /// As [`fetch`](Self::fetch).
    pub fn uid_fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        self.core()
            .request(requests::fetch("UID FETCH", set, items)?)
    }

    /// FETCH whose body sections stream: see [`FetchStream`].
    ///
    /// # Errors
    /// Sending the command.
    pub fn fetch_stream(
        &mut self,
        set: &SequenceSet,
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("FETCH", std::slice::from_ref(set), items)
    }

    /// UID FETCH over several sets, pipelined: every command is sent before
    /// the first answer is read; events come in order.
    ///
    /// # Errors
    /// Sending the commands.
    pub fn uid_fetch_stream(
        &mut self,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        self.stream_many("UID FETCH", sets, items)
    }

    fn stream_many(
        &mut self,
        verb: &'static str,
        sets: &[SequenceSet],
        items: &str,
    ) -> Result<FetchStream<'_, S>, Error> {
        let mut tags = VecDeque::new();
        let mut seen = Vec::new();
        for set in sets {
            let cmd = requests::fetch_command(verb, set, items)?;
            let tag = self.core().next_tag();
            self.core().queue_tagged(&tag, &cmd, &mut seen)?;
            tags.push_back(tag);
        }
        self.core().conn.flush()?;
        self.core().unsolicited.extend(seen);
        Ok(FetchStream::new(self.core(), tags, verb))
    }
}

/// A FETCH in progress, read one event at a time so body sections stream
/// to a writer and never sit whole in memory.
///
/// Read it until `next()` gives `None` or an error: a stream dropped halfway
/// leaves its responses on the wire, and the session is then out of step.
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

impl<S: Read + Write> BodyReader<'_, S> {
    /// Streams the section to `out`.
    ///
    /// # Errors
    /// Reading from the server, or writing to `out` (as [`mail_wire::Error::Io`]).
    pub fn copy_to(self, out: &mut dyn Write) -> Result<u64, Error> {
        self.core.copy_body(out)
    }
}

impl<'a, S: Read + Write> FetchStream<'a, S> {
    pub(crate) fn new(core: &'a mut Core<S>, tags: VecDeque<Tag>, command: &'static str) -> Self {
        FetchStream {
            core,
            tags,
            command,
        }
    }

    /// The next event, or `None` after the last command's OK.
    ///
    /// # Errors
    /// A NO/BAD completion, a broken response, or the connection.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<FetchEvent<'_, S>>, Error> {
        // A section not read by the caller is skipped.
        self.core.copy_body(&mut io::sink())?;
        loop {
            if self.tags.is_empty() {
                return Ok(None);
            }
            match self.core.advance(true)? {
                Piece::Body(context) => {
                    return Ok(Some(FetchEvent::Body(BodyReader {
                        core: self.core,
                        context,
                    })));
                }
                Piece::Done(response) => {
                    let fetch = requests::fetch_response(
                        self.core,
                        &mut self.tags,
                        self.command,
                        response,
                    )?;
                    if let Some(fetch) = fetch {
                        return Ok(Some(FetchEvent::Fetch(fetch)));
                    }
                }
            }
        }
    }
}
