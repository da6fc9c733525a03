//! Command-line arguments of `smtp-send` (DESIGN.md's contract).

use std::path::PathBuf;

use clap::Parser;
use mail_cli::{AuthArg, NetArgs};

fn after_help() -> String {
    mail_cli::help::after_help(
        "smtp-send hong --to bob@example.com --subject hi --body 'hello'\n\
         smtp-send bob@gmail.com --to a@example.com --to b@example.com --attach report.pdf < body.txt\n\
         MAIL_PASSWORD=... smtp-send bob@example.test --host 127.0.0.1 --port 10587 --to x@example.test --body hi\n\
         smtp-send hong --to bob@example.com --body hi --dry-run",
        None,
    )
}

/// Send one message through an SMTP server, printing the C:/S: transcript.
#[derive(Debug, Parser)]
#[command(version, about, after_help = after_help())]
pub struct Args {
    /// Account: `name` (Naver, like the original scripts) or `name@domain` (a built-in provider).
    pub id: String,
    /// Password; otherwise $MAIL_PASSWORD, otherwise a prompt on the terminal.
    pub pw: Option<String>,
    /// Sender address (default: the account's address). `Name <addr>` is allowed.
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Recipients (repeatable; a comma-separated list works too). `Name <addr>`
    /// and `"Kim, Chul" <addr>` are allowed.
    #[arg(long, value_name = "ADDRS")]
    pub to: Vec<String>,
    /// Copy recipients (repeatable, comma-separated like --to).
    #[arg(long, value_name = "ADDRS")]
    pub cc: Vec<String>,
    /// Blind copy recipients (repeatable, comma-separated like --to): in the
    /// envelope, never in the headers.
    #[arg(long, value_name = "ADDRS")]
    pub bcc: Vec<String>,
    /// Subject (UTF-8; sent as RFC 2047 encoded-words when not ASCII).
    /// Without it (or when empty) the message has no Subject field.
    #[arg(long)]
    pub subject: Option<String>,
    /// Body text; otherwise --body-file, otherwise standard input.
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub body: Option<String>,
    /// File holding the body text (UTF-8).
    #[arg(long, value_name = "PATH")]
    pub body_file: Option<PathBuf>,
    /// File to attach (repeatable); streamed from disk.
    #[arg(long, value_name = "PATH")]
    pub attach: Vec<PathBuf>,
    /// Extra header `Name: value` (repeatable).
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// SASL mechanism (default: the best the server offers).
    #[arg(long, value_enum)]
    pub auth: Option<AuthArg>,
    /// Name sent in EHLO/HELO (default: this machine's host name).
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// Show the message content in the transcript line by line as sent
    /// (dot-stuffed after DATA, chunk by chunk after BDAT).
    #[arg(long)]
    pub show_data: bool,
    /// Wait for each reply before the next command, even when the server
    /// offers PIPELINING (RFC 2920).
    #[arg(long)]
    pub no_pipelining: bool,
    /// Send the message with DATA, even when the server offers CHUNKING
    /// (BDAT, RFC 3030).
    #[arg(long)]
    pub no_chunking: bool,
    /// Connect to nothing; print the route (server, port, TLS, AUTH; with
    /// --mx the hosts it would try), the envelope (Bcc included), then the
    /// message. No --host needed. With -q only the message.
    #[arg(long)]
    pub dry_run: bool,
    /// Deliver straight to each recipient domain's MX hosts (no AUTH; STARTTLS
    /// when offered, required with --tls starttls).
    #[arg(long)]
    pub mx: bool,
    /// With --mx: the DNS server to ask (`IP:PORT`) instead of the system's.
    #[arg(long, value_name = "IP:PORT", requires = "mx")]
    pub dns: Option<std::net::SocketAddr>,
    /// With --mx: the port spoken to on the MX hosts.
    #[arg(long, value_name = "PORT", default_value_t = 25, requires = "mx")]
    pub mx_port: u16,
    #[command(flatten)]
    pub net: NetArgs,
}
