//! [`Selected`]: a mailbox is selected (RFC 3501 §3.3), the commands valid in it.

use std::io::{Read, Write};

use mail_wire::Connection;

use crate::error::Error;
use crate::exchange::Core;
use crate::mailbox::Mailbox;
use crate::requests;
use crate::response::{Code, Fetch, Untagged};
use crate::sequence::{SequenceSet, Uid};
use crate::Session;

/// Authenticated with a mailbox selected.
pub struct Selected<S> {
    pub(crate) session: Session<S>,
}

impl<S: Read + Write> Selected<S> {
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
    pub fn check(&mut self) -> Result<(), Error> {
        self.core().request(requests::check())
    }

    /// EXPUNGE; returns the expunged sequence numbers in order.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn expunge(&mut self) -> Result<Vec<crate::SeqNum>, Error> {
        self.core().request(requests::expunge())
    }

    /// UID EXPUNGE (UIDPLUS, RFC 4315).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UIDPLUS; rejection.
    pub fn uid_expunge(&mut self, uids: &SequenceSet) -> Result<(), Error> {
        let request = requests::uid_expunge(self.core(), uids)?;
        self.core().request(request)
    }

    fn search_cmd(&mut self, verb: &'static str, criteria: &str) -> Result<Vec<u32>, Error> {
        let request = requests::search(self.core(), verb, criteria)?;
        self.core().request(request)
    }

    /// UID SEARCH RETURN (MIN MAX COUNT ALL) (ESEARCH, RFC 4731): the result
    /// as ranges, never expanded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ESEARCH; as [`search`](Self::search).
    pub fn uid_esearch(&mut self, criteria: &str) -> Result<crate::response::Esearch, Error> {
        let request = requests::uid_esearch(self.core(), criteria)?;
        self.core().request(request)
    }

    /// SEARCH with criteria as written (`UNSEEN FROM "bob"`); returns sequence numbers.
    ///
    /// # Errors
    /// Line breaks in criteria; rejection.
    pub fn search(&mut self, criteria: &str) -> Result<Vec<u32>, Error> {
        self.search_cmd("SEARCH", criteria)
    }

    /// UID SEARCH; returns UIDs.
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub fn uid_search(&mut self, criteria: &str) -> Result<Vec<Uid>, Error> {
        self.search_cmd("UID SEARCH", criteria)
            .map(|v| v.into_iter().map(Uid).collect())
    }

    fn store_cmd(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.core()
            .request(requests::store(verb, set, action, flags)?)
    }

    /// STORE (`+FLAGS`, `-FLAGS.SILENT`, ...); returns the FETCH responses.
    ///
    /// # Errors
    /// An unknown action or flag; rejection.
    pub fn store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("STORE", set, action, flags)
    }

    /// UID STORE.
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub fn uid_store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.store_cmd("UID STORE", set, action, flags)
    }

    fn transfer(
        &mut self,
        verb: &'static str,
        set: &SequenceSet,
        mailbox: &str,
    ) -> Result<Option<Code>, Error> {
        let request = requests::transfer(self.core(), verb, set, mailbox)?;
        self.core().request(request)
    }

    /// COPY; returns COPYUID when sent.
    ///
    /// # Errors
    /// Rejection (TRYCREATE included).
    pub fn copy(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("COPY", set, mailbox)
    }

    /// UID COPY.
    ///
    /// # Errors
    /// As [`copy`](Self::copy).
    pub fn uid_copy(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("UID COPY", set, mailbox)
    }

    /// MOVE (RFC 6851).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without MOVE; rejection.
    pub fn r#move(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("MOVE", set, mailbox)
    }

    /// UID MOVE.
    ///
    /// # Errors
    /// As [`move`](Self::move).
    pub fn uid_move(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        self.transfer("UID MOVE", set, mailbox)
    }

    /// NOOP.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.session.noop()
    }

    /// CLOSE: expunges `\Deleted` messages silently and leaves the mailbox.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn close(mut self) -> Result<Session<S>, Error> {
        self.core().run(requests::close())?;
        requests::leave(self.core());
        Ok(self.session)
    }

    /// UNSELECT (RFC 3691): leaves without expunging.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UNSELECT; rejection.
    pub fn unselect(mut self) -> Result<Session<S>, Error> {
        let cmd = requests::unselect(self.core())?;
        self.core().run(cmd)?;
        requests::leave(self.core());
        Ok(self.session)
    }

    /// SELECT another mailbox; on failure the server has left the selected
    /// state, so the session comes back.
    ///
    /// # Errors
    /// `(error, session)` on rejection.
    pub fn select(self, mailbox: &str) -> Result<Selected<S>, (Error, Session<S>)> {
        self.session.select(mailbox)
    }

    /// LOGOUT.
    ///
    /// # Errors
    /// The connection.
    pub fn logout(self) -> Result<(), Error> {
        self.session.logout()
    }
}
