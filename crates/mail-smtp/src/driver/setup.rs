//! Setting the session up: the greeting, EHLO (HELO fallback) and the
//! exchange around the STARTTLS handshake (the handshake is the client's).

use super::{into_reply, unexpected, Driver, Link};
use crate::command::Command;
use crate::core::Event;
use crate::error::Error;
use crate::reply::ReplyCode;
use crate::Capabilities;

impl Driver {
    /// Reads the greeting and sends EHLO (HELO when EHLO is refused).
    pub(crate) async fn start(&mut self, link: &mut impl Link) -> Result<(), Error> {
        let greeting = into_reply(self.next_event(link).await?);
        if greeting.code() != ReplyCode::SERVICE_READY {
            if greeting.code().is_permanent() {
                // RFC 5321 §3.1: after a 554 greeting the client SHOULD send
                // QUIT; the answer changes nothing.
                if self.core.command(&Command::Quit).is_ok() {
                    let _ = self.next_event(link).await;
                }
            }
            return Err(Error::Rejected {
                command: "the connection",
                reply: greeting,
            });
        }
        self.greeting = greeting;
        self.ehlo(link).await?;
        Ok(())
    }

    /// Sends EHLO and records the capabilities; falls back to HELO when the
    /// server answers EHLO with 500, 502 or another 5yz (RFC 5321 §4.1.4).
    pub(crate) async fn ehlo(&mut self, link: &mut impl Link) -> Result<&Capabilities, Error> {
        self.check_usable()?;
        self.core.ehlo(&self.helo_name)?;
        match self.next_event(link).await? {
            Event::Hello(_) => Ok(self.core.capabilities()),
            Event::Reply { command, reply } => Err(Error::Rejected { command, reply }),
            other => Err(unexpected("EHLO", other)),
        }
    }

    /// STARTTLS up to the go-ahead (RFC 3207); the client runs the handshake
    /// next, then [`tls_started`](Self::tls_started). Refuses any byte the
    /// server sent after the go-ahead (a response injection attempt).
    pub(crate) async fn starttls(&mut self, link: &mut impl Link) -> Result<(), Error> {
        self.check_usable()?;
        if self.tls {
            return Err(Error::Wire(mail_wire::Error::AlreadyTls));
        }
        if !self.core.capabilities().starttls() {
            return Err(Error::Unsupported("STARTTLS"));
        }
        self.core.starttls()?;
        match self.next_event(link).await? {
            Event::TlsReady(_) => {}
            Event::Reply { reply, .. } => {
                return Err(Error::Rejected {
                    command: "STARTTLS",
                    reply,
                })
            }
            other => return Err(unexpected("STARTTLS", other)),
        }
        // The core refuses any byte that came after the go-ahead.
        if let Err(err) = self.core.feed(link.buffered()) {
            self.broken = true;
            return Err(err);
        }
        Ok(())
    }

    /// After the handshake: forgets what was learnt before (§4.2) and sends
    /// EHLO again.
    pub(crate) async fn tls_started(&mut self, link: &mut impl Link) -> Result<(), Error> {
        self.tls = true;
        self.core.tls_started();
        self.ehlo(link).await?;
        Ok(())
    }
}
