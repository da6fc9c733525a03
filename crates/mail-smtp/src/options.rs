//! How a session is set up: [`Options`].

use mail_wire::{Limits, Transcript};

/// Longest reply line accepted by default; RFC 5321 §4.5.3.1.5 allows 512
/// octets, real servers stay far below 8 KiB.
pub const DEFAULT_MAX_LINE: usize = 8 * 1024;

/// How a session is set up.
pub struct Options {
    /// The name sent with EHLO/HELO (a domain or an address literal such as `[127.0.0.1]`).
    pub helo_name: String,
    /// Observer of every line, installed before the greeting is read.
    pub transcript: Option<Box<dyn Transcript + Send>>,
    /// Allow AUTH over a connection without TLS (credentials in clear).
    pub allow_plaintext_auth: bool,
    /// Read limits: `max_line` bounds each reply line (8 KiB by default,
    /// [`DEFAULT_MAX_LINE`]); a reply has at most
    /// [`DEFAULT_MAX_REPLY_LINES`](crate::reply::DEFAULT_MAX_REPLY_LINES)
    /// lines. `max_literal` is unused: SMTP reads no counted data.
    pub limits: Limits,
    /// Use PIPELINING when offered (RFC 2920).
    pub pipelining: bool,
    /// Use CHUNKING/BDAT when offered (RFC 3030).
    pub chunking: bool,
    /// Show the message content in the transcript line by line as it goes
    /// on the wire (dot-stuffed after DATA, each chunk after its BDAT),
    /// instead of one `<message body: N bytes>` line.
    pub show_data: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            helo_name: "localhost".to_owned(),
            transcript: None,
            allow_plaintext_auth: false,
            limits: Limits {
                max_line: DEFAULT_MAX_LINE,
                ..Limits::default()
            },
            pipelining: true,
            chunking: true,
            show_data: false,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("helo_name", &self.helo_name)
            .field("transcript", &self.transcript.is_some())
            .field("allow_plaintext_auth", &self.allow_plaintext_auth)
            .field("limits", &self.limits)
            .field("pipelining", &self.pipelining)
            .field("chunking", &self.chunking)
            .field("show_data", &self.show_data)
            .finish()
    }
}
