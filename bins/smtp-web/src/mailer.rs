//! Sending a validated request, and what the result page shows of it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::compose::SendRequest;

/// Sends one message. The real implementation is [`crate::SmtpMailer`];
/// tests of the pages use their own.
pub trait Mailer: Send + Sync {
    /// Sends the message and reports how it went, with the session transcript.
    fn send(&self, request: &SendRequest) -> SendReport;
}

/// What the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The server's final reply (`250 2.0.0 Ok: queued as ...`), followed by
    /// any recipient it refused.
    pub reply: String,
    /// How many recipients the server accepted.
    pub recipients: usize,
}

/// The outcome of one send, ready for the result page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// What was accepted, or one sentence with the server's exact refusal
    /// or what failed.
    pub result: Result<Accepted, String>,
    /// The session, one `C:`/`S:` line each, secrets masked.
    pub transcript: Vec<String>,
}

impl SendReport {
    /// Masks the request's password (plain and in the base64 forms SASL
    /// PLAIN and LOGIN put on the wire) wherever it still appears, in the
    /// result and the transcript alike. mail-smtp already masks what it
    /// sends; this is the second lock, so a page can never show a credential.
    pub fn redacted(mut self, request: &SendRequest) -> SendReport {
        let password = request.password.expose();
        if password.is_empty() {
            return self;
        }
        let user = &request.endpoint.user;
        let forms = [
            BASE64.encode(format!("\0{user}\0{password}")),
            BASE64.encode(format!("{user}\0{user}\0{password}")),
            BASE64.encode(password),
            password.to_owned(),
        ];
        let clean = |text: &mut String| {
            for form in &forms {
                if text.contains(form.as_str()) {
                    *text = text.replace(form.as_str(), mail_wire::MASK);
                }
            }
        };
        match &mut self.result {
            Ok(Accepted { reply: text, .. }) | Err(text) => clean(text),
        }
        self.transcript.iter_mut().for_each(clean);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{ComposeForm, SendDefaults};
    use mail_wire::Secret;
    use std::time::Duration;

    #[test]
    fn redaction_masks_the_password_in_every_form() {
        let form = ComposeForm {
            account: "alice@example.test".into(),
            host: "127.0.0.1".into(),
            to: "b@x.test".into(),
            ..Default::default()
        };
        let pw = Secret::new("s3cr3t-pw");
        let request = form
            .validate(
                &pw,
                Vec::new(),
                &SendDefaults {
                    timeout: Duration::from_secs(5),
                },
            )
            .unwrap();
        let plain = BASE64.encode("\0alice@example.test\0s3cr3t-pw");
        let report = SendReport {
            result: Err("server said s3cr3t-pw".into()),
            transcript: vec![
                format!("C: AUTH PLAIN {plain}"),
                format!("C: {}", BASE64.encode("s3cr3t-pw")),
                "S: 250 fine".into(),
            ],
        }
        .redacted(&request);
        assert_eq!(report.result, Err("server said ********".into()));
        assert_eq!(
            report.transcript,
            ["C: AUTH PLAIN ********", "C: ********", "S: 250 fine"]
        );
    }
}
