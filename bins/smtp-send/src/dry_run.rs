//! `--dry-run`: what a send would do, with no connection made (msmtp's
//! `--pretend`): the route, the envelope, then the message.
//!
//! Only what is known before connecting is stated as fact; what the server
//! decides after EHLO (the AUTH mechanism, SIZE) is said to be so.

use std::io::Write;

use mail_cli::{CliError, Endpoint};
use mail_mime::{Mailbox, OutgoingMessage};
use mail_smtp::command::{BodyType, Command, MailParams, RcptParams};
use mail_smtp::{Envelope, Mechanism};
use mail_wire::Security;

use crate::args::Args;

/// Where a submission would go. `host_known` is false when neither
/// `--host` nor a preset names a server (sending would need `--host`).
pub struct Submission<'a> {
    pub endpoint: &'a Endpoint,
    pub host_known: bool,
    pub helo_name: &'a str,
}

/// Prints the route to a submission server, the envelope and the message.
/// With `-q` only the message, so `--dry-run -q > m.eml` saves it.
///
/// # Errors
/// A usage error when an envelope address cannot be encoded; a write error.
pub fn submission(
    args: &Args,
    route: &Submission<'_>,
    message: &OutgoingMessage,
) -> Result<(), CliError> {
    let mut text = String::new();
    if !args.net.quiet {
        let endpoint = route.endpoint;
        let server = &endpoint.server;
        text.push_str("Dry run: nothing is sent, no connection is made.\n");
        if route.host_known {
            text.push_str(&format!(
                "Server:    {} port {}\n",
                server.host, server.port
            ));
        } else {
            let domain = endpoint.address.rsplit('@').next().unwrap_or_default();
            text.push_str(&format!(
                "Server:    none built in for {domain}: sending needs --host (port {} as given or by default)\n",
                server.port
            ));
        }
        text.push_str(&format!(
            "TLS:       {}\n",
            tls_line(args, endpoint.security)
        ));
        text.push_str(&format!(
            "Login:     {} with {}\n",
            endpoint.user,
            auth_line(args, endpoint.security)
        ));
        text.push_str(&format!("EHLO name: {}\n", route.helo_name));
        text.push_str(&pipelining_line(args));
        text.push_str(&envelope(args, message)?);
    }
    print(&text, args, message)
}

/// Prints the MX route (the hosts each domain would be tried on, from
/// `hosts`), the envelope and the message.
///
/// # Errors
/// As [`submission`].
pub fn mx(
    args: &Args,
    tls: &str,
    hosts: &[String],
    message: &OutgoingMessage,
) -> Result<(), CliError> {
    let mut text = String::new();
    if !args.net.quiet {
        text.push_str("Dry run: nothing is sent; DNS was asked for the MX hosts, no mail server was contacted.\n");
        text.push_str(&format!(
            "Route:     straight to each recipient domain's MX hosts, port {}, {tls}, no login\n",
            args.mx_port
        ));
        for host in hosts {
            text.push_str(host);
            text.push('\n');
        }
        text.push_str(&pipelining_line(args));
        text.push_str(&envelope(args, message)?);
    }
    print(&text, args, message)
}

fn print(text: &str, args: &Args, message: &OutgoingMessage) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| {
        if !args.net.quiet {
            writeln!(out, "Message ({} bytes):", message.size())?;
        }
        message.write_to(&mut out)?;
        out.flush()
    });
    written.map_err(|err| CliError::usage(format!("cannot write the message: {err}")))
}

fn tls_line(args: &Args, security: Security) -> String {
    let check = if args.net.insecure {
        "certificate NOT checked (--insecure)"
    } else if args.net.ca_files.is_empty() {
        "certificate checked against the system's trust roots"
    } else {
        "certificate checked against the system's trust roots and --ca-file"
    };
    match security {
        Security::Implicit => format!("implicit (TLS from the first byte), {check}"),
        Security::StartTls => {
            format!("STARTTLS (required: nothing is sent before it succeeds), {check}")
        }
        Security::Plain => {
            "none: the password and the message travel unencrypted (--tls none)".to_owned()
        }
    }
}

/// The mechanism `--auth` names, or the rule the client follows once it
/// sees the server's AUTH line (the order comes from `Mechanism::best`).
fn auth_line(args: &Args, security: Security) -> String {
    if let Some(arg) = args.auth {
        return format!("AUTH {} (--auth)", arg.mechanism());
    }
    let tls = security != Security::Plain;
    let mut left = vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5];
    let mut order = Vec::new();
    while let Some(best) = Mechanism::best(&left, tls) {
        order.push(best.to_string());
        left.retain(|&m| m != best);
    }
    format!(
        "the best AUTH mechanism the server offers, known only after EHLO: {} \
         (no login when the server offers no AUTH)",
        order.join(", then ")
    )
}

fn pipelining_line(args: &Args) -> String {
    let pipelining = if args.no_pipelining {
        "one command, one reply (--no-pipelining)"
    } else {
        "PIPELINING when offered"
    };
    let data = if args.no_chunking {
        "DATA (--no-chunking)"
    } else {
        "BDAT when CHUNKING is offered, else DATA"
    };
    format!("Commands:  {pipelining}; message by {data}\n")
}

/// The MAIL and RCPT lines as the client would encode them, Bcc marked.
fn envelope(args: &Args, message: &OutgoingMessage) -> Result<String, CliError> {
    // The same envelope `Client::send_message` would send.
    let envelope = Envelope::from_message(message);
    let params = MailParams {
        size: Some(message.size()),
        body: envelope
            .options
            .eight_bit_mime
            .then_some(BodyType::EightBitMime),
        smtputf8: envelope.needs_smtputf8(),
        ..MailParams::default()
    };
    let mut text = String::from("Envelope:\n");
    let mut line = Vec::new();
    Command::MailFrom(&envelope.from, &params)
        .encode(&mut line)
        .map_err(|err| CliError::usage(format!("invalid sender: {err}")))?;
    text.push_str(&format!(
        "  {}   (SIZE only when the server announces it)\n",
        String::from_utf8_lossy(&line)
    ));
    let visible: Vec<String> = [&args.to, &args.cc]
        .into_iter()
        .flatten()
        .filter_map(|value| Mailbox::parse_list(value).ok())
        .flatten()
        .map(|m| m.address().to_owned())
        .collect();
    for rcpt in &envelope.recipients {
        line.clear();
        Command::RcptTo(rcpt, &RcptParams::default())
            .encode(&mut line)
            .map_err(|err| CliError::usage(format!("invalid recipient: {err}")))?;
        let bcc = if visible.contains(rcpt) {
            ""
        } else {
            "   (Bcc: in the envelope only)"
        };
        text.push_str(&format!("  {}{bcc}\n", String::from_utf8_lossy(&line)));
    }
    Ok(text)
}
