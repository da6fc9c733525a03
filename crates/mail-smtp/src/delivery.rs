//! What a sent message gives back: a [`Delivery`] with one
//! [`RecipientReply`] per recipient.

use crate::reply::Reply;

/// One recipient's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReply {
    /// The address as given.
    pub address: String,
    /// The server's reply to its RCPT.
    pub reply: Reply,
}

impl RecipientReply {
    /// True when the server accepted the recipient (2yz).
    pub fn is_accepted(&self) -> bool {
        self.reply.is_positive()
    }
}

/// The outcome of a message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Every recipient with its RCPT reply, in order, accepted or not.
    pub recipients: Vec<RecipientReply>,
    /// The reply after the message data (`250 2.0.0 Ok: queued as ...`).
    pub reply: Reply,
    /// Bytes of the message as given (before line-end normalization).
    pub size: u64,
}

impl Delivery {
    /// Recipients the server accepted.
    pub fn accepted(&self) -> impl Iterator<Item = &RecipientReply> {
        self.recipients.iter().filter(|r| r.is_accepted())
    }

    /// Recipients the server refused; the message did not go to them.
    pub fn rejected(&self) -> impl Iterator<Item = &RecipientReply> {
        self.recipients.iter().filter(|r| !r.is_accepted())
    }

    /// The queue id, when a line of the final reply names it in one of the
    /// usual ways — a convenience, not a standard: `queued as ID` (Postfix),
    /// `id=ID` (Exim, on the last line of its BDAT reply), `ID Message
    /// accepted for delivery` (OpenSMTPD, Sendmail).
    pub fn queue_id(&self) -> Option<&str> {
        self.reply.lines().iter().find_map(|line| queue_id_in(line))
    }
}

/// The queue id in one line of a final reply, if it has one (see [`Delivery::queue_id`]).
fn queue_id_in(line: &str) -> Option<&str> {
    if let Some(at) = line.find("queued as ") {
        return line
            .get(at + "queued as ".len()..)?
            .split_whitespace()
            .next();
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    if let Some(id) = words.iter().find_map(|w| w.strip_prefix("id=")) {
        return Some(id).filter(|id| !id.is_empty());
    }
    let id = words.windows(3).find_map(|w| match *w {
        [id, "Message", "accepted"] => Some(id),
        _ => None,
    })?;
    // Not the enhanced status code of a reply that names no id.
    (!id.contains('.')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::ReplyCode;

    fn delivery(lines: &[&str]) -> Delivery {
        let reply = Reply::new(
            ReplyCode::OK,
            lines.iter().map(|l| (*l).to_owned()).collect(),
        );
        Delivery {
            recipients: Vec::new(),
            reply,
            size: 0,
        }
    }

    #[test]
    fn queue_ids_in_the_words_of_postfix_exim_and_opensmtpd() {
        assert_eq!(
            delivery(&["2.0.0 Ok: queued as 4Xy7Zq1cNbz9"]).queue_id(),
            Some("4Xy7Zq1cNbz9")
        );
        assert_eq!(
            delivery(&["OK id=1xaYOv-0005Tn-2R"]).queue_id(),
            Some("1xaYOv-0005Tn-2R")
        );
        // Exim's BDAT LAST reply names the id on its last line.
        assert_eq!(
            delivery(&[" 282 byte chunk, total 282", "OK id=1xaYOv-0005Tn-2R"]).queue_id(),
            Some("1xaYOv-0005Tn-2R")
        );
        assert_eq!(
            delivery(&["2.0.0 08712de9 Message accepted for delivery"]).queue_id(),
            Some("08712de9")
        );
    }

    #[test]
    fn replies_without_a_queue_id_have_none() {
        for lines in [
            &["2.0.0 Ok"][..],
            &["2.0.0 Message accepted for delivery"],
            &["OK id="],
            &[""],
            &[],
        ] {
            assert_eq!(delivery(lines).queue_id(), None, "{lines:?}");
        }
    }
}
