//! Line-oriented I/O for mail protocols (SMTP, POP3, IMAP) over TCP,
//! implicit TLS and STARTTLS, with bounded reads and a transcript that masks
//! secrets.
//!
//! In scope: connecting (with time limits), TLS through `native-tls` with
//! certificate and host-name checks on by default, the STARTTLS upgrade with
//! its response-injection defence, reading lines and exact byte counts
//! within [`Limits`], queueing lines for pipelining, and the `C:`/`S:`
//! [`Transcript`], and the protocol-independent [`sasl`] responses. On
//! request ([`TlsConfig::detect_mode`]) a server in the other TLS mode is
//! detected ([`ModeSwitch`]); a refused certificate is explained
//! ([`CertProblem`]) with the names and dates it carries. With the cargo
//! feature `tokio`, `mail_wire::tokio` offers the same connection for tokio
//! (async I/O, time-outs, cancellation rule). Out of scope: any protocol's grammar; that lives in
//! `mail-smtp`, `mail-pop3` and `mail-imap`.
//!
//! Every line sent is checked for CR, LF and NUL before a byte is written, so
//! user text can never end a command early. Secrets travel as [`Secret`] and
//! are shown as `********`; server text is escaped by [`escape_for_display`]
//! before an observer sees it.
//!
//! ```
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::{Connection, Limits, Line, Recording, Secret};
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: +OK ready\nC: PASS ********\nS: +OK \x1b[31mwelcome\n",
//! );
//! let mut conn = Connection::new(server, Limits::default());
//! let transcript = Recording::new();
//! conn.set_transcript(Some(Box::new(transcript.clone())));
//! conn.read_line()?;
//! conn.send(Line::with_secret(b"PASS ", &Secret::new("hunter2")))?;
//! conn.read_line()?;
//! assert_eq!(
//!     transcript.lines(),
//!     ["S: +OK ready", "C: PASS ********", "S: +OK \\x1b[31mwelcome"]
//! );
//! # Ok::<(), mail_wire::Error>(())
//! ```
//!
//! Against a real server (`no_run`):
//!
//! ```no_run
//! use mail_wire::{Connection, Security, Server, TlsConfig};
//!
//! let server = Server::new("imap.gmail.com", 993);
//! let mut conn = Connection::connect(&server, Security::Implicit, &TlsConfig::new())?;
//! println!("{}", String::from_utf8_lossy(conn.read_line()?));
//! # Ok::<(), mail_wire::Error>(())
//! ```
#![deny(missing_docs)]

mod buffers;
mod certificate;
mod connection;
mod detect;
mod error;
mod net;
mod read_ahead;
pub mod sasl;
mod secret;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tokio")]
pub mod tokio;
mod transcript;

pub use certificate::CertProblem;
pub use connection::{Connection, Limits};
pub use detect::ModeSwitch;
pub use error::Error;
pub use net::{Encrypted, NetStream, Security, Server, TlsConfig};
pub use secret::Secret;
pub use transcript::{escape_for_display, excerpt, Direction, Line, Recording, Transcript, MASK};

/// The README (the crate's registry page), whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
