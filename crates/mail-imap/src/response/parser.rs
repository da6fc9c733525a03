//! The response grammar (RFC 3501 §9, RFC 9051 §9): bytes to values.

use crate::sequence::{SeqNum, SequenceSet, Uid};

use super::convert::{body_structure, envelope};
use super::types::*;

/// Parses one complete response (ending in CRLF) from the start of `input`.
///
/// # Errors
/// [`ParseError::Incomplete`] for any prefix of a valid response,
/// [`ParseError::Malformed`] otherwise.
///
/// ```
/// use mail_imap::response::{parse_response, Response, Untagged};
/// let (resp, used) = parse_response(b"* 23 EXISTS\r\n").unwrap();
/// assert_eq!(resp, Response::Untagged(Untagged::Exists(23)));
/// assert_eq!(used, 13);
/// ```
pub fn parse_response(input: &[u8]) -> Result<(Response, usize), ParseError> {
    parse_with_streamed(input, &[])
}

/// As [`parse_response`], where each offset in `streamed` is the position
/// right after a literal's `{n}\r\n` whose bytes are not in `input`.
pub(crate) fn parse_with_streamed(
    input: &[u8],
    streamed: &[usize],
) -> Result<(Response, usize), ParseError> {
    let mut c = Cursor {
        input,
        pos: 0,
        streamed,
        depth: 0,
    };
    let response = c.response()?;
    Ok((response, c.pos))
}

struct Cursor<'a> {
    input: &'a [u8],
    pos: usize,
    streamed: &'a [usize],
    depth: usize,
}

/// Lists nested deeper than this are refused rather than recursed into.
const MAX_DEPTH: usize = 64;

type PResult<T> = Result<T, ParseError>;

fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    fn fail<T>(&self, expected: &'static str) -> PResult<T> {
        if self.pos >= self.input.len() {
            return Err(ParseError::Incomplete);
        }
        let excerpt = mail_wire::excerpt(self.rest(), 24);
        Err(ParseError::Malformed {
            expected,
            at: self.pos,
            excerpt,
        })
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8, what: &'static str) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            self.fail(what)
        }
    }

    fn sp(&mut self) -> PResult<()> {
        self.expect(b' ', "a space")
    }

    fn crlf(&mut self) -> PResult<()> {
        if self.rest().starts_with(b"\r\n") {
            self.pos += 2;
            Ok(())
        } else if self.rest() == b"\r" {
            Err(ParseError::Incomplete)
        } else {
            self.fail("the end of the line")
        }
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.input.get(start..self.pos).unwrap_or_default()
    }

    /// A run of bytes that must not touch the end of input.
    fn token(&mut self, pred: impl Fn(u8) -> bool, what: &'static str) -> PResult<&'a [u8]> {
        let t = self.take_while(pred);
        if self.pos >= self.input.len() {
            return Err(ParseError::Incomplete);
        }
        if t.is_empty() {
            return self.fail(what);
        }
        Ok(t)
    }

    fn atom(&mut self) -> PResult<String> {
        let t = self.token(is_atom_char, "an atom")?;
        Ok(String::from_utf8_lossy(t).into_owned())
    }

    fn number(&mut self) -> PResult<u64> {
        let start = self.pos;
        let digits = self.token(|b| b.is_ascii_digit(), "a number")?;
        let mut n: u64 = 0;
        for &d in digits {
            n = match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
            {
                Some(n) => n,
                None => {
                    self.pos = start;
                    return self.fail("a number below 2^64");
                }
            };
        }
        Ok(n)
    }

    fn number32(&mut self) -> PResult<u32> {
        let start = self.pos;
        let n = self.number()?;
        u32::try_from(n).or_else(|_| {
            self.pos = start;
            self.fail("a number below 2^32")
        })
    }

    fn nz_number(&mut self) -> PResult<u32> {
        let start = self.pos;
        let n = self.number32()?;
        if n == 0 {
            self.pos = start;
            return self.fail("a non-zero number");
        }
        Ok(n)
    }

    fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"', "a quoted string")?;
        // Fast path: no escapes before the closing quote.
        let rest = self.rest();
        if let Some(i) = rest
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | b'\r' | b'\n'))
        {
            if rest.get(i) == Some(&b'"') {
                let out = rest.get(..i).unwrap_or_default().to_vec();
                self.pos += i + 1;
                return Ok(out);
            }
        }
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ParseError::Incomplete),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(ParseError::Incomplete),
                        Some(b @ (b'"' | b'\\')) => {
                            out.push(b);
                            self.pos += 1;
                        }
                        Some(_) => return self.fail("`\\\"` or `\\\\` in a quoted string"),
                    }
                }
                Some(b'\r' | b'\n') => return self.fail("a closing quote"),
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// `{n}\r\n` + n bytes, or a streamed literal.
    fn literal(&mut self) -> PResult<NString> {
        self.expect(b'{', "a literal")?;
        let size = self.number()?;
        self.eat(b'+');
        self.expect(b'}', "`}` closing a literal size")?;
        self.crlf()?;
        if self.streamed.contains(&self.pos) {
            return Ok(NString::Streamed(size));
        }
        let left = (self.input.len() - self.pos) as u64;
        if size > left {
            return Err(ParseError::Incomplete);
        }
        let end = self.pos + size as usize;
        let bytes = self.input.get(self.pos..end).unwrap_or_default().to_vec();
        self.pos = end;
        Ok(NString::Bytes(bytes))
    }

    fn string(&mut self) -> PResult<NString> {
        match self.peek() {
            Some(b'"') => self.quoted().map(NString::Bytes),
            Some(b'{') => self.literal(),
            None => Err(ParseError::Incomplete),
            _ => self.fail("a string"),
        }
    }

    /// Consumes `NIL` when it is next; Incomplete when the input ends inside it.
    fn nil(&mut self) -> PResult<bool> {
        let r = self.rest();
        let n = r.len().min(3);
        if n == 0
            || !r
                .get(..n)
                .zip(b"NIL".get(..n))
                .is_some_and(|(w, nil)| w.eq_ignore_ascii_case(nil))
        {
            return if r.is_empty() {
                Err(ParseError::Incomplete)
            } else {
                Ok(false)
            };
        }
        match r.get(3) {
            None => Err(ParseError::Incomplete),
            Some(&b) if n == 3 && !is_atom_char(b) => {
                self.pos += 3;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn nstring(&mut self) -> PResult<NString> {
        if self.nil()? {
            return Ok(NString::Nil);
        }
        self.string()
    }

    /// atom (with `]` allowed) or string.
    fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => match self.string()? {
                NString::Bytes(b) => Ok(b),
                _ => self.fail("a string kept in memory"),
            },
            _ => Ok(self
                .token(|b| is_atom_char(b) || b == b']', "an atom or string")?
                .to_vec()),
        }
    }

    fn text_to_eol(&mut self) -> PResult<String> {
        let t = self.take_while(|b| b != b'\r' && b != b'\n');
        self.crlf()?;
        Ok(String::from_utf8_lossy(t).into_owned())
    }

    fn response(&mut self) -> PResult<Response> {
        match self.peek() {
            None => Err(ParseError::Incomplete),
            Some(b'+') => {
                self.pos += 1;
                self.eat(b' ');
                Ok(Response::Continuation(self.text_to_eol()?))
            }
            Some(b'*') => {
                self.pos += 1;
                self.sp()?;
                let u = self.untagged()?;
                Ok(Response::Untagged(u))
            }
            Some(_) => {
                let tag = self.token(|b| is_atom_char(b) && b != b'+', "a tag")?;
                let tag = Tag(String::from_utf8_lossy(tag).into_owned());
                self.sp()?;
                let start = self.pos;
                let word = self.atom()?.to_ascii_uppercase();
                let status = match word.as_str() {
                    "OK" => Status::Ok,
                    "NO" => Status::No,
                    "BAD" => Status::Bad,
                    _ => {
                        self.pos = start;
                        return self.fail("OK, NO or BAD after a tag");
                    }
                };
                let text = self.resp_text()?;
                Ok(Response::Tagged(Tagged { tag, status, text }))
            }
        }
    }

    /// `[SP] ["[" code "]" [SP]] text CRLF`.
    fn resp_text(&mut self) -> PResult<Text> {
        self.eat(b' ');
        let mut code = None;
        if self.eat(b'[') {
            code = Some(self.code()?);
            self.expect(b']', "`]` closing a response code")?;
            self.eat(b' ');
        }
        let text = self.text_to_eol()?;
        Ok(Text { code, text })
    }

    fn code(&mut self) -> PResult<Code> {
        let name = self.token(|b| is_atom_char(b) && b != b'[', "a response code")?;
        let name = String::from_utf8_lossy(name).to_ascii_uppercase();
        let has_arg = self.eat(b' ');
        let code = match (name.as_str(), has_arg) {
            ("ALERT", false) => Code::Alert,
            ("PARSE", false) => Code::Parse,
            ("READ-ONLY", false) => Code::ReadOnly,
            ("READ-WRITE", false) => Code::ReadWrite,
            ("TRYCREATE", false) => Code::TryCreate,
            ("NOMODSEQ", false) => Code::NoModSeq,
            ("CLOSED", false) => Code::Closed,
            ("CAPABILITY", true) => Code::Capability(self.words(|b| b != b']')?),
            ("PERMANENTFLAGS", true) => Code::PermanentFlags(self.flag_list()?),
            ("UIDNEXT", true) => Code::UidNext(Uid(self.nz_number()?)),
            ("UIDVALIDITY", true) => Code::UidValidity(self.nz_number()?),
            ("UNSEEN", true) => Code::Unseen(SeqNum(self.nz_number()?)),
            ("HIGHESTMODSEQ", true) => Code::HighestModSeq(self.number()?),
            ("APPENDUID", true) => {
                let validity = self.nz_number()?;
                self.sp()?;
                Code::AppendUid {
                    validity,
                    uids: self.sequence_set()?,
                }
            }
            ("COPYUID", true) => {
                let validity = self.nz_number()?;
                self.sp()?;
                let from = self.sequence_set()?;
                self.sp()?;
                Code::CopyUid {
                    validity,
                    from,
                    to: self.sequence_set()?,
                }
            }
            ("REFERRAL", true) => {
                let url = self.token(|b| b != b']' && b != b'\r' && b != b'\n', "a URL")?;
                Code::Referral(String::from_utf8_lossy(url).into_owned())
            }
            (_, true) => {
                let arg = self.token(
                    |b| b != b']' && b != b'\r' && b != b'\n',
                    "a response code argument",
                )?;
                Code::Other {
                    name,
                    arg: Some(String::from_utf8_lossy(arg).into_owned()),
                }
            }
            (_, false) => Code::Other { name, arg: None },
        };
        Ok(code)
    }

    fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let start = self.pos;
        let t = self.token(
            |b| b.is_ascii_digit() || matches!(b, b':' | b',' | b'*'),
            "a sequence set",
        )?;
        match SequenceSet::parse(&String::from_utf8_lossy(t)) {
            Some(set) => Ok(set),
            None => {
                self.pos = start;
                self.fail("a sequence set")
            }
        }
    }

    /// Space-separated words while `more` holds for the next byte.
    fn words(&mut self, more: impl Fn(u8) -> bool) -> PResult<Vec<String>> {
        let mut out = Vec::new();
        loop {
            let w = self.take_while(|b| b != b' ' && b != b'\r' && b != b'\n' && more(b));
            if self.pos >= self.input.len() {
                return Err(ParseError::Incomplete);
            }
            if !w.is_empty() {
                out.push(String::from_utf8_lossy(w).into_owned());
            }
            if !self.eat(b' ') {
                return Ok(out);
            }
        }
    }

    fn flag(&mut self) -> PResult<Flag> {
        let start = self.pos;
        self.eat(b'\\');
        if self.eat(b'*') {
            return Ok(Flag("\\*".into()));
        }
        self.token(is_atom_char, "a flag")?;
        Ok(Flag(
            String::from_utf8_lossy(self.input.get(start..self.pos).unwrap_or_default())
                .into_owned(),
        ))
    }

    fn flag_list(&mut self) -> PResult<Vec<Flag>> {
        self.expect(b'(', "`(` opening a flag list")?;
        let mut flags = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(flags);
            }
            if !flags.is_empty() {
                self.sp()?;
            }
            // Tolerate a stray space before `)` (seen from some servers).
            if self.eat(b')') {
                return Ok(flags);
            }
            flags.push(self.flag()?);
        }
    }

    /// A generic value: NIL, number, atom, string, or a parenthesized list.
    fn value(&mut self) -> PResult<Value> {
        match self.peek() {
            None => Err(ParseError::Incomplete),
            Some(b'(') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b')') {
                        return Ok(Value::List(items));
                    }
                    // `)(` needs no space: address lists and body parts (RFC 3501 §9).
                    let glued =
                        self.peek() == Some(b'(') && matches!(items.last(), Some(Value::List(_)));
                    if !items.is_empty() && !glued {
                        self.sp()?;
                        if self.eat(b')') {
                            return Ok(Value::List(items));
                        }
                    }
                    if self.depth >= MAX_DEPTH {
                        return self.fail("lists nested at most 64 deep");
                    }
                    self.depth += 1;
                    let item = self.value();
                    self.depth -= 1;
                    items.push(item?);
                }
            }
            Some(b'"' | b'{') => Ok(match self.string()? {
                NString::Bytes(b) => Value::String(b),
                NString::Streamed(n) => Value::Streamed(n),
                NString::Nil => Value::Nil,
            }),
            Some(_) => {
                if self.nil()? {
                    return Ok(Value::Nil);
                }
                let t = self.token(
                    |b| b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'"' | b'{' | b']'),
                    "a value",
                )?;
                if t.iter().all(u8::is_ascii_digit) && t.len() < 20 {
                    let n = t.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
                    return Ok(Value::Number(n));
                }
                Ok(Value::Atom(String::from_utf8_lossy(t).into_owned()))
            }
        }
    }

    fn untagged(&mut self) -> PResult<Untagged> {
        if self.peek().is_some_and(|b| b.is_ascii_digit()) {
            let n = self.number32()?;
            self.sp()?;
            let word = self.atom()?.to_ascii_uppercase();
            let u = match word.as_str() {
                "EXISTS" => Untagged::Exists(n),
                "RECENT" => Untagged::Recent(n),
                "EXPUNGE" => Untagged::Expunge(SeqNum(n)),
                "FETCH" => {
                    self.sp()?;
                    let items = self.fetch_items()?;
                    Untagged::Fetch(Fetch {
                        seq: SeqNum(n),
                        items,
                    })
                }
                _ => {
                    let rest = self.take_while(|b| b != b'\r' && b != b'\n').to_vec();
                    Untagged::Other {
                        name: format!("{n} {word}"),
                        rest,
                    }
                }
            };
            self.crlf()?;
            return Ok(u);
        }
        let word = self.token(|b| is_atom_char(b) && b != b'[', "a response name")?;
        let word = String::from_utf8_lossy(word).to_ascii_uppercase();
        let status = match word.as_str() {
            "OK" => Some(Status::Ok),
            "NO" => Some(Status::No),
            "BAD" => Some(Status::Bad),
            "PREAUTH" => Some(Status::Preauth),
            "BYE" => Some(Status::Bye),
            _ => None,
        };
        if let Some(status) = status {
            return Ok(Untagged::Status {
                status,
                text: self.resp_text()?,
            });
        }
        let u = match word.as_str() {
            "CAPABILITY" => {
                self.sp()?;
                Untagged::Capability(self.words(|_| true)?)
            }
            "ENABLED" => {
                let words = if self.eat(b' ') {
                    self.words(|_| true)?
                } else {
                    Vec::new()
                };
                Untagged::Enabled(words)
            }
            "LIST" | "LSUB" => {
                self.sp()?;
                let item = self.list_item()?;
                if word == "LIST" {
                    Untagged::List(item)
                } else {
                    Untagged::Lsub(item)
                }
            }
            "FLAGS" => {
                self.sp()?;
                Untagged::Flags(self.flag_list()?)
            }
            "SEARCH" | "SORT" => {
                let mut numbers = Vec::new();
                let mut modseq = None;
                while self.eat(b' ') {
                    if self.peek() == Some(b'(') {
                        let v = self.value()?;
                        if let [Value::Atom(name), Value::Number(n)] = v.list() {
                            if name.eq_ignore_ascii_case("MODSEQ") {
                                modseq = Some(*n);
                            }
                        }
                    } else if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                        numbers.push(self.nz_number()?);
                    }
                }
                Untagged::Search { numbers, modseq }
            }
            "ESEARCH" => Untagged::Esearch(self.esearch()?),
            "STATUS" => {
                self.sp()?;
                let mailbox = String::from_utf8_lossy(&self.astring()?).into_owned();
                self.sp()?;
                let list = self.value()?;
                let mut items = Vec::new();
                for pair in list.list().chunks(2) {
                    if let [Value::Atom(name), Value::Number(n)] = pair {
                        items.push((name.to_ascii_uppercase(), *n));
                    }
                }
                self.eat(b' ');
                Untagged::MailboxStatus { mailbox, items }
            }
            "ID" => {
                self.sp()?;
                let v = self.value()?;
                let mut fields = Vec::new();
                for pair in v.list().chunks(2) {
                    if let [k, v] = pair {
                        let key = k
                            .nstring()
                            .map(|b| String::from_utf8_lossy(&b).into_owned())
                            .unwrap_or_default();
                        fields.push((
                            key,
                            v.nstring()
                                .map(|b| String::from_utf8_lossy(&b).into_owned()),
                        ));
                    }
                }
                Untagged::Id(fields)
            }
            "NAMESPACE" => {
                let mut out: [Vec<Namespace>; 3] = Default::default();
                for slot in out.iter_mut() {
                    self.sp()?;
                    let v = self.value()?;
                    for ns in v.list() {
                        let items = ns.list();
                        let prefix = items.first().and_then(Value::nstring).unwrap_or_default();
                        let delimiter = items
                            .get(1)
                            .and_then(Value::nstring)
                            .and_then(|d| d.first().map(|&b| char::from(b)));
                        slot.push(Namespace {
                            prefix: String::from_utf8_lossy(&prefix).into_owned(),
                            delimiter,
                        });
                    }
                }
                Untagged::Namespace(out)
            }
            _ => {
                self.eat(b' ');
                let rest = self.take_while(|b| b != b'\r' && b != b'\n').to_vec();
                Untagged::Other { name: word, rest }
            }
        };
        self.crlf()?;
        Ok(u)
    }

    fn list_item(&mut self) -> PResult<ListItem> {
        let attributes = self.flag_list()?;
        self.sp()?;
        let delimiter = if self.nil()? {
            None
        } else {
            let d = self.quoted()?;
            match d.as_slice() {
                [b] => Some(char::from(*b)),
                _ => return self.fail("a one-character delimiter"),
            }
        };
        self.sp()?;
        let name = String::from_utf8_lossy(&self.astring()?).into_owned();
        // LIST-EXTENDED data (RFC 5258), ignored.
        if self.eat(b' ') {
            self.value()?;
        }
        Ok(ListItem {
            attributes,
            delimiter,
            name,
        })
    }

    fn esearch(&mut self) -> PResult<Esearch> {
        let mut out = Esearch {
            tag: None,
            uid: false,
            items: Vec::new(),
        };
        while self.eat(b' ') {
            if self.peek() == Some(b'(') {
                let v = self.value()?;
                if let [Value::Atom(name), tag] = v.list() {
                    if name.eq_ignore_ascii_case("TAG") {
                        out.tag = tag
                            .nstring()
                            .map(|b| String::from_utf8_lossy(&b).into_owned());
                    }
                }
                continue;
            }
            let name = self.atom()?.to_ascii_uppercase();
            if name == "UID" {
                out.uid = true;
                continue;
            }
            self.sp()?;
            let value = if self.peek() == Some(b'(') {
                self.value()?
            } else {
                let t = self.token(|b| is_atom_char(b) || b == b'*', "a search result")?;
                let text = String::from_utf8_lossy(t).into_owned();
                match text.parse::<u64>() {
                    Ok(n) if name != "ALL" => Value::Number(n),
                    _ => Value::Atom(text),
                }
            };
            out.items.push((name, value));
        }
        Ok(out)
    }

    fn fetch_items(&mut self) -> PResult<Vec<FetchItem>> {
        self.expect(b'(', "`(` opening FETCH data")?;
        let mut items = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(items);
            }
            if !items.is_empty() {
                self.sp()?;
            }
            items.push(self.fetch_item()?);
        }
    }

    fn fetch_item(&mut self) -> PResult<FetchItem> {
        let name = self.token(|b| is_atom_char(b) && b != b'[', "a FETCH item name")?;
        let name = String::from_utf8_lossy(name).to_ascii_uppercase();
        let section_start = self.pos;
        let has_section = self.peek() == Some(b'[');
        if has_section {
            // Section text holds no `]` except the closing one (RFC 3501 `section`).
            self.pos += 1;
            self.take_while(|b| b != b']' && b != b'\r' && b != b'\n');
            self.expect(b']', "`]` closing a section")?;
        }
        let section_text = self.input.get(section_start..self.pos).unwrap_or_default();
        let section = || format!("{name}{}", String::from_utf8_lossy(section_text));
        let mut origin = None;
        if has_section && self.eat(b'<') {
            origin = Some(self.number()?);
            self.expect(b'>', "`>` closing an origin")?;
        }
        self.sp()?;
        let item = match name.as_str() {
            "FLAGS" => FetchItem::Flags(self.flag_list()?),
            "UID" => FetchItem::Uid(Uid(self.nz_number()?)),
            "INTERNALDATE" => match self.string()? {
                NString::Bytes(b) => {
                    FetchItem::InternalDate(String::from_utf8_lossy(&b).into_owned())
                }
                _ => return self.fail("a date string"),
            },
            "RFC822.SIZE" => FetchItem::Size(self.number()?),
            "MODSEQ" => {
                self.expect(b'(', "`(` before a MODSEQ value")?;
                let n = self.number()?;
                self.expect(b')', "`)` after a MODSEQ value")?;
                FetchItem::ModSeq(n)
            }
            "ENVELOPE" => {
                let start = self.pos;
                let v = self.value()?;
                match envelope(v) {
                    Some(e) => FetchItem::Envelope(Box::new(e)),
                    None => {
                        self.pos = start;
                        return self.fail("an envelope of ten fields");
                    }
                }
            }
            "BODYSTRUCTURE" | "BODY" if !has_section => {
                let start = self.pos;
                let v = self.value()?;
                match body_structure(v, 0) {
                    Some(b) => FetchItem::BodyStructure(Box::new(b)),
                    None => {
                        self.pos = start;
                        return self.fail("a body structure");
                    }
                }
            }
            "BINARY.SIZE" if has_section => FetchItem::BinarySize {
                section: section(),
                size: self.number()?,
            },
            "BODY" | "BINARY" | "RFC822" | "RFC822.HEADER" | "RFC822.TEXT" => FetchItem::Body {
                section: section(),
                origin,
                data: self.nstring()?,
            },
            _ => FetchItem::Other {
                name: section(),
                value: self.value()?,
            },
        };
        Ok(item)
    }
}
