//! RFC 5322 and MIME messages: a builder that streams what it composes,
//! and a parser for the mail people actually receive.
//!
//! In scope: composing a message with addresses, an encoded subject, user
//! header fields, a text body and attachments ([`MessageBuilder`] builds an
//! [`OutgoingMessage`]), with an exact [`OutgoingMessage::size`] and a
//! streaming [`OutgoingMessage::reader`] that never holds an attachment in
//! memory; parsing received mail ([`ParsedMessage::parse`]) without
//! copying what needs no decoding: header fields, RFC 2047 encoded-words,
//! RFC 2231 parameters, addresses and groups, dates, the MIME tree
//! (multipart, message/rfc822), transfer encodings and charsets (through
//! `encoding_rs`, with mail's aliases such as `ks_c_5601-1987`). Parsing
//! never fails and never panics: malformed input gets the best honest
//! reading. Out of scope: sending (`mail-smtp`), dot-stuffing (an SMTP
//! matter), S/MIME and PGP, uuencode.
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
//! Reading received mail:
//!
//! ```
//! use mail_mime::ParsedMessage;
//!
//! let raw = b"From: =?ks_c_5601-1987?B?yKux5rW/?= <hong@example.com>\r\n\
//! Subject: =?utf-8?B?7JWI64WV?= there\r\n\
//! Date: Mon, 5 Jan 2009 10:00:00 +0900\r\n\
//! Content-Type: multipart/mixed; boundary=b\r\n\r\n\
//! --b\r\nContent-Type: text/plain; charset=euc-kr\r\n\
//! Content-Transfer-Encoding: base64\r\n\r\nx9Gx2w==\r\n\
//! --b\r\nContent-Type: application/pdf\r\n\
//! Content-Disposition: attachment; filename*=utf-8''%ED%8C%8C%EC%9D%BC.pdf\r\n\r\n%PDF\r\n\
//! --b--\r\n";
//! let msg = ParsedMessage::parse(raw);
//! assert_eq!(msg.subject().as_deref(), Some("안녕 there"));
//! assert_eq!(msg.from()[0].name(), Some("홍길동"));
//! assert_eq!(msg.date().map(|d| d.to_rfc3339()).as_deref(), Some("2009-01-05T01:00:00Z"));
//! assert_eq!(msg.text_body().as_deref(), Some("한글"));
//! let pdf = msg.attachments().next().unwrap();
//! assert_eq!((pdf.filename(), pdf.decoded().as_ref()), (Some("파일.pdf"), &b"%PDF"[..]));
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
pub mod charset;
mod compose;
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

pub use compose::{MessageBuilder, OutgoingMessage};
pub use date::DateTime;
pub use error::BuildError;
pub use header::HeaderField;
pub use mailbox::Mailbox;
pub use parsed::ParsedMessage;
pub use part::{Part, PartKind, PartReader, TransferEncoding};

/// The README (the crate's registry page), whose example is compiled as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
