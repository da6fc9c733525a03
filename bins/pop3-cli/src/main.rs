//! `pop3-cli <id> [<pw>]`: a POP3 console (interactive, from stdin or `-c`),
//! and bulk download with `--fetch-all DIR [--delete]`.

mod console;
mod fetch;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use mail_cli::{exit, CliError, NetArgs, Protocol};
use mail_pop3::{Client, Error, Mechanism, Session};
use mail_wire::{NetStream, Secret};

#[derive(Parser)]
#[command(version, about = "POP3 console, scripted commands and bulk download")]
struct Args {
    /// Account: `name` (default provider) or `name@domain`.
    id: String,
    /// Password; otherwise $MAIL_PASSWORD, otherwise a prompt.
    pw: Option<String>,
    #[command(flatten)]
    net: NetArgs,
    /// Log in with APOP (the password never travels).
    #[arg(long, conflicts_with = "auth")]
    apop: bool,
    /// Log in with AUTH and this SASL mechanism instead of USER/PASS.
    #[arg(long, value_enum, value_name = "MECH")]
    auth: Option<AuthArg>,
    /// Run this POP3 command (repeatable), then QUIT.
    #[arg(short = 'c', value_name = "CMD")]
    commands: Vec<String>,
    /// Download every message into DIR, one UIDL.eml file each (skipping those already there).
    #[arg(long, value_name = "DIR", conflicts_with = "commands")]
    fetch_all: Option<PathBuf>,
    /// With --fetch-all: delete each message on the server once its file is safely on disk.
    #[arg(long, requires = "fetch_all")]
    delete: bool,
    /// With --fetch-all: `eml` files, or a Maildir (messages in new/).
    #[arg(long, value_enum, default_value = "eml", requires = "fetch_all")]
    format: mail_cli::download::Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuthArg {
    Plain,
    Login,
    CramMd5,
    /// The password is an OAuth 2.0 access token (Gmail, Outlook).
    Xoauth2,
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.net.init_logging("pop3-cli");
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pop3-cli: {err}");
            ExitCode::from(err.code)
        }
    }
}

fn run(args: Args) -> Result<(), CliError> {
    let endpoint = args.net.resolve(&args.id, Protocol::Pop3)?;
    let tls = args.net.tls_config()?;
    let pass = mail_cli::password(args.pw.clone(), &endpoint.user)?;
    let client = Client::connect(
        &endpoint.server,
        endpoint.security,
        &tls,
        args.net.transcript().map(mail_cli::show::Annotated::wrap),
    )
    .map_err(|err| cli_error(&err))?;
    let session = log_in(client, &args, &endpoint.user, &pass)?;
    match &args.fetch_all {
        Some(dir) => fetch::fetch_all(session, dir, args.delete, args.net.quiet, args.format),
        None => console::run(
            session,
            mail_cli::console::Input::new(args.commands.clone()),
        ),
    }
}

fn log_in(
    client: Client<NetStream>,
    args: &Args,
    user: &str,
    pass: &Secret,
) -> Result<Session<NetStream>, CliError> {
    let result = if args.apop {
        client.apop(user, pass)
    } else if let Some(auth) = args.auth {
        let mechanism = match auth {
            AuthArg::Plain => Mechanism::Plain,
            AuthArg::Login => Mechanism::Login,
            AuthArg::CramMd5 => Mechanism::CramMd5,
            AuthArg::Xoauth2 => Mechanism::XOAuth2,
        };
        client.auth(mechanism, user, pass)
    } else {
        client.login(user, pass)
    };
    result.map_err(|(err, client)| {
        // Say goodbye politely; the login error is what matters.
        let _ = client.quit();
        let code = match &err {
            Error::Rejected { .. } | Error::Unsupported(_) => exit::AUTH,
            other => exit_code(other),
        };
        CliError::new(code, format!("login failed: {err}"))
    })
}

/// DESIGN.md's exit code for a library error.
pub(crate) fn exit_code(err: &Error) -> u8 {
    match err {
        Error::Rejected { .. } if err.is_auth_failure() => exit::AUTH,
        Error::Rejected { .. } => exit::REJECTED,
        Error::Protocol(_) => exit::PROTOCOL,
        Error::Invalid(_) => exit::USAGE,
        // STLS missing when TLS was asked: the connection cannot be secured.
        Error::Unsupported(_) => exit::CONNECTION,
        // A local file could not be written: no code of its own in DESIGN.md.
        Error::Output(_) => 1,
        Error::Wire(wire) => mail_cli::wire_exit_code(wire),
        _ => exit::PROTOCOL,
    }
}

pub(crate) fn cli_error(err: &Error) -> CliError {
    CliError::new(exit_code(err), err.to_string())
}
