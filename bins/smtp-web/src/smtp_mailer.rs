//! The real [`Mailer`]: builds the message with mail-mime ([`crate::message`])
//! and sends it with mail-smtp over verified TLS, recording the session.

use std::io::{Read, Write};

use mail_smtp::{Client, ClientOptions, Delivery, Envelope};
use mail_wire::{Recording, Secret, Security, TlsConfig};

use crate::compose::SendRequest;
use crate::mailer::{Accepted, Mailer, SendReport};
use crate::message;

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
    fn send(&self, request: &SendRequest) -> SendReport {
        let recording = Recording::new();
        let result = self.try_send(request, &recording);
        SendReport {
            result,
            transcript: recording.lines(),
        }
    }
}

impl SmtpMailer {
    fn try_send(&self, request: &SendRequest, recording: &Recording) -> Result<Accepted, String> {
        let built = message::build(request)
            .map_err(|err| format!("The message could not be built: {err}."))?;
        log::info!(
            "built message {} ({} bytes)",
            built.message_id,
            built.bytes.len()
        );
        let endpoint = &request.endpoint;
        let options = ClientOptions {
            transcript: Some(Box::new(recording.clone())),
            // Only when the user chose "Security: None" on the page.
            allow_plaintext_auth: endpoint.security == Security::Plain,
            ..ClientOptions::default()
        };
        let mut client = Client::connect(&endpoint.server, endpoint.security, &self.tls, options)
            .map_err(|err| {
            format!(
                "Could not reach {}:{}: {err}",
                endpoint.server.host, endpoint.server.port
            )
        })?;
        let outcome = deliver(
            &mut client,
            &endpoint.user,
            &request.password,
            &built.envelope,
            &built.bytes,
        );
        if let Err(err) = client.quit() {
            log::debug!("QUIT failed: {err}");
        }
        outcome
            .map(|delivery| Accepted {
                reply: describe(&delivery),
                recipients: delivery.accepted().count(),
            })
            .map_err(|err| capitalize(&err.to_string()))
    }
}

/// AUTH (the best mechanism offered), then the message.
fn deliver<S: Read + Write>(
    client: &mut Client<S>,
    user: &str,
    password: &Secret,
    envelope: &Envelope,
    bytes: &[u8],
) -> Result<Delivery, mail_smtp::Error> {
    client.auth(user, password, None)?;
    client.send(envelope, &mut &bytes[..], Some(bytes.len() as u64))
}

/// The final reply, plus any recipient the server refused.
fn describe(delivery: &Delivery) -> String {
    let mut text = delivery.reply.to_string();
    for refused in delivery.rejected() {
        text.push_str(&format!(
            " — not accepted: {} ({})",
            refused.address, refused.reply
        ));
    }
    text
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Connection, Limits};

    fn client(script: &str, recording: &Recording) -> (Client<ScriptedStream>, ScriptedStream) {
        let stream = ScriptedStream::from_transcript(script);
        let options = ClientOptions {
            transcript: Some(Box::new(recording.clone())),
            allow_plaintext_auth: true,
            pipelining: false,
            chunking: false,
            ..ClientOptions::default()
        };
        let client =
            Client::new(Connection::new(stream.clone(), Limits::default()), options).unwrap();
        (client, stream)
    }

    #[test]
    fn wrong_password_keeps_the_servers_exact_refusal() {
        let recording = Recording::new();
        let (mut client, stream) = client(
            "S: 220 mail.example.test ESMTP\nC: EHLO localhost\nS: 250-mail.example.test\nS: 250 AUTH PLAIN LOGIN\n\
             C: AUTH PLAIN ********\nS: 535 5.7.8 Error: authentication failed: bad\n\
             C: QUIT\nS: 221 2.0.0 Bye\n",
            &recording,
        );
        let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
        let err = deliver(
            &mut client,
            "alice",
            &Secret::new("wrong-pw"),
            &envelope,
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .unwrap_err();
        client.quit().unwrap();
        stream.assert_done();
        assert!(
            err.to_string()
                .contains("535 5.7.8 Error: authentication failed: bad"),
            "{err}"
        );
        let lines = recording.lines().join("\n");
        assert!(lines.contains("C: AUTH PLAIN ********"), "{lines}");
        assert!(!lines.contains("wrong-pw"));
    }

    #[test]
    fn success_reports_the_final_reply_and_refused_recipients() {
        let recording = Recording::new();
        let (mut client, stream) = client(
            "S: 220 mail.example.test ESMTP\nC: EHLO localhost\nS: 250-mail.example.test\nS: 250 AUTH PLAIN\n\
             C: AUTH PLAIN ********\nS: 235 2.7.0 Authentication successful\n\
             C: MAIL FROM:<alice@example.test>\nS: 250 2.1.0 Ok\n\
             C: RCPT TO:<bob@example.test>\nS: 250 2.1.5 Ok\n\
             C: RCPT TO:<nobody@example.test>\nS: 550 5.1.1 <nobody@example.test>: user unknown\n\
             C: DATA\nS: 354 go ahead\nC: Subject: x\nC:\nC: hi\nC: .\nS: 250 2.0.0 Ok: queued as 4Xy\n",
            &recording,
        );
        let envelope = Envelope::new(
            "alice@example.test",
            ["bob@example.test", "nobody@example.test"],
        );
        let delivery = deliver(
            &mut client,
            "alice",
            &Secret::new("pw"),
            &envelope,
            b"Subject: x\r\n\r\nhi\r\n",
        )
        .unwrap();
        stream.assert_done();
        assert_eq!(
            describe(&delivery),
            "250 2.0.0 Ok: queued as 4Xy — not accepted: nobody@example.test (550 5.1.1 <nobody@example.test>: user unknown)"
        );
    }

    #[test]
    fn capitalizes_sentences() {
        assert_eq!(capitalize("server rejected"), "Server rejected");
        assert_eq!(capitalize(""), "");
    }
}
