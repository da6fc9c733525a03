//! [`Options`]: what [`Client::connect`](crate::Client::connect) sets up
//! before the greeting is read.

use mail_wire::{Limits, Transcript};

/// Settings for [`Client::connect`](crate::Client::connect); the socket
/// time-out is [`Server::timeout`](mail_wire::Server::timeout).
#[derive(Default)]
pub struct Options {
    /// Observer of every line, installed before the greeting is read.
    pub transcript: Option<Box<dyn Transcript + Send>>,
    /// Longest line and largest message accepted.
    pub limits: Limits,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("transcript", &self.transcript.is_some())
            .field("limits", &self.limits)
            .finish()
    }
}
