//! What a session knows, folded from every response as it arrives, with no
//! I/O: capabilities, enabled extensions, the selected mailbox, alerts,
//! unsolicited data, a BYE, and the next tag. Each driver's core holds one.

use crate::error::{rejection, Error};
use crate::mailbox::Mailbox;
use crate::response::{Code, Status, Tag, Tagged, Untagged};
use crate::sans_io::LiteralMode;

pub(crate) struct State {
    next_tag: u32,
    pub(crate) capabilities: Vec<String>,
    pub(crate) enabled: Vec<String>,
    pub(crate) mailbox: Mailbox,
    pub(crate) alerts: Vec<String>,
    pub(crate) unsolicited: Vec<Untagged>,
    pub(crate) bye: Option<String>,
    pub(crate) echo_literals: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            next_tag: 1,
            capabilities: Vec::new(),
            enabled: Vec::new(),
            mailbox: Mailbox::default(),
            alerts: Vec::new(),
            unsolicited: Vec::new(),
            bye: None,
            echo_literals: true,
        }
    }
}

impl State {
    pub(crate) fn has_capability(&self, name: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(name))
    }

    pub(crate) fn utf8(&self) -> bool {
        self.enabled
            .iter()
            .any(|c| c.eq_ignore_ascii_case("UTF8=ACCEPT") || c.eq_ignore_ascii_case("IMAP4rev2"))
    }

    /// UTF8=ACCEPT itself is enabled (RFC 6855 §3: no CHARSET in SEARCH then).
    pub(crate) fn utf8_accept(&self) -> bool {
        self.enabled
            .iter()
            .any(|c| c.eq_ignore_ascii_case("UTF8=ACCEPT"))
    }

    /// The tag [`next_tag`](Self::next_tag) will hand out.
    pub(crate) fn peek_tag(&self) -> Tag {
        Tag(format!("a{}", self.next_tag))
    }

    pub(crate) fn next_tag(&mut self) -> Tag {
        let tag = self.peek_tag();
        self.next_tag = self.next_tag.wrapping_add(1).max(1);
        tag
    }

    /// How literals go out on this connection.
    pub(crate) fn literal_mode(&self) -> LiteralMode {
        if self.has_capability("LITERAL+") {
            LiteralMode::NonSynchronizing
        } else if self.has_capability("LITERAL-") {
            LiteralMode::NonSynchronizingUpTo4k
        } else {
            LiteralMode::Synchronizing
        }
    }

    /// A closed connection after BYE is reported with BYE's text.
    pub(crate) fn wire_error(&self, err: mail_wire::Error) -> Error {
        match (err, &self.bye) {
            (mail_wire::Error::Closed, Some(text)) => Error::Bye { text: text.clone() },
            (err, _) => err.into(),
        }
    }

    /// Folds an untagged response into the state.
    pub(crate) fn absorb(&mut self, u: &Untagged) {
        self.mailbox.apply(u);
        match u {
            Untagged::Capability(caps) => self.capabilities = caps.clone(),
            Untagged::Enabled(caps) => self.enabled.extend(caps.iter().cloned()),
            Untagged::Status { status, text } => {
                if *status == Status::Bye {
                    self.bye = Some(text.to_string());
                }
                self.absorb_code(text.code.as_ref(), &text.text);
            }
            _ => {}
        }
    }

    pub(crate) fn absorb_code(&mut self, code: Option<&Code>, text: &str) {
        match code {
            Some(Code::Alert) => {
                log::warn!(
                    "server alert: {}",
                    mail_wire::escape_for_display(text.as_bytes())
                );
                self.alerts.push(text.to_owned());
            }
            Some(Code::Capability(caps)) => self.capabilities = caps.clone(),
            _ => {}
        }
    }

    /// Folds a command's tagged completion into the state: OK is the
    /// command's result, NO or BAD its rejection.
    pub(crate) fn complete(&mut self, command: &'static str, t: Tagged) -> Result<Tagged, Error> {
        self.absorb_code(t.text.code.as_ref(), &t.text.text);
        if let Some(code) = &t.text.code {
            self.mailbox.apply_code(code);
        }
        match t.status {
            Status::Ok => Ok(t),
            _ => Err(rejection(command, t)),
        }
    }
}
