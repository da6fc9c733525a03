//! `smtp-send <id> [<pw>]`: compose one message and send it through an SMTP
//! server, printing the `C:`/`S:` transcript with credentials masked.

mod args;
mod compose;
mod dry_run;
mod mx;

use std::process::ExitCode;

use clap::Parser;
use mail_cli::{exit, local_host_name, login, AuthArg, CliError, Protocol};
use mail_smtp::{Client, Options};
use mail_wire::Security;

use crate::args::Args;

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
    if args.dry_run {
        return dry_run(&args);
    }
    let endpoint = args.net.resolve(&args.id, Protocol::Smtp)?;
    let message = compose::compose(&args, &endpoint.address)?;
    let mut password = mail_cli::Password::obtain(args.pw.clone(), &endpoint.user)?;
    let tls = args.net.tls_config()?;
    let options = Options {
        helo_name: args.helo.clone().unwrap_or_else(local_host_name),
        transcript: args.net.transcript(),
        allow_plaintext_auth: endpoint.security == Security::Plain,
        pipelining: !args.no_pipelining,
        chunking: !args.no_chunking,
        show_data: args.show_data,
        ..Options::default()
    };
    let mut client =
        Client::connect(&endpoint.server, endpoint.security, &tls, options).map_err(smtp_error)?;
    let asked = args.auth.map(AuthArg::mechanism);
    if let Some(mechanism) = asked.filter(|m| !client.capabilities().auth_mechanisms().contains(m))
    {
        let offered = client.capabilities().params("AUTH").unwrap_or_default();
        let err = login::not_offered(
            &format!("AUTH {mechanism}"),
            &login::with_prefix("AUTH ", offered.iter().map(String::as_str)),
        );
        let _ = client.quit();
        return Err(err);
    }
    if client.capabilities().has("AUTH") || asked.is_some() {
        // A password typed at the prompt is asked again after a rejection.
        let rejected =
            |err: &mail_smtp::Error| matches!(err, mail_smtp::Error::AuthRejected { .. });
        let attempt = |(), secret: &mail_wire::Secret| {
            client
                .auth(&endpoint.user, secret, asked)
                .map_err(|err| (err, ()))
        };
        password
            .log_in((), attempt, rejected)
            .map_err(|(err, ())| smtp_error(err))?;
    } else {
        // A relay such as a port-25 service: there is nothing to log in to.
        log::warn!(
            "{} offers no AUTH; sending without logging in",
            endpoint.server.host
        );
    }

    let delivery = client.send_message(&message).map_err(smtp_error)?;
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
                "sent, but the server rejected RCPT for {}: {}",
                plural(rejected.len()),
                rejected.join("; ")
            ),
        ));
    }
    Ok(())
}

/// `--dry-run` without `--mx`: no `--host` is needed, since nothing is
/// contacted; the route then says that sending would need one.
fn dry_run(args: &Args) -> Result<(), CliError> {
    let mut net = args.net.clone();
    let domain = args
        .id
        .rsplit_once('@')
        .map_or(mail_cli::preset::DEFAULT_DOMAIN, |(_, d)| d);
    let host_known = net.host.is_some()
        || mail_cli::preset::find(domain)
            .and_then(|p| p.endpoint(Protocol::Smtp))
            .is_some();
    if !host_known {
        net.host = Some("HOST".to_owned());
    }
    let endpoint = net.resolve(&args.id, Protocol::Smtp)?;
    let message = compose::compose(args, &endpoint.address)?;
    let helo_name = args.helo.clone().unwrap_or_else(local_host_name);
    let route = dry_run::Submission {
        endpoint: &endpoint,
        host_known,
        helo_name: &helo_name,
    };
    dry_run::submission(args, &route, &message)
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 recipient".to_owned()
    } else {
        format!("{n} recipients")
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
