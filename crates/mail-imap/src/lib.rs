//! An IMAP4rev1 / IMAP4rev2 client: a response parser for the whole
//! grammar, a command encoder, modified UTF-7, and a blocking client whose
//! protocol states are types.
//!
//! In scope: RFC 3501 (IMAP4rev1), RFC 9051 (IMAP4rev2, enabled when
//! offered), literals `{n}` and `{n+}` streamed rather than buffered
//! ([RFC 7888] LITERAL+ used when offered), [RFC 2177] IDLE, [RFC 4315]
//! UIDPLUS codes, [RFC 5161] ENABLE, [RFC 2971] ID, [RFC 2342] NAMESPACE,
//! [RFC 4731] ESEARCH, [RFC 6851] MOVE, [RFC 6855] UTF8=ACCEPT, [RFC 7162]
//! MODSEQ data, [RFC 3691] UNSELECT, AUTHENTICATE with SASL PLAIN
//! ([RFC 4616], [RFC 4959] SASL-IR), LOGIN, CRAM-MD5 and XOAUTH2, and a
//! login chosen from the capabilities ([`Client::login_auto`]: AUTHENTICATE
//! under LOGINDISABLED, which without TLS is refused before any credential
//! is sent).
//! Out of scope: following REFERRALs (reported as [`Error::Referral`]),
//! CONDSTORE/QRESYNC resynchronization, COMPRESS, and MIME decoding
//! (that is `mail-mime`'s job).
//!
//! Layers: [`response`] and [`command`] turn bytes into values and back with
//! no I/O; [`sans_io`] holds the protocol's state machines (response framing
//! with streamed body sections, literals with their `+` continuation, IDLE,
//! AUTHENTICATE) without I/O either; [`Client`] → [`Session`] → [`Selected`]
//! drive them over a [`mail_wire::Connection`]; [`raw`] serves the console,
//! one typed line to one complete reply.
//!
//! Feature `tokio`: `mail_imap::tokio` holds the same three states for
//! tokio, driving the same core and building the same commands, with
//! FETCH bodies streamed into any `AsyncWrite`, APPEND from any
//! `AsyncRead`, and IDLE as a cancel-safe stream of updates; its module
//! docs state what cancelling each method leaves behind. Without the
//! feature no tokio crate is compiled.
//!
//! [RFC 7888]: https://www.rfc-editor.org/rfc/rfc7888
//! [RFC 2177]: https://www.rfc-editor.org/rfc/rfc2177
//! [RFC 4315]: https://www.rfc-editor.org/rfc/rfc4315
//! [RFC 5161]: https://www.rfc-editor.org/rfc/rfc5161
//! [RFC 2971]: https://www.rfc-editor.org/rfc/rfc2971
//! [RFC 2342]: https://www.rfc-editor.org/rfc/rfc2342
//! [RFC 4731]: https://www.rfc-editor.org/rfc/rfc4731
//! [RFC 6851]: https://www.rfc-editor.org/rfc/rfc6851
//! [RFC 6855]: https://www.rfc-editor.org/rfc/rfc6855
//! [RFC 7162]: https://www.rfc-editor.org/rfc/rfc7162
//! [RFC 3691]: https://www.rfc-editor.org/rfc/rfc3691
//! [RFC 4959]: https://www.rfc-editor.org/rfc/rfc4959
//! [RFC 4616]: https://www.rfc-editor.org/rfc/rfc4616
//!
//! Offline, against a scripted server:
//!
//! ```
//! use mail_imap::{Client, SequenceSet, FetchEvent};
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::{Connection, Secret};
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: * OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\n\
//!      C: a1 LOGIN carol \"c4rol pa\\\"ss\\\\word\"\n\
//!      S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE] logged in\n\
//!      C: a2 SELECT INBOX\n\
//!      S: * 1 EXISTS\n\
//!      S: * OK [UIDVALIDITY 7] ok\n\
//!      S: a2 OK [READ-WRITE] selected\n\
//!      C: a3 UID FETCH 1:* BODY.PEEK[]\n\
//!      S: * 1 FETCH (UID 5 BODY[] {4}\n\
//!      S: hi\n\
//!      S: )\n\
//!      S: a3 OK done\n",
//! );
//! let client = Client::new(Connection::new(server, mail_imap::default_limits()))?;
//! let session = client.login("carol", &Secret::new("c4rol pa\"ss\\word")).map_err(|(e, _)| e)?;
//! let mut inbox = session.select("INBOX").map_err(|(e, _)| e)?;
//! assert_eq!(inbox.mailbox().uid_validity, Some(7));
//! let mut body = Vec::new();
//! let mut stream = inbox.uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")?;
//! while let Some(event) = stream.next()? {
//!     if let FetchEvent::Body(reader) = event {
//!         assert_eq!(reader.context.uid.map(|u| u.0), Some(5));
//!         reader.copy_to(&mut body)?;
//!     }
//! }
//! assert_eq!(body, b"hi\r\n");
//! # Ok::<(), mail_imap::Error>(())
//! ```
//!
//! Against a server (`no_run`):
//!
//! ```no_run
//! use mail_imap::{Client, Options, Secret, Security, Server, TlsConfig};
//!
//! let client = Client::connect(&Server::new("imap.naver.com", 993), Security::Implicit, &TlsConfig::new(), Options::default())?;
//! let mut session = client.login("id", &Secret::new("pw")).map_err(|(e, _)| e)?;
//! for item in session.list("", "*")? {
//!     println!("{} ({})", item.decoded_name(), item.name);
//! }
//! session.logout()?;
//! # Ok::<(), mail_imap::Error>(())
//! ```
#![deny(missing_docs)]

mod blocking;
pub mod command;
mod error;
mod exchange;
mod mailbox;
mod options;
pub mod raw;
mod requests;
pub mod response;
mod results;
pub mod sans_io;
mod sequence;
mod state;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod utf7;

pub use blocking::{BodyReader, FetchEvent, FetchStream};
pub use blocking::{Client, Selected, Session};
pub use command::{Command, EncodeError};
pub use error::Error;
pub use mail_wire::sasl::Mechanism;
pub use mailbox::Mailbox;
// The connection-layer types a caller needs, so this crate is the only dependency.
pub use mail_wire::Error as WireError;
pub use mail_wire::{
    escape_for_display, Direction, Limits, Recording, Secret, Security, Server, TlsConfig,
    Transcript,
};
pub use options::{default_limits, Options};
pub use response::{
    Code, Fetch, FetchItem, Flag, ListItem, NString, ParseError, Response, Status, Tag, Tagged,
    Untagged,
};
pub use results::{flag_names, Greeting, IdleOutcome, MailboxStatus};
pub use sans_io::{BodyContext, FrameEvent, FrameLimits, ResponseFramer, Wants};
pub use sequence::{Bound, SeqNum, SequenceSet, Uid};

/// The README (the crate's registry page), whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
