//! One message: the envelope group, its replies matched to each
//! recipient, and the body by DATA or in BDAT chunks.

use super::{into_reply, unexpected, Body, Driver, Link};
use crate::command::Command;
use crate::core::{EnvelopeReplies, Event, Prepared};
use crate::delivery::{Delivery, RecipientReply};
use crate::envelope::Envelope;
use crate::error::Error;
use crate::reply::{Reply, ReplyCode};

/// Input bytes per chunk read from the body (and per BDAT chunk).
const BODY_CHUNK: usize = 64 * 1024;

/// Outstanding BDAT replies allowed before the client stops to read one,
/// so neither side can block on a full socket buffer.
const BDAT_WINDOW: usize = 32;

impl Driver {
    /// Decides MAIL and RCPT parameters against the capabilities and encodes
    /// every envelope line, so nothing is sent when any of it is invalid.
    pub(super) fn prepare(
        &self,
        envelope: &Envelope,
        size: Option<u64>,
    ) -> Result<Prepared, Error> {
        Prepared::new(self.core.capabilities(), envelope, size)
    }

    pub(super) fn use_pipelining(&self) -> bool {
        self.core.pipelining()
    }

    pub(super) fn use_chunking(&self) -> bool {
        self.chunking && self.core.capabilities().chunking()
    }

    /// One message: the envelope group, then the body by BDAT when
    /// CHUNKING is offered and allowed, else DATA (the clients' `send`).
    pub(crate) async fn send(
        &mut self,
        link: &mut impl Link,
        envelope: &Envelope,
        body: &mut impl Body,
        size: Option<u64>,
    ) -> Result<Delivery, Error> {
        self.check_usable()?;
        let prepared = self.prepare(envelope, size)?;
        if self.use_chunking() {
            return self.send_bdat(link, envelope, &prepared, body).await;
        }
        self.core.envelope(&prepared, true)?;
        let recipients = match self.envelope_outcome(link, envelope).await? {
            EnvelopeOutcome::Go(recipients) => recipients,
            EnvelopeOutcome::Failed(err) => return Err(err),
        };
        let size = self.stream_data(link, body).await?;
        let reply = into_reply(self.next_event(link).await?);
        if reply.is_positive() {
            Ok(Delivery {
                recipients,
                reply,
                size,
            })
        } else {
            Err(Error::Rejected {
                command: "DATA",
                reply,
            })
        }
    }

    /// Reads the replies to an envelope group the core matched to MAIL,
    /// each RCPT and DATA (RFC 2920 §3.1). Leaves the session ready for
    /// the next transaction when the message cannot go; a 421 is the
    /// session's error.
    pub(super) async fn envelope_outcome(
        &mut self,
        link: &mut impl Link,
        envelope: &Envelope,
    ) -> Result<EnvelopeOutcome, Error> {
        let replies = match self.next_event(link).await? {
            Event::Envelope(replies) => replies,
            other => return Err(unexpected("MAIL", other)),
        };
        let go = replies.can_send_data();
        let EnvelopeReplies {
            mail,
            recipients,
            data,
        } = replies;
        let closing = |reply: &Reply| reply.code() == ReplyCode::SERVICE_UNAVAILABLE;
        if closing(&mail) {
            return Err(Error::Rejected {
                command: "MAIL",
                reply: mail,
            });
        }
        if let Some(reply) = recipients.iter().find(|r| closing(r)) {
            return Err(Error::Rejected {
                command: "RCPT",
                reply: reply.clone(),
            });
        }
        if let Some(reply) = data.as_ref().filter(|r| closing(r)) {
            return Err(Error::Rejected {
                command: "DATA",
                reply: reply.clone(),
            });
        }
        let recipients: Vec<RecipientReply> = envelope
            .recipients
            .iter()
            .zip(recipients)
            .map(|(address, reply)| RecipientReply {
                address: address.clone(),
                reply,
            })
            .collect();
        if go {
            return Ok(EnvelopeOutcome::Go(recipients));
        }
        let outcome = judge_envelope(mail, recipients, data);
        self.reset_if_open(link, &outcome).await?;
        Ok(outcome)
    }

    /// RSET on a failure path: a refused RSET is ignored (the failure that
    /// led here is the error worth reporting), a 421 or a wire error is not.
    pub(super) async fn reset_quietly(&mut self, link: &mut impl Link) -> Result<(), Error> {
        match self.command_ok(link, &Command::Rset).await {
            Err(Error::Rejected { reply, .. })
                if reply.code() != ReplyCode::SERVICE_UNAVAILABLE =>
            {
                log::debug!("RSET refused: {reply}");
                Ok(())
            }
            other => other.map(drop),
        }
    }

    /// RSET after a failed envelope whose MAIL was accepted, so the next
    /// MAIL starts a fresh transaction.
    async fn reset_if_open(
        &mut self,
        link: &mut impl Link,
        outcome: &EnvelopeOutcome,
    ) -> Result<(), Error> {
        match outcome {
            EnvelopeOutcome::Failed(Error::Rejected {
                command: "MAIL", ..
            })
            | EnvelopeOutcome::Go(_) => Ok(()),
            EnvelopeOutcome::Failed(_) => self.reset_quietly(link).await,
        }
    }

    /// Streams the body after a 354 through the core (dot-stuffed, with
    /// the terminator); returns the bytes read from `body`.
    async fn stream_data(
        &mut self,
        link: &mut impl Link,
        body: &mut impl Body,
    ) -> Result<u64, Error> {
        let mut input = vec![0u8; BODY_CHUNK];
        loop {
            let n = match read_some(body, &mut input).await {
                Ok(n) => n,
                Err(err) => {
                    // A partial message must never be ended with ".": the
                    // session is dropped instead (RFC 5321 §4.1.1.4 gives no abort).
                    self.broken = true;
                    return Err(Error::Body(err));
                }
            };
            if n == 0 {
                break;
            }
            self.core.data(input.get(..n).unwrap_or_default())?;
            let wire = self.core.take_output();
            self.write_content(link, &wire).await?;
        }
        let size = self.core.data_end()?;
        let wire = self.core.take_output();
        self.write_content(link, &wire).await?;
        self.end_content(link, size, true);
        Ok(size)
    }

    /// The envelope, then the body in BDAT chunks (RFC 3030 §2). No chunk
    /// is sent before the envelope is accepted: Postfix, for one, refuses
    /// BDAT before STARTTLS with 530 without reading its chunk, so chunk
    /// bytes sent blindly behind a refused envelope would be read as
    /// commands. With PIPELINING the envelope goes in one write and the
    /// chunks go without waiting, within a window of outstanding replies.
    async fn send_bdat(
        &mut self,
        link: &mut impl Link,
        envelope: &Envelope,
        prepared: &Prepared,
        body: &mut impl Body,
    ) -> Result<Delivery, Error> {
        let pipelining = self.use_pipelining();
        let mut input = vec![0u8; BODY_CHUNK];
        // Read the first chunk before anything is sent, so a failing body
        // leaves the session clean.
        let (mut filled, mut last) = fill_chunk(body, &mut input).await.map_err(Error::Body)?;
        self.core.envelope(prepared, false)?;
        let recipients = match self.envelope_outcome(link, envelope).await? {
            EnvelopeOutcome::Go(recipients) => recipients,
            EnvelopeOutcome::Failed(err) => return Err(err),
        };
        let mut size = 0u64;
        let mut outstanding = 0usize;
        loop {
            let chunk = self
                .core
                .bdat(input.get(..filled).unwrap_or_default(), last)?;
            size += filled as u64;
            self.write_chunk(link, chunk).await?;
            outstanding += 1;
            let must_read = |outstanding: usize| !pipelining || outstanding > BDAT_WINDOW || last;
            while outstanding > 0 && must_read(outstanding) {
                let reply = into_reply(self.next_event(link).await?);
                outstanding -= 1;
                if !reply.is_positive() {
                    // Drain the replies of chunks already sent, then reset:
                    // the state after a refused BDAT is indeterminate.
                    for _ in 0..outstanding {
                        let _ = self.next_event(link).await?;
                    }
                    if reply.code() != ReplyCode::SERVICE_UNAVAILABLE {
                        self.reset_quietly(link).await?;
                    }
                    return Err(Error::Rejected {
                        command: "BDAT",
                        reply,
                    });
                }
                if outstanding == 0 && last {
                    return Ok(Delivery {
                        recipients,
                        reply,
                        size,
                    });
                }
            }
            match fill_chunk(body, &mut input).await {
                Ok((n, is_last)) => (filled, last) = (n, is_last),
                Err(err) => {
                    for _ in 0..outstanding {
                        let _ = self.next_event(link).await?;
                    }
                    // RSET discards the chunks sent so far (RFC 3030 §2).
                    self.reset_quietly(link).await?;
                    return Err(Error::Body(err));
                }
            }
        }
    }
}

/// The error for a transaction that cannot carry the message.
fn judge_envelope(
    mail: Reply,
    recipients: Vec<RecipientReply>,
    data: Option<Reply>,
) -> EnvelopeOutcome {
    if !mail.is_positive() {
        return EnvelopeOutcome::Failed(Error::Rejected {
            command: "MAIL",
            reply: mail,
        });
    }
    if !recipients.iter().any(RecipientReply::is_accepted) {
        return EnvelopeOutcome::Failed(all_rejected(recipients));
    }
    match data {
        Some(reply) if reply.code() != ReplyCode::START_DATA => {
            EnvelopeOutcome::Failed(data_refused(reply))
        }
        _ => EnvelopeOutcome::Go(recipients),
    }
}

pub(super) enum EnvelopeOutcome {
    Go(Vec<RecipientReply>),
    Failed(Error),
}

fn all_rejected(recipients: Vec<RecipientReply>) -> Error {
    Error::AllRecipientsRejected {
        rejected: recipients
            .into_iter()
            .map(|r| (r.address, r.reply))
            .collect(),
    }
}

fn data_refused(reply: Reply) -> Error {
    if reply.is_positive() {
        Error::UnexpectedReply {
            command: "DATA",
            reply,
        }
    } else {
        Error::Rejected {
            command: "DATA",
            reply,
        }
    }
}

/// One `read`, retried on `Interrupted`.
async fn read_some(body: &mut impl Body, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match body.read(buf).await {
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads up to a full chunk into `input`; returns the bytes read and
/// true at EOF.
async fn fill_chunk(body: &mut impl Body, input: &mut [u8]) -> std::io::Result<(usize, bool)> {
    let mut filled = 0;
    while filled < input.len() {
        let n = read_some(body, input.get_mut(filled..).unwrap_or_default()).await?;
        if n == 0 {
            return Ok((filled, true));
        }
        filled += n;
    }
    Ok((filled, false))
}
