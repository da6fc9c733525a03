//! RFC 5322 and MIME messages: a builder that streams what it composes,
//! and a parser for the mail people actually receive.
//!
//! In scope: composing a message with addresses, an encoded subject, user
//! header fields, a text body and attachments ([`MessageBuilder`]), with an
//! exact [`Message::size`] and a streaming [`Message::reader`] that never
//! holds an attachment in memory. Out of scope: sending it (`mail-smtp`),
//! dot-stuffing (an SMTP matter), signing and encryption.
//!
//! Standards: [RFC 5322](https://www.rfc-editor.org/rfc/rfc5322) (message
//! format), [RFC 2045](https://www.rfc-editor.org/rfc/rfc2045)-[2049](https://www.rfc-editor.org/rfc/rfc2049)
//! (MIME), [RFC 2047](https://www.rfc-editor.org/rfc/rfc2047) (encoded-words),
//! [RFC 2231](https://www.rfc-editor.org/rfc/rfc2231) (parameter values),
//! [RFC 6532](https://www.rfc-editor.org/rfc/rfc6532) (UTF-8 addresses).
//!
//! ```
//! use mail_mime::{Mailbox, MessageBuilder};
//!
//! let msg = MessageBuilder::new()
//!     .from(Mailbox::parse("홍길동 <hong@example.com>")?)
//!     .to(Mailbox::parse("bob@example.test")?)
//!     .bcc(Mailbox::parse("audit@example.test")?)
//!     .subject("안녕하세요 report")
//!     .header("X-Mailer", "mailkit")?
//!     .text("Hello Bob.\n")
//!     .attach_bytes("notes.txt", None, b"some notes".to_vec())?
//!     .build()?;
//! let mut bytes = Vec::new();
//! msg.write_to(&mut bytes)?;
//! assert_eq!(bytes.len() as u64, msg.size());
//! assert_eq!(msg.recipients(), ["bob@example.test", "audit@example.test"]);
//! assert!(!String::from_utf8_lossy(&bytes).contains("audit@"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Streaming a large attachment from disk (`no_run`):
//!
//! ```no_run
//! use mail_mime::{Mailbox, MessageBuilder};
//!
//! let msg = MessageBuilder::new()
//!     .from(Mailbox::parse("me@example.com")?)
//!     .to(Mailbox::parse("you@example.com")?)
//!     .attach_path("/tmp/big.iso")?
//!     .build()?;
//! std::io::copy(&mut msg.reader()?, &mut std::io::stdout())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod address;
mod base64;
mod builder;
pub mod charset;
mod date;
mod encoded_word;
mod error;
mod folding;
mod header;
mod html;
mod mailbox;
mod media_type;
mod params;
mod parsed;
mod part;
mod quoted_printable;

pub use builder::{Message, MessageBuilder};
pub use date::DateTime;
pub use error::BuildError;
pub use header::HeaderField;
pub use mailbox::Mailbox;
pub use parsed::ParsedMessage;
pub use part::{Part, PartKind, PartReader, TransferEncoding};
