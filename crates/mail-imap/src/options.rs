//! [`Options`]: what [`Client::connect`](crate::Client::connect) sets up
//! before the greeting is read.

use std::time::Duration;

use mail_wire::{Limits, Transcript};

/// Settings for [`Client::connect`](crate::Client::connect); the socket
/// time-out is [`Server::timeout`](mail_wire::Server::timeout).
pub struct Options {
    /// Observer of every line, installed before the greeting is read.
    pub transcript: Option<Box<dyn Transcript + Send>>,
    /// Longest line and largest literal accepted ([`default_limits`]).
    pub limits: Limits,
    /// How long socket time-outs are retried before giving up (see
    /// [`Client::set_patience`](crate::Client::set_patience)); `None` gives
    /// up at the first.
    pub patience: Option<Duration>,
}

/// Limits for IMAP: long lines are normal (FETCH of many flags, big SEARCH
/// results), literals are bounded by `max_literal`.
pub fn default_limits() -> Limits {
    Limits {
        max_line: 1024 * 1024,
        max_literal: 256 * 1024 * 1024,
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            transcript: None,
            limits: default_limits(),
            patience: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("transcript", &self.transcript.is_some())
            .field("limits", &self.limits)
            .field("patience", &self.patience)
            .finish()
    }
}
