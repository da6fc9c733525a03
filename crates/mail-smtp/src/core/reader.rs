//! Replies from bytes in any chunking: lines are cut at LF (a CR before it
//! is dropped), bounded in length, and collected into complete replies by
//! [`ReplyParser`], bounded in line count. No I/O.

use mail_wire::Error as WireError;

use crate::error::Error;
use crate::reply::{Reply, ReplyParser};

/// Turns received bytes into complete [`Reply`]s.
///
/// ```
/// use mail_smtp::core::ReplyReader;
///
/// let mut reader = ReplyReader::new(512, 16);
/// let mut input: &[u8] = b"250-mail.example\r\n250 PIPE";
/// let (used, reply) = reader.feed(input)?;
/// assert!(reply.is_none());
/// input = &input[used..];
/// assert!(input.is_empty() && reader.is_partial());
/// let (_, reply) = reader.feed(b"LINING\r\n")?;
/// assert_eq!(reply.unwrap().lines(), ["mail.example", "PIPELINING"]);
/// # Ok::<(), mail_smtp::Error>(())
/// ```
#[derive(Debug)]
pub struct ReplyReader {
    /// The start of a line whose LF has not come yet.
    line: Vec<u8>,
    parser: ReplyParser,
    max_line: usize,
}

impl ReplyReader {
    /// A reader accepting lines of at most `max_line` bytes (without the
    /// line end) and replies of at most `max_lines` lines.
    pub fn new(max_line: usize, max_lines: usize) -> Self {
        ReplyReader {
            line: Vec::new(),
            parser: ReplyParser::new(max_lines),
            max_line,
        }
    }

    /// Consumes bytes from the front of `received` up to the end of the
    /// first reply completed, and returns how many with that reply. All of
    /// `received` is consumed when it completes none.
    ///
    /// # Errors
    /// `LineTooLong` ([`Error::Wire`]) as soon as a line passes the limit,
    /// however it is chunked; [`Error::Protocol`] for a malformed reply.
    /// The reader is reset after an error.
    pub fn feed(&mut self, received: &[u8]) -> Result<(usize, Option<Reply>), Error> {
        let result = self.feed_inner(received);
        if result.is_err() {
            self.line.clear();
            self.parser = ReplyParser::new(self.parser_max_lines());
        }
        result
    }

    fn feed_inner(&mut self, received: &[u8]) -> Result<(usize, Option<Reply>), Error> {
        let mut used = 0;
        while let Some(rest) = received.get(used..).filter(|r| !r.is_empty()) {
            let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
                self.line.extend_from_slice(rest);
                // One byte of slack for the CR of a line exactly at the limit.
                if self.line.len() > self.max_line.saturating_add(1) {
                    return Err(self.too_long());
                }
                return Ok((received.len(), None));
            };
            self.line
                .extend_from_slice(rest.get(..newline).unwrap_or_default());
            used += newline + 1;
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.max_line {
                return Err(self.too_long());
            }
            if let Some(reply) = self.parser.push_line(&line)? {
                return Ok((used, Some(reply)));
            }
        }
        Ok((used, None))
    }

    /// True when part of a reply (a line or some lines) has been consumed.
    pub fn is_partial(&self) -> bool {
        !self.line.is_empty() || self.parser.is_partial()
    }

    /// Changes the longest line accepted (for the next bytes).
    pub fn set_max_line(&mut self, max_line: usize) {
        self.max_line = max_line;
    }

    fn parser_max_lines(&self) -> usize {
        self.parser.max_lines()
    }

    fn too_long(&self) -> Error {
        Error::Wire(WireError::LineTooLong {
            limit: self.max_line,
        })
    }
}
