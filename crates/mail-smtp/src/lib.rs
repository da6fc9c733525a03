//! An SMTP/ESMTP client (RFC 5321) for submission and relay, with the
//! extensions real servers offer in one place: STARTTLS, AUTH, PIPELINING,
//! CHUNKING, SIZE, 8BITMIME, SMTPUTF8, DSN and enhanced status codes.
//!
//! In scope: the reply parser (multi-line, bounded, enhanced status codes),
//! command encoders that refuse CR, LF and NUL in user text before a byte is
//! sent, a streaming DATA encoder that normalizes line ends and dot-stuffs so
//! no bare CR or LF and no early end-of-data can leave the client (SMTP
//! smuggling), and a blocking [`Client`] over `mail_wire::Connection` that
//! sends many messages over one connection with a result per recipient.
//! Out of scope: building messages (`mail-mime`), queues and retries, and
//! the server side.
//!
//! The protocol itself lives in [`core`]: a sans-I/O state machine fed with
//! received bytes that hands back bytes to send and typed events (EHLO,
//! STARTTLS, AUTH steps, pipelined envelope groups with a reply per
//! recipient, DATA and BDAT). [`Client`] is a blocking driver over it, and
//! with the `tokio` feature `tokio::Client` an async one; any other I/O (an
//! event loop) can drive the same core.
//! Cargo feature `mime` (on by default): [`Client::send_message`] sends a
//! built `mail_mime::OutgoingMessage` in one call. [`Envelope::from_message`] takes
//! `MAIL FROM` from its `Sender:` or `From:` and `RCPT TO` from To, Cc and
//! Bcc (each address once; Bcc never appears in the header the builder
//! writes), `SIZE=` is the builder's exact size, and the content is
//! streamed (attachment files are read chunk by chunk). For messages written
//! elsewhere, [`Envelope::from_headers`] reads the same fields from a parsed
//! message and [`WithoutBcc`] drops `Bcc:` from the stream. Turn the feature
//! off (`default-features = false`) when you build the bytes yourself.
//!
//! Cargo feature `tokio` (off by default): `mail_smtp::tokio::Client`
//! is the async client for tokio, with the blocking client's methods and
//! results, each `async`; both clients run the same session code over the
//! same [`core`], so neither has protocol logic of its own. The body
//! streams from any `tokio::io::AsyncRead`. No async method is cancel-safe:
//! a future dropped mid-way leaves the client refusing every later call
//! (`WireError::Abandoned`); see the module's "Cancellation". Without the
//! feature (and without `mx`) no tokio crate is compiled.
//!
//! Cargo feature `mx` (off by default): the `mx` module delivers straight
//! to the recipients' MX hosts. It brings a DNS resolver and a small tokio
//! runtime, which a submission client does not need.
//!
//! RFCs: [5321](https://www.rfc-editor.org/rfc/rfc5321) SMTP,
//! [3207](https://www.rfc-editor.org/rfc/rfc3207) STARTTLS,
//! [4954](https://www.rfc-editor.org/rfc/rfc4954) AUTH with
//! [4616](https://www.rfc-editor.org/rfc/rfc4616) PLAIN and
//! [2195](https://www.rfc-editor.org/rfc/rfc2195) CRAM-MD5 (plus LOGIN and XOAUTH2),
//! [2920](https://www.rfc-editor.org/rfc/rfc2920) PIPELINING,
//! [3030](https://www.rfc-editor.org/rfc/rfc3030) CHUNKING,
//! [1870](https://www.rfc-editor.org/rfc/rfc1870) SIZE,
//! [6152](https://www.rfc-editor.org/rfc/rfc6152) 8BITMIME,
//! [6531](https://www.rfc-editor.org/rfc/rfc6531) SMTPUTF8,
//! [3461](https://www.rfc-editor.org/rfc/rfc3461) DSN,
//! [2034](https://www.rfc-editor.org/rfc/rfc2034) and
//! [3463](https://www.rfc-editor.org/rfc/rfc3463) enhanced status codes.
//!
//! TLS: [`Client::connect`] with `Security::Implicit` (port 465) or
//! `Security::StartTls` (587; fails with `Unsupported("STARTTLS")` before any
//! credential is sent when the server does not offer it). For opportunistic
//! TLS on port 25 (MX delivery) connect with `Security::Plain` and call
//! [`Client::starttls`] when [`Capabilities::starttls`] says so. AUTH refuses
//! to run without TLS unless [`Options::allow_plaintext_auth`] is set.
//!
//! One [`Client`] sends any number of messages: [`Client::send`] streams one
//! body from a `Read` (two round trips with PIPELINING), [`Client::send_all`]
//! sends messages held in memory with one round trip each. Every recipient
//! gets its own [`RecipientReply`]; a message fails only when every
//! recipient or the data was refused. [`Error`]'s predicates
//! (`is_auth_failure`, `is_rejected`, `is_protocol_violation`, `is_wire`)
//! sort failures the way DESIGN.md's exit codes do; [`Client::raw_command`]
//! serves consoles.
//!
//! For teaching and debugging, [`Options::pipelining`] and
//! [`Options::chunking`] turn those extensions off although offered
//! (one command, one reply; DATA instead of BDAT), and
//! [`Options::show_data`] shows the message content in the transcript
//! line by line as sent (dot-stuffed after DATA) instead of one size note.
//!
//! The caller knows its message: set [`MailOptions::eight_bit_mime`] for an
//! 8-bit body and [`MailOptions::smtputf8`] for UTF-8 header fields
//! (SMTPUTF8 is added by itself for non-ASCII addresses).
//!
//! Offline, against a scripted server:
//!
//! ```
//! use mail_smtp::{Client, Options, Envelope};
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::{Connection, Limits, Recording};
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: 220 mail.example.test ESMTP
//!      C: EHLO client.example.test
//!      S: 250-mail.example.test
//!      S: 250 PIPELINING
//!      C: MAIL FROM:<alice@example.test>
//!      C: RCPT TO:<bob@example.test>
//!      C: RCPT TO:<nobody@example.test>
//!      C: DATA
//!      S: 250 2.1.0 Ok
//!      S: 250 2.1.5 Ok
//!      S: 550 5.1.1 <nobody@example.test>: user unknown
//!      S: 354 End data with <CR><LF>.<CR><LF>
//!      C: ..leading dot
//!      C: .
//!      S: 250 2.0.0 Ok: queued as 4Xy
//!      C: QUIT
//!      S: 221 2.0.0 Bye",
//! );
//! let transcript = Recording::new();
//! let options = Options {
//!     helo_name: "client.example.test".into(),
//!     transcript: Some(Box::new(transcript.clone())),
//!     ..Options::default()
//! };
//! let mut client = Client::new(Connection::new(server.clone(), Limits::default()), options)?;
//! let envelope = Envelope::new("alice@example.test", ["bob@example.test", "nobody@example.test"]);
//! let delivery = client.send(&envelope, &mut &b".leading dot\n"[..], None)?;
//! assert_eq!(delivery.accepted().count(), 1);
//! assert_eq!(delivery.rejected().next().unwrap().reply.enhanced_status().unwrap().to_string(), "5.1.1");
//! assert_eq!(delivery.queue_id(), Some("4Xy"));
//! client.quit()?;
//! server.assert_done();
//! assert!(transcript.lines().contains(&"C: <message body: 13 bytes>".to_owned()));
//! # Ok::<(), mail_smtp::Error>(())
//! ```
//!
//! Against a real server (`no_run`):
//!
//! ```no_run
//! use mail_smtp::{Client, Envelope, Options, Secret, Security, Server, TlsConfig};
//!
//! let server = Server::new("smtp.example.com", 587);
//! let options = Options { helo_name: "laptop.example.com".into(), ..Options::default() };
//! let mut client = Client::connect(&server, Security::StartTls, &TlsConfig::new(), options)?;
//! client.auth("alice@example.com", &Secret::new("app-password"), None)?;
//! let envelope = Envelope::new("alice@example.com", ["bob@example.org"]);
//! let message = b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n";
//! let delivery = client.send(&envelope, &mut &message[..], Some(message.len() as u64))?;
//! println!("{}", delivery.reply);
//! client.quit()?;
//! # Ok::<(), mail_smtp::Error>(())
//! ```
#![deny(missing_docs)]

mod capabilities;
mod client;
pub mod command;
pub mod core;
mod delivery;
pub mod dot;
mod driver;
mod envelope;
mod error;
#[cfg(feature = "mime")]
mod message;
#[cfg(feature = "mx")]
pub mod mx;
mod options;
mod raw;
pub mod reply;
#[cfg(feature = "tokio")]
pub mod tokio;
#[cfg(feature = "mime")]
mod without_bcc;

pub use capabilities::Capabilities;
pub use client::Client;
pub use delivery::{Delivery, RecipientReply};
pub use envelope::{xtext, Dsn, Envelope, MailOptions, Notify, Ret};
pub use error::{EncodeError, Error, ParseError};
pub use mail_wire::sasl::Mechanism;
pub use options::{Options, DEFAULT_MAX_LINE};
// The connection-layer types a caller needs, so this crate is the only dependency.
pub use mail_wire::Error as WireError;
pub use mail_wire::{
    escape_for_display, Direction, Limits, Recording, Secret, Security, Server, TlsConfig,
    Transcript,
};
pub use reply::{EnhancedStatus, Reply, ReplyCode, ReplyParser};
#[cfg(feature = "mime")]
pub use without_bcc::WithoutBcc;

/// The README (the crate's registry page), whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
