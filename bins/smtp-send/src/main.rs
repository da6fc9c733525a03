//! `smtp-send <id> [<pw>]`: compose one message and send it through an SMTP
//! server, printing the `C:`/`S:` transcript with credentials masked.

mod args;
mod compose;
mod mx;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use mail_cli::{exit, CliError, Protocol};
use mail_smtp::{Client, ClientOptions, Envelope, Mechanism};
use mail_wire::Security;

use crate::args::{Args, AuthArg};

fn main() -> ExitCode {
    let args = Args::parse();
    args.net.init_logging("smtp-send");
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("smtp-send: {err}");
            ExitCode::from(err.code)
        }
    }
}

fn run(args: Args) -> Result<(), CliError> {
    if args.mx {
        let address = if args.id.contains('@') {
            args.id.clone()
        } else {
            format!("{}@{}", args.id, mail_cli::preset::DEFAULT_DOMAIN)
        };
        let message = compose::compose(&args, &address)?;
        return mx::send_mx(
            &args,
            &message,
            args.helo.clone().unwrap_or_else(local_host_name),
        );
    }
    let endpoint = args.net.resolve(&args.id, Protocol::Smtp)?;
    let message = compose::compose(&args, &endpoint.address)?;
    if args.dry_run {
        let mut out = std::io::stdout().lock();
        message
            .write_to(&mut out)
            .and_then(|()| out.flush())
            .map_err(|err| CliError::usage(err.to_string()))?;
        return Ok(());
    }
    let password = mail_cli::password(args.pw.clone(), &endpoint.user)?;
    let tls = args.net.tls_config()?;
    let options = ClientOptions {
        helo_name: args.helo.clone().unwrap_or_else(local_host_name),
        transcript: args.net.transcript(),
        allow_plaintext_auth: endpoint.security == Security::Plain,
        pipelining: !args.no_pipelining,
        chunking: !args.no_chunking,
        show_data: args.show_data,
        ..ClientOptions::default()
    };
    let mut client =
        Client::connect(&endpoint.server, endpoint.security, &tls, options).map_err(smtp_error)?;
    if client.capabilities().has("AUTH") || args.auth.is_some() {
        client
            .auth(&endpoint.user, &password, args.auth.map(mechanism))
            .map_err(smtp_error)?;
    } else {
        // A relay such as a port-25 service: there is nothing to log in to.
        log::warn!(
            "{} offers no AUTH; sending without logging in",
            endpoint.server.host
        );
    }

    let mut envelope = Envelope::new(message.envelope_from(), message.recipients());
    envelope.options.smtputf8 = message.needs_smtputf8();
    envelope.options.eight_bit_mime = !message.is_7bit();
    let mut body = message
        .reader()
        .map_err(|err| CliError::usage(format!("cannot read the message: {err}")))?;
    let delivery = client
        .send(&envelope, &mut body, Some(message.size()))
        .map_err(smtp_error)?;
    // The message is accepted; a failed QUIT cannot lose it any more.
    if let Err(err) = client.quit() {
        log::warn!("QUIT failed after the message was accepted: {err}");
    }
    let rejected: Vec<String> = delivery
        .rejected()
        .map(|r| format!("{} ({})", r.address, r.reply))
        .collect();
    if !rejected.is_empty() {
        return Err(CliError::new(
            exit::REJECTED,
            format!(
                "sent, but the server rejected {}: {}",
                plural(rejected.len()),
                rejected.join("; ")
            ),
        ));
    }
    Ok(())
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 recipient".to_owned()
    } else {
        format!("{n} recipients")
    }
}

fn mechanism(arg: AuthArg) -> Mechanism {
    match arg {
        AuthArg::Plain => Mechanism::Plain,
        AuthArg::Login => Mechanism::Login,
        AuthArg::CramMd5 => Mechanism::CramMd5,
        AuthArg::Xoauth2 => Mechanism::XOAuth2,
    }
}

/// DESIGN.md's exit codes for an SMTP error.
fn smtp_error(err: mail_smtp::Error) -> CliError {
    use mail_smtp::Error as E;
    let code = match &err {
        E::Wire(wire) => mail_cli::wire_exit_code(wire),
        E::AuthRejected { .. } => exit::AUTH,
        E::Unsupported("STARTTLS") => exit::CONNECTION,
        E::Invalid(_) | E::Body(_) | E::PlaintextAuth => exit::USAGE,
        e if e.is_protocol_violation() => exit::PROTOCOL,
        _ => exit::REJECTED,
    };
    CliError::new(code, err.to_string())
}

/// This machine's name for EHLO, or `localhost` when it is not a usable domain.
fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| {
            !name.is_empty()
                && name.len() < 256
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "localhost".to_owned())
}
