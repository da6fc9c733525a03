//! What the mail command-line programs (`smtp-send`, `pop3-cli`,
//! `imap-cli`) share, so each binary stays a thin layer: the connection flags
//! ([`NetArgs`]) and provider presets, the password sources, the `C:`/`S:`
//! [`Printer`], the console input (with typo suggestions for unknown commands), decoded message views,
//! server data escaped for a terminal, durable downloads, and the exit codes of
//! DESIGN.md.
//!
//! In scope: turning command-line arguments into library values and
//! errors into exit codes. Out of scope: any protocol logic.
//!
//! ```
//! use clap::Parser;
//! use mail_cli::{NetArgs, Protocol};
//!
//! #[derive(Parser)]
//! struct Args {
//!     id: String,
//!     #[command(flatten)]
//!     net: NetArgs,
//! }
//!
//! let args = Args::parse_from(["smtp-send", "hong"]);
//! let endpoint = args.net.resolve(&args.id, Protocol::Smtp)?;
//! assert_eq!(endpoint.address, "hong@naver.com");
//! assert_eq!(endpoint.server.host, "smtp.naver.com");
//! # Ok::<(), mail_cli::CliError>(())
//! ```
#![deny(missing_docs)]

pub mod console;
pub mod download;
pub mod escaped;
pub mod exit;
pub mod help;
mod host;
pub mod login;
mod net_args;
mod password;
pub mod preset;
mod printer;
pub mod show;
pub mod typo;

pub use exit::{wire_exit_code, CliError};
pub use host::local_host_name;
pub use login::AuthArg;
pub use net_args::{Endpoint, NetArgs, TlsMode};
pub use password::{password, Password, PASSWORD_ENV, PROMPT_TRIES};
pub use preset::Protocol;
pub use printer::Printer;
