//! Response values (RFC 3501 §7, RFC 9051 §7): what the parser produces.

use crate::sequence::{SeqNum, SequenceSet, Uid};

/// Why bytes are not (yet) a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

/// A command tag chosen by the client.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag(pub String);

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
