//! Sending a [`mail_mime::Message`] in one call (cargo feature `mime`).
//!
//! The envelope comes from the message's own address fields: `Sender:` (when
//! present) or else `From:` gives `MAIL FROM`, and To, Cc and Bcc give the
//! `RCPT TO` list, each address once (compared without case), in order.
//! A built message never carries Bcc in its header, so the recipients it
//! hides stay hidden. The body is streamed from [`Message::reader`] with the
//! exact size the builder computed for `SIZE=` (RFC 1870), so attachment
//! files are read chunk by chunk and never held whole in memory.
//!
//! For a message someone else wrote (bytes from a file or a queue),
//! [`Envelope::from_headers`] reads the same fields with mail-mime's address
//! parser (groups flattened) and [`WithoutBcc`] removes `Bcc:` from the
//! header as the message streams.

use std::io::{self, Read, Write};

use mail_mime::{Mailbox, Message, ParsedMessage};

use crate::{Client, Delivery, Envelope, Error, MailOptions};

/// The longest header section [`WithoutBcc`] holds while looking for `Bcc:`.
const MAX_HEADER: usize = 256 * 1024;

impl Envelope {
    /// The envelope of a built message: `MAIL FROM` from `Sender:` or
    /// `From:`, every To, Cc and Bcc address once, `SMTPUTF8` for non-ASCII
    /// addresses and `BODY=8BITMIME` when a byte of the message is 8-bit.
    pub fn from_message(message: &Message) -> Envelope {
        Envelope {
            from: message.envelope_from().to_owned(),
            recipients: message.recipients(),
            options: MailOptions {
                smtputf8: message.needs_smtputf8(),
                eight_bit_mime: !message.is_7bit(),
                dsn: None,
            },
        }
    }

    /// The envelope of a received or hand-written message, from its header
    /// fields: the first `Sender:` mailbox, else the first `From:` one, for
    /// `MAIL FROM`; To, Cc and Bcc (groups flattened, duplicates removed)
    /// for `RCPT TO`. `None` when there is no sender address or no recipient.
    /// Options are left at their defaults: see [`MailOptions::detect`].
    pub fn from_headers(message: &ParsedMessage<'_>) -> Option<Envelope> {
        let from = message
            .sender()
            .into_iter()
            .chain(message.from())
            .next()?
            .address()
            .to_owned();
        let recipients = unique_addresses(
            message
                .to()
                .iter()
                .chain(&message.cc())
                .chain(&message.bcc()),
        );
        if recipients.is_empty() {
            return None;
        }
        Some(Envelope {
            from,
            recipients,
            options: MailOptions::default(),
        })
    }
}

/// Addresses in order, each once; SMTP local parts may be case-sensitive
/// but no real mailbox differs from another by case alone.
fn unique_addresses<'a>(mailboxes: impl Iterator<Item = &'a Mailbox>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for mailbox in mailboxes {
        let address = mailbox.address();
        if !out.iter().any(|seen| seen.eq_ignore_ascii_case(address)) {
            out.push(address.to_owned());
        }
    }
    out
}

impl<S: Read + Write> Client<S> {
    /// Sends a built message: the envelope from [`Envelope::from_message`],
    /// the content streamed with its exact size.
    ///
    /// # Errors
    ///
    /// As [`Client::send`]; [`Error::Body`] when an attachment file cannot
    /// be read.
    pub fn send_message(&mut self, message: &Message) -> Result<Delivery, Error> {
        self.send_message_as(&Envelope::from_message(message), message)
    }

    /// Sends a built message with an envelope of the caller's (DSN options,
    /// other recipients); the content is streamed as by
    /// [`send_message`](Client::send_message).
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub fn send_message_as(
        &mut self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<Delivery, Error> {
        let mut body = message.reader().map_err(Error::Body)?;
        self.send(envelope, &mut body, Some(message.size()))
    }
}

/// Delivers a built message straight to its recipients' MX hosts (features
/// `mime` and `mx`): [`Envelope::from_message`] gives the sender and the
/// options, `plans` the routes (from [`Resolver::plan_recipients`] over the
/// envelope's recipients), and each host gets the content streamed anew.
///
/// [`Resolver::plan_recipients`]: crate::mx::Resolver::plan_recipients
#[cfg(feature = "mx")]
pub fn deliver_message(
    plans: &[crate::mx::DomainPlan],
    message: &Message,
    options: &mut crate::mx::MxOptions,
) -> crate::mx::MxReport {
    let envelope = Envelope::from_message(message);
    crate::mx::deliver(
        plans,
        &envelope.from,
        &envelope.options,
        || message.reader(),
        Some(message.size()),
        options,
    )
}

/// A message stream with every `Bcc:` field (and its continuation lines)
/// left out of the header section; the body passes through untouched.
/// The header section is held in memory (at most 256 KiB; a longer one is
/// an error, since no real header is that long).
#[derive(Debug)]
pub struct WithoutBcc<R> {
    inner: R,
    /// The filtered header section, then empty.
    head: Vec<u8>,
    head_pos: usize,
    header_done: bool,
}

impl<R: Read> WithoutBcc<R> {
    /// Wraps a message stream (CRLF or LF line ends).
    pub fn new(inner: R) -> WithoutBcc<R> {
        WithoutBcc {
            inner,
            head: Vec::new(),
            head_pos: 0,
            header_done: false,
        }
    }

    /// Reads until the header section has ended (or the stream has), then
    /// keeps the header without Bcc fields plus whatever body bytes came
    /// with the last read, untouched.
    fn read_header(&mut self) -> io::Result<()> {
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = header_end(&raw) {
                break end;
            }
            if raw.len() >= MAX_HEADER {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the message header is longer than 256 KiB",
                ));
            }
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                break raw.len();
            }
            raw.extend_from_slice(chunk.get(..n).unwrap_or_default());
        };
        let (header, body) = raw.split_at(end.min(raw.len()));
        let mut skipping = false;
        for line in header.split_inclusive(|&b| b == b'\n') {
            let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
            if !folded {
                skipping = is_bcc_field(line);
            }
            if !skipping {
                self.head.extend_from_slice(line);
            }
        }
        self.head.extend_from_slice(body);
        self.header_done = true;
        Ok(())
    }
}

/// Where the header section ends: just past its first empty line.
fn header_end(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") {
            return None;
        }
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            return Some(at);
        }
    }
    None
}

fn is_bcc_field(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    line.get(..colon)
        .is_some_and(|name| name.trim_ascii_end().eq_ignore_ascii_case(b"bcc"))
}

impl<R: Read> Read for WithoutBcc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.header_done {
            self.read_header()?;
        }
        let rest = self.head.get(self.head_pos..).unwrap_or_default();
        if !rest.is_empty() {
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.head_pos += n;
            if self.head_pos == self.head.len() {
                self.head = Vec::new();
                self.head_pos = 0;
            }
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_mime::MessageBuilder;

    fn mb(text: &str) -> Mailbox {
        Mailbox::parse(text).unwrap()
    }

    fn wire(message: &Message) -> String {
        let mut out = Vec::new();
        message.write_to(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn built_message_puts_bcc_in_the_envelope_only() {
        let message = MessageBuilder::new()
            .from(mb("Alice <alice@example.test>"))
            .to(mb("bob@example.test"))
            .cc(mb("Carol <carol@example.test>"))
            .bcc(mb("hidden@example.test"))
            .bcc(mb("BOB@example.test"))
            .text("hi")
            .build()
            .unwrap();
        let envelope = Envelope::from_message(&message);
        assert_eq!(envelope.from, "alice@example.test");
        assert_eq!(
            envelope.recipients,
            [
                "bob@example.test",
                "carol@example.test",
                "hidden@example.test"
            ]
        );
        assert_eq!(envelope.options, MailOptions::default());
        let text = wire(&message);
        assert!(!text.contains("hidden@"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("\nbcc:"), "{text}");
    }

    #[test]
    fn built_message_sender_field_is_mail_from() {
        let message = MessageBuilder::new()
            .from(mb("Boss <boss@example.test>"))
            .header("Sender", "Secretary <sec@example.test>")
            .unwrap()
            .to(mb("bob@example.test"))
            .build()
            .unwrap();
        assert_eq!(Envelope::from_message(&message).from, "sec@example.test");
    }

    #[test]
    fn built_message_options_follow_its_content() {
        let build = |to: &str| {
            MessageBuilder::new()
                .from(mb("alice@example.test"))
                .to(mb(to))
                .attach_bytes("a.bin", None, vec![0xff; 10])
                .unwrap()
                .text("plain")
                .build()
                .unwrap()
        };
        let ascii = Envelope::from_message(&build("bob@example.test")).options;
        assert!(!ascii.smtputf8);
        assert!(!ascii.eight_bit_mime, "base64 and 7bit parts only");
        // A UTF-8 address is written raw in the header (RFC 6532).
        let utf8 = Envelope::from_message(&build("김@example.test")).options;
        assert!(utf8.smtputf8);
        assert!(utf8.eight_bit_mime);
    }

    #[test]
    fn headers_give_the_envelope_with_groups_and_duplicates() {
        let raw = b"From: Boss <boss@example.test>\r\n\
            Sender: sec@example.test\r\n\
            To: Team: a@example.test, \"B, Bee\" <b@example.test>;, c@example.test\r\n\
            Cc: undisclosed-recipients:;\r\n\
            Cc: A@EXAMPLE.TEST\r\n\
            Bcc: hidden@example.test,\r\n b@example.test\r\n\
            Subject: x\r\n\r\nbody\r\n";
        let envelope = Envelope::from_headers(&ParsedMessage::parse(raw)).unwrap();
        assert_eq!(envelope.from, "sec@example.test");
        assert_eq!(
            envelope.recipients,
            [
                "a@example.test",
                "b@example.test",
                "c@example.test",
                "hidden@example.test"
            ]
        );
    }

    #[test]
    fn headers_without_sender_use_from_and_need_a_recipient() {
        let raw = b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n\r\n";
        let envelope = Envelope::from_headers(&ParsedMessage::parse(raw)).unwrap();
        assert_eq!(envelope.from, "alice@example.test");
        assert_eq!(envelope.recipients, ["bob@example.test"]);
        let no_rcpt = b"From: alice@example.test\r\nTo: undisclosed-recipients:;\r\n\r\n";
        assert_eq!(Envelope::from_headers(&ParsedMessage::parse(no_rcpt)), None);
        let no_from = b"To: bob@example.test\r\n\r\n";
        assert_eq!(Envelope::from_headers(&ParsedMessage::parse(no_from)), None);
    }

    fn strip(raw: &[u8], read_size: usize) -> Vec<u8> {
        let mut reader = WithoutBcc::new(raw);
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_size];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn without_bcc_drops_the_field_and_its_continuations_only() {
        let table: &[(&[u8], &[u8])] = &[
            (
                b"From: a@x.test\r\nBcc: h@x.test,\r\n\tj@x.test\r\nTo: b@x.test\r\n\r\nBcc: in the body\r\n",
                b"From: a@x.test\r\nTo: b@x.test\r\n\r\nBcc: in the body\r\n",
            ),
            (b"bcc : h@x.test\nSubject: s\n\nbody\n", b"Subject: s\n\nbody\n"),
            (b"Bccx: keep\r\n\r\n", b"Bccx: keep\r\n\r\n"),
            (b"From: a@x.test\r\nBcc: h@x.test\r\n", b"From: a@x.test\r\n"),
            (b"\r\nBcc: body only\r\n", b"\r\nBcc: body only\r\n"),
            (b"", b""),
        ];
        for (input, expected) in table {
            for read_size in [1, 3, 4096] {
                assert_eq!(
                    strip(input, read_size),
                    *expected,
                    "{:?} / {read_size}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn without_bcc_refuses_an_endless_header() {
        let endless = std::io::repeat(b'a').take(1 << 20);
        let mut reader = WithoutBcc::new(endless);
        let err = reader.read(&mut [0u8; 64]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
