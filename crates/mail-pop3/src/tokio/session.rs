//! `Session<S>` for tokio: the TRANSACTION state (RFC 1939 §5), the
//! blocking [`crate::Session`]'s methods, `async`, on the same core.

use std::future::Future;
use std::io;

use ::tokio::io::{AsyncRead, AsyncWrite};
use mail_wire::tokio::Connection;

use super::body::BodyReader;
use super::link::Link;
use crate::command::Command;
use crate::core::Window;
use crate::drive::{capa_outcome, capabilities, parse_lines};
use crate::error::Error;
use crate::raw::{closes, RawReply};
use crate::response::{
    parse_list_entry, parse_stat, parse_uidl, Capabilities, ListEntry, MsgNum, Reply, Stat, Uidl,
};

/// Where [`Session::retr_many`] puts each message: the async twin of
/// [`crate::MessageSink`].
pub trait MessageSink {
    /// The writer for one message (a file, say).
    type Writer: AsyncWrite + Unpin + Send;
    /// Called when a message's `+OK` arrived; its body follows.
    ///
    /// # Errors
    /// Stops the download with [`Error::Output`].
    fn open(&mut self, msg: MsgNum) -> impl Future<Output = io::Result<Self::Writer>> + Send;
    /// Called after the whole body of `msg` (`size` bytes) was written
    /// and the writer flushed.
    ///
    /// # Errors
    /// Stops the download with [`Error::Output`].
    fn finish(
        &mut self,
        msg: MsgNum,
        writer: Self::Writer,
        size: u64,
    ) -> impl Future<Output = io::Result<()>> + Send;
    /// Called instead of `finish` when the body could not be completed.
    fn abandon(&mut self, msg: MsgNum, writer: Self::Writer);
}

/// Authenticated (POP3 TRANSACTION state), over tokio.
///
/// # Cancellation
/// No method here is cancel-safe except where its documentation says so:
/// dropping a future after its command went out (or dropping a
/// [`BodyReader`] before the end of its body) leaves the connection
/// mid-exchange, and every later call fails at once with
/// [`WireError::Abandoned`](crate::WireError::Abandoned) (`is_wire()`);
/// nothing more is sent. Drop the session and reconnect; messages marked
/// with `DELE` stay on the server, since only a completed `QUIT` removes
/// them (RFC 1939 §6).
#[derive(Debug)]
pub struct Session<S> {
    link: Link<S>,
    capabilities: Option<Capabilities>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
    pub(crate) fn new(link: Link<S>, capabilities: Option<Capabilities>) -> Self {
        Session { link, capabilities }
    }

    /// The capabilities learnt before login, if CAPA was asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// The connection (to change the transcript, limits or time-outs).
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.link.conn
    }

    /// Whether message bodies appear line by line in the transcript (the
    /// default) or as one `<message: N bytes>` note.
    pub fn set_body_echo(&mut self, echo: bool) {
        self.link.echo_bodies = echo;
    }

    fn pipelining(&self) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(Capabilities::pipelining)
    }

    /// Sends one command and reads its status line, as one exchange.
    async fn simple(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.link.begin()?;
        let result = self.link.command(command).await;
        self.link.end(result)
    }

    /// Sends one command and reads its listing, as one exchange.
    async fn listing(&mut self, command: &Command<'_>) -> Result<Vec<Vec<u8>>, Error> {
        self.link.begin()?;
        let result = async {
            self.link.command(command).await?;
            self.link.read_listing().await
        }
        .await;
        self.link.end(result)
    }

    /// Asks `CAPA` again (servers may list more after login, RFC 2449 §5).
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// Wire and protocol errors.
    pub async fn capa(&mut self) -> Result<&Capabilities, Error> {
        let lines = capa_outcome(self.listing(&Command::Capa).await)?;
        Ok(self.capabilities.insert(capabilities(lines.as_deref())))
    }

    /// `STAT`: message count and total size. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub async fn stat(&mut self) -> Result<Stat, Error> {
        let reply = self.simple(&Command::Stat).await?;
        Ok(parse_stat(&reply.text)?)
    }

    /// `LIST`: every message and its size. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub async fn list(&mut self) -> Result<Vec<ListEntry>, Error> {
        parse_lines(&self.listing(&Command::List(None)).await?, parse_list_entry)
    }

    /// `LIST n`: one message's size. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] for no such message; protocol and wire errors.
    pub async fn list_one(&mut self, msg: MsgNum) -> Result<ListEntry, Error> {
        let reply = self.simple(&Command::List(Some(msg))).await?;
        Ok(parse_list_entry(reply.text.as_bytes())?)
    }

    /// `UIDL`: every message's unique id. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub async fn uidl(&mut self) -> Result<Vec<Uidl>, Error> {
        parse_lines(&self.listing(&Command::Uidl(None)).await?, parse_uidl)
    }

    /// `UIDL n`: one message's unique id. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] for no such message; protocol and wire errors.
    pub async fn uidl_one(&mut self, msg: MsgNum) -> Result<Uidl, Error> {
        let reply = self.simple(&Command::Uidl(Some(msg))).await?;
        Ok(parse_uidl(reply.text.as_bytes())?)
    }

    /// `RETR n`: streams the message, unstuffed, to `out` (flushed at the
    /// end); returns its size. At most 64 KB of it is in memory at once.
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`]; [`Error::Output`] when `out` fails; a limit or
    /// wire error (the message may then be partly written).
    pub async fn retr<W>(&mut self, msg: MsgNum, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.body_into(&Command::Retr(msg), out).await
    }

    /// `TOP n lines`: the headers and the first `lines` body lines, to
    /// `out`. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// As [`retr`](Self::retr).
    pub async fn top<W>(&mut self, msg: MsgNum, lines: u32, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.body_into(&Command::Top(msg, lines), out).await
    }

    async fn body_into<W>(&mut self, command: &Command<'_>, out: &mut W) -> Result<u64, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        self.link.begin()?;
        let result = async {
            self.link.command(command).await?;
            self.link.read_body(out).await
        }
        .await;
        self.link.end(result)
    }

    /// `RETR n`, with the message as an [`AsyncRead`] that borrows the
    /// session and unstuffs as it is read: nothing but the bytes asked
    /// for so far (and a 64 KB window) is held in memory.
    ///
    /// Read it to its end (a read of 0 bytes) or call
    /// [`BodyReader::finish`]; dropping it earlier leaves the session
    /// broken (later calls fail with `Abandoned`).
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] (the session stays usable); wire errors.
    pub async fn retr_reader(&mut self, msg: MsgNum) -> Result<BodyReader<'_, S>, Error> {
        self.body_reader(&Command::Retr(msg)).await
    }

    /// `TOP n lines` as an [`AsyncRead`]; as [`retr_reader`](Self::retr_reader).
    /// Not cancel-safe, and the reader must be read to its end or
    /// [finished](BodyReader::finish), as there.
    ///
    /// # Errors
    /// As [`retr_reader`](Self::retr_reader).
    pub async fn top_reader(
        &mut self,
        msg: MsgNum,
        lines: u32,
    ) -> Result<BodyReader<'_, S>, Error> {
        self.body_reader(&Command::Top(msg, lines)).await
    }

    async fn body_reader(&mut self, command: &Command<'_>) -> Result<BodyReader<'_, S>, Error> {
        self.link.begin()?;
        if let Err(err) = self.link.command(command).await {
            return self.link.end(Err(err));
        }
        Ok(BodyReader::new(&mut self.link))
    }

    /// Retrieves several messages, pipelined when the server offers
    /// PIPELINING (RFC 2449 §6.6), one after the other otherwise; see the
    /// blocking [`Session::retr_many`](crate::Session::retr_many).
    /// Not cancel-safe (see [`Session`]): after a dropped future, the
    /// messages the sink finished are complete, the one it was writing
    /// is neither finished nor abandoned.
    ///
    /// # Errors
    /// [`Error::Output`] when the sink fails, wire and protocol errors. On
    /// any error the message being read is abandoned; those finished before
    /// are kept by the sink.
    pub async fn retr_many<K: MessageSink + Send>(
        &mut self,
        msgs: &[MsgNum],
        sink: &mut K,
    ) -> Result<Vec<(MsgNum, Reply)>, Error> {
        self.link.begin()?;
        let pipelining = self.pipelining();
        let result = retr_many(&mut self.link, pipelining, msgs, sink).await;
        self.link.end(result)
    }

    /// `DELE` for several messages, pipelined when offered. They are removed
    /// only when [`quit`](Self::quit) succeeds (RFC 1939 §6).
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// The first [`Error::Rejected`] after every reply was read; wire errors.
    pub async fn dele_many(&mut self, msgs: &[MsgNum]) -> Result<(), Error> {
        self.link.begin()?;
        let pipelining = self.pipelining();
        let result = dele_many(&mut self.link, pipelining, msgs).await;
        self.link.end(result)
    }

    /// `DELE n`: marks a message deleted (removed at QUIT).
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Rejected`] (no such message, already deleted); wire errors.
    pub async fn dele(&mut self, msg: MsgNum) -> Result<(), Error> {
        self.simple(&Command::Dele(msg)).await.map(drop)
    }

    /// `NOOP`. Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// Wire errors; `-ERR`.
    pub async fn noop(&mut self) -> Result<(), Error> {
        self.simple(&Command::Noop).await.map(drop)
    }

    /// `RSET`: unmarks every message marked deleted.
    /// Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// Wire errors; `-ERR`.
    pub async fn rset(&mut self) -> Result<(), Error> {
        self.simple(&Command::Rset).await.map(drop)
    }

    /// Console mode: sends `line` as typed (CRLF added) and reads the
    /// complete reply; a multi-line body is streamed to `out`. A `-ERR` is
    /// a normal [`RawReply`] here, not an error; credentials typed are
    /// masked in the transcript. See the blocking
    /// [`Session::raw`](crate::Session::raw). Not cancel-safe (see [`Session`]).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty line or CR/LF/NUL in it (nothing is
    /// sent); protocol and wire errors.
    pub async fn raw<W>(&mut self, line: &str, out: &mut W) -> Result<RawReply, Error>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let was_sasl = self.link.core.awaiting_sasl_response();
        self.link.begin()?;
        let result = async {
            self.link.queue_raw(line).await?;
            self.link.conn.flush().await?;
            let reply = self.link.read_reply().await?;
            let body_size = if self.link.core.in_body() {
                Some(self.link.read_body(out).await?)
            } else {
                None
            };
            Ok((reply, body_size))
        }
        .await;
        let (reply, body_size) = self.link.end(result)?;
        Ok(RawReply {
            reply,
            body_size,
            closed: closes(line, was_sasl),
        })
    }

    /// `QUIT`: enters UPDATE; deletions are committed when this succeeds.
    /// Dropping the future drops the session: whether the server saw the
    /// QUIT (and removed the messages) is then unknown.
    ///
    /// # Errors
    /// [`Error::Rejected`] when the server could not remove the messages
    /// (RFC 1939 §6); wire errors.
    pub async fn quit(mut self) -> Result<Reply, Error> {
        self.simple(&Command::Quit).await
    }
}

/// Sends `make(msg)` for the commands the window says are due, then flushes.
async fn send_due<S: AsyncRead + AsyncWrite + Unpin + Send>(
    link: &mut Link<S>,
    window: &mut Window,
    done: usize,
    msgs: &[MsgNum],
    make: fn(MsgNum) -> Command<'static>,
) -> Result<(), Error> {
    let due = window.refill(done);
    if due.is_empty() {
        return Ok(());
    }
    for &next in msgs.get(due).unwrap_or_default() {
        link.queue(&make(next)).await?;
    }
    Ok(link.conn.flush().await?)
}

async fn retr_many<S, K>(
    link: &mut Link<S>,
    pipelining: bool,
    msgs: &[MsgNum],
    sink: &mut K,
) -> Result<Vec<(MsgNum, Reply)>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
    K: MessageSink + Send,
{
    let mut rejected = Vec::new();
    let mut window = Window::new(msgs.len(), pipelining);
    for (done, &msg) in msgs.iter().enumerate() {
        send_due(link, &mut window, done, msgs, Command::Retr).await?;
        match link.expect_ok().await {
            Ok(_) => {}
            Err(Error::Rejected { reply, .. }) => {
                rejected.push((msg, reply));
                continue;
            }
            Err(err) => return Err(err),
        }
        let mut writer = sink.open(msg).await.map_err(Error::Output)?;
        match link.read_body(&mut writer).await {
            Ok(size) => sink
                .finish(msg, writer, size)
                .await
                .map_err(Error::Output)?,
            Err(err) => {
                sink.abandon(msg, writer);
                return Err(err);
            }
        }
    }
    Ok(rejected)
}

async fn dele_many<S: AsyncRead + AsyncWrite + Unpin + Send>(
    link: &mut Link<S>,
    pipelining: bool,
    msgs: &[MsgNum],
) -> Result<(), Error> {
    let mut first_rejection = None;
    let mut window = Window::new(msgs.len(), pipelining);
    for done in 0..msgs.len() {
        send_due(link, &mut window, done, msgs, Command::Dele).await?;
        match link.expect_ok().await {
            Ok(_) => {}
            Err(err @ Error::Rejected { .. }) => {
                first_rejection.get_or_insert(err);
            }
            Err(err) => return Err(err),
        }
    }
    first_rejection.map_or(Ok(()), Err)
}
