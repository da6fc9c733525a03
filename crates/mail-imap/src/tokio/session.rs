//! [`Session`]: authenticated (RFC 3501 §3.2), the commands valid in it.

use std::time::Duration;

use mail_wire::tokio::Connection;
use tokio::io::{AsyncRead, AsyncWrite};

use super::exchange::Core;
use super::Selected;
use crate::error::Error;
use crate::requests;
use crate::response::{ListItem, Namespace, Untagged};
use crate::sequence::SequenceSet;
use crate::MailboxStatus;

/// Authenticated: the async twin of [`crate::Session`].
///
/// Cancellation of every `async` method here that borrows the session:
/// not cancel-safe; a dropped future leaves the session broken (see
/// [the module docs](super#cancellation)). Methods that consume it drop
/// the connection with their future.
pub struct Session<S> {
    pub(crate) core: Box<Core<S>>,
}

impl<S> std::fmt::Debug for Session<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session<S> {
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

    /// See [`Client::set_patience`](super::Client::set_patience).
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// The connection, e.g. to change the transcript or limits mid-session.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.core.conn
    }

    /// CAPABILITY.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn capability(&mut self) -> Result<&[String], Error> {
        self.core.run(requests::capability()).await?;
        Ok(&self.core.capabilities)
    }

    /// NOOP: also the polite way to collect pending updates.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.core.request(requests::noop()).await
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn id(
        &mut self,
        fields: &[(&str, &str)],
    ) -> Result<Vec<(String, Option<String>)>, Error> {
        self.core.request(requests::id(fields)?).await
    }

    /// ENABLE (RFC 5161); returns what the server enabled.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ENABLE; rejection.
    pub async fn enable(&mut self, capabilities: &[&str]) -> Result<Vec<String>, Error> {
        let request = requests::enable(&self.core, capabilities)?;
        self.core.request(request).await
    }

    /// NAMESPACE (RFC 2342): personal, other users', shared.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without NAMESPACE; rejection.
    pub async fn namespace(&mut self) -> Result<[Vec<Namespace>; 3], Error> {
        let request = requests::namespace(&self.core)?;
        self.core.request(request).await
    }

    /// LIST (RFC 3501 §6.3.8); names are decoded with [`ListItem::decoded_name`].
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn list(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        let request = requests::list(&self.core, "LIST", reference, pattern)?;
        self.core.request(request).await
    }

    /// LSUB (RFC 3501 §6.3.9).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn lsub(&mut self, reference: &str, pattern: &str) -> Result<Vec<ListItem>, Error> {
        let request = requests::list(&self.core, "LSUB", reference, pattern)?;
        self.core.request(request).await
    }

    /// STATUS (RFC 3501 §6.3.10), e.g. `&["MESSAGES", "UIDNEXT"]`.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn status(&mut self, mailbox: &str, items: &[&str]) -> Result<MailboxStatus, Error> {
        let request = requests::status(&self.core, mailbox, items)?;
        self.core.request(request).await
    }

    async fn mailbox_cmd(&mut self, verb: &'static str, name: &str) -> Result<(), Error> {
        let request = requests::mailbox(&self.core, verb, name)?;
        self.core.request(request).await
    }

    /// CREATE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn create(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("CREATE", mailbox).await
    }

    /// DELETE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn delete(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("DELETE", mailbox).await
    }

    /// RENAME.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let request = requests::rename(&self.core, from, to)?;
        self.core.request(request).await
    }

    /// SUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn subscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("SUBSCRIBE", mailbox).await
    }

    /// UNSUBSCRIBE.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn unsubscribe(&mut self, mailbox: &str) -> Result<(), Error> {
        self.mailbox_cmd("UNSUBSCRIBE", mailbox).await
    }

    /// APPEND (RFC 3501 §6.3.11) of a message in memory; returns
    /// APPENDUID's `(uidvalidity, uid)` when the server has UIDPLUS. The
    /// literal waits for the server's `+` unless LITERAL+ (or LITERAL- for
    /// up to 4 KiB) lets it go at once (RFC 7888).
    ///
    /// # Errors
    /// Rejection (TRYCREATE included) or the connection.
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        message: Vec<u8>,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        let request = requests::append(&self.core, mailbox, flags, message)?;
        self.core.request(request).await
    }

    /// APPEND with the message read from `message`, which must hold exactly
    /// `size` bytes: it goes to the wire in pieces, never whole in memory.
    ///
    /// # Errors
    /// As [`append`](Self::append); a message shorter than `size` is an
    /// I/O error and leaves the session out of step (reconnect).
    pub async fn append_from<R>(
        &mut self,
        mailbox: &str,
        flags: &[&str],
        mut message: R,
        size: u64,
    ) -> Result<Option<(u32, SequenceSet)>, Error>
    where
        R: AsyncRead + Unpin + Send,
    {
        let cmd = requests::append_head(&self.core, mailbox, flags)?.supplied_literal(size);
        self.core.conn.begin_exchange()?;
        let result = async {
            let mut seen = Vec::new();
            let tag = self.core.next_tag();
            self.core
                .queue_tagged_from(&tag, &cmd, &mut seen, Some(&mut message))
                .await?;
            self.core.conn.flush().await?;
            let done = self.core.finish(&tag, "APPEND", &mut seen).await?;
            requests::append_uid(seen, done)
        }
        .await;
        self.core.conn.end_exchange();
        result
    }

    async fn open(
        mut self,
        verb: &'static str,
        mailbox: &str,
    ) -> Result<Selected<S>, (Error, Self)> {
        let cmd = match requests::open(&mut self.core, verb, mailbox) {
            Ok(cmd) => cmd,
            Err(err) => return Err((err, self)),
        };
        match self.core.run(cmd).await {
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
    pub async fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("SELECT", mailbox).await
    }

    /// EXAMINE: SELECT read-only.
    ///
    /// # Errors
    /// `(error, self)` on rejection.
    pub async fn examine(self, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.open("EXAMINE", mailbox).await
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub async fn logout(mut self) -> Result<(), Error> {
        self.core.logout().await
    }
}
