//! What the client and the session share: send a command, read its status
//! line, read a listing or stream a message body.

use std::io::{Read, Write};

use mail_wire::{Connection, Direction, Line};

use crate::command::Command;
use crate::dot::copy_multiline;
use crate::error::Error;
use crate::response::{parse_listing_line, parse_reply, ListingLine, Reply, Status};

/// A POP3 connection with the settings both protocol states use.
#[derive(Debug)]
pub(crate) struct Link<S> {
    pub(crate) conn: Connection<S>,
    /// Show message bodies line by line in the transcript (else one note).
    pub(crate) echo_bodies: bool,
}

impl<S: Read + Write> Link<S> {
    pub(crate) fn new(conn: Connection<S>) -> Self {
        Link {
            conn,
            echo_bodies: true,
        }
    }

    /// Queues a command without flushing (pipelining).
    pub(crate) fn queue(&mut self, command: &Command<'_>) -> Result<(), Error> {
        let mut public = Vec::with_capacity(32);
        let secret = command.encode(&mut public)?;
        let line = match secret {
            Some(secret) => Line::with_secret(&public, secret),
            None => Line::public(&public),
        };
        self.conn.queue(line)?;
        Ok(())
    }

    /// Sends a command and reads its status line; `-ERR` is an error.
    pub(crate) fn command(&mut self, command: &Command<'_>) -> Result<Reply, Error> {
        self.queue(command)?;
        self.conn.flush()?;
        self.expect_ok(command.verb())
    }

    /// Reads a status line; `-ERR` becomes [`Error::Rejected`] for `verb`.
    pub(crate) fn expect_ok(&mut self, verb: &'static str) -> Result<Reply, Error> {
        let reply = self.read_reply()?;
        match reply.status {
            Status::Ok | Status::Continue => Ok(reply),
            Status::Err => Err(Error::Rejected {
                command: verb,
                reply,
            }),
        }
    }

    /// Reads one status line.
    pub(crate) fn read_reply(&mut self) -> Result<Reply, Error> {
        let line = self.conn.read_line()?;
        Ok(parse_reply(line)?)
    }

    /// Reads the lines of a listing (CAPA, LIST, UIDL) up to `.`, unstuffed;
    /// at most `max_literal` bytes in all.
    pub(crate) fn read_listing(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        let limit = self.conn.limits().max_literal;
        let mut total = 0u64;
        let mut lines = Vec::new();
        loop {
            let line = self.conn.read_line()?;
            match parse_listing_line(line) {
                ListingLine::End => return Ok(lines),
                ListingLine::Data(data) => {
                    total += data.len() as u64 + 2;
                    if total > limit {
                        return Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
                            size: total,
                            limit,
                        }));
                    }
                    lines.push(data.to_vec());
                }
            }
        }
    }

    /// Streams a message body (after `+OK`) to `out`; returns its size.
    pub(crate) fn read_body(&mut self, out: &mut dyn Write) -> Result<u64, Error> {
        let limit = self.conn.limits().max_literal;
        if self.echo_bodies || !self.conn.has_transcript() {
            return copy_multiline(&mut self.conn, out, limit);
        }
        let transcript = self.conn.take_transcript();
        let result = copy_multiline(&mut self.conn, out, limit);
        self.conn.set_transcript(transcript);
        if let Ok(size) = result {
            self.conn
                .note(Direction::Server, &format!("<message: {size} bytes>"));
            self.conn.note(Direction::Server, ".");
        }
        result
    }
}
