//! [`Selected`]: a mailbox is selected (RFC 3501 §3.3), the commands valid in it.

use mail_wire::tokio::Connection;
use tokio::io::{AsyncRead, AsyncWrite};

use super::exchange::Core;
use super::Session;
use crate::error::Error;
use crate::mailbox::Mailbox;
use crate::requests;
use crate::response::{Code, Esearch, Fetch, Untagged};
use crate::sequence::{SeqNum, SequenceSet, Uid};

/// Authenticated with a mailbox selected: the async twin of [`crate::Selected`].
///
/// Cancellation of every `async` method here that borrows the mailbox:
/// not cancel-safe; a dropped future leaves the client broken (see
/// [the module docs](super#cancellation)). Methods that consume it drop
/// the connection with their future.
pub struct Selected<S> {
    pub(crate) session: Session<S>,
}

impl<S> std::fmt::Debug for Selected<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("mailbox", &self.session.core.mailbox)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Selected<S> {
    /// The selected mailbox's state, current with every response read.
    pub fn mailbox(&self) -> &Mailbox {
        &self.session.core.mailbox
    }

    /// The authenticated session, for commands valid in both states.
    pub fn session(&mut self) -> &mut Session<S> {
        &mut self.session
    }

    /// The connection, e.g. to change the transcript or limits mid-session.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.session.core.conn
    }

    pub(super) fn core(&mut self) -> &mut Core<S> {
        &mut self.session.core
    }

    /// CHECK.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn check(&mut self) -> Result<(), Error> {
        self.core().request(requests::check()).await
    }

    /// EXPUNGE; returns the expunged sequence numbers in order.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn expunge(&mut self) -> Result<Vec<SeqNum>, Error> {
        self.core().request(requests::expunge()).await
    }

    /// UID EXPUNGE (UIDPLUS, RFC 4315).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UIDPLUS; rejection.
    pub async fn uid_expunge(&mut self, uids: &SequenceSet) -> Result<(), Error> {
        let request = requests::uid_expunge(self.core(), uids)?;
        self.core().request(request).await
    }

    /// SEARCH with criteria as written (`UNSEEN FROM "bob"`); returns sequence numbers.
    ///
    /// # Errors
    /// Line breaks in criteria; rejection.
    pub async fn search(&mut self, criteria: &str) -> Result<Vec<u32>, Error> {
        let request = requests::search(self.core(), "SEARCH", criteria)?;
        self.core().request(request).await
    }

    /// UID SEARCH; returns UIDs.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub async fn uid_search(&mut self, criteria: &str) -> Result<Vec<Uid>, Error> {
        let request = requests::search(self.core(), "UID SEARCH", criteria)?;
        let uids = self.core().request(request).await?;
        Ok(uids.into_iter().map(Uid).collect())
    }

    /// UID SEARCH RETURN (MIN MAX COUNT ALL) (ESEARCH, RFC 4731): the result
    /// as ranges, never expanded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ESEARCH; as [`search`](Self::search).
    pub async fn uid_esearch(&mut self, criteria: &str) -> Result<Esearch, Error> {
        let request = requests::uid_esearch(self.core(), criteria)?;
        self.core().request(request).await
    }

    async fn store_cmd(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        let request = requests::store(verb, set, action, flags)?;
        self.core().request(request).await
    }

    /// STORE (`+FLAGS`, `-FLAGS.SILENT`, ...); returns the FETCH responses.
    ///
    /// # Errors
    /// An unknown action or flag; rejection.
    pub async fn store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("STORE", set, action, flags).await
    }

    /// UID STORE.
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub async fn uid_store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("UID STORE", set, action, flags).await
    }

    async fn transfer(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        let request = requests::transfer(self.core(), verb, set, mailbox)?;
        self.core().request(request).await
    }

    /// COPY; returns COPYUID when sent.
    ///
    /// # Errors
    /// Rejection (TRYCREATE included).
    pub async fn copy(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("COPY", set, mailbox).await
    }

    /// UID COPY.
    ///
    /// # Errors
    /// As [`copy`](Self::copy).
    pub async fn uid_copy(
        &mut self,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        self.transfer("UID COPY", set, mailbox).await
    }

    /// MOVE (RFC 6851).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without MOVE; rejection.
    pub async fn r#move(
        &mut self,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        self.transfer("MOVE", set, mailbox).await
    }

    /// UID MOVE.
    ///
    /// # Errors
    /// As [`move`](Self::move).
    pub async fn uid_move(
        &mut self,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        self.transfer("UID MOVE", set, mailbox).await
    }

    /// NOOP.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.session.noop().await
    }

    /// CLOSE: expunges `\Deleted` messages silently and leaves the mailbox.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub async fn close(mut self) -> Result<Session<S>, Error> {
        self.core().run(requests::close()).await?;
        requests::leave(self.core());
        Ok(self.session)
    }

    /// UNSELECT (RFC 3691): leaves without expunging.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UNSELECT; rejection.
    pub async fn unselect(mut self) -> Result<Session<S>, Error> {
        let cmd = requests::unselect(self.core())?;
        self.core().run(cmd).await?;
        requests::leave(self.core());
        Ok(self.session)
    }

    /// SELECT another mailbox; on failure the server has left the selected
    /// state, so the session comes back.
    ///
    /// # Errors
    /// `(error, session)` on rejection.
    pub async fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Session<S>)> {
        self.session.select(mailbox).await
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub async fn logout(self) -> Result<(), Error> {
        self.session.logout().await
    }
}
