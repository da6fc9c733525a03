//! A POP3 client, blocking and (feature `tokio`) async: greeting, CAPA,
//! STLS, the logins (USER/PASS, APOP, AUTH PLAIN/LOGIN/CRAM-MD5/XOAUTH2,
//! and [`Client::login_auto`], which chooses among them from CAPA), and the
//! TRANSACTION commands, with multi-line replies read to their terminating
//! line, unstuffed and streamed to a writer, and RETR/DELE pipelined when
//! the server offers PIPELINING.
//!
//! In scope: the POP3 wire format ([`Command`], [`parse_reply`] and the
//! listing parsers), the session as a sans-I/O state machine
//! ([`core::Pop3`]: bytes in, bytes to send and typed events out, no
//! socket), and a blocking driver over it: the AUTHORIZATION state
//! ([`Client`]) and the TRANSACTION state ([`Session`]) as types, and a raw
//! mode for consoles ([`Session::raw`]). With the feature `tokio`, the
//! module `tokio` holds the async twins of [`Client`] and [`Session`] over
//! tokio, driving the same core: the same methods and results, each
//! `async`, bodies into any `AsyncWrite` or out as an `AsyncRead`, and a
//! cancellation rule on every method (see that module). Out of scope:
//! sockets and TLS (`mail-wire`), parsing the messages themselves
//! (`mail-mime`), and where they are stored.
//!
//! RFCs: [RFC 1939](https://www.rfc-editor.org/rfc/rfc1939) (POP3),
//! [RFC 2449](https://www.rfc-editor.org/rfc/rfc2449) (CAPA, PIPELINING,
//! response codes), [RFC 2595](https://www.rfc-editor.org/rfc/rfc2595) §4
//! (STLS), [RFC 5034](https://www.rfc-editor.org/rfc/rfc5034) (AUTH with
//! initial response), [RFC 2195](https://www.rfc-editor.org/rfc/rfc2195)
//! (CRAM-MD5), [RFC 4616](https://www.rfc-editor.org/rfc/rfc4616) (PLAIN).
//!
//! Offline, against a scripted server:
//!
//! ```
//! use mail_pop3::{Client, MsgNum};
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::{Connection, Limits, Secret};
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: +OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\n\
//!      C: USER alice\nS: +OK\nC: PASS ********\nS: +OK logged in\n\
//!      C: STAT\nS: +OK 1 24\n\
//!      C: RETR 1\nS: +OK 24 octets\nS: Subject: hi\nS: \nS: ..dot\nS: .\n\
//!      C: QUIT\nS: +OK bye\n",
//! );
//! let client = Client::new(Connection::new(server, Limits::default()))?;
//! let mut session = client.login("alice", &Secret::new("alice-secret")).map_err(|(err, _)| err)?;
//! assert_eq!(session.stat()?.count, 1);
//! let mut message = Vec::new();
//! session.retr(MsgNum(1), &mut message)?;
//! assert_eq!(message, b"Subject: hi\r\n\r\n.dot\r\n");
//! session.quit()?;
//! # Ok::<(), mail_pop3::Error>(())
//! ```
//!
//! The same protocol without any I/O, from a byte buffer that arrives in
//! two pieces cut inside a stuffed line (any driver, blocking or async,
//! runs this loop):
//!
//! ```
//! use mail_pop3::core::{Event, Pop3};
//! use mail_pop3::{Command, MsgNum};
//! use mail_wire::Limits;
//!
//! let mut pop3 = Pop3::new(Limits::default());
//! let (used, greeting) = pop3.feed(b"+OK ready\r\n")?;
//! assert!(used == 11 && matches!(greeting, Some(Event::Greeting(_))));
//! pop3.send(&Command::Retr(MsgNum(1)))?;
//! let to_server = pop3.take_output(); // write these bytes
//! assert_eq!(to_server, b"RETR 1\r\n");
//! let mut message = Vec::new();
//! for mut chunk in [&b"+OK\r\nSubject: hi\r\n\r\n."[..], b".dot\r\n.\r\n"] {
//!     while !chunk.is_empty() {
//!         let (used, event) = pop3.feed(chunk)?;
//!         chunk = &chunk[used..];
//!         if let Some(Event::Body(piece)) = event {
//!             message.extend_from_slice(piece);
//!         }
//!     }
//! }
//! assert_eq!(message, b"Subject: hi\r\n\r\n.dot\r\n");
//! # Ok::<(), mail_pop3::Error>(())
//! ```
//!
//! Against a real server (`no_run`):
//!
//! ```no_run
//! use mail_pop3::{Client, Options, Secret, Security, Server, TlsConfig};
//!
//! let server = Server::new("pop.gmail.com", 995);
//! let client = Client::connect(&server, Security::Implicit, &TlsConfig::new(), Options::default())?;
//! let mut session = client.login("me@gmail.com", &Secret::new("app-password")).map_err(|(err, _)| err)?;
//! for entry in session.uidl()? {
//!     println!("{} {}", entry.msg, entry.uid);
//! }
//! session.quit()?;
//! # Ok::<(), mail_pop3::Error>(())
//! ```
#![deny(missing_docs)]

pub mod apop;
mod client;
mod command;
pub mod core;
mod drive;
mod error;
mod link;
mod login;
mod options;
mod raw;
mod response;
mod session;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use client::Client;
pub use command::{expects_multiline, Command};
pub use error::{EncodeError, Error, ParseError};
pub use login::LoginMethod;
pub use mail_wire::sasl::Mechanism;
// The connection-layer types a caller needs, so this crate is the only dependency.
pub use mail_wire::Error as WireError;
pub use mail_wire::{
    escape_for_display, Direction, Limits, Recording, Secret, Security, Server, TlsConfig,
    Transcript,
};
pub use options::Options;
pub use raw::RawReply;
pub use response::{
    parse_greeting, parse_list_entry, parse_listing_line, parse_reply, parse_stat, parse_uidl,
    Capabilities, Greeting, ListEntry, ListingLine, MsgNum, Reply, Stat, Status, Uidl,
};
pub use session::{MessageSink, Session};

/// The README (the crate's registry page), whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
