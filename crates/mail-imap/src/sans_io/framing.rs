//! Response framing: received bytes in any chunking in, whole responses (with
//! their literals) and streamed FETCH body sections out.

use crate::error::Error;
use crate::response::{parse_with_streamed, Response};
use crate::sequence::{SeqNum, Uid};

/// Bounds on what the server may make the framer hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Longest line accepted, without its line end.
    pub max_line: usize,
    /// Largest literal, and largest whole response held in memory.
    pub max_literal: u64,
}

impl From<mail_wire::Limits> for FrameLimits {
    fn from(l: mail_wire::Limits) -> Self {
        FrameLimits {
            max_line: l.max_line,
            max_literal: l.max_literal,
        }
    }
}

/// Where a streamed body literal belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyContext {
    /// The message's sequence number.
    pub seq: SeqNum,
    /// Its UID when the server sent UID before the body.
    pub uid: Option<Uid>,
    /// `BODY[]`, `BODY[1.2]`, `RFC822`, ...
    pub section: String,
    /// The literal's size in bytes.
    pub size: u64,
}

/// What the framer found in the bytes fed so far.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum FrameEvent<'a> {
    /// Nothing more without more bytes: see [`ResponseFramer::wants`].
    NeedMore,
    /// A complete response; streamed sections show as
    /// [`NString::Streamed`](crate::NString::Streamed).
    Response(Response),
    /// A FETCH body section starts; its bytes follow as [`FrameEvent::BodyChunk`].
    BodyStart(BodyContext),
    /// A piece of the current body section.
    BodyChunk(&'a [u8]),
    /// The current body section is complete; the response goes on.
    BodyEnd,
}

/// What the framer needs next, so a driver can read just that much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    /// The rest of a line, up to and including LF.
    Line,
    /// This many more literal bytes.
    Literal(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Line,
    Literal { left: u64 },
    Body { left: u64, started: bool },
}

/// Frames IMAP responses from received bytes, with no I/O.
///
/// Feed it whatever arrived with [`feed`](Self::feed) and take events with
/// [`next`](Self::next) until [`FrameEvent::NeedMore`]. Literals are
/// collected into their response, except FETCH body sections when
/// [`set_stream_bodies`](Self::set_stream_bodies) is on: those come out as
/// chunks and never sit whole in memory. Limits are checked before any
/// memory is taken for what the server announced.
#[derive(Debug)]
pub struct ResponseFramer {
    limits: FrameLimits,
    input: Vec<u8>,
    pos: usize,
    text: Vec<u8>,
    streamed: Vec<usize>,
    stream_bodies: bool,
    state: State,
}

impl ResponseFramer {
    /// A framer between responses.
    pub fn new(limits: FrameLimits) -> Self {
        ResponseFramer {
            limits,
            input: Vec::new(),
            pos: 0,
            text: Vec::new(),
            streamed: Vec::new(),
            stream_bodies: false,
            state: State::Line,
        }
    }

    /// Changes the limits.
    pub fn set_limits(&mut self, limits: FrameLimits) {
        self.limits = limits;
    }

    /// Streams FETCH body sections as chunks (on) or keeps them in the
    /// response (off); applies to literals announced from now on.
    pub fn set_stream_bodies(&mut self, on: bool) {
        self.stream_bodies = on;
    }

    /// Adds received bytes.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
            // Straight into the response: a literal is never held twice.
            if let State::Literal { left } = self.state {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                let (literal, rest) = bytes.split_at(take);
                self.text.extend_from_slice(literal);
                self.state = State::Literal {
                    left: left - take as u64,
                };
                bytes = rest;
            }
        } else if self.pos > 0 {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    /// What is needed next; a driver that reads exactly this much never
    /// reads past the end of a response.
    pub fn wants(&self) -> Wants {
        let buffered = (self.input.len() - self.pos) as u64;
        match self.state {
            State::Line => Wants::Line,
            State::Literal { left } | State::Body { left, .. } => {
                Wants::Literal(left.saturating_sub(buffered))
            }
        }
    }

    /// True between responses with nothing buffered.
    pub fn is_idle(&self) -> bool {
        self.state == State::Line && self.text.is_empty() && self.pos == self.input.len()
    }

    /// Bytes fed and not yet framed.
    pub fn buffered(&self) -> &[u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Reports the end of input: an error when it cuts a response short.
    ///
    /// # Errors
    /// [`mail_wire::Error::Closed`] inside a response or literal.
    pub fn end_of_input(&self) -> Result<(), Error> {
        if self.is_idle() {
            Ok(())
        } else {
            Err(Error::Wire(mail_wire::Error::Closed))
        }
    }

    /// The next event from the bytes fed so far.
    ///
    /// # Errors
    /// A line past `max_line`, a literal or response past `max_literal`
    /// (before anything is allocated for it), or a malformed response. The
    /// framer is then out of step with the server and must be dropped.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<FrameEvent<'_>, Error> {
        loop {
            match self.state {
                State::Body { left: 0, .. } => {
                    self.state = State::Line;
                    return Ok(FrameEvent::BodyEnd);
                }
                State::Body { left, started } => {
                    if !started {
                        self.state = State::Body {
                            left,
                            started: true,
                        };
                    }
                    let avail = self.input.len() - self.pos;
                    if avail == 0 {
                        return Ok(FrameEvent::NeedMore);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(avail);
                    let start = self.pos;
                    self.pos += take;
                    self.state = State::Body {
                        left: left - take as u64,
                        started: true,
                    };
                    let chunk = self.input.get(start..start + take).unwrap_or_default();
                    return Ok(FrameEvent::BodyChunk(chunk));
                }
                State::Literal { left: 0 } => self.state = State::Line,
                State::Literal { left } => {
                    let avail = self.input.len() - self.pos;
                    if avail == 0 {
                        return Ok(FrameEvent::NeedMore);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(avail);
                    let bytes = self
                        .input
                        .get(self.pos..self.pos + take)
                        .unwrap_or_default();
                    self.text.extend_from_slice(bytes);
                    self.pos += take;
                    self.state = State::Literal {
                        left: left - take as u64,
                    };
                }
                State::Line => return self.line(),
            }
        }
    }

    fn line(&mut self) -> Result<FrameEvent<'_>, Error> {
        let window = self.input.get(self.pos..).unwrap_or_default();
        let Some(newline) = window.iter().position(|&b| b == b'\n') else {
            // One byte of slack for the CR of a line exactly at the limit.
            if window.len() > self.limits.max_line + 1 {
                return Err(self.line_too_long());
            }
            return Ok(FrameEvent::NeedMore);
        };
        let mut end = newline;
        if end > 0 && window.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        if end > self.limits.max_line {
            return Err(self.line_too_long());
        }
        let line = window.get(..end).unwrap_or_default();
        let literal = literal_suffix(line);
        self.text.extend_from_slice(line);
        self.text.extend_from_slice(b"\r\n");
        self.pos += newline + 1;
        let Some(size) = literal else {
            let (response, _) = parse_with_streamed(&self.text, &self.streamed)?;
            self.text.clear();
            self.streamed.clear();
            return Ok(FrameEvent::Response(response));
        };
        let size = size?;
        let limit = self.limits.max_literal;
        if size > limit {
            return Err(Error::TooLarge { size, limit });
        }
        if self.stream_bodies {
            let announced = self.text.get(..self.text.len() - 2).unwrap_or_default();
            if let Some(ctx) = body_context(announced, size) {
                self.streamed.push(self.text.len());
                self.state = State::Body {
                    left: size,
                    started: false,
                };
                return Ok(FrameEvent::BodyStart(ctx));
            }
        }
        let total = self.text.len() as u64 + size;
        if total > limit {
            return Err(Error::TooLarge { size: total, limit });
        }
        self.state = State::Literal { left: size };
        self.next()
    }

    fn line_too_long(&self) -> Error {
        Error::Wire(mail_wire::Error::LineTooLong {
            limit: self.limits.max_line,
        })
    }
}

/// `{123}` or `{123+}` ending a line: the size.
pub(crate) fn literal_suffix(line: &[u8]) -> Option<Result<u64, Error>> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = inner.get(open + 1..)?;
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(v) => n = v,
            None => {
                return Some(Err(Error::TooLarge {
                    size: u64::MAX,
                    limit: 0,
                }))
            }
        }
    }
    Some(Ok(n))
}

/// If `text` (a frame ending in `... {n}`) announces a FETCH body section,
/// where it belongs.
fn body_context(text: &[u8], size: u64) -> Option<BodyContext> {
    let rest = text.strip_prefix(b"* ")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let seq: u32 = std::str::from_utf8(rest.get(..digits)?)
        .ok()?
        .parse()
        .ok()?;
    let after = rest.get(digits..)?;
    if !after.get(..7)?.eq_ignore_ascii_case(b" FETCH ") {
        return None;
    }
    let brace = text.iter().rposition(|&b| b == b'{')?;
    let mut before = text.get(..brace)?;
    before = before.strip_suffix(b" ")?;
    // Strip `<origin>`.
    if before.last() == Some(&b'>') {
        let lt = before.iter().rposition(|&b| b == b'<')?;
        before = before.get(..lt)?;
    }
    let (name_end, section_end) = if before.last() == Some(&b']') {
        (before.iter().rposition(|&b| b == b'[')?, before.len())
    } else {
        (before.len(), before.len())
    };
    let name_start = before
        .get(..name_end)?
        .iter()
        .rposition(|&b| b == b' ' || b == b'(')?
        + 1;
    let name = before.get(name_start..name_end)?.to_ascii_uppercase();
    let has_section = name_end != section_end;
    let ok = match name.as_slice() {
        b"BODY" | b"BINARY" => has_section,
        b"RFC822" | b"RFC822.TEXT" | b"RFC822.HEADER" => !has_section,
        _ => false,
    };
    if !ok {
        return None;
    }
    let section =
        String::from_utf8_lossy(before.get(name_start..section_end)?).to_ascii_uppercase();
    Some(BodyContext {
        seq: SeqNum(seq),
        uid: find_uid(text.get(..name_start)?),
        section,
        size,
    })
}

fn find_uid(prefix: &[u8]) -> Option<Uid> {
    let mut i = 0;
    while let Some(pos) = prefix
        .get(i..)?
        .windows(4)
        .position(|w| w.eq_ignore_ascii_case(b"UID "))
    {
        let at = i + pos;
        let boundary = at > 0 && matches!(prefix.get(at - 1), Some(b' ' | b'('));
        let digits: Vec<u8> = prefix
            .get(at + 4..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        if boundary && !digits.is_empty() {
            return std::str::from_utf8(&digits).ok()?.parse().ok().map(Uid);
        }
        i = at + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{FetchItem, NString, Untagged};

    const LIMITS: FrameLimits = FrameLimits {
        max_line: 100,
        max_literal: 1000,
    };

    /// An event with its bytes owned; adjacent body chunks merged.
    #[derive(Debug, PartialEq)]
    enum Owned {
        Response(Response),
        BodyStart(BodyContext),
        Body(Vec<u8>),
        BodyEnd,
    }

    fn take_events(framer: &mut ResponseFramer, out: &mut Vec<Owned>) -> Result<(), Error> {
        loop {
            let owned = match framer.next()? {
                FrameEvent::NeedMore => return Ok(()),
                FrameEvent::Response(r) => Owned::Response(r),
                FrameEvent::BodyStart(c) => Owned::BodyStart(c),
                FrameEvent::BodyChunk(c) => {
                    if let Some(Owned::Body(b)) = out.last_mut() {
                        b.extend_from_slice(c);
                        continue;
                    }
                    Owned::Body(c.to_vec())
                }
                FrameEvent::BodyEnd => Owned::BodyEnd,
            };
            out.push(owned);
        }
    }

    fn frame(chunks: &[&[u8]], stream: bool) -> Result<Vec<Owned>, Error> {
        let mut framer = ResponseFramer::new(LIMITS);
        framer.set_stream_bodies(stream);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.feed(chunk);
            take_events(&mut framer, &mut out)?;
        }
        framer.end_of_input()?;
        Ok(out)
    }

    const SESSION: &[u8] = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n\
        * 1 FETCH (UID 7 BODY[] {12}\r\nline one\r\n\r\n FLAGS (\\Seen))\r\n\
        * LIST () \".\" {5}\r\nIN{x}\r\n\
        * 2 FETCH (BODY[1] {0}\r\n)\n\
        + go ahead\r\n\
        a1 OK done\r\n";

    #[test]
    fn any_chunking_gives_the_same_events() {
        for stream in [false, true] {
            let whole = frame(&[SESSION], stream).unwrap();
            assert_eq!(whole.len(), if stream { 11 } else { 6 }, "{whole:?}");
            for at in 0..=SESSION.len() {
                let (a, b) = SESSION.split_at(at);
                assert_eq!(frame(&[a, b], stream).unwrap(), whole, "split at {at}");
            }
            let bytes: Vec<&[u8]> = SESSION.chunks(1).collect();
            assert_eq!(frame(&bytes, stream).unwrap(), whole);
        }
    }

    #[test]
    fn bodies_stream_as_chunks_and_other_literals_stay_in_the_response() {
        let events = frame(&[SESSION], true).unwrap();
        assert_eq!(
            events.get(1),
            Some(&Owned::BodyStart(BodyContext {
                seq: SeqNum(1),
                uid: Some(Uid(7)),
                section: "BODY[]".into(),
                size: 12
            }))
        );
        assert_eq!(
            events.get(2),
            Some(&Owned::Body(b"line one\r\n\r\n".to_vec()))
        );
        assert_eq!(events.get(3), Some(&Owned::BodyEnd));
        let Some(Owned::Response(Response::Untagged(Untagged::Fetch(f)))) = events.get(4) else {
            panic!("{events:?}")
        };
        assert!(f.items.iter().any(|i| matches!(
            i,
            FetchItem::Body {
                data: NString::Streamed(12),
                ..
            }
        )));
        let Some(Owned::Response(Response::Untagged(Untagged::List(list)))) = events.get(5) else {
            panic!("{events:?}")
        };
        assert_eq!(list.name, "IN{x}");
        // An empty section still starts and ends.
        assert_eq!(events.get(7), Some(&Owned::BodyEnd));

        let kept = frame(&[SESSION], false).unwrap();
        let Some(Owned::Response(Response::Untagged(Untagged::Fetch(f)))) = kept.get(1) else {
            panic!("{kept:?}")
        };
        assert!(f.items.iter().any(|i| matches!(
            i,
            FetchItem::Body { data: NString::Bytes(b), .. } if b == b"line one\r\n\r\n"
        )));
    }

    #[test]
    fn wants_says_how_much_to_read() {
        let mut framer = ResponseFramer::new(LIMITS);
        framer.set_stream_bodies(true);
        assert_eq!(framer.wants(), Wants::Line);
        framer.feed(b"* 1 FETCH (BODY[] {10}\r\n0123");
        assert!(matches!(framer.next(), Ok(FrameEvent::BodyStart(_))));
        assert_eq!(framer.wants(), Wants::Literal(6));
        assert_eq!(framer.next().unwrap(), FrameEvent::BodyChunk(b"0123"));
        assert_eq!(framer.wants(), Wants::Literal(6));
        assert_eq!(framer.next().unwrap(), FrameEvent::NeedMore);
        assert!(framer.end_of_input().is_err());
        framer.feed(b"456789)\r\n");
        assert_eq!(framer.next().unwrap(), FrameEvent::BodyChunk(b"456789"));
        assert_eq!(framer.next().unwrap(), FrameEvent::BodyEnd);
        assert_eq!(framer.wants(), Wants::Line);
        assert!(matches!(framer.next(), Ok(FrameEvent::Response(_))));
        assert!(framer.is_idle());
    }

    #[test]
    fn an_endless_line_is_a_typed_error_before_it_is_held() {
        let mut framer = ResponseFramer::new(LIMITS);
        let mut fed = 0;
        let err = loop {
            framer.feed(b"* OK aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
            fed += 1;
            match framer.next() {
                Ok(FrameEvent::NeedMore) => assert!(fed < 10, "never refused"),
                Ok(other) => panic!("{other:?}"),
                Err(err) => break err,
            }
        };
        assert!(matches!(
            err,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 100 })
        ));
        assert!(err.is_protocol_violation());
        // A complete line one byte too long is refused as well.
        let mut long = vec![b'x'; 101];
        long.extend_from_slice(b"\r\n");
        assert!(frame(&[&long], false).is_err());
    }

    #[test]
    fn a_huge_literal_announcement_is_refused_before_any_allocation() {
        let err = frame(&[b"* 1 FETCH (BODY[] {18446744073709551615}\r\n"], true).unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit: 1000, .. }),
            "{err:?}"
        );
        let err = frame(&[b"* 1 FETCH (BODY[] {99999999999999999999999}\r\n"], false).unwrap_err();
        assert!(err.is_protocol_violation());
        // Within the literal limit, but the response as a whole is not.
        let err = frame(&[b"* LIST () \".\" {999}\r\n"], false).unwrap_err();
        assert!(
            matches!(err, Error::TooLarge { limit: 1000, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn a_connection_dropped_mid_literal_is_a_typed_error() {
        for stream in [false, true] {
            let err = frame(&[b"* 1 FETCH (BODY[] {10}\r\n01234"], stream).unwrap_err();
            assert!(
                matches!(err, Error::Wire(mail_wire::Error::Closed)),
                "{err:?}"
            );
        }
        let err = frame(&[b"* OK half a li"], false).unwrap_err();
        assert!(matches!(err, Error::Wire(mail_wire::Error::Closed)));
        assert!(frame(&[b"* OK whole\r\n"], false).is_ok());
    }

    /// Events, or the error as text, for comparing runs.
    fn outcome(chunks: &[&[u8]], stream: bool) -> Result<Vec<Owned>, String> {
        frame(chunks, stream).map_err(|e| e.to_string())
    }

    #[test]
    fn generated_inputs_frame_the_same_in_any_chunking() {
        const PIECES: &[&[u8]] = &[
            b"* ",
            b"1 FETCH (",
            b"UID 4 ",
            b"BODY[] ",
            b"BODY[1]<0> ",
            b"{3}\r\n",
            b"{0}\r\n",
            b"{5+}\r\n",
            b"abc",
            b"\r\n",
            b"\n",
            b")",
            b"a1 OK x\r\n",
            b"+ go\r\n",
            b"{99999}\r\n",
            b"\"q\" ",
            b"NIL",
            b"* LIST () \".\" ",
            b"\x00",
            b"\xff",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..400 {
            let mut input = Vec::new();
            for _ in 0..rand() % 24 {
                input.extend_from_slice(PIECES[(rand() % PIECES.len() as u64) as usize]);
            }
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            for stream in [false, true] {
                let whole = outcome(&[&input], stream);
                assert_eq!(outcome(&bytes, stream), whole, "{input:?}");
                for at in 0..=input.len() {
                    let (a, b) = input.split_at(at);
                    assert_eq!(outcome(&[a, b], stream), whole, "{input:?} at {at}");
                }
            }
        }
    }

    #[test]
    fn malformed_responses_are_typed_errors() {
        let err = frame(&[b"garbage\r\n"], false).unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    }

    #[test]
    fn literal_suffixes() {
        assert_eq!(
            literal_suffix(b"* 1 FETCH (BODY[] {12}").unwrap().unwrap(),
            12
        );
        assert_eq!(literal_suffix(b"a LOGIN {3+}").unwrap().unwrap(), 3);
        assert!(literal_suffix(b"* OK {x}").is_none());
        assert!(literal_suffix(b"* OK {}").is_none());
        assert!(literal_suffix(b"}").is_none());
        assert!(
            literal_suffix(b"* 1 FETCH (BODY[] {99999999999999999999999}")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn body_contexts_are_recognized() {
        let ctx = body_context(b"* 12 FETCH (UID 345 BODY[] {100}", 100).unwrap();
        assert_eq!(
            ctx,
            BodyContext {
                seq: SeqNum(12),
                uid: Some(Uid(345)),
                section: "BODY[]".into(),
                size: 100
            }
        );
        let ctx = body_context(b"* 1 fetch (body[header.fields (from to)]<0> {5}", 5).unwrap();
        assert_eq!(ctx.section, "BODY[HEADER.FIELDS (FROM TO)]");
        assert_eq!(ctx.uid, None);
        assert_eq!(
            body_context(b"* 1 FETCH (RFC822.TEXT {5}", 5)
                .unwrap()
                .section,
            "RFC822.TEXT"
        );
        assert_eq!(
            body_context(b"* 1 FETCH (FLAGS () UID 9 BINARY[1] {5}", 5)
                .unwrap()
                .uid,
            Some(Uid(9))
        );
        assert!(body_context(b"* 1 FETCH (ENVELOPE (NIL {5}", 5).is_none());
        assert!(body_context(b"* LIST () \".\" {5}", 5).is_none());
        assert!(body_context(b"* 1 FETCH (X-UID 3 BODY[] {5}", 5)
            .unwrap()
            .uid
            .is_none());
    }
}
