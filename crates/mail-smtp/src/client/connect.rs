//! Setting the session up: EHLO (HELO fallback), STARTTLS, and
//! [`Client::connect`] over the network.

use std::io::{Read, Write};

use mail_wire::{Connection, NetStream, Security, Server, TlsConfig};

use super::{unexpected, Client};
use crate::core::Event;
use crate::error::Error;
use crate::{Capabilities, Options};

impl<S: Read + Write> Client<S> {
    /// Sends EHLO and records the capabilities; falls back to HELO when the
    /// server answers EHLO with 500, 502 or another 5yz (RFC 5321 §4.1.4).
    ///
    /// # Errors
    /// [`Error::Rejected`] when HELO is refused as well, or EHLO with 4yz.
    pub fn ehlo(&mut self) -> Result<&Capabilities, Error> {
        self.check_usable()?;
        self.core.ehlo(&self.helo_name)?;
        match self.next_event()? {
            Event::Hello(_) => Ok(self.core.capabilities()),
            Event::Reply { command, reply } => Err(Error::Rejected { command, reply }),
            other => Err(unexpected("EHLO", other)),
        }
    }

    /// `STARTTLS` (RFC 3207) with the handshake done by `upgrade` (a
    /// stream other than [`NetStream`], e.g. a scripted one in tests):
    /// sends STARTTLS, runs `upgrade` after the go-ahead, forgets what was
    /// learnt before (§4.2) and sends EHLO again.
    ///
    /// # Errors
    /// As [`Client::starttls`], with `upgrade`'s error as [`Error::Wire`].
    pub fn starttls_with(
        &mut self,
        upgrade: impl FnOnce(&mut Connection<S>) -> Result<(), mail_wire::Error>,
    ) -> Result<(), Error> {
        self.check_usable()?;
        if self.tls {
            return Err(Error::Wire(mail_wire::Error::AlreadyTls));
        }
        if !self.core.capabilities().starttls() {
            return Err(Error::Unsupported("STARTTLS"));
        }
        self.core.starttls()?;
        match self.next_event()? {
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
        if let Err(err) = self.core.feed(self.conn.buffered()) {
            self.broken = true;
            return Err(err);
        }
        if let Err(err) = upgrade(&mut self.conn) {
            self.broken = true;
            return Err(Error::Wire(err));
        }
        self.tls = true;
        self.core.tls_started();
        self.ehlo()?;
        Ok(())
    }
}

impl Client<NetStream> {
    /// Connects and sets up the session: the transcript is installed before
    /// the greeting is read; then EHLO (HELO fallback), and for
    /// [`Security::StartTls`] STARTTLS and EHLO again. With
    /// [`Security::Implicit`] TLS starts before the greeting.
    ///
    /// # Errors
    /// [`Error::Wire`] for connecting, TLS and time-outs;
    /// [`Error::Unsupported`]`("STARTTLS")` when TLS was asked for and the
    /// server does not offer it (nothing more is sent, no credential
    /// above all); [`Error::Rejected`] for a refused greeting, EHLO/HELO or STARTTLS.
    pub fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
        options: Options,
    ) -> Result<Self, Error> {
        let conn = Connection::connect(server, security, tls)?;
        let security = conn.get_ref().security();
        let mut client = Client::new(conn, options)?;
        match security {
            Security::Implicit => client.tls = true,
            Security::StartTls => client.starttls(server, tls)?,
            Security::Plain => {}
        }
        Ok(client)
    }

    /// `STARTTLS` (RFC 3207): upgrades the connection, forgets everything
    /// learnt before (§4.2) and sends EHLO again.
    ///
    /// # Errors
    /// [`Error::Unsupported`]`("STARTTLS")` when not offered;
    /// [`Error::Rejected`] when refused; [`Error::Wire`] with
    /// `BufferedAfterStartTls` when bytes followed the go-ahead (a response
    /// injection attempt), `Tls` when the handshake or certificate check fails.
    pub fn starttls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        self.starttls_with(|conn| conn.start_tls(server, tls))
    }
}
