//! Server responses (RFC 3501 §7 and §9, RFC 9051 §7): bytes to values.
//!
//! [`parse_response`] takes one complete response including its final CRLF,
//! with literals inline (`{5}\r\nhello`), and returns it with the number of
//! bytes used. A prefix of a valid response is [`ParseError::Incomplete`],
//! never an error. The session layer frames responses line by line and may
//! leave a body literal out of the bytes (it was streamed to a writer); the
//! parser then reports that literal as [`NString::Streamed`].

use std::fmt;

use crate::sequence::{SeqNum, SequenceSet, Uid};

/// Why bytes are not (yet) a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// More bytes are needed.
    Incomplete,
    /// The bytes break the grammar.
    Malformed {
        /// What the grammar expected.
        expected: &'static str,
        /// Byte offset in the response.
        at: usize,
        /// A short escaped excerpt starting there.
        excerpt: String,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete => f.write_str("the response ended early"),
            ParseError::Malformed {
                expected,
                at,
                excerpt,
            } => {
                write!(
                    f,
                    "expected {expected} at byte {at} of the response, found \"{excerpt}\""
                )
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// A command tag chosen by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(pub String);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// OK, NO or BAD (and for untagged status responses PREAUTH and BYE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success.
    Ok,
    /// Failure of the operation.
    No,
    /// The command was not understood.
    Bad,
    /// Greeting: already authenticated.
    Preauth,
    /// The server is closing the connection.
    Bye,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
            Status::Preauth => "PREAUTH",
            Status::Bye => "BYE",
        })
    }
}

/// A message or mailbox flag (`\Seen`, `$Forwarded`, `\*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flag(pub String);

impl Flag {
    /// True for `\Deleted` (case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

/// A response code in brackets (RFC 3501 §7.1, RFC 4315, RFC 7162, RFC 2221).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// `[ALERT]`: text the user must see.
    Alert,
    /// `[PARSE]`.
    Parse,
    /// `[CAPABILITY ...]`.
    Capability(Vec<String>),
    /// `[PERMANENTFLAGS (...)]`.
    PermanentFlags(Vec<Flag>),
    /// `[READ-ONLY]`.
    ReadOnly,
    /// `[READ-WRITE]`.
    ReadWrite,
    /// `[TRYCREATE]`.
    TryCreate,
    /// `[UIDNEXT n]`.
    UidNext(Uid),
    /// `[UIDVALIDITY n]`.
    UidValidity(u32),
    /// `[UNSEEN n]`.
    Unseen(SeqNum),
    /// `[APPENDUID validity uids]` (RFC 4315).
    AppendUid {
        /// UIDVALIDITY of the target mailbox.
        validity: u32,
        /// The new UIDs.
        uids: SequenceSet,
    },
    /// `[COPYUID validity from to]` (RFC 4315).
    CopyUid {
        /// UIDVALIDITY of the target mailbox.
        validity: u32,
        /// Source UIDs.
        from: SequenceSet,
        /// Target UIDs, in the same order.
        to: SequenceSet,
    },
    /// `[HIGHESTMODSEQ n]` (RFC 7162).
    HighestModSeq(u64),
    /// `[NOMODSEQ]`.
    NoModSeq,
    /// `[CLOSED]` (RFC 7162).
    Closed,
    /// `[REFERRAL url]` (RFC 2221): reported, never followed.
    Referral(String),
    /// Any other code with its argument text.
    Other {
        /// The code's name.
        name: String,
        /// Its argument, as sent.
        arg: Option<String>,
    },
}

/// A status response's code and human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The bracketed code, if any.
    pub code: Option<Code>,
    /// The text (lossy UTF-8).
    pub text: String,
}

/// A tagged completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    /// The command's tag.
    pub tag: Tag,
    /// OK, NO or BAD.
    pub status: Status,
    /// Code and text.
    pub text: Text,
}

impl fmt::Display for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.tag, self.status, self.text)
    }
}

/// The code in its wire form (`APPENDUID 38505 3955`), without brackets;
/// server words are escaped for a terminal.
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::Alert => f.write_str("ALERT"),
            Code::Parse => f.write_str("PARSE"),
            Code::Capability(words) => write!(f, "CAPABILITY {}", escape(&words.join(" "))),
            Code::PermanentFlags(flags) => {
                let names: Vec<&str> = flags.iter().map(|flag| flag.0.as_str()).collect();
                write!(f, "PERMANENTFLAGS ({})", escape(&names.join(" ")))
            }
            Code::ReadOnly => f.write_str("READ-ONLY"),
            Code::ReadWrite => f.write_str("READ-WRITE"),
            Code::TryCreate => f.write_str("TRYCREATE"),
            Code::UidNext(uid) => write!(f, "UIDNEXT {uid}"),
            Code::UidValidity(n) => write!(f, "UIDVALIDITY {n}"),
            Code::Unseen(n) => write!(f, "UNSEEN {n}"),
            Code::AppendUid { validity, uids } => write!(f, "APPENDUID {validity} {uids}"),
            Code::CopyUid { validity, from, to } => write!(f, "COPYUID {validity} {from} {to}"),
            Code::HighestModSeq(n) => write!(f, "HIGHESTMODSEQ {n}"),
            Code::NoModSeq => f.write_str("NOMODSEQ"),
            Code::Closed => f.write_str("CLOSED"),
            Code::Referral(url) => write!(f, "REFERRAL {}", escape(url)),
            Code::Other { name, arg: None } => f.write_str(&escape(name)),
            Code::Other {
                name,
                arg: Some(arg),
            } => write!(f, "{} {}", escape(name), escape(arg)),
        }
    }
}

/// `[CODE] text` as the server sent it, escaped for a terminal, so an error
/// sentence keeps the whole reply (`[AUTHENTICATIONFAILED] Authentication failed.`).
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, self.text.is_empty()) {
            (Some(code), true) => write!(f, "[{code}]"),
            (Some(code), false) => write!(f, "[{code}] {}", escape(&self.text)),
            (None, _) => f.write_str(&escape(&self.text)),
        }
    }
}

fn escape(text: &str) -> String {
    mail_wire::escape_for_display(text.as_bytes())
}

/// A string from the server: absent, in memory, or streamed elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NString {
    /// `NIL`.
    Nil,
    /// Quoted or literal bytes.
    Bytes(Vec<u8>),
    /// A literal of this size went to a writer instead of memory.
    Streamed(u64),
}

impl NString {
    /// The bytes when in memory.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            NString::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The bytes as lossy UTF-8 when in memory.
    pub fn text(&self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// A parenthesized value as sent (for ENVELOPE, BODYSTRUCTURE, ID,
/// NAMESPACE and unknown data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `NIL`.
    Nil,
    /// An atom (flags included).
    Atom(String),
    /// A number.
    Number(u64),
    /// Quoted or literal bytes.
    String(Vec<u8>),
    /// A literal streamed elsewhere.
    Streamed(u64),
    /// `( ... )`.
    List(Vec<Value>),
}

impl Value {
    fn into_nstring(self) -> Option<Vec<u8>> {
        match self {
            Value::String(b) => Some(b),
            Value::Atom(a) => Some(a.into_bytes()),
            Value::Number(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    }

    fn into_list(self) -> Vec<Value> {
        match self {
            Value::List(items) => items,
            _ => Vec::new(),
        }
    }

    fn nstring(&self) -> Option<Vec<u8>> {
        match self {
            Value::String(b) => Some(b.clone()),
            Value::Atom(a) => Some(a.clone().into_bytes()),
            Value::Number(n) => Some(n.to_string().into_bytes()),
            _ => None,
        }
    }

    fn list(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}

/// An address in an envelope (RFC 3501 §7.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Display name.
    pub name: Option<Vec<u8>>,
    /// Source route (obsolete).
    pub adl: Option<Vec<u8>>,
    /// Local part (or group name).
    pub mailbox: Option<Vec<u8>>,
    /// Domain (NIL marks a group).
    pub host: Option<Vec<u8>>,
}

/// The ENVELOPE fetch item.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// Date header.
    pub date: Option<Vec<u8>>,
    /// Subject header (raw, possibly RFC 2047 encoded).
    pub subject: Option<Vec<u8>>,
    /// From.
    pub from: Vec<Address>,
    /// Sender.
    pub sender: Vec<Address>,
    /// Reply-To.
    pub reply_to: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// In-Reply-To.
    pub in_reply_to: Option<Vec<u8>>,
    /// Message-ID.
    pub message_id: Option<Vec<u8>>,
}

/// BODY / BODYSTRUCTURE (RFC 3501 §7.4.2, `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyStructure {
    /// A leaf part.
    Single {
        /// `TEXT`, `IMAGE`, ...
        media_type: String,
        /// `PLAIN`, `JPEG`, ...
        subtype: String,
        /// Content-Type parameters.
        params: Vec<(String, String)>,
        /// Content-ID.
        id: Option<Vec<u8>>,
        /// Content-Description.
        description: Option<Vec<u8>>,
        /// Content-Transfer-Encoding.
        encoding: String,
        /// Size in octets of the encoded body.
        size: u64,
        /// Lines, for TEXT and MESSAGE/RFC822.
        lines: Option<u64>,
        /// For MESSAGE/RFC822: the inner envelope and body.
        message: Option<Box<(Envelope, BodyStructure)>>,
        /// Extension data, as sent.
        extension: Vec<Value>,
    },
    /// A multipart.
    Multipart {
        /// The parts.
        parts: Vec<BodyStructure>,
        /// `MIXED`, `ALTERNATIVE`, ...
        subtype: String,
        /// Extension data, as sent.
        extension: Vec<Value>,
    },
}

/// One FETCH data item (RFC 3501 §7.4.2, RFC 9051 §7.5.2, RFC 7162).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchItem {
    /// FLAGS.
    Flags(Vec<Flag>),
    /// UID.
    Uid(Uid),
    /// INTERNALDATE, as sent.
    InternalDate(String),
    /// RFC822.SIZE.
    Size(u64),
    /// ENVELOPE.
    Envelope(Box<Envelope>),
    /// BODYSTRUCTURE or BODY without a section.
    BodyStructure(Box<BodyStructure>),
    /// `BODY[section]<origin>`, `BINARY[...]`, `RFC822`, `RFC822.HEADER`, `RFC822.TEXT`.
    Body {
        /// `BODY[HEADER.FIELDS (FROM)]`, `RFC822`, ...: the name as sent, without origin.
        section: String,
        /// `<origin>` of a partial fetch.
        origin: Option<u64>,
        /// The data.
        data: NString,
    },
    /// `BINARY.SIZE[section]`.
    BinarySize {
        /// The section.
        section: String,
        /// The decoded size.
        size: u64,
    },
    /// MODSEQ (RFC 7162).
    ModSeq(u64),
    /// Any other item, as sent.
    Other {
        /// Its name.
        name: String,
        /// Its value.
        value: Value,
    },
}

/// One untagged FETCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The message's sequence number.
    pub seq: SeqNum,
    /// Its data items.
    pub items: Vec<FetchItem>,
}

impl Fetch {
    /// The UID item, if sent.
    pub fn uid(&self) -> Option<Uid> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Uid(u) => Some(*u),
            _ => None,
        })
    }

    /// The FLAGS item, if sent.
    pub fn flags(&self) -> Option<&[Flag]> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Flags(f) => Some(f.as_slice()),
            _ => None,
        })
    }

    /// The first body section's data, if sent.
    pub fn body(&self) -> Option<&NString> {
        self.items.iter().find_map(|i| match i {
            FetchItem::Body { data, .. } => Some(data),
            _ => None,
        })
    }
}

/// A LIST or LSUB line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// `\HasNoChildren`, `\Noselect`, `\Sent`, ...
    pub attributes: Vec<Flag>,
    /// The hierarchy delimiter (`None` for a flat name space).
    pub delimiter: Option<char>,
    /// The name as sent (modified UTF-7 unless UTF8=ACCEPT is on).
    pub name: String,
}

impl ListItem {
    /// The name decoded from modified UTF-7 where it is valid.
    pub fn decoded_name(&self) -> String {
        crate::utf7::decode(&self.name).unwrap_or_else(|_| self.name.clone())
    }
}

/// One ESEARCH result (RFC 4731).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Esearch {
    /// The command tag it answers.
    pub tag: Option<String>,
    /// True for results in UIDs.
    pub uid: bool,
    /// `(name, value)` pairs; `ALL` stays a [`SequenceSet`] in [`Value::Atom`] form.
    pub items: Vec<(String, Value)>,
}

impl Esearch {
    /// The `ALL` set, unexpanded.
    pub fn all(&self) -> Option<SequenceSet> {
        self.items.iter().find_map(|(name, value)| match value {
            Value::Atom(text) if name.eq_ignore_ascii_case("ALL") => SequenceSet::parse(text),
            Value::Number(n) if name.eq_ignore_ascii_case("ALL") => {
                u32::try_from(*n).ok().map(SequenceSet::single)
            }
            _ => None,
        })
    }

    /// The `COUNT` value.
    pub fn count(&self) -> Option<u64> {
        self.items.iter().find_map(|(name, value)| match value {
            Value::Number(n) if name.eq_ignore_ascii_case("COUNT") => Some(*n),
            _ => None,
        })
    }
}

/// One personal, other-users or shared namespace (RFC 2342).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Prefix.
    pub prefix: String,
    /// Delimiter.
    pub delimiter: Option<char>,
}

/// An untagged response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Untagged {
    /// `* OK|NO|BAD|PREAUTH|BYE [code] text`.
    Status {
        /// The status.
        status: Status,
        /// Code and text.
        text: Text,
    },
    /// `* CAPABILITY ...`.
    Capability(Vec<String>),
    /// `* LIST`.
    List(ListItem),
    /// `* LSUB`.
    Lsub(ListItem),
    /// `* STATUS mailbox (...)`.
    MailboxStatus {
        /// The mailbox as sent.
        mailbox: String,
        /// `(MESSAGES, 3)`, `(UIDNEXT, 9)`, ...
        items: Vec<(String, u64)>,
    },
    /// `* SEARCH 2 3 5` (numbers, plus MODSEQ from RFC 7162).
    Search {
        /// Matching numbers.
        numbers: Vec<u32>,
        /// `(MODSEQ n)`.
        modseq: Option<u64>,
    },
    /// `* ESEARCH`.
    Esearch(Esearch),
    /// `* FLAGS (...)`.
    Flags(Vec<Flag>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT`.
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(SeqNum),
    /// `* n FETCH (...)`.
    Fetch(Fetch),
    /// `* ENABLED ...` (RFC 5161).
    Enabled(Vec<String>),
    /// `* ID (...)` or `* ID NIL` (RFC 2971).
    Id(Vec<(String, Option<String>)>),
    /// `* NAMESPACE` (RFC 2342): personal, other users', shared.
    Namespace([Vec<Namespace>; 3]),
    /// Anything else, kept as text.
    Other {
        /// The first word.
        name: String,
        /// The rest of the response.
        rest: Vec<u8>,
    },
}

/// A server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `* ...`.
    Untagged(Untagged),
    /// `tag OK|NO|BAD ...`.
    Tagged(Tagged),
    /// `+ text`: go on with the command.
    Continuation(String),
}

impl Response {
    /// A short, escaped description for an error sentence: the tagged or
    /// status response in full, otherwise the kind of untagged data.
    pub(crate) fn describe(&self) -> String {
        match self {
            Response::Tagged(t) => t.to_string(),
            Response::Continuation(text) => format!("+ {}", escape(text)),
            Response::Untagged(Untagged::Status { status, text }) => format!("* {status} {text}"),
            Response::Untagged(u) => {
                let kind = match u {
                    Untagged::Capability(_) => "CAPABILITY",
                    Untagged::List(_) => "LIST",
                    Untagged::Lsub(_) => "LSUB",
                    Untagged::MailboxStatus { .. } => "STATUS",
                    Untagged::Search { .. } => "SEARCH",
                    Untagged::Esearch(_) => "ESEARCH",
                    Untagged::Flags(_) => "FLAGS",
                    Untagged::Exists(_) => "EXISTS",
                    Untagged::Recent(_) => "RECENT",
                    Untagged::Expunge(_) => "EXPUNGE",
                    Untagged::Fetch(_) => "FETCH",
                    Untagged::Enabled(_) => "ENABLED",
                    Untagged::Id(_) => "ID",
                    Untagged::Namespace(_) => "NAMESPACE",
                    Untagged::Other { name, .. } => {
                        return format!("an untagged {} response", escape(name))
                    }
                    Untagged::Status { .. } => "status",
                };
                format!("an untagged {kind} response")
            }
        }
    }
}

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

fn address_list(v: Value) -> Vec<Address> {
    v.into_list()
        .into_iter()
        .filter_map(|a| {
            let [name, adl, mailbox, host] = <[Value; 4]>::try_from(a.into_list()).ok()?;
            Some(Address {
                name: name.into_nstring(),
                adl: adl.into_nstring(),
                mailbox: mailbox.into_nstring(),
                host: host.into_nstring(),
            })
        })
        .collect()
}

fn envelope(v: Value) -> Option<Envelope> {
    let [date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id] =
        <[Value; 10]>::try_from(v.into_list()).ok()?;
    Some(Envelope {
        date: date.into_nstring(),
        subject: subject.into_nstring(),
        from: address_list(from),
        sender: address_list(sender),
        reply_to: address_list(reply_to),
        to: address_list(to),
        cc: address_list(cc),
        bcc: address_list(bcc),
        in_reply_to: in_reply_to.into_nstring(),
        message_id: message_id.into_nstring(),
    })
}

fn text_of(v: Value) -> String {
    v.into_nstring()
        .map(|b| {
            String::from_utf8(b)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        })
        .unwrap_or_default()
}

/// Nesting deeper than this is refused rather than recursed into.
const MAX_BODY_DEPTH: usize = 64;

fn body_structure(v: Value, depth: usize) -> Option<BodyStructure> {
    if depth > MAX_BODY_DEPTH {
        return None;
    }
    let items = v.into_list();
    if matches!(items.first(), Some(Value::List(_))) {
        let split = items.iter().position(|i| !matches!(i, Value::List(_)))?;
        let mut items = items.into_iter();
        let parts = items
            .by_ref()
            .take(split)
            .map(|p| body_structure(p, depth + 1))
            .collect::<Option<Vec<_>>>()?;
        let subtype = text_of(items.next()?);
        return Some(BodyStructure::Multipart {
            parts,
            subtype,
            extension: items.collect(),
        });
    }
    let mut items = items.into_iter();
    let media_type = text_of(items.next()?);
    let subtype = text_of(items.next()?);
    let params = items.next()?;
    let id = items.next()?.into_nstring();
    let description = items.next()?.into_nstring();
    let encoding = text_of(items.next()?);
    let size = match items.next()? {
        Value::Number(n) => n,
        _ => return None,
    };
    let mut params_out = Vec::new();
    let mut kv = params.into_list().into_iter();
    while let (Some(k), Some(v)) = (kv.next(), kv.next()) {
        params_out.push((text_of(k), text_of(v)));
    }
    let mut rest: Vec<Value> = items.collect();
    let mut lines = None;
    let mut message = None;
    let is_message = media_type.eq_ignore_ascii_case("MESSAGE")
        && (subtype.eq_ignore_ascii_case("RFC822") || subtype.eq_ignore_ascii_case("GLOBAL"));
    if is_message && matches!(rest.get(2), Some(Value::Number(_))) {
        let mut it = rest.into_iter();
        let (env, body, n) = (it.next()?, it.next()?, it.next()?);
        message = Some(Box::new((envelope(env)?, body_structure(body, depth + 1)?)));
        lines = if let Value::Number(n) = n {
            Some(n)
        } else {
            None
        };
        rest = it.collect();
    } else if media_type.eq_ignore_ascii_case("TEXT") {
        if let Some(Value::Number(n)) = rest.first() {
            lines = Some(*n);
            rest.remove(0);
        }
    }
    Some(BodyStructure::Single {
        media_type,
        subtype,
        params: params_out,
        id,
        description,
        encoding,
        size,
        lines,
        message,
        extension: rest,
    })
}

#[cfg(test)]
mod tests;
