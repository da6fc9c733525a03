//! The envelope lines of one message, with MAIL and RCPT parameters decided
//! against the server's capabilities, encoded and checked before a byte is
//! sent. No I/O.

use crate::command::{BodyType, Command, MailParams, RcptParams};
use crate::envelope::Envelope;
use crate::error::{EncodeError, Error};
use crate::Capabilities;

/// MAIL and RCPT lines (without CRLF) ready to go.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) mail: Vec<u8>,
    pub(crate) rcpts: Vec<Vec<u8>>,
}

impl Prepared {
    /// Decides SIZE, BODY=8BITMIME, SMTPUTF8 and DSN parameters from
    /// `caps` and encodes every envelope line.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty recipient list or a bad address;
    /// [`Error::Unsupported`] for an extension the envelope needs and the
    /// server lacks; [`Error::TooLarge`] when `size` passes the server's SIZE.
    pub fn new(caps: &Capabilities, envelope: &Envelope, size: Option<u64>) -> Result<Self, Error> {
        if envelope.recipients.is_empty() {
            return Err(Error::Invalid(EncodeError::Empty {
                what: "recipient list",
            }));
        }
        let mut params = MailParams::default();
        if envelope.needs_smtputf8() {
            if !caps.smtputf8() {
                return Err(Error::Unsupported("SMTPUTF8"));
            }
            params.smtputf8 = true;
        }
        if envelope.options.eight_bit_mime {
            if !caps.eight_bit_mime() {
                return Err(Error::Unsupported("8BITMIME"));
            }
            params.body = Some(BodyType::EightBitMime);
        }
        if let Some(limit) = caps.size() {
            if let (Some(size), Some(limit)) = (size, limit) {
                if size > limit {
                    return Err(Error::TooLarge { size, limit });
                }
            }
            params.size = size;
        }
        let mut rcpt_params = RcptParams::default();
        let mut orcpt = false;
        if let Some(dsn) = &envelope.options.dsn {
            if !caps.dsn() {
                return Err(Error::Unsupported("DSN"));
            }
            params.ret = dsn.ret.map(|r| r.value());
            params.envid = dsn.envid.clone();
            rcpt_params.notify = dsn.notify.map(|n| n.value());
            orcpt = dsn.orcpt;
        }
        let mut mail = Vec::with_capacity(64);
        Command::MailFrom(&envelope.from, &params).encode(&mut mail)?;
        let mut rcpts = Vec::with_capacity(envelope.recipients.len());
        for rcpt in &envelope.recipients {
            let mut line = Vec::with_capacity(64);
            let mut p = rcpt_params.clone();
            if orcpt {
                p.orcpt = Some(rcpt.clone());
            }
            Command::RcptTo(rcpt, &p).encode(&mut line)?;
            rcpts.push(line);
        }
        Ok(Prepared { mail, rcpts })
    }

    /// Number of RCPT lines.
    pub fn recipients(&self) -> usize {
        self.rcpts.len()
    }
}
