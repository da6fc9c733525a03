//! `--mx`: direct delivery to the recipients' MX hosts through `mail_smtp::mx`.

use std::time::Duration;

use mail_cli::{exit, CliError, TlsMode};
use mail_mime::OutgoingMessage;
use mail_smtp::mx::{deliver_message, MxOptions, Outcome, Resolver, TlsPolicy};
use mail_smtp::Envelope;

use crate::args::Args;

/// Resolves the recipients' domains and delivers to their MX hosts, printing
/// one line per recipient; with `--dry-run` only prints the hosts in order.
pub fn send_mx(args: &Args, message: &OutgoingMessage, helo_name: String) -> Result<(), CliError> {
    let tls = match args.net.tls {
        None => TlsPolicy::Opportunistic,
        Some(TlsMode::Starttls) => TlsPolicy::Required,
        Some(TlsMode::None) => TlsPolicy::Disabled,
        Some(TlsMode::Implicit) => {
            return Err(CliError::usage(
                "--mx speaks SMTP on port 25: --tls implicit does not apply",
            ))
        }
    };
    if args.dry_run && args.net.quiet {
        // Only the message is printed: no need to ask DNS for the route.
        return crate::dry_run::mx(args, "", &[], message);
    }
    let resolver = match args.dns {
        Some(server) => Resolver::with_server(server),
        None => Resolver::system(),
    };
    let mut resolver = resolver
        .map_err(|err| CliError::new(exit::CONNECTION, format!("cannot set up DNS: {err}")))?;
    resolver.set_timeout(Duration::from_secs(args.net.timeout.max(1)));
    let recipients = Envelope::from_message(message).recipients;
    let plans = resolver.plan_recipients(&recipients);
    if args.dry_run {
        let tls = match tls {
            TlsPolicy::Opportunistic => "STARTTLS when offered",
            TlsPolicy::Required => "STARTTLS required (--tls starttls)",
            TlsPolicy::Disabled => "no TLS (--tls none)",
        };
        let hosts: Vec<String> = plans.iter().map(shown).collect();
        return crate::dry_run::mx(args, tls, &hosts, message);
    }

    let mut options = MxOptions::new(helo_name);
    options.port = args.mx_port;
    options.tls = tls;
    options.tls_config = args.net.tls_config()?;
    options.timeout = Duration::from_secs(args.net.timeout.max(1));
    options.pipelining = !args.no_pipelining;
    options.chunking = !args.no_chunking;
    options.show_data = args.show_data;
    if !args.net.quiet {
        let net = args.net.clone();
        options.transcript = Some(Box::new(move |host: &str, addr| {
            println!("--- {} [{}]", shown(&host), addr.ip());
            net.transcript()
        }));
    }
    let report = deliver_message(&plans, message, &mut options);

    let mut worst = exit::OK;
    for recipient in report.recipients() {
        println!(
            "{}: {}",
            shown(&recipient.recipient),
            shown(&recipient.outcome)
        );
        let code = match &recipient.outcome {
            Outcome::Delivered { .. } => exit::OK,
            Outcome::Refused(_) => exit::REJECTED,
            Outcome::Deferred(failure) if failure.reply().is_some() => exit::REJECTED,
            Outcome::Deferred(_) => exit::CONNECTION,
        };
        worst = worst.max(code);
    }
    match worst {
        exit::OK => Ok(()),
        code => {
            let failed = report
                .recipients()
                .filter(|r| !r.outcome.is_delivered())
                .count();
            Err(CliError::new(
                code,
                format!("{failed} of {} recipients not delivered", recipients.len()),
            ))
        }
    }
}

/// Host names come from DNS and outcomes quote the hosts' replies: escaped
/// before they reach the terminal.
fn shown(value: &impl std::fmt::Display) -> String {
    mail_wire::escape_for_display(value.to_string().as_bytes())
}
