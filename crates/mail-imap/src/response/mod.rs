//! Server responses (RFC 3501 §7 and §9, RFC 9051 §7): bytes to values.
//!
//! [`parse_response`] takes one complete response including its final CRLF,
//! with literals inline (`{5}\r\nhello`), and returns it with the number of
//! bytes used. A prefix of a valid response is [`ParseError::Incomplete`],
//! never an error. The session layer frames responses line by line and may
//! leave a body literal out of the bytes (it was streamed to a writer); the
//! parser then reports that literal as [`NString::Streamed`].

mod convert;
mod display;
mod parser;
mod types;

pub use parser::parse_response;
pub(crate) use parser::parse_with_streamed;
pub use types::{
    Address, BodyStructure, Code, Envelope, Esearch, Fetch, FetchItem, Flag, ListItem, NString,
    Namespace, ParseError, Response, Status, Tag, Tagged, Text, Untagged, Value,
};

#[cfg(test)]
mod tests;
