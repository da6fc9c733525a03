//! The real [`Mailer`]: builds the message with mail-mime ([`crate::message`])
//! and sends it with mail-smtp over verified TLS, recording the session.

use std::io::{Read, Write};

use mail_mime::OutgoingMessage;
use mail_smtp::{Client, Delivery, Options};
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
            built.message_id(),
            built.size()
        );
        let endpoint = &request.endpoint;
        let options = client_options(endpoint.security, recording);
        let mut client = Client::connect(&endpoint.server, endpoint.security, &self.tls, options)
            .map_err(|err| {
            format!(
                "Could not reach {}:{}: {err}",
                endpoint.server.host, endpoint.server.port
            )
        })?;
        let outcome = deliver(&mut client, &endpoint.user, &request.password, &built);
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

/// What smtp-send uses too: EHLO with this machine's name, the session
/// recorded for the result page.
fn client_options(security: Security, recording: &Recording) -> Options {
    Options {
        helo_name: mail_cli::local_host_name(),
        transcript: Some(Box::new(recording.clone())),
        // Only when the user chose "Security: None" on the page.
        allow_plaintext_auth: security == Security::Plain,
        ..Options::default()
    }
}

/// AUTH (the best mechanism offered) when the server offers AUTH, then the
/// message, streamed. A server that offers no AUTH (a relay on port 25, a
/// local MTA) takes the message without a login, as with smtp-send; the
/// page's password is then not sent anywhere.
fn deliver<S: Read + Write>(
    client: &mut Client<S>,
    user: &str,
    password: &Secret,
    message: &OutgoingMessage,
) -> Result<Delivery, mail_smtp::Error> {
    if client.capabilities().has("AUTH") {
        client.auth(user, password, None)?;
    } else {
        log::warn!("the server offers no AUTH; sending without logging in");
    }
    client.send_message(message)
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
    use mail_mime::{Mailbox, MessageBuilder};
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Connection, Limits};
    use std::time::{Duration, UNIX_EPOCH};

    fn client_with(script: &str, options: Options) -> (Client<ScriptedStream>, ScriptedStream) {
        let stream = ScriptedStream::from_transcript(script);
        let client =
            Client::new(Connection::new(stream.clone(), Limits::default()), options).unwrap();
        (client, stream)
    }

    fn client(script: &str, recording: &Recording) -> (Client<ScriptedStream>, ScriptedStream) {
        let options = Options {
            transcript: Some(Box::new(recording.clone())),
            allow_plaintext_auth: true,
            pipelining: false,
            chunking: false,
            ..Options::default()
        };
        client_with(script, options)
    }

    fn message(to: &[&str]) -> OutgoingMessage {
        let mut builder = MessageBuilder::new()
            .from(Mailbox::parse("alice@example.test").unwrap())
            .bcc(Mailbox::parse("audit@example.test").unwrap())
            .date(UNIX_EPOCH + Duration::from_secs(1_795_319_861))
            .message_id("<fixed@example.test>")
            .text("hi");
        for address in to {
            builder = builder.to(Mailbox::parse(address).unwrap());
        }
        builder.build().unwrap()
    }

    /// The client's lines for the message after DATA, dot included.
    fn data_lines(message: &OutgoingMessage) -> String {
        let mut bytes = Vec::new();
        message.write_to(&mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let mut out: String = text
            .split_terminator("\r\n")
            .map(|line| format!("C: {line}\n"))
            .collect();
        out.push_str("C: .\n");
        out
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
        let err = deliver(
            &mut client,
            "alice",
            &Secret::new("wrong-pw"),
            &message(&["bob@example.test"]),
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
        let message = message(&["bob@example.test", "nobody@example.test"]);
        let script = format!(
            "S: 220 mail.example.test ESMTP\nC: EHLO localhost\nS: 250-mail.example.test\nS: 250 AUTH PLAIN\n\
             C: AUTH PLAIN ********\nS: 235 2.7.0 Authentication successful\n\
             C: MAIL FROM:<alice@example.test>\nS: 250 2.1.0 Ok\n\
             C: RCPT TO:<bob@example.test>\nS: 250 2.1.5 Ok\n\
             C: RCPT TO:<nobody@example.test>\nS: 550 5.1.1 <nobody@example.test>: user unknown\n\
             C: RCPT TO:<audit@example.test>\nS: 250 2.1.5 Ok\n\
             C: DATA\nS: 354 go ahead\n{}S: 250 2.0.0 Ok: queued as 4Xy\n",
            data_lines(&message)
        );
        let (mut client, stream) = client(&script, &recording);
        let delivery = deliver(&mut client, "alice", &Secret::new("pw"), &message).unwrap();
        stream.assert_done();
        assert_eq!(
            describe(&delivery),
            "250 2.0.0 Ok: queued as 4Xy — not accepted: nobody@example.test (550 5.1.1 <nobody@example.test>: user unknown)"
        );
        assert_eq!(delivery.accepted().count(), 2);
    }

    #[test]
    fn no_auth_when_the_server_offers_none() {
        let recording = Recording::new();
        let message = message(&["bob@example.test"]);
        let script = format!(
            "S: 220 relay.example.test ESMTP\nC: EHLO localhost\nS: 250-relay.example.test\nS: 250 8BITMIME\n\
             C: MAIL FROM:<alice@example.test>\nS: 250 2.1.0 Ok\n\
             C: RCPT TO:<bob@example.test>\nS: 250 2.1.5 Ok\n\
             C: RCPT TO:<audit@example.test>\nS: 250 2.1.5 Ok\n\
             C: DATA\nS: 354 go ahead\n{}S: 250 2.0.0 Ok: queued as 5Zz\n",
            data_lines(&message)
        );
        let (mut client, stream) = client(&script, &recording);
        let delivery = deliver(&mut client, "alice", &Secret::new("pw-123"), &message).unwrap();
        stream.assert_done();
        assert_eq!(delivery.queue_id(), Some("5Zz"));
        let lines = recording.lines().join("\n");
        assert!(!lines.contains("AUTH"), "{lines}");
    }

    #[test]
    fn ehlo_names_this_machine_as_smtp_send_does() {
        let recording = Recording::new();
        let name = mail_cli::local_host_name();
        let (client, stream) = client_with(
            &format!(
                "S: 220 mail.example.test ESMTP\nC: EHLO {name}\nS: 250 mail.example.test\n\
                 C: QUIT\nS: 221 2.0.0 Bye\n"
            ),
            client_options(Security::StartTls, &recording),
        );
        client.quit().unwrap();
        stream.assert_done();
        assert!(recording.lines().contains(&format!("C: EHLO {name}")));
        assert!(!client_options(Security::StartTls, &recording).allow_plaintext_auth);
        assert!(client_options(Security::Plain, &recording).allow_plaintext_auth);
    }

    #[test]
    fn capitalizes_sentences() {
        assert_eq!(capitalize("server rejected"), "Server rejected");
        assert_eq!(capitalize(""), "");
    }
}
