//! `Session<S>`: the TRANSACTION state (RFC 1939 §5): STAT, LIST, RETR, TOP,
//! UIDL, DELE, NOOP, RSET, and QUIT, which enters UPDATE and commits DELE.

use std::io::{self, Read, Write};

use mail_wire::Connection;

use crate::command::Command;
use crate::error::Error;
use crate::link::Link;
use crate::response::{
    parse_list_entry, parse_stat, parse_uidl, Capabilities, ListEntry, MsgNum, Reply, Stat, Uidl,
};

/// Commands in flight at once when the server offers PIPELINING. Small
/// enough that our commands always fit the socket buffers (no deadlock
/// while we write and the server waits for us to read), large enough to
/// keep the server busy.
const PIPELINE_WINDOW: usize = 128;

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
        let caps = match self.link.command(&Command::Capa) {
            Ok(_) => Capabilities::from_lines(self.link.read_listing()?.iter().map(Vec::as_slice)),
            Err(Error::Rejected { .. }) => Capabilities::default(),
            Err(err) => return Err(err),
        };
        Ok(self.capabilities.insert(caps))
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
        let window = if self.pipelining() {
            PIPELINE_WINDOW
        } else {
            1
        };
        let mut sent = 0;
        for (done, &msg) in msgs.iter().enumerate() {
            if sent == done || (sent < msgs.len() && sent - done <= window / 2) {
                while sent < msgs.len() && sent - done < window {
                    if let Some(&next) = msgs.get(sent) {
                        self.link.queue(&make(next))?;
                    }
                    sent += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Limits, Recording, Secret};

    const LOGIN: &str = "S: +OK ready\nC: CAPA\nS: +OK\nS: PIPELINING\nS: UIDL\nS: .\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n";
    const LOGIN_NO_PIPELINING: &str = "S: +OK ready\nC: CAPA\nS: +OK\nS: UIDL\nS: .\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n";

    fn session_from(stream: ScriptedStream) -> (Session<ScriptedStream>, Recording) {
        let mut conn = Connection::new(stream, Limits::default());
        let rec = Recording::new();
        conn.set_transcript(Some(Box::new(rec.clone())));
        let mut client = Client::new(conn).unwrap();
        client.capa().unwrap();
        (
            client
                .login("a", &Secret::new("pw"))
                .map_err(|(e, _)| e)
                .unwrap(),
            rec,
        )
    }

    fn session(script: &str) -> (Session<ScriptedStream>, ScriptedStream, Recording) {
        let stream = ScriptedStream::from_transcript(script);
        let (session, rec) = session_from(stream.clone());
        (session, stream, rec)
    }

    #[test]
    fn stat_list_uidl_are_typed() {
        let script = format!(
            "{LOGIN}C: STAT\nS: +OK 2 320\nC: LIST\nS: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\n\
             C: LIST 2\nS: +OK 2 200\nC: UIDL\nS: +OK\nS: 1 whqtswO00WBw418f9t5JxYwZ\nS: 2 QhdPYR:00WBw1Ph7x7\nS: .\n\
             C: UIDL 1\nS: +OK 1 whqtswO00WBw418f9t5JxYwZ\nC: NOOP\nS: +OK\nC: RSET\nS: +OK\nC: QUIT\nS: +OK bye\n"
        );
        let (mut s, stream, _) = session(&script);
        assert_eq!(
            s.stat().unwrap(),
            Stat {
                count: 2,
                size: 320
            }
        );
        let list = s.list().unwrap();
        assert_eq!(
            list,
            [
                ListEntry {
                    msg: MsgNum(1),
                    size: 120
                },
                ListEntry {
                    msg: MsgNum(2),
                    size: 200
                }
            ]
        );
        assert_eq!(s.list_one(MsgNum(2)).unwrap().size, 200);
        let uidl = s.uidl().unwrap();
        assert_eq!(uidl[1].uid, "QhdPYR:00WBw1Ph7x7");
        assert_eq!(
            s.uidl_one(MsgNum(1)).unwrap().uid,
            "whqtswO00WBw418f9t5JxYwZ"
        );
        s.noop().unwrap();
        s.rset().unwrap();
        assert_eq!(s.quit().unwrap().text, "bye");
        stream.assert_done();
    }

    #[test]
    fn retr_unstuffs_and_rejection_keeps_the_servers_text() {
        let script = format!(
            "{LOGIN}C: RETR 1\nS: +OK 10 octets\nS: ..dot\nS: body\nS: .\nC: RETR 9\nS: -ERR no such message\n\
             C: TOP 1 0\nS: +OK\nS: Subject: x\nS: \nS: .\n"
        );
        let (mut s, stream, _) = session(&script);
        let mut out = Vec::new();
        assert_eq!(s.retr(MsgNum(1), &mut out).unwrap(), 12);
        assert_eq!(out, b".dot\r\nbody\r\n");
        let err = s.retr(MsgNum(9), &mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "server rejected RETR: -ERR no such message"
        );
        let mut head = Vec::new();
        s.top(MsgNum(1), 0, &mut head).unwrap();
        assert_eq!(head, b"Subject: x\r\n\r\n");
        stream.assert_done();
    }

    #[test]
    fn malformed_listing_lines_are_protocol_errors() {
        let script = format!("{LOGIN}C: LIST\nS: +OK\nS: one 120\nS: .\n");
        let (mut s, _, _) = session(&script);
        assert!(matches!(s.list(), Err(Error::Protocol(_))));
    }

    #[derive(Default)]
    struct Memory {
        done: Vec<(MsgNum, Vec<u8>)>,
        abandoned: Vec<MsgNum>,
    }

    impl MessageSink for Memory {
        type Writer = Vec<u8>;
        fn open(&mut self, _: MsgNum) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, size: u64) -> io::Result<()> {
            assert_eq!(writer.len() as u64, size);
            self.done.push((msg, writer));
            Ok(())
        }
        fn abandon(&mut self, msg: MsgNum, _: Vec<u8>) {
            self.abandoned.push(msg);
        }
    }

    #[test]
    fn retr_many_pipelines_all_commands_before_reading() {
        let script = format!(
            "{LOGIN}C: RETR 1\nC: RETR 2\nC: RETR 3\nS: +OK\nS: one\nS: .\nS: -ERR gone\nS: +OK\nS: ..three\nS: .\n"
        );
        let (mut s, stream, _) = session(&script);
        let mut sink = Memory::default();
        let rejected = s
            .retr_many(&[MsgNum(1), MsgNum(2), MsgNum(3)], &mut sink)
            .unwrap();
        assert_eq!(
            sink.done,
            [
                (MsgNum(1), b"one\r\n".to_vec()),
                (MsgNum(3), b".three\r\n".to_vec())
            ]
        );
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].0, MsgNum(2));
        stream.assert_done();
    }

    #[test]
    fn retr_many_without_pipelining_goes_in_lock_step() {
        let script = format!("{LOGIN_NO_PIPELINING}C: RETR 1\nS: +OK\nS: one\nS: .\nC: RETR 2\nS: +OK\nS: two\nS: .\n");
        let (mut s, stream, _) = session(&script);
        let mut sink = Memory::default();
        s.retr_many(&[MsgNum(1), MsgNum(2)], &mut sink).unwrap();
        assert_eq!(sink.done.len(), 2);
        stream.assert_done();
    }

    #[test]
    fn retr_many_keeps_a_window_of_commands_in_flight() {
        let n = 300u32;
        let mut script = String::from(LOGIN);
        // The first window goes out at once; afterwards each refill is sent
        // when half the window has been answered.
        let mut sent = 0u32;
        let mut done = 0u32;
        let window = PIPELINE_WINDOW as u32;
        while done < n {
            if sent == done || (sent < n && sent - done <= window / 2) {
                while sent < n && sent - done < window {
                    sent += 1;
                    script.push_str(&format!("C: RETR {sent}\n"));
                }
            }
            done += 1;
            script.push_str(&format!("S: +OK\nS: message {done}\nS: .\n"));
        }
        let (mut s, stream, _) = session(&script);
        let msgs: Vec<MsgNum> = (1..=n).map(MsgNum).collect();
        let mut sink = Memory::default();
        s.retr_many(&msgs, &mut sink).unwrap();
        assert_eq!(sink.done.len(), n as usize);
        assert_eq!(sink.done[299].1, b"message 300\r\n");
        stream.assert_done();
    }

    #[test]
    fn a_connection_dropping_mid_message_abandons_only_that_message() {
        let script = format!("{LOGIN}C: RETR 1\nC: RETR 2\n");
        let stream = ScriptedStream::from_transcript(&script)
            .then_serve(b"+OK\r\none\r\n.\r\n+OK\r\nhalf of tw");
        let (mut s, _) = session_from(stream);
        let mut sink = Memory::default();
        let err = s.retr_many(&[MsgNum(1), MsgNum(2)], &mut sink).unwrap_err();
        assert!(
            matches!(err, Error::Wire(mail_wire::Error::Closed)),
            "{err}"
        );
        assert_eq!(sink.done.len(), 1);
        assert_eq!(sink.abandoned, [MsgNum(2)]);
    }

    #[test]
    fn replies_split_into_single_bytes_still_parse() {
        let script = format!("{LOGIN}C: STAT\nS: +OK 1 5\nC: RETR 1\nS: +OK\nS: ..a\nS: .\n");
        let (mut s, _) = session_from(ScriptedStream::from_transcript(&script).one_byte_reads());
        assert_eq!(s.stat().unwrap().count, 1);
        let mut out = Vec::new();
        s.retr(MsgNum(1), &mut out).unwrap();
        assert_eq!(out, b".a\r\n");
    }

    #[test]
    fn a_body_that_never_ends_times_out() {
        let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: line\n");
        let served: usize = script
            .lines()
            .filter_map(|l| l.strip_prefix("S: "))
            .map(|t| t.len() + 2)
            .sum();
        let stream = ScriptedStream::from_transcript(&script)
            .error_kind_after(served, io::ErrorKind::WouldBlock);
        let (mut s, _) = session_from(stream);
        let mut out = Vec::new();
        let err = s.retr(MsgNum(1), &mut out).unwrap_err();
        assert!(
            matches!(err, Error::Wire(mail_wire::Error::Timeout)),
            "{err}"
        );
        assert_eq!(out, b"line\r\n");
    }

    #[test]
    fn body_echo_off_shows_one_note() {
        let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: secret body\nS: .\n");
        let (mut s, _, rec) = session(&script);
        s.set_body_echo(false);
        s.retr(MsgNum(1), &mut Vec::new()).unwrap();
        let lines = rec.lines();
        assert!(!lines.iter().any(|l| l.contains("secret body")));
        assert_eq!(
            &lines[lines.len() - 3..],
            ["S: +OK", "S: <message: 13 bytes>", "S: ."]
        );
    }

    #[test]
    fn dele_many_reports_a_rejection_after_reading_all_replies() {
        let script = format!(
            "{LOGIN}C: DELE 1\nC: DELE 2\nS: -ERR already deleted\nS: +OK\nC: QUIT\nS: +OK\n"
        );
        let (mut s, stream, _) = session(&script);
        let err = s.dele_many(&[MsgNum(1), MsgNum(2)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "server rejected DELE: -ERR already deleted"
        );
        s.quit().unwrap();
        stream.assert_done();
    }
    #[test]
    fn every_prefix_of_a_listing_is_closed_never_a_wrong_answer() {
        let reply = "S: +OK 2 messages\nS: 1 120\nS: 2 200\nS: .\n";
        let full = format!("{LOGIN}C: LIST\n{reply}");
        let login_bytes: usize = LOGIN
            .lines()
            .filter_map(|l| l.strip_prefix("S: "))
            .map(|t| t.len() + 2)
            .sum();
        let reply_bytes: usize = reply
            .lines()
            .filter_map(|l| l.strip_prefix("S: "))
            .map(|t| t.len() + 2)
            .sum();
        for cut in 0..reply_bytes {
            let (mut s, _) =
                session_from(ScriptedStream::from_transcript(&full).eof_after(login_bytes + cut));
            let result = s.list();
            assert!(
                matches!(result, Err(Error::Wire(mail_wire::Error::Closed))),
                "cut at {cut}: {result:?}"
            );
        }
        let (mut s, _) = session_from(ScriptedStream::from_transcript(&full));
        assert_eq!(s.list().unwrap().len(), 2);
    }

    #[test]
    fn hostile_listings_hit_the_limits() {
        let long = "9".repeat(70_000);
        let script = format!("{LOGIN}C: UIDL\nS: +OK\nS: 1 {long}\nS: .\n");
        let (mut s, _, _) = session(&script);
        assert!(matches!(
            s.uidl(),
            Err(Error::Wire(mail_wire::Error::LineTooLong { .. }))
        ));

        let many = "S: 1 abc\n".repeat(200);
        let script = format!("{LOGIN}C: UIDL\nS: +OK\n{many}S: .\n");
        let (mut s, _, _) = session(&script);
        s.connection().set_limits(mail_wire::Limits {
            max_line: 1000,
            max_literal: 1000,
        });
        assert!(matches!(
            s.uidl(),
            Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
                limit: 1000,
                ..
            }))
        ));

        let script = format!("{LOGIN}C: RETR 1\nS: +OK\n{many}S: .\n");
        let (mut s, _, _) = session(&script);
        s.connection().set_limits(mail_wire::Limits {
            max_line: 1000,
            max_literal: 1000,
        });
        assert!(matches!(
            s.retr(MsgNum(1), &mut io::sink()),
            Err(Error::Wire(mail_wire::Error::LiteralTooLarge { .. }))
        ));
    }

    #[test]
    fn a_reply_that_is_not_pop3_is_a_protocol_error() {
        let script = format!("{LOGIN}C: STAT\nS: * OK this is IMAP\n");
        let (mut s, _, _) = session(&script);
        let err = s.stat().unwrap_err();
        assert!(err.is_protocol_violation(), "{err}");
        assert_eq!(
            err.to_string(),
            "malformed POP3 reply: expected +OK or -ERR, got \"* OK this is IMAP\""
        );
        let script = format!("{LOGIN}C: STAT\nS: +OK lots\n");
        let (mut s, _, _) = session(&script);
        assert!(matches!(s.stat(), Err(Error::Protocol(_))));
    }
}
