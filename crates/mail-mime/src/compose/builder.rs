//! [`MessageBuilder`]: addresses, subject, user headers, a text body and
//! attachments, checked and laid out as an [`OutgoingMessage`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::header_fields::{check_message_id, generate_message_id, random_token, unstructured};
use super::outgoing::{OutgoingMessage, Segment};
use super::text_body::{encode_text, normalize_newlines};
use crate::folding::fold_header;
use crate::{base64, date, media_type, params};
use crate::{BuildError, Mailbox};

/// Where an attachment's bytes come from.
#[derive(Debug, Clone)]
enum Source {
    File { path: PathBuf, len: u64 },
    Bytes(Arc<[u8]>),
}

#[derive(Debug, Clone)]
struct Attachment {
    filename: String,
    content_type: String,
    source: Source,
}

/// Composes a message: addresses, subject, user headers, a text body and
/// attachments. See the crate documentation for an example.
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    from: Option<Mailbox>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
    subject: Option<String>,
    headers: Vec<(String, String)>,
    text: Option<String>,
    attachments: Vec<Attachment>,
    date: Option<SystemTime>,
    message_id: Option<String>,
}

/// Header fields the builder writes itself; `header()` refuses them.
const OWNED: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "date",
    "message-id",
    "mime-version",
    "subject",
];

impl MessageBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the author (`From:`, and the envelope sender). Required.
    pub fn from(mut self, mailbox: Mailbox) -> Self {
        self.from = Some(mailbox);
        self
    }

    /// Adds one `To:` recipient.
    pub fn to(mut self, mailbox: Mailbox) -> Self {
        self.to.push(mailbox);
        self
    }

    /// Adds one `Cc:` recipient.
    pub fn cc(mut self, mailbox: Mailbox) -> Self {
        self.cc.push(mailbox);
        self
    }

    /// Adds one blind recipient: an envelope recipient never written into a header.
    pub fn bcc(mut self, mailbox: Mailbox) -> Self {
        self.bcc.push(mailbox);
        self
    }

    /// Sets the subject; non-ASCII text becomes RFC 2047 encoded-words.
    /// A CR, LF or NUL in it makes `build()` fail.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds a header field of the user's (`X-Mailer`, `Reply-To`, ...).
    /// Non-ASCII in the value becomes encoded-words.
    ///
    /// # Errors
    ///
    /// [`BuildError::LineBreak`] for CR, LF or NUL in the value;
    /// [`BuildError::InvalidHeaderName`] for a name outside RFC 5322 `ftext`;
    /// [`BuildError::ReservedHeader`] for fields the builder writes itself
    /// (From, To, Cc, Bcc, Subject, Date, Message-ID, MIME-Version, Content-*).
    /// A `Sender:` value is a mailbox (checked when the message is built) and
    /// becomes the envelope sender ([`OutgoingMessage::envelope_from`]).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
            return Err(BuildError::InvalidHeaderName(name.to_string()));
        }
        let lower = name.to_ascii_lowercase();
        if OWNED.contains(&lower.as_str()) || lower.starts_with("content-") {
            return Err(BuildError::ReservedHeader(name.to_string()));
        }
        if value.contains(['\r', '\n', '\0']) {
            return Err(BuildError::LineBreak {
                what: "header value",
            });
        }
        self.headers.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// Sets the text body, sent as `text/plain; charset=utf-8`.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Attaches a file, read when the message is written (never whole into
    /// memory). The content type comes from the extension, the file name
    /// from the path's last component.
    ///
    /// # Errors
    ///
    /// [`BuildError::Io`] when the file's metadata cannot be read or it is
    /// not a regular file.
    pub fn attach_path(mut self, path: impl AsRef<Path>) -> Result<Self, BuildError> {
        let path = path.as_ref();
        let io_err = |source| BuildError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if !meta.is_file() {
            return Err(io_err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        // Opening now reports an unreadable file at once rather than mid-send.
        File::open(path).map_err(io_err)?;
        let filename = path.file_name().map_or_else(
            || "attachment".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let content_type = media_type::from_filename(&filename).to_string();
        self.attachments.push(Attachment {
            filename,
            content_type,
            source: Source::File {
                path: path.to_path_buf(),
                len: meta.len(),
            },
        });
        Ok(self)
    }

    /// Attaches bytes held in memory under `filename` with `content_type`
    /// (`None`: from the extension).
    ///
    /// # Errors
    ///
    /// [`BuildError::LineBreak`] for CR, LF or NUL in the name or type,
    /// [`BuildError::InvalidHeaderName`] for a content type that is not `type/subtype`.
    pub fn attach_bytes(
        mut self,
        filename: &str,
        content_type: Option<&str>,
        data: impl Into<Vec<u8>>,
    ) -> Result<Self, BuildError> {
        if filename.contains(['\r', '\n', '\0']) {
            return Err(BuildError::LineBreak {
                what: "attachment file name",
            });
        }
        let content_type = match content_type {
            Some(ct) => {
                let ok = ct.split_once('/').is_some_and(|(t, s)| {
                    let tok = |x: &str| {
                        !x.is_empty()
                            && x.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
                    };
                    tok(t) && tok(s)
                });
                if !ok {
                    return Err(BuildError::InvalidHeaderName(ct.to_string()));
                }
                ct.to_ascii_lowercase()
            }
            None => media_type::from_filename(filename).to_string(),
        };
        self.attachments.push(Attachment {
            filename: filename.to_string(),
            content_type,
            source: Source::Bytes(Arc::from(data.into())),
        });
        Ok(self)
    }

    /// Sets the `Date:` (default: the time of `build()`), written in UTC.
    pub fn date(mut self, time: SystemTime) -> Self {
        self.date = Some(time);
        self
    }

    /// Sets the `Message-ID:` (`<left@right>`; angle brackets added when
    /// missing). Default: `<time.random@from-domain>`.
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Assembles the message.
    ///
    /// # Errors
    ///
    /// [`BuildError::MissingFrom`] without `from()`; [`BuildError::LineBreak`]
    /// for CR/LF/NUL in the subject; [`BuildError::InvalidMessageId`];
    /// [`BuildError::LineTooLong`] for a word over 998 octets.
    pub fn build(self) -> Result<OutgoingMessage, BuildError> {
        let from = self.from.ok_or(BuildError::MissingFrom)?;
        let sender = self
            .headers
            .iter()
            .rfind(|(name, _)| name.eq_ignore_ascii_case("sender"))
            .map(|(_, value)| Mailbox::parse(value))
            .transpose()?;
        let message_id = match self.message_id {
            Some(id) => check_message_id(&id)?,
            None => generate_message_id(&from),
        };
        let mut head = Vec::with_capacity(1024);
        let date = date::format_rfc5322(self.date.unwrap_or_else(SystemTime::now));
        fold_header("Date", &date, "date", &mut head)?;
        fold_header("From", &from.to_header(), "from", &mut head)?;
        for (name, list) in [("To", &self.to), ("Cc", &self.cc)] {
            if !list.is_empty() {
                let value = list
                    .iter()
                    .map(Mailbox::to_header)
                    .collect::<Vec<_>>()
                    .join(", ");
                fold_header(name, &value, "address list", &mut head)?;
            }
        }
        if let Some(subject) = &self.subject {
            if subject.contains(['\r', '\n', '\0']) {
                return Err(BuildError::LineBreak { what: "subject" });
            }
            fold_header("Subject", &unstructured(subject), "subject", &mut head)?;
        }
        fold_header("Message-ID", &message_id, "message id", &mut head)?;
        for (name, value) in &self.headers {
            if name.eq_ignore_ascii_case("sender") {
                // An address field: encoded-words only in the display name.
                let mailbox = Mailbox::parse(value)?;
                fold_header(name, &mailbox.to_header(), "sender", &mut head)?;
            } else {
                fold_header(name, &unstructured(value), "header value", &mut head)?;
            }
        }
        head.extend_from_slice(b"MIME-Version: 1.0\r\n");

        let text = self.text.as_deref().map(normalize_newlines);
        let mut segments = Vec::new();
        if self.attachments.is_empty() {
            let body = text.unwrap_or_default();
            let (cte, mut encoded) = encode_text(&body);
            match cte {
                "7bit" if !encoded.is_empty() && !encoded.ends_with(b"\r\n") => {
                    encoded.extend_from_slice(b"\r\n")
                }
                "quoted-printable" if !encoded.is_empty() && !encoded.ends_with(b"\r\n") => {
                    encoded.extend_from_slice(b"=\r\n")
                }
                _ => {}
            }
            head.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
            head.extend_from_slice(format!("Content-Transfer-Encoding: {cte}\r\n\r\n").as_bytes());
            head.extend_from_slice(&encoded);
            segments.push(Segment::Bytes(head));
        } else {
            let encoded_text = text.as_deref().map(encode_text);
            let boundary = loop {
                let b = format!("=_mailkit_{}", random_token(24));
                let clash = encoded_text
                    .as_ref()
                    .is_some_and(|(_, t)| contains(t, b.as_bytes()));
                if !clash {
                    break b;
                }
            };
            fold_header(
                "Content-Type",
                &format!("multipart/mixed; boundary=\"{boundary}\""),
                "content type",
                &mut head,
            )?;
            head.extend_from_slice(b"\r\n");
            let delimiter = format!("--{boundary}\r\n");
            head.extend_from_slice(delimiter.as_bytes());
            let mut cur = head;
            if let Some((cte, encoded)) = encoded_text {
                cur.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n");
                cur.extend_from_slice(
                    format!("Content-Transfer-Encoding: {cte}\r\n\r\n").as_bytes(),
                );
                cur.extend_from_slice(&encoded);
                cur.extend_from_slice(format!("\r\n{delimiter}").as_bytes());
            }
            let count = self.attachments.len();
            for (n, att) in self.attachments.into_iter().enumerate() {
                let name_param = params::name_param(&att.filename);
                fold_header(
                    "Content-Type",
                    &format!("{}; {name_param}", att.content_type),
                    "content type",
                    &mut cur,
                )?;
                let disp = std::iter::once("attachment".to_string())
                    .chain(params::filename_params(&att.filename))
                    .collect::<Vec<_>>()
                    .join("; ");
                fold_header(
                    "Content-Disposition",
                    &disp,
                    "attachment file name",
                    &mut cur,
                )?;
                cur.extend_from_slice(b"Content-Transfer-Encoding: base64\r\n\r\n");
                match att.source {
                    Source::Bytes(data) => base64::encode_lines(&data, &mut cur),
                    Source::File { path, len } => {
                        segments.push(Segment::Bytes(std::mem::take(&mut cur)));
                        segments.push(Segment::Base64File { path, len });
                    }
                }
                if n + 1 == count {
                    cur.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
                } else {
                    cur.extend_from_slice(format!("\r\n{delimiter}").as_bytes());
                }
            }
            segments.push(Segment::Bytes(cur));
        }
        let size = segments.iter().map(Segment::len).sum();
        let is_7bit = segments.iter().all(|s| match s {
            Segment::Bytes(b) => b.is_ascii(),
            Segment::Base64File { .. } => true,
        });
        let mut recipients: Vec<String> = Vec::new();
        for m in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !recipients
                .iter()
                .any(|r| r.eq_ignore_ascii_case(m.address()))
            {
                recipients.push(m.address().to_string());
            }
        }
        // The agent that sends (RFC 5322 §3.6.2) receives the bounces: MAIL FROM.
        let envelope_from = match sender {
            Some(sender) => sender.address().to_string(),
            None => from.address().to_string(),
        };
        let needs_smtputf8 = !envelope_from.is_ascii() || recipients.iter().any(|r| !r.is_ascii());
        Ok(OutgoingMessage {
            segments: Arc::new(segments),
            size,
            message_id,
            envelope_from,
            recipients,
            needs_smtputf8,
            is_7bit,
        })
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
