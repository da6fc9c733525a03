//! What the blocking and the async driver share besides the core: which
//! received bytes to offer it, its events without borrowed bytes, and the
//! lines of a listing. No I/O; the loops that move bytes are the drivers'.

use std::io::{self, Write};

use mail_wire::Limits;

use crate::core::{Event, Pop3};
use crate::error::{Error, ParseError};
use crate::response::{Capabilities, Greeting, Reply};

/// An [`Event`] other than a body piece, without borrowed bytes.
#[derive(Debug)]
pub(crate) enum Got {
    Greeting(Greeting),
    Reply(&'static str, Reply),
    BodyEnd(u64),
}

/// One step of feeding the core.
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// A piece of a body, to pass on before feeding more.
    Body(&'a [u8]),
    /// Every other event.
    Got(Got),
}

/// The part of `buffered` to offer the core: whole lines only, so the
/// transcript shows whole lines, and at most `max_literal` bytes, which
/// the connection refuses to consume at once.
pub(crate) fn whole_lines(buffered: &[u8], limits: Limits) -> &[u8] {
    let most = usize::try_from(limits.max_literal)
        .unwrap_or(usize::MAX)
        .max(1);
    let window = buffered.get(..buffered.len().min(most)).unwrap_or_default();
    let whole = memchr::memrchr(b'\n', window).map_or(0, |at| at + 1);
    window.get(..whole).unwrap_or_default()
}

/// Feeds `input` to the core once: the bytes it consumed and what they
/// gave, if anything.
pub(crate) fn step<'a>(
    core: &mut Pop3,
    input: &'a [u8],
) -> Result<(usize, Option<Step<'a>>), Error> {
    let (used, event) = core.feed(input)?;
    let step = event.map(|event| match event {
        Event::Body(piece) => Step::Body(piece),
        Event::Greeting(greeting) => Step::Got(Got::Greeting(greeting)),
        Event::Reply { command, reply } => Step::Got(Got::Reply(command, reply)),
        Event::TlsReady(reply) => Step::Got(Got::Reply("STLS", reply)),
        Event::BodyEnd { size } => Step::Got(Got::BodyEnd(size)),
    });
    Ok((used, step))
}

/// The lines of an unstuffed listing body (CAPA, LIST, UIDL), without CRLF,
/// cut by the same [`Lines`] the blocking driver streams through.
#[cfg(feature = "tokio")]
pub(crate) fn listing_lines(body: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut each = |line: &[u8]| {
        lines.push(line.to_vec());
        Ok(())
    };
    let mut splitter = Lines {
        partial: Vec::new(),
        each: &mut each,
        failed: None,
    };
    splitter.split(body);
    lines
}

/// Every line of a listing (LIST, UIDL) parsed with `parse`.
#[cfg(feature = "tokio")]
pub(crate) fn parse_lines<T>(
    lines: &[Vec<u8>],
    parse: impl Fn(&[u8]) -> Result<T, ParseError>,
) -> Result<Vec<T>, Error> {
    lines
        .iter()
        .map(|line| parse(line).map_err(Error::from))
        .collect()
}

/// The outcome of `CAPA` (its listing, or the error of the command or of
/// reading the listing) as its lines, or `None` when the server answered
/// `-ERR`: an RFC 1939 server without CAPA (RFC 2449 §5). Other errors
/// pass on.
pub(crate) fn capa_outcome(
    listing: Result<Vec<Vec<u8>>, Error>,
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    match listing {
        Ok(lines) => Ok(Some(lines)),
        Err(Error::Rejected { .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The capabilities in the lines of [`capa_outcome`]: none without CAPA.
pub(crate) fn capabilities(lines: Option<&[Vec<u8>]>) -> Capabilities {
    lines.map_or_else(Capabilities::default, |lines| {
        Capabilities::from_lines(lines.iter().map(Vec::as_slice))
    })
}

/// The driver asked for one kind of event and the core gave another: a
/// caller read out of order.
pub(crate) fn unexpected(got: &Got) -> Error {
    let found = match got {
        Got::Greeting(_) => "a greeting",
        Got::Reply(..) => "a status line",
        Got::BodyEnd(_) => "the end of a body",
    };
    Error::Protocol(ParseError::new(
        "another part of the reply",
        found.as_bytes(),
    ))
}

/// A listing's body cut into lines as it arrives (a `Write` sink for the
/// body decoder), each handed to `each` without its CRLF; a line left
/// without CRLF at the end is dropped. After `each` fails, later lines are
/// skipped and the first error is kept in `failed`.
pub(crate) struct Lines<'a> {
    pub(crate) partial: Vec<u8>,
    pub(crate) each: &'a mut dyn FnMut(&[u8]) -> Result<(), Error>,
    pub(crate) failed: Option<Error>,
}

impl Lines<'_> {
    fn line(&mut self, line: &[u8]) {
        if self.failed.is_none() {
            if let Err(err) = (self.each)(line) {
                self.failed = Some(err);
            }
        }
    }
}

impl Lines<'_> {
    /// Hands every CRLF-ended line of `input` over; returns the rest.
    fn split<'i>(&mut self, input: &'i [u8]) -> &'i [u8] {
        let mut rest = input;
        while let Some(end) = memchr::memmem::find(rest, b"\r\n") {
            self.line(rest.get(..end).unwrap_or_default());
            rest = rest.get(end + 2..).unwrap_or_default();
        }
        rest
    }
}

impl Write for Lines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.partial.is_empty() {
            let rest = self.split(buf);
            self.partial.extend_from_slice(rest);
        } else {
            let mut joined = std::mem::take(&mut self.partial);
            joined.extend_from_slice(buf);
            let rest = self.split(&joined).to_vec();
            self.partial = rest;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_lines_within_the_limit_are_offered() {
        let limits = Limits::default();
        assert_eq!(whole_lines(b"a\r\nb\r\nc", limits), b"a\r\nb\r\n");
        assert_eq!(whole_lines(b"partial", limits), b"");
        let small = Limits {
            max_line: 10,
            max_literal: 4,
        };
        assert_eq!(whole_lines(b"a\r\nb\r\n", small), b"a\r\n");
    }

    #[test]
    #[cfg(feature = "tokio")]
    fn listing_lines_drop_their_line_ends() {
        assert_eq!(
            listing_lines(b"1 2\r\n3 4\r\n"),
            [b"1 2".to_vec(), b"3 4".to_vec()]
        );
        assert!(listing_lines(b"").is_empty());
    }
}
