//! What the client's commands return, the same for every driver.

use crate::response::{Flag, Status, Text, Untagged};

/// How the server greeted us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// OK or PREAUTH (BYE is an error).
    pub status: Status,
    /// Code and text.
    pub text: Text,
}

/// A mailbox's STATUS items (RFC 3501 §6.3.10).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    /// The name as the server sent it.
    pub mailbox: String,
    /// `(MESSAGES, 3)`, `(UIDNEXT, 9)`, ...
    pub items: Vec<(String, u64)>,
}

impl MailboxStatus {
    /// The value of one item.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.items
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What IDLE saw.
#[derive(Debug, Default)]
pub struct IdleOutcome {
    /// The updates in arrival order.
    pub updates: Vec<Untagged>,
    /// True when the time limit ended IDLE, false when `stop` did.
    pub timed_out: bool,
}

/// Flags of a message as strings, for display.
pub fn flag_names(flags: &[Flag]) -> Vec<&str> {
    flags.iter().map(|f| f.0.as_str()).collect()
}
