//! Exit codes shared by every program (DESIGN.md) and the error that carries one.

use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// Bad arguments or input from the user.
pub const USAGE: u8 = 2;
/// Connection, TLS or time-out failure.
pub const CONNECTION: u8 = 3;
/// The server rejected the credentials.
pub const AUTH: u8 = 4;
/// The server rejected a command (non-interactive use).
pub const REJECTED: u8 = 5;
/// The server broke the protocol or a limit.
pub const PROTOCOL: u8 = 6;

/// An error a program reports as one sentence on stderr, with its exit code.
#[derive(Debug)]
pub struct CliError {
    /// One of the codes in this module.
    pub code: u8,
    /// One lowercase sentence.
    pub message: String,
}

impl CliError {
    /// An error with a code and a sentence.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::new(USAGE, message)
    }
}

/// The sentence escaped for a terminal: it may quote a server's words, and
/// escaping text that is already escaped changes nothing.
impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mail_wire::escape_for_display(self.message.as_bytes()))
    }
}

impl std::error::Error for CliError {}

/// The exit code for a connection-layer error: 6 when the server broke a
/// limit or the protocol, else 3.
pub fn wire_exit_code(err: &mail_wire::Error) -> u8 {
    if err.is_protocol_violation() {
        PROTOCOL
    } else {
        CONNECTION
    }
}

impl From<mail_wire::Error> for CliError {
    fn from(err: mail_wire::Error) -> Self {
        CliError::new(wire_exit_code(&err), err.to_string())
    }
}
