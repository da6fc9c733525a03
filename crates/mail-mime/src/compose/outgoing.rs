//! [`OutgoingMessage`]: a built message, its envelope and exact size.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use super::reader::MessageReader;
use crate::base64;

/// A piece of the finished message.
#[derive(Debug)]
pub(super) enum Segment {
    Bytes(Vec<u8>),
    /// A file, base64-encoded in 76-character lines while it is read.
    Base64File {
        path: PathBuf,
        len: u64,
    },
}

impl Segment {
    pub(super) fn len(&self) -> u64 {
        match self {
            Segment::Bytes(b) => b.len() as u64,
            Segment::Base64File { len, .. } => base64::encoded_lines_len(*len),
        }
    }
}

/// A finished message, ready for SMTP: the envelope (sender, recipients,
/// SMTPUTF8 need) and the content as a stream of exactly `size()` bytes.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub(super) segments: Arc<Vec<Segment>>,
    pub(super) size: u64,
    pub(super) message_id: String,
    pub(super) envelope_from: String,
    pub(super) recipients: Vec<String>,
    pub(super) needs_smtputf8: bool,
    pub(super) is_7bit: bool,
}

impl OutgoingMessage {
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
        Ok(Box::new(MessageReader::new(Arc::clone(&self.segments))))
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
