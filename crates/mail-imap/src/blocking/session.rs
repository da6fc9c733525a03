//! [`Session`]: authenticated (RFC 3501 §3.2), the commands valid in it.

use std::io::{Read, Write};
use std::time::Duration;

use mail_wire::Connection;

use crate::error::Error;
use crate::exchange::Core;
use crate::requests;
use crate::response::{ListItem, Namespace, Untagged};
use crate::sequence::SequenceSet;
use crate::{MailboxStatus, Selected};

/// Authenticated.
pub struct Session<S> {
    pub(crate) core: Box<Core<S>>,
}

impl<S: Read + Write> Session<S> {
    pub(crate) fn into_core(self) -> Box<Core<S>> {
        self.core
    }

    /// Capabilities in force.
    pub fn capabilities(&self) -> &[String] {
        &self.core.capabilities
    }

    /// True when the server advertises `name`.
    pub fn has_capability(&self, name: &str) -> bool {
        self.core.has_capability(name)
    }

    /// Extensions the server confirmed with ENABLED.
    pub fn enabled(&self) -> &[String] {
        &self.core.enabled
    }

    /// `[ALERT]` texts received so far, taken out (RFC 3501 §7.1: must be shown to the user).
    pub fn take_alerts(&mut self) -> Vec<String> {
        std::mem::take(&mut self.core.alerts)
    }

    /// Untagged responses that arrived during other commands, taken out.
    pub fn take_unsolicited(&mut self) -> Vec<Untagged> {
        std::mem::take(&mut self.core.unsolicited)
    }

    /// Shows (true, default) or hides literal contents in the transcript.
    pub fn set_show_literals(&mut self, show: bool) {
        self.core.echo_literals = show;
    }

    /// See [`Client::set_patience`](crate::Client::set_patience).
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// The connection, e.g. to change limits.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.core.conn
    }

    fn mailbox_cmd(&mut self, verb: &'static str, name: &str) -> Result<(), Error> {
        self.core
            .request(requests::mailbox(&self.core, verb, name)?)
    }

    /// CAPABILITY.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn capability(&mut self) -> Result<&[String], Error> {
        self.core.run(requests::capability())?;
        Ok(&self.core.capabilities)
    }

    /// NOOP: also the polite way to collect pending updates.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.core.request(requests::noop())
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<Vec<(String, Option<String>)>, Error> {
        self.core.request(requests::id(fields)?)
    }

    /// ENABLE (RFC 5161); returns what the server enabled.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ENABLE; rejection.
    pub fn enable(&mut self, capabilities: &[&str]) -> Result<Vec<String>, Error> {
        self.core
            .request(requests::enable(&self.core, capabilities)?)
    }

    /// NAMESPACE (RFC 2342): personal, other users', shared.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without NAMESPACE; rejection.
    pub fn namespace(&mut self) -> Result<[Vec<Namespace>; 3], Error> {
        self.core.request(requests::namespace(&self.core)?)
    }

    fn list_cmd(
        &mut self,
        verb: &'static str,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListItem>, Error> {
        self.core
            .request(requests::list(&self.core, verb, reference, pattern)?)
    }

    /// LIST (RFC 3501 §6.3.8); names are decoded with [`ListItem::decoded_name`].
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        self.list_cmd("LIST", reference, pattern)
    }

    /// LSUB (RFC 3501 §6.3.9).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn lsub(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        self.list_cmd("LSUB", reference, pattern)
    }

    /// STATUS (RFC 3501 §6.3.10), e.g. `&["MESSAGES", "UIDNEXT"]`.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn status(&mut self, mailbox: &str, items: &[&str]) -> Result<MailboxStatus, Error> {
        self.core
            .request(requests::status(&self.core, mailbox, items)?)
    }

    /// CREATE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn create(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("CREATE", mailbox)
    }

    /// DELETE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn delete(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("DELETE", mailbox)
    }

    /// RENAME.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.core.request(requests::rename(&self.core, from, to)?)
    }

    /// SUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn subscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("SUBSCRIBE", mailbox)
    }

    /// UNSUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn unsubscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("UNSUBSCRIBE", mailbox)
    }

    /// APPEND (RFC 3501 §6.3.11); returns APPENDUID's `(uidvalidity, uid)`
    /// when the server has UIDPLUS.
    ///
    /// # Errors
    /// Rejection (TRYCREATE included) or the connection.
    pub fn append(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        message: Vec<u8>,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        self.core
            .request(requests::append(&self.core, mailbox, flags, message)?)
    }

    /// APPEND with the message read from `message`, which must hold exactly
    /// `size` bytes: it goes to the wire in pieces, never whole in memory.
    ///
    /// # Errors
    /// As [`append`](Self::append); a message shorter than `size` is an
    /// I/O error and leaves the session out of step (reconnect).
    pub fn append_from(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        mut message: impl Read,
        size: u64,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        let cmd = requests::append_head(&self.core, mailbox, flags)?.supplied_literal(size);
        let mut seen = Vec::new();
        let tag = self.core.next_tag();
        self.core
            .queue_tagged_from(&tag, &cmd, &mut seen, Some(&mut message))?;
        self.core.conn.flush()?;
        let done = self.core.finish(&tag, "APPEND", &mut seen)?;
        requests::append_uid(seen, done)
    }

    fn open(mut self, verb: &'static str, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        let cmd = match requests::open(&mut self.core, verb, mailbox) {
            Ok(cmd) => cmd,
            Err(err) => return Err((err, self)),
        };
        match self.core.run(cmd) {
            Ok(_) => Ok(Selected { session: self }),
            Err(err) => {
                requests::leave(&mut self.core);
                Err((err, self))
            }
        }
    }

    /// SELECT (RFC 3501 §6.3.1); the state is in [`Selected::mailbox`].
    ///
    /// # Errors
    /// `(error, self)` on rejection.
    pub fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("SELECT", mailbox)
    }

    /// EXAMINE: SELECT read-only.
    ///
    /// # Errors
    /// `(error, self)` on rejection.
    pub fn examine(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("EXAMINE", mailbox)
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub fn logout(mut self) -> Result<(), Error> {
        self.core.logout()
    }
}
