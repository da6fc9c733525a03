//! What the client knows about the selected mailbox, kept current by every
//! untagged response wherever it arrives (RFC 3501 §7, §5.2).

use crate::response::{Code, Flag, Untagged};
use crate::sequence::{SeqNum, Uid};

/// The selected mailbox's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    /// The name as given to SELECT/EXAMINE.
    pub name: String,
    /// Number of messages (`EXISTS`, minus expunges seen since).
    pub exists: u32,
    /// `RECENT` (IMAP4rev1 only).
    pub recent: u32,
    /// `UIDVALIDITY`.
    pub uid_validity: Option<u32>,
    /// `UIDNEXT`.
    pub uid_next: Option<Uid>,
    /// `FLAGS`.
    pub flags: Vec<Flag>,
    /// `PERMANENTFLAGS`.
    pub permanent_flags: Vec<Flag>,
    /// `UNSEEN` (first unseen message, IMAP4rev1).
    pub unseen: Option<SeqNum>,
    /// `HIGHESTMODSEQ` (RFC 7162).
    pub highest_modseq: Option<u64>,
    /// True after `[READ-ONLY]` (EXAMINE, or a read-only SELECT).
    pub read_only: bool,
    /// Expunged sequence numbers in the order announced since the last look.
    pub expunged: Vec<SeqNum>,
}

impl Mailbox {
    /// Folds one untagged response into the state; returns true when it
    /// changed something.
    pub fn apply(&mut self, response: &Untagged) -> bool {
        match response {
            Untagged::Exists(n) => self.exists = *n,
            Untagged::Recent(n) => self.recent = *n,
            Untagged::Expunge(seq) => {
                self.exists = self.exists.saturating_sub(1);
                self.expunged.push(*seq);
            }
            Untagged::Flags(flags) => self.flags = flags.clone(),
            Untagged::Status { text, .. } => match &text.code {
                Some(code) => return self.apply_code(code),
                None => return false,
            },
            _ => return false,
        }
        true
    }

    /// Folds a response code (from a tagged or untagged status) into the state.
    pub fn apply_code(&mut self, code: &Code) -> bool {
        match code {
            Code::UidValidity(v) => self.uid_validity = Some(*v),
            Code::UidNext(u) => self.uid_next = Some(*u),
            Code::PermanentFlags(f) => self.permanent_flags = f.clone(),
            Code::Unseen(s) => self.unseen = Some(*s),
            Code::HighestModSeq(m) => self.highest_modseq = Some(*m),
            Code::ReadOnly => self.read_only = true,
            Code::ReadWrite => self.read_only = false,
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{parse_response, Response};

    #[test]
    fn select_responses_build_the_state() {
        let mut mb = Mailbox::default();
        for line in [
            &b"* 172 EXISTS\r\n"[..],
            b"* 1 RECENT\r\n",
            b"* OK [UNSEEN 12] Message 12 is first unseen\r\n",
            b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
            b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
            b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
            b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
            b"* 3 EXPUNGE\r\n",
            b"* OK [READ-ONLY] x\r\n",
        ] {
            let (Response::Untagged(u), _) = parse_response(line).unwrap() else {
                panic!()
            };
            mb.apply(&u);
        }
        assert_eq!(mb.exists, 171);
        assert_eq!(mb.recent, 1);
        assert_eq!(mb.unseen, Some(SeqNum(12)));
        assert_eq!(mb.uid_validity, Some(3_857_529_045));
        assert_eq!(mb.uid_next, Some(Uid(4392)));
        assert_eq!(mb.flags.len(), 5);
        assert_eq!(mb.permanent_flags.last(), Some(&Flag("\\*".into())));
        assert_eq!(mb.expunged, [SeqNum(3)]);
        assert!(mb.read_only);
    }
}
