//! `MessageBuilder` -> `Message`: an RFC 5322 / MIME message ready for
//! SMTP, streamed from memory and from attachment files chunk by chunk.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::folding::fold_header;
use crate::{base64, date, encoded_word, media_type, params, quoted_printable};
use crate::{BuildError, Mailbox};

/// The longest line RFC 5322 §2.1.1 allows, without CRLF.
const MAX_LINE: usize = 998;
/// Attachment bytes read per chunk (a whole number of 57-byte base64 lines).
const FILE_CHUNK: usize = base64::LINE_INPUT * 1024;

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
    /// becomes the envelope sender ([`Message::envelope_from`]).
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
    pub fn build(self) -> Result<Message, BuildError> {
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
        Ok(Message {
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

fn random_token(n: usize) -> String {
    (0..n).map(|_| fastrand::alphanumeric()).collect()
}

/// Unstructured header text (RFC 5322 §3.2.5): printable ASCII words stay
/// as they are; each run of words needing encoding (non-ASCII, control
/// characters, or something that looks like an encoded-word) becomes UTF-8
/// encoded-words. A run keeps the spaces inside it, since white space
/// between adjacent encoded-words is dropped by readers (RFC 2047 §6.2).
fn unstructured(text: &str) -> String {
    let needs =
        |w: &str| !w.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') || w.contains("=?");
    if !needs(text) {
        return text.to_string();
    }
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while let Some(&word) = words.get(i) {
        if !needs(word) {
            out.push(word.to_string());
            i += 1;
            continue;
        }
        // Extend the run over encodable and empty words, ending on an encodable one.
        let mut end = i + 1;
        let mut j = i + 1;
        while let Some(&w) = words.get(j) {
            if needs(w) {
                end = j + 1;
            } else if !w.is_empty() {
                break;
            }
            j += 1;
        }
        let run = words.get(i..end).unwrap_or_default().join(" ");
        out.push(encoded_word::encode(&run).join(" "));
        i = end;
    }
    out.join(" ")
}

fn check_message_id(id: &str) -> Result<String, BuildError> {
    if id.contains(['\r', '\n', '\0']) {
        return Err(BuildError::LineBreak { what: "message id" });
    }
    let trimmed = id.trim();
    let inner = trimmed
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(trimmed);
    let ok = inner
        .split_once('@')
        .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty())
        && inner
            .bytes()
            .all(|b| (33..=126).contains(&b) && !b"<>()[]\\,;:\"".contains(&b) || b == b'@');
    if !ok {
        return Err(BuildError::InvalidMessageId(id.to_string()));
    }
    Ok(format!("<{inner}>"))
}

fn generate_message_id(from: &Mailbox) -> String {
    let domain = from.domain();
    let usable = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let domain = if usable { domain } else { "mailkit.invalid" };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "<{}.{:06}.{}@{domain}>",
        now.as_secs(),
        now.subsec_micros(),
        random_token(16).to_ascii_lowercase()
    )
}

fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// Picks the transfer encoding of a CRLF-normalised text: 7bit when ASCII
/// with lines of at most 998 octets and no NUL, else the shorter of
/// quoted-printable and base64.
fn encode_text(text: &str) -> (&'static str, Vec<u8>) {
    let bytes = text.as_bytes();
    let seven_bit = bytes.is_ascii()
        && !bytes.contains(&0)
        && bytes
            .split(|&b| b == b'\n')
            .all(|l| l.len() <= MAX_LINE + 1);
    if seven_bit {
        return ("7bit", bytes.to_vec());
    }
    let b64_len = base64::encoded_lines_len(bytes.len() as u64);
    let qp_len = quoted_printable::encoded_len(bytes) as u64;
    let mut out = Vec::new();
    if qp_len <= b64_len {
        quoted_printable::encode(bytes, &mut out);
        ("quoted-printable", out)
    } else {
        base64::encode_lines(bytes, &mut out);
        ("base64", out)
    }
}

/// A piece of the finished message.
#[derive(Debug)]
enum Segment {
    Bytes(Vec<u8>),
    /// A file, base64-encoded in 76-character lines while it is read.
    Base64File {
        path: PathBuf,
        len: u64,
    },
}

impl Segment {
    fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::Base64File { len, .. } => base64::encoded_lines_len(*len),
        }
    }
}

/// A finished message, ready for SMTP: the envelope (sender, recipients,
/// SMTPUTF8 need) and the content as a stream of exactly `size()` bytes.
#[derive(Debug, Clone)]
pub struct Message {
    segments: Arc<Vec<Segment>>,
    size: u64,
    message_id: String,
    envelope_from: String,
    recipients: Vec<String>,
    needs_smtputf8: bool,
    is_7bit: bool,
}

impl Message {
    /// Parses received mail; the same as [`ParsedMessage::parse`](crate::ParsedMessage::parse).
    pub fn parse(bytes: &[u8]) -> crate::ParsedMessage<'_> {
        crate::ParsedMessage::parse(bytes)
    }

    /// The `Message-ID:` as written, with angle brackets (`<x@y>`).
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The address for `MAIL FROM` (no display name, no brackets): the
    /// `Sender:` field's when one was added with `header()`, else `From:`'s.
    pub fn envelope_from(&self) -> &str {
        &self.envelope_from
    }

    /// To, Cc and Bcc addresses for `RCPT TO`, duplicates (compared without
    /// case) removed, first occurrence kept in order.
    pub fn recipients(&self) -> Vec<String> {
        self.recipients.clone()
    }

    /// The exact number of bytes `reader()` and `write_to()` produce.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether any address holds non-ASCII (RFC 6531 SMTPUTF8 needed).
    pub fn needs_smtputf8(&self) -> bool {
        self.needs_smtputf8
    }

    /// Whether every byte of the message is 7-bit ASCII.
    pub fn is_7bit(&self) -> bool {
        self.is_7bit
    }

    /// The message as a stream: headers and text from memory, attachment
    /// files read and base64-encoded chunk by chunk.
    ///
    /// # Errors
    ///
    /// None today; reading a file that vanished or shrank fails on `read`.
    pub fn reader(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(MessageReader {
            segments: Arc::clone(&self.segments),
            index: 0,
            pos: 0,
            file: None,
        }))
    }

    /// Writes the whole message to `out`.
    ///
    /// # Errors
    ///
    /// Any error of `out`, or of reading an attachment file.
    pub fn write_to(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut reader = self.reader()?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(buf.get(..n).unwrap_or_default())?;
        }
    }
}

struct FileEncoder {
    file: File,
    remaining: u64,
    path: PathBuf,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
}

impl FileEncoder {
    /// Refills `out` with the next chunk; false at the file's end.
    fn refill(&mut self) -> io::Result<bool> {
        if self.remaining == 0 {
            return Ok(false);
        }
        let want = (FILE_CHUNK as u64).min(self.remaining) as usize;
        self.input.resize(want, 0);
        let mut got = 0;
        while got < want {
            let n = self
                .file
                .read(self.input.get_mut(got..).unwrap_or_default())?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "attachment {} shrank while the message was being written",
                        self.path.display()
                    ),
                ));
            }
            got += n;
        }
        self.remaining -= want as u64;
        self.out.clear();
        self.out_pos = 0;
        base64::encode_lines(&self.input, &mut self.out);
        Ok(true)
    }
}

struct MessageReader {
    segments: Arc<Vec<Segment>>,
    index: usize,
    pos: usize,
    file: Option<FileEncoder>,
}

impl Read for MessageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(segment) = self.segments.get(self.index) else {
                return Ok(0);
            };
            match segment {
                Segment::Bytes(bytes) => {
                    let rest = bytes.get(self.pos..).unwrap_or_default();
                    if rest.is_empty() {
                        self.index += 1;
                        self.pos = 0;
                        continue;
                    }
                    let n = rest.len().min(buf.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(rest.get(..n).unwrap_or_default());
                    self.pos += n;
                    return Ok(n);
                }
                Segment::Base64File { path, len } => {
                    if self.file.is_none() {
                        let file = File::open(path).map_err(|e| {
                            io::Error::new(
                                e.kind(),
                                format!("cannot read attachment {}: {e}", path.display()),
                            )
                        })?;
                        self.file = Some(FileEncoder {
                            file,
                            remaining: *len,
                            path: path.clone(),
                            input: Vec::new(),
                            out: Vec::new(),
                            out_pos: 0,
                        });
                    }
                    let Some(enc) = self.file.as_mut() else {
                        continue;
                    };
                    if enc.out_pos >= enc.out.len() && !enc.refill()? {
                        self.file = None;
                        self.index += 1;
                        continue;
                    }
                    let rest = enc.out.get(enc.out_pos..).unwrap_or_default();
                    let n = rest.len().min(buf.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(rest.get(..n).unwrap_or_default());
                    enc.out_pos += n;
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn mb(s: &str) -> Mailbox {
        Mailbox::parse(s).unwrap()
    }

    fn base() -> MessageBuilder {
        MessageBuilder::new()
            .from(mb("홍길동 <hong@example.com>"))
            .to(mb("bob@example.test"))
            .date(UNIX_EPOCH + Duration::from_secs(1_795_319_861))
            .message_id("<fixed@example.com>")
    }

    fn bytes_of(msg: &Message) -> Vec<u8> {
        let mut out = Vec::new();
        msg.write_to(&mut out).unwrap();
        out
    }

    fn assert_well_formed(bytes: &[u8]) {
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let is_last = i == newlines;
            if !is_last {
                assert_eq!(line.last(), Some(&b'\r'), "bare LF on line {i}");
            }
            assert!(line.len() <= 999, "line {i} is {} octets", line.len());
            assert!(
                !line.strip_suffix(b"\r").unwrap_or(line).contains(&b'\r'),
                "bare CR on line {i}"
            );
        }
        assert!(bytes.ends_with(b"\r\n"));
    }

    #[test]
    fn single_part_message_has_the_required_headers() {
        let msg = base()
            .subject("안녕하세요 report")
            .header("X-Mailer", "mailkit")
            .unwrap()
            .text("hi\n.dot line\n")
            .build()
            .unwrap();
        let bytes = bytes_of(&msg);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("Date: Sun, 22 Nov 2026 03:57:41 +0000\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nFrom: =?utf-8?B?7ZmN6ri464+Z?= <hong@example.com>\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nTo: bob@example.test\r\n"));
        assert!(text.contains("\r\nSubject: =?utf-8?"));
        assert!(text.contains("\r\nMessage-ID: <fixed@example.com>\r\n"));
        assert!(text.contains("\r\nX-Mailer: mailkit\r\n"));
        assert!(text.contains("\r\nMIME-Version: 1.0\r\n"));
        assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhi\r\n.dot line\r\n"));
        assert_eq!(bytes.len() as u64, msg.size());
        assert!(msg.is_7bit());
        assert!(!msg.needs_smtputf8());
        assert_eq!(msg.message_id(), "<fixed@example.com>");
        assert_eq!(msg.envelope_from(), "hong@example.com");
        assert_well_formed(&bytes);
    }

    #[test]
    fn sender_field_is_the_envelope_sender() {
        let msg = base().build().unwrap();
        assert_eq!(msg.envelope_from(), "hong@example.com");
        let msg = base()
            .header("Sender", "비서 <secretary@example.com>")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(msg.envelope_from(), "secretary@example.com");
        let text = String::from_utf8(bytes_of(&msg)).unwrap();
        assert!(
            text.contains("\r\nSender: =?utf-8?B?67mE7ISc?= <secretary@example.com>\r\n"),
            "{text}"
        );
        let bad = base().header("Sender", "not an address").unwrap().build();
        assert!(
            matches!(bad, Err(BuildError::InvalidAddress { .. })),
            "{bad:?}"
        );
    }

    #[test]
    fn bcc_is_an_envelope_recipient_only() {
        let msg = base()
            .cc(mb("Carol <carol@example.test>"))
            .bcc(mb("secret@example.test"))
            .bcc(mb("BOB@example.test"))
            .build()
            .unwrap();
        let text = String::from_utf8(bytes_of(&msg)).unwrap();
        assert!(!text.contains("secret@"), "{text}");
        assert!(!text.to_ascii_lowercase().contains("bcc"));
        assert!(text.contains("\r\nCc: Carol <carol@example.test>\r\n"));
        assert_eq!(
            msg.recipients(),
            [
                "bob@example.test",
                "carol@example.test",
                "secret@example.test"
            ]
        );
    }

    #[test]
    fn header_injection_is_refused() {
        assert!(matches!(
            base().header("X-A", "v\r\nBcc: x@y"),
            Err(BuildError::LineBreak { .. })
        ));
        assert!(matches!(
            base().header("X-A", "v\nx"),
            Err(BuildError::LineBreak { .. })
        ));
        assert!(matches!(
            base().header("X-A", "v\0"),
            Err(BuildError::LineBreak { .. })
        ));
        assert!(matches!(
            base().header("X A", "v"),
            Err(BuildError::InvalidHeaderName(_))
        ));
        assert!(matches!(
            base().header("X:A", "v"),
            Err(BuildError::InvalidHeaderName(_))
        ));
        assert!(matches!(
            base().header("", "v"),
            Err(BuildError::InvalidHeaderName(_))
        ));
        for owned in [
            "From",
            "to",
            "CC",
            "Bcc",
            "Date",
            "Message-Id",
            "MIME-Version",
            "Content-Type",
            "content-transfer-encoding",
            "Subject",
        ] {
            assert!(
                matches!(
                    base().header(owned, "v"),
                    Err(BuildError::ReservedHeader(_))
                ),
                "{owned}"
            );
        }
        assert!(matches!(
            base().subject("a\r\nBcc: x@y").build(),
            Err(BuildError::LineBreak { .. })
        ));
        assert!(matches!(
            base().message_id("<a@b>\r\nX: y").build(),
            Err(BuildError::LineBreak { .. })
        ));
        assert!(matches!(
            base().message_id("no-at-sign").build(),
            Err(BuildError::InvalidMessageId(_))
        ));
        assert!(matches!(
            MessageBuilder::new().build(),
            Err(BuildError::MissingFrom)
        ));
        assert!(matches!(
            base().attach_bytes("a\r\n.txt", None, vec![]),
            Err(BuildError::LineBreak { .. })
        ));
    }

    #[test]
    fn long_headers_are_folded() {
        let subject = "word ".repeat(60);
        let msg = base()
            .subject(subject.trim_end())
            .header("X-Long", &"abc ".repeat(100))
            .unwrap()
            .build()
            .unwrap();
        let bytes = bytes_of(&msg);
        assert_well_formed(&bytes);
        let text = String::from_utf8(bytes).unwrap();
        let head = text.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        assert!(head
            .replace("\r\n ", " ")
            .contains(&format!("Subject: {}", subject.trim_end())));
        let ko = base()
            .subject("가나다라마바사아자차카타파하 ".repeat(8))
            .build()
            .unwrap();
        let text = String::from_utf8(bytes_of(&ko)).unwrap();
        for line in text.split("\r\n").filter(|l| l.contains("=?")) {
            assert!(
                line.trim_start().trim_start_matches("Subject: ").len() <= 75,
                "{line:?}"
            );
        }
    }

    #[test]
    fn body_transfer_encoding_is_chosen_by_content() {
        let cte = |text: &str| {
            let msg = base().text(text).build().unwrap();
            let bytes = bytes_of(&msg);
            assert_well_formed(&bytes);
            assert_eq!(bytes.len() as u64, msg.size());
            let s = String::from_utf8(bytes).unwrap();
            s.split("Content-Transfer-Encoding: ")
                .nth(1)
                .unwrap()
                .split("\r\n")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(cte("plain ascii\n"), "7bit");
        assert_eq!(cte(&"x".repeat(1200)), "quoted-printable");
        assert_eq!(cte("mostly ascii, café\n"), "quoted-printable");
        assert_eq!(cte(&"한국어 본문입니다. ".repeat(20)), "base64");
        assert_eq!(cte("nul\0byte"), "quoted-printable");
        assert_eq!(cte(""), "7bit");
    }

    #[test]
    fn size_is_exact_with_attachments_of_awkward_sizes() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = base().subject("sizes").text("see attached\n");
        for n in [0usize, 1, 2, 3, 57, 58, 1_000_003] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let path = dir.path().join(format!("file-{n}.bin"));
            std::fs::write(&path, &data).unwrap();
            builder = builder.attach_path(&path).unwrap();
            builder = builder
                .attach_bytes(&format!("mem-{n}.bin"), None, data)
                .unwrap();
            let msg = builder.clone().build().unwrap();
            let bytes = bytes_of(&msg);
            assert_eq!(
                bytes.len() as u64,
                msg.size(),
                "after the {n}-byte attachments"
            );
            assert_well_formed(&bytes);
            assert!(msg.is_7bit());
        }
        // A one-byte-at-a-time reader gives the same bytes.
        let msg = builder.build().unwrap();
        let mut reader = msg.reader().unwrap();
        let mut one = [0u8; 1];
        let mut count = 0u64;
        while reader.read(&mut one).unwrap() == 1 {
            count += 1;
        }
        assert_eq!(count, msg.size());
    }

    #[test]
    fn multipart_layout_and_filenames() {
        let msg = base()
            .text("body")
            .attach_bytes(
                "보고서 2026년 최종본 (수정) 아주 긴 파일 이름입니다.pdf",
                None,
                b"%PDF".to_vec(),
            )
            .unwrap()
            .attach_bytes("plain.txt", Some("text/plain"), b"abc".to_vec())
            .unwrap()
            .build()
            .unwrap();
        let text = String::from_utf8(bytes_of(&msg)).unwrap();
        let boundary = text
            .split("boundary=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(text.contains(&format!(
            "\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        )));
        assert!(text.contains(&format!("\r\nbody\r\n--{boundary}\r\n")));
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert!(
            text.contains("Content-Type: application/pdf;\r\n name=\"=?utf-8?B?"),
            "{text}"
        );
        assert!(text.contains("filename*0*=utf-8''%EB%B3%B4"), "{text}");
        assert!(text.contains("Content-Disposition: attachment; filename=\"plain.txt\"\r\n"));
        assert_well_formed(text.as_bytes());
    }

    #[test]
    fn line_breaks_in_a_file_name_never_reach_the_headers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evil\r\nBcc: victim@example.com\r\n.txt");
        std::fs::write(&path, b"x").unwrap();
        let msg = base().attach_path(&path).unwrap().build().unwrap();
        let bytes = bytes_of(&msg);
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert_well_formed(&bytes);
        let parsed = crate::ParsedMessage::parse(&bytes);
        let att = parsed.attachments().next().unwrap();
        assert_eq!(
            att.filename(),
            Some("evil\r\nBcc: victim@example.com\r\n.txt")
        );
    }

    #[test]
    fn unreadable_attachment_is_an_io_error() {
        let err = base().attach_path("/nonexistent/file.pdf").unwrap_err();
        assert!(matches!(err, BuildError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/file.pdf"));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            base().attach_path(dir.path()),
            Err(BuildError::Io { .. })
        ));
    }

    #[test]
    fn shrinking_attachment_fails_the_read_instead_of_lying_about_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks.bin");
        std::fs::write(&path, vec![1u8; 1000]).unwrap();
        let msg = base().attach_path(&path).unwrap().build().unwrap();
        std::fs::write(&path, vec![1u8; 10]).unwrap();
        let err = msg.write_to(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn only_the_words_that_need_it_are_encoded() {
        assert_eq!(unstructured("plain ascii"), "plain ascii");
        let s = unstructured("안녕하세요 report");
        assert!(s.starts_with("=?utf-8?") && s.ends_with("?= report"), "{s}");
        let r = unstructured("홍길동 <hong@example.com>");
        assert!(r.ends_with("?= <hong@example.com>"), "{r}");
        // Two non-ASCII words with spaces between stay one run.
        let g = unstructured("가  나 b");
        assert_eq!(g.matches("=?utf-8?").count(), 1, "{g}");
        for text in [
            "가  나 b",
            " 앞 공백",
            "뒤 공백 ",
            "a =?x?Q?y?= b",
            "tab\there 한",
        ] {
            let encoded = unstructured(text);
            assert_eq!(
                crate::encoded_word::decode_text(encoded.as_bytes(), None),
                text,
                "{encoded}"
            );
        }
    }

    #[test]
    fn non_ascii_addresses_need_smtputf8() {
        let msg = MessageBuilder::new()
            .from(mb("사용자@예시.한국"))
            .to(mb("bob@example.test"))
            .build()
            .unwrap();
        assert!(msg.needs_smtputf8());
        assert!(!msg.is_7bit());
        assert!(msg.message_id().ends_with("@mailkit.invalid>"));
        let msg = MessageBuilder::new()
            .from(mb("a@example.com"))
            .build()
            .unwrap();
        assert!(msg.message_id().starts_with('<') && msg.message_id().ends_with("@example.com>"));
        assert_ne!(
            msg.message_id(),
            MessageBuilder::new()
                .from(mb("a@example.com"))
                .build()
                .unwrap()
                .message_id()
        );
    }
}
