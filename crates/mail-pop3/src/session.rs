//! `Session<S>`: the TRANSACTION state (RFC 1939 §5): STAT, LIST, RETR, TOP,
//! UIDL, DELE, NOOP, RSET, and QUIT, which enters UPDATE and commits DELE.

use std::io::{self, Read, Write};

use mail_wire::Connection;

use crate::command::Command;
use crate::core::Window;
use crate::drive::{capa_outcome, capabilities};
use crate::error::Error;
use crate::link::Link;
use crate::response::{
    parse_list_entry, parse_stat, parse_uidl, Capabilities, ListEntry, MsgNum, Reply, Stat, Uidl,
};

/// Where [`Session::retr_many`] puts each message.
pub trait MessageSink {
    /// The writer for one message (a file, say).
    type Writer: Write;
    /// Called when a message's `+OK` arrived; its body follows.
    ///
    /// # Errors
    /// Stops the download with [`Error::Output`].
    fn open(&mut self, msg: MsgNum) -> io::Result<Self::Writer>;
    /// Called after the whole body of `msg` (`size` bytes) was written.
    ///
    /// # Errors
    /// Stops the download with [`Error::Output`].
    fn finish(&mut self, msg: MsgNum, writer: Self::Writer, size: u64) -> io::Result<()>;
    /// Called instead of `finish` when the body could not be completed.
    fn abandon(&mut self, msg: MsgNum, writer: Self::Writer);
}

/// Authenticated (POP3 TRANSACTION state).
#[derive(Debug)]
pub struct Session<S> {
    pub(crate) link: Link<S>,
    capabilities: Option<Capabilities>,
}

impl<S: Read + Write> Session<S> {
    pub(crate) fn new(link: Link<S>, capabilities: Option<Capabilities>) -> Self {
        Session { link, capabilities }
    }

    /// The capabilities learnt before login, if CAPA was asked.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.capabilities.as_ref()
    }

    /// Asks `CAPA` again (servers may list more after login, RFC 2449 §5).
    ///
    /// # Errors
    /// Wire and protocol errors.
    pub fn capa(&mut self) -> Result<&Capabilities, Error> {
        let lines = capa_outcome(self.link.listing(&Command::Capa))?;
        Ok(self.capabilities.insert(capabilities(lines.as_deref())))
    }

    /// The connection (to change the transcript or limits).
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

    /// `STAT`: message count and total size.
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub fn stat(&mut self) -> Result<Stat, Error> {
        let reply = self.link.command(&Command::Stat)?;
        Ok(parse_stat(&reply.text)?)
    }

    /// `LIST`: every message and its size.
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub fn list(&mut self) -> Result<Vec<ListEntry>, Error> {
        let mut entries = Vec::new();
        self.list_each(|entry| entries.push(entry))?;
        Ok(entries)
    }

    /// `LIST`, each entry handed to `each` as its line arrives (nothing
    /// kept: for very large maildrops).
    ///
    /// # Errors
    /// As [`list`](Self::list); after a bad line the listing is still read
    /// to its end, so the session stays usable.
    pub fn list_each(&mut self, mut each: impl FnMut(ListEntry)) -> Result<(), Error> {
        self.link.command(&Command::List(None))?;
        self.link.read_listing_each(&mut |line| {
            parse_list_entry(line).map(&mut each).map_err(Error::from)
        })
    }

    /// `LIST n`: one message's size.
    ///
    /// # Errors
    /// [`Error::Rejected`] for no such message; protocol and wire errors.
    pub fn list_one(&mut self, msg: MsgNum) -> Result<ListEntry, Error> {
        let reply = self.link.command(&Command::List(Some(msg)))?;
        Ok(parse_list_entry(reply.text.as_bytes())?)
    }

    /// `UIDL`: every message's unique id.
    ///
    /// # Errors
    /// [`Error::Rejected`], protocol and wire errors.
    pub fn uidl(&mut self) -> Result<Vec<Uidl>, Error> {
        let mut entries = Vec::new();
        self.uidl_each(|entry| entries.push(entry))?;
        Ok(entries)
    }

    /// `UIDL`, each message's id handed to `each` as its line arrives
    /// (nothing kept: for very large maildrops).
    ///
    /// # Errors
    /// As [`uidl`](Self::uidl); after a bad line the listing is still read
    /// to its end, so the session stays usable.
    pub fn uidl_each(&mut self, mut each: impl FnMut(Uidl)) -> Result<(), Error> {
        self.link.command(&Command::Uidl(None))?;
        self.link
            .read_listing_each(&mut |line| parse_uidl(line).map(&mut each).map_err(Error::from))
    }

    /// `UIDL n`: one message's unique id.
    ///
    /// # Errors
    /// [`Error::Rejected`] for no such message; protocol and wire errors.
    pub fn uidl_one(&mut self, msg: MsgNum) -> Result<Uidl, Error> {
        let reply = self.link.command(&Command::Uidl(Some(msg)))?;
        Ok(parse_uidl(reply.text.as_bytes())?)
    }

    /// `RETR n`: streams the message, unstuffed, to `out`; returns its size.
    ///
    /// # Errors
    /// [`Error::Rejected`]; [`Error::Output`] when `out` fails; a limit or
    /// wire error (the message may then be partly written).
    pub fn retr(&mut self, msg: MsgNum, out: &mut dyn Write) -> Result<u64, Error> {
        self.link.command(&Command::Retr(msg))?;
        self.link.read_body(out)
    }

    /// `TOP n lines`: the headers and the first `lines` body lines, to `out`.
    ///
    /// # Errors
    /// As [`retr`](Self::retr).
    pub fn top(&mut self, msg: MsgNum, lines: u32, out: &mut dyn Write) -> Result<u64, Error> {
        self.link.command(&Command::Top(msg, lines))?;
        self.link.read_body(out)
    }

    /// Retrieves several messages, pipelined when the server offers
    /// PIPELINING (RFC 2449 §6.6), one after the other otherwise. Each
    /// message is streamed into a writer from `sink`. A message the server
    /// refuses is skipped and reported in the returned list; the others
    /// still arrive.
    ///
    /// # Errors
    /// [`Error::Output`] when the sink fails, wire and protocol errors. On
    /// any error the message being read is abandoned; those finished before
    /// are kept by the sink.
    pub fn retr_many<K: MessageSink>(
        &mut self,
        msgs: &[MsgNum],
        sink: &mut K,
    ) -> Result<Vec<(MsgNum, Reply)>, Error> {
        let mut rejected = Vec::new();
        self.pipelined(msgs, Command::Retr, |link, msg, reply| {
            let reply = match reply {
                Ok(reply) => reply,
                Err(Error::Rejected { reply, .. }) => {
                    rejected.push((msg, reply));
                    return Ok(());
                }
                Err(err) => return Err(err),
            };
            drop(reply);
            let mut writer = sink.open(msg).map_err(Error::Output)?;
            match link.read_body(&mut writer) {
                Ok(size) => sink.finish(msg, writer, size).map_err(Error::Output),
                Err(err) => {
                    sink.abandon(msg, writer);
                    Err(err)
                }
            }
        })?;
        Ok(rejected)
    }

    /// `DELE` for several messages, pipelined when offered. They are removed
    /// only when [`quit`](Self::quit) succeeds (RFC 1939 §6).
    ///
    /// # Errors
    /// The first [`Error::Rejected`] after every reply was read; wire errors.
    pub fn dele_many(&mut self, msgs: &[MsgNum]) -> Result<(), Error> {
        let mut first_rejection = None;
        self.pipelined(msgs, Command::Dele, |_, _, reply| match reply {
            Ok(_) => Ok(()),
            Err(err @ Error::Rejected { .. }) => {
                first_rejection.get_or_insert(err);
                Ok(())
            }
            Err(err) => Err(err),
        })?;
        first_rejection.map_or(Ok(()), Err)
    }

    /// Sends `make(msg)` for every message, keeping up to a window of
    /// commands in flight, and hands each status line to `each` in order.
    fn pipelined(
        &mut self,
        msgs: &[MsgNum],
        make: impl Fn(MsgNum) -> Command<'static>,
        mut each: impl FnMut(&mut Link<S>, MsgNum, Result<Reply, Error>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut window = Window::new(msgs.len(), self.pipelining());
        for (done, &msg) in msgs.iter().enumerate() {
            let due = window.refill(done);
            if !due.is_empty() {
                for &next in msgs.get(due).unwrap_or_default() {
                    self.link.queue(&make(next))?;
                }
                self.link.conn.flush()?;
            }
            let reply = match self.link.expect_ok() {
                Err(err) if !matches!(err, Error::Rejected { .. }) => return Err(err),
                other => other,
            };
            each(&mut self.link, msg, reply)?;
        }
        Ok(())
    }

    /// `DELE n`: marks a message deleted (removed at QUIT).
    ///
    /// # Errors
    /// [`Error::Rejected`] (no such message, already deleted); wire errors.
    pub fn dele(&mut self, msg: MsgNum) -> Result<(), Error> {
        self.link.command(&Command::Dele(msg)).map(drop)
    }

    /// `NOOP`.
    ///
    /// # Errors
    /// Wire errors; `-ERR`.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.link.command(&Command::Noop).map(drop)
    }

    /// `RSET`: unmarks every message marked deleted.
    ///
    /// # Errors
    /// Wire errors; `-ERR`.
    pub fn rset(&mut self) -> Result<(), Error> {
        self.link.command(&Command::Rset).map(drop)
    }

    /// `QUIT`: enters UPDATE; deletions are committed when this succeeds.
    ///
    /// # Errors
    /// [`Error::Rejected`] when the server could not remove the messages
    /// (RFC 1939 §6); wire errors.
    pub fn quit(mut self) -> Result<Reply, Error> {
        self.link.command(&Command::Quit)
    }
}

// Tested against scripted servers, together with the async client, in
// tests/scripted.rs.
