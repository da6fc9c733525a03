//! Turning a [`SendRequest`] into an envelope and message bytes with the
//! mail-mime builder.

use mail_smtp::Envelope;

use crate::compose::SendRequest;

/// A message ready for SMTP.
#[derive(Debug, Clone)]
pub struct Built {
    /// Reverse path and every recipient (To, Cc and Bcc).
    pub envelope: Envelope,
    /// The RFC 5322 message, CRLF line ends.
    pub bytes: Vec<u8>,
}

/// Builds the message.
///
/// # Errors
/// A sentence for the page when an address or header cannot be built.
pub fn build(_request: &SendRequest) -> Result<Built, String> {
    Err("the mail-mime builder is not merged yet".to_owned())
}
