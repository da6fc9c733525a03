//! `pop3-cli <id> [<pw>]`: a POP3 console (interactive, from stdin or `-c`),
//! and bulk download with `--fetch-all DIR [--delete]`.

mod console;
mod fetch;
mod names;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mail_cli::{exit, login, AuthArg, CliError, NetArgs, Password, Protocol};
use mail_pop3::{Client, Error, Session};
use mail_wire::{NetStream, Secret};

#[derive(Parser)]
#[command(version, about = "POP3 console, scripted commands and bulk download", after_help = after_help())]
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
    /// Log in with AUTH and this SASL mechanism (default: chosen from the
    /// capabilities after TLS: USER/PASS when offered, else the best SASL).
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

fn after_help() -> String {
    mail_cli::help::after_help(
        "pop3-cli hong                      console on Naver's POP3 server (password prompted)\n\
         pop3-cli bob@gmail.com -q -c 'retr 1' > m.eml\n\
         MAIL_PASSWORD=... pop3-cli bob@example.test --host 127.0.0.1 --port 10110 --tls starttls -c stat\n\
         pop3-cli bob@gmail.com --fetch-all mail/ --delete",
        Some(console::HELP),
    )
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
    let mut pass = Password::obtain(args.pw.clone(), &endpoint.user)?;
    let client = Client::connect(
        &endpoint.server,
        endpoint.security,
        &tls,
        mail_pop3::Options {
            transcript: args.net.transcript().map(mail_cli::show::Annotated::wrap),
            ..mail_pop3::Options::default()
        },
    )
    .map_err(|err| cli_error(&err))?;
    let session = log_in(client, &args, &endpoint.user, &mut pass)?;
    match &args.fetch_all {
        Some(dir) => fetch::fetch_all(session, dir, args.delete, args.net.quiet, args.format),
        None => console::run(
            session,
            mail_cli::console::Input::new(args.commands.clone()),
        ),
    }
}

/// Logs in, asking again for a password typed at the prompt that the server rejects.
#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
fn log_in(
    client: Client<NetStream>,
    args: &Args,
    user: &str,
    pass: &mut Password,
) -> Result<Session<NetStream>, CliError> {
    let rejected = |err: &Error| matches!(err, Error::Rejected { .. });
    let result = pass.log_in(
        client,
        |client, pass| attempt(client, args, user, pass),
        rejected,
    );
    result.map_err(|(err, client)| {
        let offered = offered_logins(&client);
        // Say goodbye politely; the login error is what matters.
        let _ = client.quit();
        match &err {
            Error::Unsupported(_) if !args.apop => {
                let asked = match args.auth {
                    Some(auth) => format!("AUTH {}", auth.mechanism()),
                    None => "USER/PASS or AUTH PLAIN, LOGIN or CRAM-MD5".to_owned(),
                };
                login::not_offered(&asked, &offered)
            }
            Error::Rejected { .. } | Error::Unsupported(_) => {
                CliError::new(exit::AUTH, format!("login failed: {err}"))
            }
            other => CliError::new(exit_code(other), format!("login failed: {err}")),
        }
    })
}

/// One login with the mechanism the flags ask for.
#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
fn attempt(
    client: Client<NetStream>,
    args: &Args,
    user: &str,
    pass: &Secret,
) -> Result<Session<NetStream>, (Error, Client<NetStream>)> {
    if args.apop {
        client.apop(user, pass)
    } else if let Some(auth) = args.auth {
        client.auth(auth.mechanism(), user, pass)
    } else {
        client.login_auto(user, pass)
    }
}

/// The login methods the server showed: its SASL mechanisms, USER/PASS, APOP.
fn offered_logins(client: &Client<NetStream>) -> Vec<String> {
    let caps = client.capabilities();
    let mut offered = login::with_prefix(
        "AUTH ",
        caps.map(|c| c.sasl_mechanisms())
            .unwrap_or_default()
            .iter()
            .map(String::as_str),
    );
    // No CAPA at all (an RFC 1939 server): USER/PASS is the baseline.
    if caps.is_none_or(|c| c.has("USER") || c.names().next().is_none()) {
        offered.push("USER/PASS".to_owned());
    }
    if client.greeting().timestamp.is_some() {
        offered.push("APOP".to_owned());
    }
    offered
}

/// DESIGN.md's exit code for a library error.
pub(crate) fn exit_code(err: &Error) -> u8 {
    match err {
        Error::Rejected { .. } if err.is_auth_failure() => exit::AUTH,
        Error::Rejected { .. } => exit::REJECTED,
        Error::Protocol(_) => exit::PROTOCOL,
        Error::Invalid(_) => exit::USAGE,
        // STLS missing when TLS was asked, or TLS needed before login: the
        // connection cannot be (or is not) secured.
        Error::Unsupported(_) | Error::TlsRequired => exit::CONNECTION,
        // A local file could not be written: no code of its own in DESIGN.md.
        Error::Output(_) => 1,
        Error::Wire(wire) => mail_cli::wire_exit_code(wire),
        _ => exit::PROTOCOL,
    }
}

pub(crate) fn cli_error(err: &Error) -> CliError {
    CliError::new(exit_code(err), err.to_string())
}
