//! Errors of the message builder.

use std::fmt;
use std::path::PathBuf;

/// Why a message (or one of its pieces) cannot be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// CR, LF or NUL in user text that would end up inside a header.
    LineBreak {
        /// Which piece of text (`"subject"`, `"header value"`, ...).
        what: &'static str,
    },
    /// An address that is empty or not `local@domain`.
    InvalidAddress {
        /// The text given, as typed.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header field name that is empty or has bytes outside `!`..`~` or `:`.
    InvalidHeaderName(String),
    /// A header field the builder writes itself (`From`, `Date`, `Content-*` ...).
    ReservedHeader(String),
    /// A Message-ID that is not `<left@right>`.
    InvalidMessageId(String),
    /// A word (no folding white space) too long for a 998-octet line.
    LineTooLong {
        /// Which piece of text.
        what: &'static str,
    },
    /// `build()` without `from()`.
    MissingFrom,
    /// An attachment file that cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::LineBreak { what } => {
                write!(
                    f,
                    "{what} contains a line break or NUL, which cannot go into a header"
                )
            }
            BuildError::InvalidAddress { input, reason } => {
                write!(f, "invalid address {:?}: {reason}", input)
            }
            BuildError::InvalidHeaderName(name) => write!(f, "invalid header field name {name:?}"),
            BuildError::ReservedHeader(name) => {
                write!(
                    f,
                    "header field {name:?} is written by the message builder itself"
                )
            }
            BuildError::InvalidMessageId(id) => {
                write!(f, "invalid message id {id:?}: expected <left@right>")
            }
            BuildError::LineTooLong { what } => {
                write!(f, "{what} has a word too long for a 998-octet line")
            }
            BuildError::MissingFrom => write!(f, "the message has no From address"),
            BuildError::Io { path, source } => {
                write!(f, "cannot read attachment {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for BuildError {
    // Display already says the cause, so the cause is not also returned
    // here: a chain printer (`{:#}`, anyhow) would print it twice.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}
