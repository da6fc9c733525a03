//! [`Selected`]: a mailbox is selected (RFC 3501 §3.3), the commands valid in it.

use std::io::{Read, Write};

use mail_wire::Connection;

use super::fetch::fetches;
use crate::command::Command;
use crate::error::Error;
use crate::exchange::Core;
use crate::mailbox::Mailbox;
use crate::response::{Code, Fetch, Text, Untagged};
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
        self.core().run(Command::new("CHECK")).map(|_| ())
    }

    /// EXPUNGE; returns the expunged sequence numbers in order.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn expunge(&mut self) -> Result<Vec<crate::SeqNum>, Error> {
        let (seen, _) = self.core().run(Command::new("EXPUNGE"))?;
        Ok(seen
            .into_iter()
            .filter_map(|u| {
                if let Untagged::Expunge(s) = u {
                    Some(s)
                } else {
                    None
                }
            })
            .collect())
    }

    /// UID EXPUNGE (UIDPLUS, RFC 4315).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UIDPLUS; rejection.
    pub fn uid_expunge(&mut self, uids: &SequenceSet) -> Result<(), Error> {
        if !self.core().has_capability("UIDPLUS") {
            return Err(Error::Unsupported("UID EXPUNGE"));
        }
        self.core()
            .run(Command::new("UID EXPUNGE").raw(&uids.to_string(), "uid set")?)
            .map(|_| ())
    }

    fn search_cmd(&mut self, verb: &'static str, criteria: &str) -> Result<Vec<u32>, Error> {
        let core = self.core();
        let cmd = Command::new(verb).search_keys(criteria, core.utf8(), !core.utf8_accept())?;
        let (seen, _) = core.run(cmd)?;
        // Only `* SEARCH` answers a plain SEARCH; an ESEARCH set is never
        // expanded here (see `uid_esearch`).
        Ok(seen
            .into_iter()
            .flat_map(|u| {
                if let Untagged::Search { numbers, .. } = u {
                    numbers
                } else {
                    Vec::new()
                }
            })
            .collect())
    }

    /// UID SEARCH RETURN (MIN MAX COUNT ALL) (ESEARCH, RFC 4731): the result
    /// as ranges, never expanded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ESEARCH; as [`search`](Self::search).
    pub fn uid_esearch(&mut self, criteria: &str) -> Result<crate::response::Esearch, Error> {
        if !self.core().has_capability("ESEARCH") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("ESEARCH"));
        }
        let core = self.core();
        let cmd = Command::new("UID SEARCH")
            .raw("RETURN (MIN MAX COUNT ALL)", "return options")?
            .search_keys(criteria, core.utf8(), !core.utf8_accept())?;
        let (seen, _) = self.core().run(cmd)?;
        Ok(seen
            .into_iter()
            .find_map(|u| {
                if let Untagged::Esearch(e) = u {
                    Some(e)
                } else {
                    None
                }
            })
            .unwrap_or(crate::response::Esearch {
                tag: None,
                uid: true,
                items: Vec::new(),
            }))
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
        let action_ok = [
            "FLAGS",
            "+FLAGS",
            "-FLAGS",
            "FLAGS.SILENT",
            "+FLAGS.SILENT",
            "-FLAGS.SILENT",
        ]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(action));
        if !action_ok {
            return Err(Error::Invalid(crate::EncodeError::NotAnAtom {
                what: "store action",
            }));
        }
        let cmd = Command::new(verb)
            .raw(&set.to_string(), "sequence set")?
            .raw(action, "store action")?
            .flag_list(flags)?;
        self.core().run(cmd).map(|(seen, _)| fetches(seen))
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
        let utf8 = self.core().utf8();
        let cmd = Command::new(verb)
            .raw(&set.to_string(), "sequence set")?
            .mailbox(mailbox, utf8)?;
        let (seen, done) = self.core().run(cmd)?;
        // MOVE sends COPYUID in an untagged OK (RFC 6851 §4.3).
        let untagged_code = seen.into_iter().find_map(|u| match u {
            Untagged::Status {
                text:
                    Text {
                        code: Some(c @ Code::CopyUid { .. }),
                        ..
                    },
                ..
            } => Some(c),
            _ => None,
        });
        Ok(done
            .text
            .code
            .filter(|c| matches!(c, Code::CopyUid { .. }))
            .or(untagged_code))
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
        if !self.core().has_capability("MOVE") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("MOVE"));
        }
        self.transfer("MOVE", set, mailbox)
    }

    /// UID MOVE.
    ///
    /// # Errors
    /// As [`move`](Self::move).
    pub fn uid_move(&mut self, set: &SequenceSet, mailbox: &str) -> Result<Option<Code>, Error> {
        if !self.core().has_capability("MOVE") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("MOVE"));
        }
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
        self.core().run(Command::new("CLOSE"))?;
        self.session.core.mailbox = Mailbox::default();
        Ok(self.session)
    }

    /// UNSELECT (RFC 3691): leaves without expunging.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without UNSELECT; rejection.
    pub fn unselect(mut self) -> Result<Session<S>, Error> {
        if !self.core().has_capability("UNSELECT") && !self.core().has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("UNSELECT"));
        }
        self.core().run(Command::new("UNSELECT"))?;
        self.session.core.mailbox = Mailbox::default();
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
