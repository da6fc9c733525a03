//! `imap-cli <id> [<pw>]`: an IMAP console (terminal, stdin script or `-c`)
//! and a bulk downloader (`--fetch-all DIR`), per DESIGN.md.

mod console;
mod fetch_all;
mod typed;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mail_cli::exit::{AUTH, CONNECTION, PROTOCOL, REJECTED, USAGE};
use mail_cli::{login, wire_exit_code, AuthArg, CliError, NetArgs, Protocol};
use mail_imap::{Client, Error, Session};
use mail_wire::NetStream;

#[derive(Parser)]
#[command(version, about = "IMAP console, scripted commands and bulk download", after_help = after_help())]
struct Args {
    /// Account: `name` (Naver) or `name@domain` (a provider preset).
    id: String,
    /// Password; otherwise $MAIL_PASSWORD, otherwise a prompt.
    pw: Option<String>,
    #[command(flatten)]
    net: NetArgs,
    /// Log in with AUTHENTICATE and this SASL mechanism (default: LOGIN,
    /// or the best mechanism offered when the server lists LOGINDISABLED).
    #[arg(long, value_enum, value_name = "MECH")]
    auth: Option<AuthArg>,
    /// Run this command and exit (repeatable).
    #[arg(short = 'c', long = "command", value_name = "CMD")]
    commands: Vec<String>,
    /// Download every message of the mailbox into DIR (resumable).
    #[arg(long, value_name = "DIR")]
    fetch_all: Option<PathBuf>,
    /// The mailbox for --fetch-all.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "INBOX",
        requires = "fetch_all"
    )]
    mailbox: String,
    /// With --fetch-all: every selectable mailbox, each into its own
    /// sub-directory of DIR (the decoded name, one directory per level).
    #[arg(long, requires = "fetch_all", conflicts_with = "mailbox")]
    all_mailboxes: bool,
    /// With --fetch-all: flag \Deleted and expunge each message once its
    /// file is safely on disk (UID EXPUNGE with UIDPLUS, else EXPUNGE).
    #[arg(long, requires = "fetch_all")]
    delete: bool,
    /// With --fetch-all: `eml` files, or a Maildir with the flags as its info.
    #[arg(long, value_enum, default_value = "eml", requires = "fetch_all")]
    format: mail_cli::download::Format,
    /// Messages per UID FETCH command of --fetch-all (commands are pipelined).
    #[arg(long, value_name = "N", default_value_t = 250, requires = "fetch_all")]
    batch: usize,
    /// Seconds an IDLE lasts at most: a scripted IDLE ends at the first
    /// update or after this (default 30); on a terminal it ends at Enter or
    /// after this (default 29 minutes, RFC 2177).
    #[arg(long, value_name = "SECS")]
    idle_secs: Option<u64>,
}

fn after_help() -> String {
    mail_cli::help::after_help(
        "imap-cli hong                      console on Naver's IMAP server (password prompted)\n\
         imap-cli bob@gmail.com -q -c 'select inbox' -c 'fetch 1 body[]' > m.eml\n\
         MAIL_PASSWORD=... imap-cli bob@example.test --host 127.0.0.1 --port 10143 --tls starttls\n\
         imap-cli bob@gmail.com --fetch-all mail/ --mailbox INBOX",
        Some(console::HELP),
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.net.init_logging("imap-cli");
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imap-cli: {err}");
            ExitCode::from(err.code)
        }
    }
}

/// Maps a library error to DESIGN.md's exit codes.
pub(crate) fn cli_error(err: Error) -> CliError {
    let code = match &err {
        Error::Rejected { .. } | Error::SaslRejected { .. } if err.is_auth_failure() => AUTH,
        Error::TlsRequired => CONNECTION,
        Error::Rejected { .. } | Error::Referral { .. } => REJECTED,
        Error::Invalid(_) => USAGE,
        Error::Unsupported(_) | Error::Bye { .. } => CONNECTION,
        Error::Wire(wire) => wire_exit_code(wire),
        _ if err.is_protocol_violation() => PROTOCOL,
        _ => PROTOCOL,
    };
    CliError::new(code, err.to_string())
}

/// Socket time-out of the console: short, so IDLE notices Enter within a
/// second; commands still wait `--timeout` in total (the library's patience).
/// It also bounds each read of the TLS handshake, hence not shorter.
const TICK: Duration = Duration::from_secs(1);

#[allow(clippy::result_large_err)] // the client comes back with a rejected login (STYLE §3)
fn run(args: Args) -> Result<(), CliError> {
    let endpoint = args.net.resolve(&args.id, Protocol::Imap)?;
    let tls = args.net.tls_config()?;
    let mut password = mail_cli::Password::obtain(args.pw.clone(), &endpoint.user)?;
    let mut server = endpoint.server.clone();
    let patience = if args.fetch_all.is_none() {
        let total = server.timeout;
        server.timeout = TICK;
        Some(total)
    } else {
        None
    };
    let options = mail_imap::Options {
        transcript: args.net.transcript().map(mail_cli::show::Annotated::wrap),
        patience,
        ..mail_imap::Options::default()
    };
    let client = Client::connect(&server, endpoint.security, &tls, options).map_err(cli_error)?;
    let session = log_in(client, args.auth, &endpoint.user, &mut password)?;
    if let Some(dir) = &args.fetch_all {
        let options = fetch_all::Options {
            dir,
            mailbox: &args.mailbox,
            all_mailboxes: args.all_mailboxes,
            batch: args.batch.max(1),
            delete: args.delete,
            quiet: args.net.quiet,
            format: args.format,
        };
        let summary = fetch_all::run(session, &options)?;
        // Always: -q turns off the transcript, not the result.
        println!("{summary}");
        return Ok(());
    }
    let options = console::Options {
        idle_limit: args.idle_secs.map(Duration::from_secs),
        quiet: args.net.quiet,
    };
    console::run(session.into_console(), args.commands, &options)
}

/// `--auth` asks for one mechanism; without it the capabilities decide.
#[allow(clippy::result_large_err)] // the client comes back with the error (STYLE §3)
fn log_in(
    client: Client<NetStream>,
    auth: Option<AuthArg>,
    user: &str,
    password: &mut mail_cli::Password,
) -> Result<Session<NetStream>, CliError> {
    let result = password.log_in(
        client,
        |client, secret| match auth {
            Some(auth) => client.authenticate(auth.mechanism(), user, secret),
            None => client.login_auto(user, secret),
        },
        Error::is_auth_failure,
    );
    result.map_err(|(err, client)| {
        let mut offered = login::with_prefix("AUTHENTICATE ", client.auth_mechanisms());
        if !client
            .capabilities()
            .iter()
            .any(|c| c.eq_ignore_ascii_case("LOGINDISABLED"))
        {
            offered.push("LOGIN".to_owned());
        }
        if matches!(err, Error::Unsupported(_) | Error::TlsRequired) {
            // Nothing was sent for the login: leave politely.
            let _ = client.logout();
        }
        match (&err, auth) {
            (Error::Unsupported(_), Some(auth)) => {
                login::not_offered(&format!("AUTHENTICATE {}", auth.mechanism()), &offered)
            }
            (Error::Unsupported(what), None) => login::not_offered(what, &offered),
            _ => cli_error(err),
        }
    })
}
