//! How responses print: `Display` in wire form with server words escaped for
//! a terminal, and short descriptions for error sentences.

use std::fmt;

use super::types::{Code, ParseError, Response, Status, Tag, Tagged, Text, Untagged};

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

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
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
