//! What goes around a message: the reverse path, the recipients and the
//! MAIL/RCPT parameters (RFC 5321 §4.1.1.2-3, RFC 1870, RFC 6152, RFC 6531, RFC 3461).

/// The envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// The reverse path (`MAIL FROM:<...>`); empty for the null sender `<>`.
    pub from: String,
    /// The forward paths (`RCPT TO:<...>`), in order.
    pub recipients: Vec<String>,
    /// MAIL and RCPT parameters.
    pub options: MailOptions,
}

impl Envelope {
    /// An envelope with default options.
    pub fn new(
        from: impl Into<String>,
        recipients: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Envelope {
            from: from.into(),
            recipients: recipients.into_iter().map(Into::into).collect(),
            options: MailOptions::default(),
        }
    }

    /// True when an address is not plain ASCII, so SMTPUTF8 is needed (RFC 6531 §3.4).
    pub fn needs_smtputf8(&self) -> bool {
        !self.from.is_ascii()
            || self.recipients.iter().any(|r| !r.is_ascii())
            || self.options.smtputf8
    }
}

/// Parameters of MAIL FROM and RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailOptions {
    /// Ask for `SMTPUTF8` even with ASCII addresses (UTF-8 header fields).
    /// It is added anyway when an address is not ASCII.
    pub smtputf8: bool,
    /// The body holds 8-bit bytes: send `BODY=8BITMIME` (RFC 6152).
    pub eight_bit_mime: bool,
    /// Delivery status notifications (RFC 3461); `None` sends no DSN parameter.
    pub dsn: Option<Dsn>,
}

impl MailOptions {
    /// What a whole message needs: `eight_bit_mime` when any byte is 8-bit,
    /// `smtputf8` when the header section (up to the first empty line) holds
    /// non-ASCII text, as RFC 6532 allows only under SMTPUTF8. DSN is left unset.
    pub fn detect(message: &[u8]) -> MailOptions {
        let header_end = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .or_else(|| message.windows(2).position(|w| w == b"\n\n"))
            .unwrap_or(message.len());
        let header = message.get(..header_end).unwrap_or(message);
        MailOptions {
            smtputf8: !header.is_ascii(),
            eight_bit_mime: !message.is_ascii(),
            dsn: None,
        }
    }
}

/// DSN parameters (RFC 3461 §4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dsn {
    /// `NOTIFY=` on each RCPT; `None` leaves the server's default.
    pub notify: Option<Notify>,
    /// `RET=FULL` or `RET=HDRS` on MAIL.
    pub ret: Option<Ret>,
    /// `ENVID=` on MAIL, xtext-encoded on the wire.
    pub envid: Option<String>,
    /// Add `ORCPT=rfc822;<address>` to each RCPT.
    pub orcpt: bool,
}

/// When to send a DSN (RFC 3461 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Notify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

impl Notify {
    /// `NOTIFY=NEVER`.
    pub const NEVER: Notify = Notify {
        success: false,
        failure: false,
        delay: false,
    };

    /// The parameter value: `NEVER` or a comma list such as `SUCCESS,FAILURE`.
    pub fn value(self) -> String {
        let words: Vec<&str> = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
        if words.is_empty() {
            "NEVER".to_owned()
        } else {
            words.join(",")
        }
    }
}

/// How much of the message a DSN returns (RFC 3461 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// `RET=FULL`.
    Full,
    /// `RET=HDRS`.
    Headers,
}

impl Ret {
    /// The parameter value.
    pub fn value(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Headers => "HDRS",
        }
    }
}

/// Encodes text as xtext (RFC 3461 §4): `+`, `=`, controls, space and
/// non-ASCII bytes become `+XX`.
pub fn xtext(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext_encodes_plus_equals_and_controls() {
        let table = [
            ("bob@example.test", "bob@example.test"),
            ("a+b=c", "a+2Bb+3Dc"),
            ("sp ace", "sp+20ace"),
            ("cr\r\nlf", "cr+0D+0Alf"),
            ("é", "+C3+A9"),
        ];
        for (input, expected) in table {
            assert_eq!(xtext(input), expected);
        }
    }

    #[test]
    fn notify_values() {
        assert_eq!(Notify::NEVER.value(), "NEVER");
        assert_eq!(
            Notify {
                success: true,
                failure: true,
                delay: false
            }
            .value(),
            "SUCCESS,FAILURE"
        );
        assert_eq!(
            Notify {
                delay: true,
                ..Notify::default()
            }
            .value(),
            "DELAY"
        );
    }

    #[test]
    fn detect_finds_8bit_bodies_and_utf8_headers() {
        let table: &[(&[u8], bool, bool)] = &[
            (b"Subject: hi\r\n\r\nplain\r\n", false, false),
            ("Subject: hi\r\n\r\n본문\r\n".as_bytes(), true, false),
            ("Subject: 제목\r\n\r\nplain\r\n".as_bytes(), true, true),
            ("Subject: x\n\n본문\n".as_bytes(), true, false),
            (b"", false, false),
        ];
        for (message, eight_bit, utf8) in table {
            let options = MailOptions::detect(message);
            assert_eq!(
                (options.eight_bit_mime, options.smtputf8),
                (*eight_bit, *utf8),
                "{message:?}"
            );
        }
    }

    #[test]
    fn non_ascii_addresses_need_smtputf8() {
        assert!(!Envelope::new("a@b.test", ["c@d.test"]).needs_smtputf8());
        assert!(Envelope::new("a@b.test", ["김@d.test"]).needs_smtputf8());
        assert!(Envelope::new("ü@b.test", ["c@d.test"]).needs_smtputf8());
    }
}
