//! The incremental decoder of a multi-line reply's body (RFC 1939 §3):
//! lines up to a lone `.`, the leading dot of byte-stuffed lines removed.
//!
//! Bytes may arrive in any chunking; the decoder keeps a few bits of state
//! between chunks (at a line start, after a dot, after a CR) and never
//! holds a line or the message in memory: every piece it hands back is a
//! slice of the input, or a constant line end. Every line leaves with CRLF,
//! whether the server ended it with CRLF or a bare LF, so the output does
//! not depend on how the bytes were split.

use mail_wire::Limits;

use crate::error::Error;

const CRLF: &[u8] = b"\r\n";
const CR: &[u8] = b"\r";

/// Where the decoder stands in the current line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Nothing of the line seen yet.
    LineStart,
    /// The line began with `.`: stuffed, or the terminator.
    Dot,
    /// The line began with `.` and CR: the terminator if LF follows.
    DotCr,
    /// Inside a line; `cr` when the last byte seen was CR.
    Inside { cr: bool },
    /// The terminating line has been read.
    Ended,
}

/// What [`BodyDecoder::decode`] found in the bytes it consumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// Body bytes, unstuffed, to pass on in order.
    Data(&'a [u8]),
    /// The terminating `.` line: the body is complete.
    End,
    /// Every byte given was consumed; feed more.
    NeedMore,
}

/// Decodes the body of one multi-line reply (after its `+OK` line).
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    at: At,
    /// Bytes of the current line seen so far, its CR included.
    line_len: usize,
    /// Body bytes handed out so far.
    size: u64,
    limits: Limits,
}

impl BodyDecoder {
    /// A decoder that refuses a line longer than `limits.max_line` and a
    /// body larger than `limits.max_literal`.
    pub fn new(limits: Limits) -> Self {
        BodyDecoder {
            at: At::LineStart,
            line_len: 0,
            size: 0,
            limits,
        }
    }

    /// Body bytes handed out so far (the message's size once ended).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// True once the terminating line was read.
    pub fn is_ended(&self) -> bool {
        self.at == At::Ended
    }

    /// Changes the limits (they apply from the next byte on).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Consumes bytes from the front of `input` and says what they gave:
    /// returns how many bytes were consumed and at most one piece. Call
    /// again with the rest until it answers [`Decoded::NeedMore`] or
    /// [`Decoded::End`]; bytes after the terminator are never consumed.
    ///
    /// # Errors
    /// `LineTooLong` for a line past `max_line` and `LiteralTooLarge` for a
    /// body past `max_literal` (both [`Error::Wire`]), before the offending
    /// bytes are handed out.
    pub fn decode<'a>(&mut self, input: &'a [u8]) -> Result<(usize, Decoded<'a>), Error> {
        let mut i = 0;
        loop {
            let Some(&byte) = input.get(i) else {
                return Ok((i, Decoded::NeedMore));
            };
            match self.at {
                At::Ended => return Ok((0, Decoded::End)),
                At::LineStart => {
                    self.line_len = 0;
                    if byte == b'.' {
                        self.at = At::Dot;
                        self.line_len = 1;
                        i += 1;
                    } else {
                        self.at = At::Inside { cr: false };
                    }
                }
                At::Dot => match byte {
                    b'\r' => {
                        self.at = At::DotCr;
                        self.line_len += 1;
                        i += 1;
                    }
                    b'\n' => {
                        self.at = At::Ended;
                        return Ok((i + 1, Decoded::End));
                    }
                    // A stuffed line: the dot is dropped.
                    _ => self.at = At::Inside { cr: false },
                },
                At::DotCr => {
                    if byte == b'\n' {
                        self.at = At::Ended;
                        return Ok((i + 1, Decoded::End));
                    }
                    // `.` CR then more: a stuffed line whose text starts with CR.
                    self.at = At::Inside { cr: true };
                    return self.emit(i, CR);
                }
                At::Inside { cr } => return self.run(input, i, cr),
            }
        }
    }

    /// Hands out the run of plain lines that starts at `start`, inside a
    /// line; it ends before a line that starts with a dot, at a bare LF, or
    /// at the end of the input.
    fn run<'a>(
        &mut self,
        input: &'a [u8],
        start: usize,
        cr_before: bool,
    ) -> Result<(usize, Decoded<'a>), Error> {
        let rest = input.get(start..).unwrap_or_default();
        let mut line_start = 0;
        let mut cr_at_line_start = cr_before;
        for newline in memchr::memchr_iter(b'\n', rest) {
            let has_cr = if newline > line_start {
                rest.get(newline - 1) == Some(&b'\r')
            } else {
                cr_at_line_start
            };
            self.line_len += newline - line_start;
            self.check_line(self.line_len.saturating_sub(usize::from(has_cr)))?;
            if !has_cr {
                // A bare LF: hand out what precedes it, then CRLF for it.
                if newline > 0 {
                    self.at = At::Inside { cr: false };
                    return self.emit_slice(start, rest.get(..newline).unwrap_or_default());
                }
                self.at = At::LineStart;
                return self.emit(start + 1, CRLF);
            }
            self.line_len = 0;
            line_start = newline + 1;
            cr_at_line_start = false;
            if rest.get(line_start).is_none_or(|&b| b == b'.') {
                self.at = At::LineStart;
                return self.emit_slice(start, rest.get(..line_start).unwrap_or_default());
            }
        }
        // The input ends inside a line.
        self.line_len += rest.len() - line_start;
        // One byte of slack for a CR that may turn out to end the line.
        self.check_line(self.line_len.saturating_sub(1))?;
        let cr = if rest.len() > line_start {
            rest.last() == Some(&b'\r')
        } else {
            cr_at_line_start
        };
        self.at = At::Inside { cr };
        self.emit_slice(start, rest)
    }

    fn emit_slice<'a>(
        &mut self,
        start: usize,
        piece: &'a [u8],
    ) -> Result<(usize, Decoded<'a>), Error> {
        self.emit(start + piece.len(), piece)
    }

    fn emit<'a>(
        &mut self,
        consumed: usize,
        piece: &'a [u8],
    ) -> Result<(usize, Decoded<'a>), Error> {
        let size = self.size + piece.len() as u64;
        if size > self.limits.max_literal {
            return Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
                size,
                limit: self.limits.max_literal,
            }));
        }
        self.size = size;
        Ok((consumed, Decoded::Data(piece)))
    }

    fn check_line(&self, len: usize) -> Result<(), Error> {
        if len > self.limits.max_line {
            return Err(Error::Wire(mail_wire::Error::LineTooLong {
                limit: self.limits.max_line,
            }));
        }
        Ok(())
    }
}

/// Decodes all of `input` with one decoder: the body, whether it ended, and
/// how many bytes were consumed. For tests and small buffers.
#[cfg(test)]
pub(crate) fn decode_all(
    decoder: &mut BodyDecoder,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(usize, bool), Error> {
    let mut at = 0;
    loop {
        let (n, piece) = decoder.decode(input.get(at..).unwrap_or_default())?;
        at += n;
        match piece {
            Decoded::Data(bytes) => out.extend_from_slice(bytes),
            Decoded::End => return Ok((at, true)),
            Decoded::NeedMore => return Ok((at, false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `wire` cut at `cuts` and returns the body and the bytes left.
    fn decode_cut(wire: &[u8], cuts: &[usize]) -> (Vec<u8>, Vec<u8>, bool) {
        let mut decoder = BodyDecoder::new(Limits::default());
        let mut out = Vec::new();
        let mut from = 0;
        let mut ended = false;
        let mut rest = Vec::new();
        for &to in cuts.iter().chain(std::iter::once(&wire.len())) {
            let chunk = wire.get(from..to).unwrap();
            let (n, end) = decode_all(&mut decoder, chunk, &mut out).unwrap();
            if end {
                ended = true;
                rest = wire.get(from + n..).unwrap().to_vec();
                break;
            }
            assert_eq!(n, chunk.len(), "a chunk without the end is consumed whole");
            from = to;
        }
        assert_eq!(decoder.size(), out.len() as u64);
        (out, rest, ended)
    }

    const TABLE: &[(&[u8], &[u8])] = &[
        (b".\r\n", b""),
        (b".\n", b""),
        (b"a\r\nb\r\n.\r\n", b"a\r\nb\r\n"),
        (b"..\r\n.\r\n", b".\r\n"),
        (b"...\r\n.\r\n", b"..\r\n"),
        (b"..x\r\nx.\r\n.x\r\n.\r\n", b".x\r\nx.\r\nx\r\n"),
        (b"\r\n\r\n.\r\n", b"\r\n\r\n"),
        (b"bare\nlf\n.\n", b"bare\r\nlf\r\n"),
        (b"\n\n.\r\n", b"\r\n\r\n"),
        (b"a\r\n. \r\n.\r\n", b"a\r\n \r\n"),
        (b"cr\rin\r\n.\r\n", b"cr\rin\r\n"),
        (b".\rx\r\n.\r\n", b"\rx\r\n"),
        (b".\r\r\n.\r\n", b"\r\r\n"),
        (b"x\r\r\n.\r\n", b"x\r\r\n"),
        (b"end\r\n.\r\n+OK next\r\n", b"end\r\n"),
    ];

    #[test]
    fn unstuffs_known_answers() {
        for (wire, expected) in TABLE {
            let (out, _, ended) = decode_cut(wire, &[]);
            assert!(ended);
            assert_eq!(out, *expected, "wire {:?}", String::from_utf8_lossy(wire));
        }
    }

    #[test]
    fn every_split_and_every_byte_by_byte_feed_gives_the_same_body() {
        for (wire, expected) in TABLE {
            for cut in 0..=wire.len() {
                let (out, rest, ended) = decode_cut(wire, &[cut]);
                assert!(ended, "cut {cut}");
                assert_eq!(out, *expected, "wire {wire:?} cut {cut}");
                assert!(wire.ends_with(&rest) && !rest.starts_with(b"."), "{rest:?}");
            }
            for a in 0..=wire.len() {
                for b in a..=wire.len() {
                    let (out, _, _) = decode_cut(wire, &[a, b]);
                    assert_eq!(out, *expected, "wire {wire:?} cuts {a} {b}");
                }
            }
            let singles: Vec<usize> = (1..wire.len()).collect();
            assert_eq!(decode_cut(wire, &singles).0, *expected);
        }
    }

    #[test]
    fn nothing_after_the_terminator_is_consumed() {
        let wire = b"a\r\n.\r\n+OK 2\r\n";
        let mut decoder = BodyDecoder::new(Limits::default());
        let (n, ended) = decode_all(&mut decoder, wire, &mut Vec::new()).unwrap();
        assert!(ended && decoder.is_ended());
        assert_eq!(wire.get(n..).unwrap(), b"+OK 2\r\n");
        assert_eq!(decoder.decode(b"more").unwrap(), (0, Decoded::End));
    }

    #[test]
    fn an_endless_line_is_refused_at_the_limit_without_buffering() {
        let limits = Limits {
            max_line: 100,
            max_literal: u64::MAX,
        };
        let mut decoder = BodyDecoder::new(limits);
        let chunk = [b'x'; 7];
        let mut fed = 0;
        let err = loop {
            match decoder.decode(&chunk) {
                Ok(_) => fed += chunk.len(),
                Err(err) => break err,
            }
            assert!(fed < 1000, "no error after {fed} bytes");
        };
        assert!(
            matches!(
                err,
                Error::Wire(mail_wire::Error::LineTooLong { limit: 100 })
            ),
            "{err}"
        );
        assert!(fed <= 101);
        // A line of exactly the limit, CRLF-ended, is fine in any chunking.
        let mut line = vec![b'y'; 100];
        line.extend_from_slice(b"\r\n.\r\n");
        for cut in 0..line.len() {
            let mut decoder = BodyDecoder::new(limits);
            let mut out = Vec::new();
            decode_all(&mut decoder, line.get(..cut).unwrap(), &mut out).unwrap();
            let (_, ended) = decode_all(&mut decoder, line.get(cut..).unwrap(), &mut out).unwrap();
            assert!(ended, "cut {cut}");
        }
    }

    #[test]
    fn a_body_past_the_size_limit_is_refused() {
        let limits = Limits {
            max_line: 1000,
            max_literal: 500,
        };
        let mut decoder = BodyDecoder::new(limits);
        let err = decode_all(
            &mut decoder,
            &b"0123456789\r\n".repeat(100),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Wire(mail_wire::Error::LiteralTooLarge { limit: 500, .. })
        ));
        assert!(decoder.size() <= 500);
    }

    #[test]
    fn plain_lines_come_out_as_one_piece() {
        let mut decoder = BodyDecoder::new(Limits::default());
        let wire = b"one\r\ntwo\r\nthree\r\n..four\r\n";
        let (n, piece) = decoder.decode(wire).unwrap();
        assert_eq!((n, piece), (17, Decoded::Data(b"one\r\ntwo\r\nthree\r\n")));
    }
}
