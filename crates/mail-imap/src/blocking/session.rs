//! [`Session`]: authenticated (RFC 3501 §3.2), the commands valid in it.

use std::io::{Read, Write};
use std::time::Duration;

use mail_wire::Connection;

use crate::command::Command;
use crate::error::Error;
use crate::exchange::Core;
use crate::mailbox::Mailbox;
use crate::response::{Code, ListItem, Namespace, Tagged, Untagged};
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

    /// See [`Client::set_patience`].
    pub fn set_patience(&mut self, patience: Option<Duration>) {
        self.core.patience = patience;
    }

    /// The connection, e.g. to change limits.
    pub fn connection(&mut self) -> &mut Connection<S> {
        &mut self.core.conn
    }

    fn run(&mut self, cmd: Command) -> Result<(Vec<Untagged>, Tagged), Error> {
        let (seen, done) = self.core.run(cmd)?;
        Ok((seen, done))
    }

    fn mailbox_cmd(&mut self, verb: &'static str, name: &str) -> Result<(), Error> {
        let cmd = Command::new(verb).mailbox(name, self.core.utf8())?;
        self.run(cmd).map(|_| ())
    }

    /// CAPABILITY.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn capability(&mut self) -> Result<&[String], Error> {
        self.run(Command::new("CAPABILITY"))?;
        Ok(&self.core.capabilities)
    }

    /// NOOP: also the polite way to collect pending updates.
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.run(Command::new("NOOP")).map(|(seen, _)| seen)
    }

    /// ID (RFC 2971).
    ///
    /// # Errors
    /// Rejection or the connection.
    pub fn id(&mut self, fields: &[(&str, &str)]) -> Result<Vec<(String, Option<String>)>, Error> {
        id(&mut self.core, fields)
    }

    /// ENABLE (RFC 5161); returns what the server enabled.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without ENABLE; rejection.
    pub fn enable(&mut self, capabilities: &[&str]) -> Result<Vec<String>, Error> {
        if !self.core.has_capability("ENABLE") && !self.core.has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("ENABLE"));
        }
        let mut cmd = Command::new("ENABLE");
        for c in capabilities {
            cmd = cmd.raw(c, "capability")?;
        }
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .flat_map(|u| {
                if let Untagged::Enabled(c) = u {
                    c
                } else {
                    Vec::new()
                }
            })
            .collect())
    }

    /// NAMESPACE (RFC 2342): personal, other users', shared.
    ///
    /// # Errors
    /// [`Error::Unsupported`] without NAMESPACE; rejection.
    pub fn namespace(&mut self) -> Result<[Vec<Namespace>; 3], Error> {
        if !self.core.has_capability("NAMESPACE") && !self.core.has_capability("IMAP4rev2") {
            return Err(Error::Unsupported("NAMESPACE"));
        }
        let (seen, _) = self.run(Command::new("NAMESPACE"))?;
        seen.into_iter()
            .find_map(|u| {
                if let Untagged::Namespace(n) = u {
                    Some(n)
                } else {
                    None
                }
            })
            .ok_or_else(|| {
                Error::Unexpected("NAMESPACE completed without a NAMESPACE response".into())
            })
    }

    fn list_cmd(
        &mut self,
        verb: &'static str,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListItem>, Error> {
        let utf8 = self.core.utf8();
        let pattern = if utf8 {
            pattern.to_owned()
        } else {
            crate::utf7::encode(pattern)
        };
        let cmd = Command::new(verb).astring(reference.as_bytes(), utf8, "reference")?;
        // Wildcards `*` and `%` are list-mailbox characters, not atom ones.
        let cmd = if !pattern.is_empty()
            && pattern
                .bytes()
                .all(|b| b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'"' | b'\\'))
        {
            cmd.raw(&pattern, "pattern")?
        } else {
            cmd.string(pattern.as_bytes(), utf8, "pattern")?
        };
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .filter_map(|u| match u {
                Untagged::List(item) | Untagged::Lsub(item) => Some(item),
                _ => None,
            })
            .collect())
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
        let cmd = Command::new("STATUS")
            .mailbox(mailbox, self.core.utf8())?
            .raw(&format!("({})", items.join(" ")), "status items")?;
        let (seen, _) = self.run(cmd)?;
        Ok(seen
            .into_iter()
            .find_map(|u| match u {
                Untagged::MailboxStatus { mailbox, items } => {
                    Some(MailboxStatus { mailbox, items })
                }
                _ => None,
            })
            .unwrap_or_default())
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
        let utf8 = self.core.utf8();
        let cmd = Command::new("RENAME")
            .mailbox(from, utf8)?
            .mailbox(to, utf8)?;
        self.run(cmd).map(|_| ())
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
        let mut cmd = Command::new("APPEND").mailbox(mailbox, self.core.utf8())?;
        if !flags.is_empty() {
            cmd = cmd.flag_list(flags)?;
        }
        let (_, done) = self.run(cmd.literal(message))?;
        Ok(match done.text.code {
            Some(Code::AppendUid { validity, uids }) => Some((validity, uids)),
            _ => None,
        })
    }

    fn open(mut self, verb: &'static str, mailbox: &str) -> Result<Selected<S>, (Error, Self)> {
        self.core.mailbox = Mailbox {
            name: mailbox.to_owned(),
            read_only: verb == "EXAMINE",
            ..Mailbox::default()
        };
        let cmd = match Command::new(verb).mailbox(mailbox, self.core.utf8()) {
            Ok(cmd) => cmd,
            Err(err) => return Err((err.into(), self)),
        };
        match self.core.run(cmd) {
            Ok(_) => Ok(Selected { session: self }),
            Err(err) => {
                self.core.mailbox = Mailbox::default();
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
        logout(&mut self.core)
    }
}

pub(super) fn logout<S: Read + Write>(core: &mut Core<S>) -> Result<(), Error> {
    match core.run(Command::new("LOGOUT")) {
        Ok(_) | Err(Error::Bye { .. }) => Ok(()),
        Err(Error::Wire(mail_wire::Error::Closed)) if core.bye.is_some() => Ok(()),
        Err(err) => Err(err),
    }
}

pub(super) fn id<S: Read + Write>(
    core: &mut Core<S>,
    fields: &[(&str, &str)],
) -> Result<Vec<(String, Option<String>)>, Error> {
    let mut cmd = Command::new("ID");
    if fields.is_empty() {
        cmd = cmd.raw("NIL", "id")?;
    } else {
        let mut list = Command::new("X");
        for (k, v) in fields {
            list = list.string(k.as_bytes(), false, "ID field")?.string(
                v.as_bytes(),
                false,
                "ID value",
            )?;
        }
        let text = String::from_utf8_lossy(&list.to_bytes("t", false)).into_owned();
        let inner = text
            .trim_end()
            .strip_prefix("t X ")
            .unwrap_or_default()
            .to_owned();
        cmd = cmd.raw(&format!("({inner})"), "id")?;
    }
    let (seen, _) = core.run(cmd)?;
    Ok(seen
        .into_iter()
        .find_map(|u| match u {
            Untagged::Id(fields) => Some(fields),
            _ => None,
        })
        .unwrap_or_default())
}
