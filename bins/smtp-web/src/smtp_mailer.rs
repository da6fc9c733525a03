//! The real [`Mailer`]: builds the message with mail-mime and sends it with
//! mail-smtp over verified TLS.

use mail_wire::TlsConfig;

use crate::compose::SendRequest;
use crate::mailer::{Mailer, SendReport};

/// Sends through the SMTP server the request names.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    tls: TlsConfig,
}

impl SmtpMailer {
    /// A mailer trusting the system roots plus whatever `tls` adds.
    pub fn new(tls: TlsConfig) -> SmtpMailer {
        SmtpMailer { tls }
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, _request: &SendRequest) -> SendReport {
        let _ = &self.tls;
        SendReport { result: Err("sending is not available yet (mail-smtp is not merged)".into()), transcript: Vec::new() }
    }
}
