//! Many messages held in memory, each message's data pipelined with the
//! next message's envelope.

use std::collections::VecDeque;

use super::send::EnvelopeOutcome;
use super::{into_reply, Driver, Link};
use crate::command::Command;
use crate::core::Prepared;
use crate::delivery::Delivery;
use crate::envelope::{Envelope, MailOptions};
use crate::error::Error;
use crate::reply::ReplyCode;

impl Driver {
    /// Many messages held in memory, each message's data in one write with
    /// the next message's envelope (the clients' `send_all`).
    pub(crate) async fn send_all<'a, I>(
        &mut self,
        link: &mut impl Link,
        messages: I,
    ) -> Result<Vec<Result<Delivery, Error>>, Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    {
        self.check_usable()?;
        let messages: Vec<(&Envelope, &[u8])> = messages.into_iter().collect();
        let mut results = Vec::with_capacity(messages.len());
        if !self.use_pipelining() {
            for (envelope, body) in messages {
                let mut reader = body;
                match self
                    .send(link, envelope, &mut reader, Some(body.len() as u64))
                    .await
                {
                    Ok(delivery) => results.push(Ok(delivery)),
                    Err(err) if is_session_error(&err) => return Err(err),
                    Err(err) => results.push(Err(err)),
                }
            }
            return Ok(results);
        }
        let chunking = self.use_chunking();
        let command = if chunking { "BDAT" } else { "DATA" };
        // The whole message is at hand: add BODY=8BITMIME and SMTPUTF8 when
        // its bytes need them, whatever the envelope's options say.
        let mut prepared: Vec<Option<Result<Prepared, Error>>> = messages
            .iter()
            .map(|(env, body)| {
                let detected = MailOptions::detect(body);
                if (detected.eight_bit_mime && !env.options.eight_bit_mime)
                    || (detected.smtputf8 && !env.options.smtputf8)
                {
                    let mut env = (*env).clone();
                    env.options.eight_bit_mime |= detected.eight_bit_mime;
                    env.options.smtputf8 |= detected.smtputf8;
                    Some(self.prepare(&env, Some(body.len() as u64)))
                } else {
                    Some(self.prepare(env, Some(body.len() as u64)))
                }
            })
            .collect();
        let mut pending_results: VecDeque<Result<Delivery, Error>> = VecDeque::new();
        let mut next = 0;
        // Queues the next message that prepared well (RSET first when asked),
        // reporting the ones that did not in order; returns its index.
        let mut queue_next = |client: &mut Self,
                              next: &mut usize,
                              out: &mut VecDeque<Result<Delivery, Error>>,
                              rset_first: bool|
         -> Result<Option<(usize, bool)>, Error> {
            while let Some(slot) = prepared.get_mut(*next) {
                let i = *next;
                *next += 1;
                match slot.take() {
                    Some(Ok(p)) => {
                        if rset_first {
                            client.core.command(&Command::Rset)?;
                        }
                        client.core.envelope(&p, !chunking)?;
                        return Ok(Some((i, rset_first)));
                    }
                    Some(Err(err)) => out.push_back(Err(err)),
                    None => {}
                }
            }
            Ok(None)
        };
        // Invariant: when `in_flight` is Some((i, rset)), message i's
        // envelope (behind an RSET when `rset`) is queued and its replies unread.
        let mut in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
        results.extend(pending_results.drain(..));
        let mut open_after_failure = false;
        while let Some((i, rset)) = in_flight {
            let (envelope, body) = messages.get(i).copied().unwrap_or((&EMPTY_ENVELOPE, b""));
            if rset {
                let reply = into_reply(self.next_event(link).await?);
                if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                    return Err(Error::Rejected {
                        command: "RSET",
                        reply,
                    });
                }
            }
            open_after_failure = false;
            match self.envelope_outcome(link, envelope).await? {
                EnvelopeOutcome::Go(recipients) => {
                    if chunking {
                        let size = self.core.bdat(body, true)?;
                        self.write_chunk(link, size).await?;
                    } else {
                        self.core.data(body)?;
                        self.core.data_end()?;
                        let wire = self.core.take_output();
                        self.write_content(link, &wire).await?;
                        self.end_content(link, body.len() as u64, true);
                    }
                    in_flight = queue_next(self, &mut next, &mut pending_results, chunking)?;
                    let reply = into_reply(self.next_event(link).await?);
                    if reply.code() == ReplyCode::SERVICE_UNAVAILABLE {
                        return Err(Error::Rejected { command, reply });
                    }
                    if reply.is_positive() {
                        results.push(Ok(Delivery {
                            recipients,
                            reply,
                            size: body.len() as u64,
                        }));
                    } else {
                        // After DATA's final reply the transaction is over
                        // (RFC 5321 §4.1.1.4); after a refused BDAT it is
                        // indeterminate, and the RSET queued above clears it.
                        open_after_failure = chunking;
                        results.push(Err(Error::Rejected { command, reply }));
                    }
                    results.extend(pending_results.drain(..));
                }
                EnvelopeOutcome::Failed(err) => {
                    // `envelope_outcome` has reset the transaction.
                    results.push(Err(err));
                    in_flight = queue_next(self, &mut next, &mut pending_results, false)?;
                    results.extend(pending_results.drain(..));
                }
            }
        }
        if open_after_failure {
            self.reset_quietly(link).await?;
        }
        Ok(results)
    }
}

static EMPTY_ENVELOPE: Envelope = Envelope {
    from: String::new(),
    recipients: Vec::new(),
    options: MailOptions {
        smtputf8: false,
        eight_bit_mime: false,
        dsn: None,
    },
};

/// Errors after which the session cannot go on.
fn is_session_error(err: &Error) -> bool {
    match err {
        Error::Wire(_)
        | Error::Protocol(_)
        | Error::UnexpectedReply { .. }
        | Error::Body(_)
        | Error::Broken => true,
        Error::Rejected { reply, .. } => reply.code() == ReplyCode::SERVICE_UNAVAILABLE,
        _ => false,
    }
}
