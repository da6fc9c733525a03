//! One command and its responses over a [`Connection`]: tags, literals sent
//! through continuation or LITERAL+, responses framed line by line with
//! literals read to memory or streamed to a writer, and every untagged
//! response folded into the session state as it arrives.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use mail_wire::{Connection, Direction, Line};

use crate::command::{Command, Part};
use crate::error::{rejection, Error};
use crate::mailbox::Mailbox;
use crate::response::{parse_with_streamed, Code, Fetch, Response, Status, Tag, Tagged, Untagged};
use crate::sequence::{SeqNum, Uid};

/// A response being assembled from lines and literals.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    text: Vec<u8>,
    streamed: Vec<usize>,
}

/// What reading a frame produced.
pub(crate) enum Piece {
    /// A complete response.
    Done(Response),
    /// A body literal waits to be read by the caller.
    Body(BodyContext),
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

/// The shared core of [`Client`](crate::Client), [`Session`](crate::Session)
/// and [`Selected`](crate::Selected).
pub(crate) struct Core<S> {
    pub(crate) conn: Connection<S>,
    next_tag: u32,
    pub(crate) capabilities: Vec<String>,
    pub(crate) enabled: Vec<String>,
    pub(crate) mailbox: Mailbox,
    pub(crate) alerts: Vec<String>,
    pub(crate) unsolicited: Vec<Untagged>,
    pub(crate) bye: Option<String>,
    pub(crate) patience: Option<Duration>,
    pub(crate) echo_literals: bool,
}

struct Counting<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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

impl<S: Read + Write> Core<S> {
    pub(crate) fn new(conn: Connection<S>) -> Self {
        Core {
            conn,
            next_tag: 1,
            capabilities: Vec::new(),
            enabled: Vec::new(),
            mailbox: Mailbox::default(),
            alerts: Vec::new(),
            unsolicited: Vec::new(),
            bye: None,
            patience: None,
            echo_literals: true,
        }
    }

    pub(crate) fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    pub(crate) fn utf8(&self) -> bool {
        self.enabled
            .iter()
            .any(|c| c.eq_ignore_ascii_case("UTF8=ACCEPT") || c.eq_ignore_ascii_case("IMAP4rev2"))
    }

    /// UTF8=ACCEPT itself is enabled (RFC 6855 §3: no CHARSET in SEARCH then).
    pub(crate) fn utf8_accept(&self) -> bool {
        self.enabled
            .iter()
            .any(|c| c.eq_ignore_ascii_case("UTF8=ACCEPT"))
    }

    pub(crate) fn next_tag(&mut self) -> Tag {
        let tag = Tag(format!("a{}", self.next_tag));
        self.next_tag = self.next_tag.wrapping_add(1).max(1);
        tag
    }

    fn keep_waiting(&self, started: Instant) -> bool {
        self.patience.is_some_and(|p| started.elapsed() < p)
    }

    fn wire_error(&self, err: mail_wire::Error) -> Error {
        match (err, &self.bye) {
            (mail_wire::Error::Closed, Some(text)) => Error::Bye { text: text.clone() },
            (err, _) => err.into(),
        }
    }

    /// Reads one line into `out`; `patient` retries socket time-outs within
    /// the configured patience.
    pub(crate) fn read_line_into(&mut self, out: &mut Vec<u8>, patient: bool) -> Result<(), Error> {
        let started = Instant::now();
        loop {
            let result = self
                .conn
                .read_line()
                .map(|line| out.extend_from_slice(line));
            match result {
                Ok(()) => return Ok(()),
                Err(mail_wire::Error::Timeout) if patient && self.keep_waiting(started) => continue,
                Err(err) => return Err(self.wire_error(err)),
            }
        }
    }

    /// Copies a literal of `n` bytes to `out`; returns how many arrived
    /// before an error in the error case through `done`.
    pub(crate) fn copy_literal(
        &mut self,
        n: u64,
        out: &mut dyn Write,
        done: &mut u64,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let hidden = if self.echo_literals {
            None
        } else {
            self.conn.take_transcript()
        };
        let result = loop {
            let mut counting = Counting { inner: out, n: 0 };
            let result = self.conn.copy_exact(n - *done, &mut counting);
            *done += counting.n;
            match result {
                Ok(()) => break Ok(()),
                Err(mail_wire::Error::Timeout) if self.keep_waiting(started) => continue,
                Err(err) => break Err(self.wire_error(err)),
            }
        };
        if let Some(t) = hidden {
            self.conn.set_transcript(Some(t));
            self.conn
                .note(Direction::Server, &format!("<literal of {n} bytes>"));
        }
        result
    }

    /// Reads the rest of the current frame. With `stream_bodies`, stops
    /// before a FETCH body literal and hands its context back; the caller
    /// must consume exactly `size` bytes before calling again.
    pub(crate) fn advance(
        &mut self,
        frame: &mut Frame,
        stream_bodies: bool,
    ) -> Result<Piece, Error> {
        loop {
            let start = frame.text.len();
            self.read_line_into(&mut frame.text, true)?;
            let line = frame.text.get(start..).unwrap_or_default();
            let literal = literal_suffix(line);
            frame.text.extend_from_slice(b"\r\n");
            let Some(size) = literal else {
                let (response, _) = parse_with_streamed(&frame.text, &frame.streamed)?;
                *frame = Frame::default();
                return Ok(Piece::Done(response));
            };
            let size = size?;
            let limit = self.conn.limits().max_literal;
            if size > limit {
                return Err(Error::TooLarge { size, limit });
            }
            if stream_bodies {
                let crlf = frame.text.len() - 2;
                if let Some(ctx) = frame.text.get(..crlf).and_then(|t| body_context(t, size)) {
                    frame.streamed.push(frame.text.len());
                    return Ok(Piece::Body(ctx));
                }
            }
            if frame.text.len() as u64 + size > limit {
                return Err(Error::TooLarge {
                    size: frame.text.len() as u64 + size,
                    limit,
                });
            }
            let mut done = 0;
            let mut text = std::mem::take(&mut frame.text);
            let result = self.copy_literal(size, &mut text, &mut done);
            frame.text = text;
            result?;
        }
    }

    /// Reads one whole response, literals in memory.
    pub(crate) fn read_response(&mut self) -> Result<Response, Error> {
        let mut frame = Frame::default();
        match self.advance(&mut frame, false)? {
            Piece::Done(r) => Ok(r),
            Piece::Body(_) => Err(Error::Unexpected("a streamed literal".into())),
        }
    }

    /// Folds an untagged response into the state.
    pub(crate) fn absorb(&mut self, u: &Untagged) {
        self.mailbox.apply(u);
        match u {
            Untagged::Capability(caps) => self.capabilities = caps.clone(),
            Untagged::Enabled(caps) => self.enabled.extend(caps.iter().cloned()),
            Untagged::Status { status, text } => {
                if *status == Status::Bye {
                    self.bye = Some(text.to_string());
                }
                self.absorb_code(text.code.as_ref(), &text.text);
            }
            _ => {}
        }
    }

    fn absorb_code(&mut self, code: Option<&Code>, text: &str) {
        match code {
            Some(Code::Alert) => {
                log::warn!(
                    "server alert: {}",
                    mail_wire::escape_for_display(text.as_bytes())
                );
                self.alerts.push(text.to_owned());
            }
            Some(Code::Capability(caps)) => self.capabilities = caps.clone(),
            _ => {}
        }
    }

    /// Sends a command; synchronizing literals wait for the go-ahead, and
    /// with LITERAL+ (RFC 7888) no literal waits. Untagged responses that
    /// arrive meanwhile are kept in `seen`.
    pub(crate) fn send(&mut self, cmd: &Command, seen: &mut Vec<Untagged>) -> Result<Tag, Error> {
        let tag = self.next_tag();
        self.send_tagged(&tag, cmd, seen)?;
        Ok(tag)
    }

    pub(crate) fn send_tagged(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        self.queue_tagged(tag, cmd, seen)?;
        self.conn.flush()?;
        Ok(())
    }

    /// As `send_tagged` without the final flush, for pipelining.
    pub(crate) fn queue_tagged(
        &mut self,
        tag: &Tag,
        cmd: &Command,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        let literal_plus = self.has_capability("LITERAL+");
        let mut line = format!("{tag} ").into_bytes();
        let mut secret = None;
        for part in &cmd.parts {
            match part {
                Part::Text(t) => line.extend_from_slice(t),
                Part::Secret(s) => secret = Some(s),
                Part::Literal {
                    bytes,
                    secret: hidden,
                } => {
                    let plus = if literal_plus { "+" } else { "" };
                    line.extend_from_slice(format!("{{{}{plus}}}", bytes.len()).as_bytes());
                    self.conn.queue(Line::public(&line))?;
                    line.clear();
                    if !literal_plus {
                        self.conn.flush()?;
                        self.await_continuation(tag, cmd.name, seen)?;
                    }
                    self.conn.write_raw(bytes)?;
                    let shown = if *hidden {
                        mail_wire::MASK.to_owned()
                    } else {
                        format!("<literal of {} bytes>", bytes.len())
                    };
                    self.conn.note(Direction::Client, &shown);
                }
            }
        }
        match secret {
            Some(s) => self.conn.queue(Line::with_secret(&line, s))?,
            None => self.conn.queue(Line::public(&line))?,
        }
        Ok(())
    }

    fn await_continuation(
        &mut self,
        tag: &Tag,
        command: &'static str,
        seen: &mut Vec<Untagged>,
    ) -> Result<(), Error> {
        loop {
            match self.read_response()? {
                Response::Continuation(_) => return Ok(()),
                Response::Untagged(u) => {
                    self.absorb(&u);
                    seen.push(u);
                }
                Response::Tagged(t) if &t.tag == tag => {
                    self.absorb_code(t.text.code.as_ref(), &t.text.text);
                    return Err(rejection(command, t));
                }
                Response::Tagged(t) => {
                    return Err(Error::UnexpectedTag {
                        expected: tag.0.clone(),
                        got: t.tag.0,
                    })
                }
            }
        }
    }

    /// Reads to the tagged completion of `tag`; untagged responses go to `seen`.
    pub(crate) fn finish(
        &mut self,
        tag: &Tag,
        command: &'static str,
        seen: &mut Vec<Untagged>,
    ) -> Result<Tagged, Error> {
        loop {
            match self.read_response()? {
                Response::Untagged(u) => {
                    self.absorb(&u);
                    seen.push(u);
                }
                Response::Tagged(t) if &t.tag == tag => {
                    self.absorb_code(t.text.code.as_ref(), &t.text.text);
                    if let Some(code) = &t.text.code {
                        self.mailbox.apply_code(code);
                    }
                    return match t.status {
                        Status::Ok => Ok(t),
                        _ => Err(rejection(command, t)),
                    };
                }
                Response::Tagged(t) => {
                    return Err(Error::UnexpectedTag {
                        expected: tag.0.clone(),
                        got: t.tag.0,
                    })
                }
                Response::Continuation(text) => {
                    return Err(Error::Unexpected(format!(
                        "a continuation request (+ {text}) during {command}"
                    )))
                }
            }
        }
    }

    /// Sends `cmd` and reads to its completion.
    pub(crate) fn run(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        let mut seen = Vec::new();
        let tag = self.send(&cmd, &mut seen)?;
        let done = self.finish(&tag, cmd.name, &mut seen)?;
        Ok((seen, done))
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
    frame: Frame,
    pending: u64,
    consumed: u64,
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
    pending: &'s mut u64,
    consumed: &'s mut u64,
    /// Where it belongs.
    pub context: BodyContext,
}

impl<S: Read + Write> BodyReader<'_, S> {
    /// Streams the section to `out`.
    ///
    /// # Errors
    /// Reading from the server, or writing to `out` (as [`mail_wire::Error::Io`]).
    pub fn copy_to(self, out: &mut dyn Write) -> Result<u64, Error> {
        let size = *self.pending;
        let result = self.core.copy_literal(size, out, self.consumed);
        if result.is_ok() {
            *self.pending = 0;
            *self.consumed = 0;
        }
        result.map(|()| size)
    }
}

impl<'a, S: Read + Write> FetchStream<'a, S> {
    pub(crate) fn new(core: &'a mut Core<S>, tags: VecDeque<Tag>, command: &'static str) -> Self {
        FetchStream {
            core,
            tags,
            command,
            frame: Frame::default(),
            pending: 0,
            consumed: 0,
        }
    }

    /// The next event, or `None` after the last command's OK.
    ///
    /// # Errors
    /// A NO/BAD completion, a broken response, or the connection.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<FetchEvent<'_, S>>, Error> {
        if self.pending > 0 {
            let mut done = self.consumed;
            self.core
                .copy_literal(self.pending, &mut io::sink(), &mut done)?;
            self.pending = 0;
            self.consumed = 0;
        }
        loop {
            let Some(tag) = self.tags.front().cloned() else {
                return Ok(None);
            };
            match self.core.advance(&mut self.frame, true)? {
                Piece::Body(context) => {
                    self.pending = context.size;
                    self.consumed = 0;
                    return Ok(Some(FetchEvent::Body(BodyReader {
                        core: self.core,
                        pending: &mut self.pending,
                        consumed: &mut self.consumed,
                        context,
                    })));
                }
                Piece::Done(Response::Untagged(Untagged::Fetch(fetch))) => {
                    return Ok(Some(FetchEvent::Fetch(fetch)))
                }
                Piece::Done(Response::Untagged(u)) => {
                    self.core.absorb(&u);
                    self.core.unsolicited.push(u);
                }
                Piece::Done(Response::Tagged(t)) if t.tag == tag => {
                    self.tags.pop_front();
                    if t.status != Status::Ok {
                        self.tags.clear();
                        return Err(rejection(self.command, t));
                    }
                }
                Piece::Done(Response::Tagged(t)) => {
                    return Err(Error::UnexpectedTag {
                        expected: tag.0,
                        got: t.tag.0,
                    });
                }
                Piece::Done(Response::Continuation(text)) => {
                    return Err(Error::Unexpected(format!(
                        "a continuation request (+ {text}) during FETCH"
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
