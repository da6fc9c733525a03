//! Sending a [`mail_mime::OutgoingMessage`] in one call (cargo feature `mime`).
//!
//! The envelope comes from the message's own address fields: `Sender:` (when
//! present) or else `From:` gives `MAIL FROM`, and To, Cc and Bcc give the
//! `RCPT TO` list, each address once (compared without case), in order.
//! A built message never carries Bcc in its header, so the recipients it
//! hides stay hidden. The body is streamed from [`OutgoingMessage::reader`] with the
//! exact size the builder computed for `SIZE=` (RFC 1870), so attachment
//! files are read chunk by chunk and never held whole in memory.
//!
//! For a message someone else wrote (bytes from a file or a queue),
//! [`Envelope::from_headers`] reads the same fields with mail-mime's address
//! parser (groups flattened) and [`WithoutBcc`](crate::WithoutBcc) removes `Bcc:` from the
//! header as the message streams.

use std::io::{Read, Write};

use mail_mime::{Mailbox, OutgoingMessage, ParsedMessage};

use crate::{Client, Delivery, Envelope, Error, MailOptions};

impl Envelope {
    /// The envelope of a built message: `MAIL FROM` from `Sender:` or
    /// `From:`, every To, Cc and Bcc address once, `SMTPUTF8` for non-ASCII
    /// addresses and `BODY=8BITMIME` when a byte of the message is 8-bit.
    pub fn from_message(message: &OutgoingMessage) -> Envelope {
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
    pub fn send_message(&mut self, message: &OutgoingMessage) -> Result<Delivery, Error> {
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
        message: &OutgoingMessage,
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
    message: &OutgoingMessage,
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

#[cfg(test)]
mod tests {
    use super::*;
    use mail_mime::MessageBuilder;

    fn mb(text: &str) -> Mailbox {
        Mailbox::parse(text).unwrap()
    }

    fn wire(message: &OutgoingMessage) -> String {
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
}
