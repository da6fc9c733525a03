//! Sending a [`mail_mime::OutgoingMessage`] from async code (features
//! `tokio` and `mime`).
//!
//! The builder's reader is a blocking `Read` (attachment files are read
//! and base64-encoded as it goes), so each piece is read on tokio's
//! blocking pool (`spawn_blocking`) and handed to the session: one 64 KiB
//! piece in memory at a time, never the whole message, and no file read on
//! a runtime thread.

use std::io::Read;

use ::tokio::io::{AsyncRead, AsyncWrite};
use mail_mime::OutgoingMessage;

use super::Client;
use crate::driver::Body;
use crate::{Delivery, Envelope, Error};

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Client<S> {
    /// Sends a built message: the envelope from [`Envelope::from_message`]
    /// (Bcc in the envelope only), `SIZE=` the builder's exact size, the
    /// content streamed. Not cancel-safe (see the [module](super)).
    ///
    /// # Errors
    /// As [`Client::send`]; [`Error::Body`] when an attachment file cannot
    /// be read.
    pub async fn send_message(&mut self, message: &OutgoingMessage) -> Result<Delivery, Error> {
        self.send_message_as(&Envelope::from_message(message), message)
            .await
    }

    /// Sends a built message with an envelope of the caller's (DSN options,
    /// other recipients), streamed as by [`send_message`](Self::send_message).
    /// Not cancel-safe.
    ///
    /// # Errors
    /// As [`Client::send_message`].
    pub async fn send_message_as(
        &mut self,
        envelope: &Envelope,
        message: &OutgoingMessage,
    ) -> Result<Delivery, Error> {
        let mut body = PooledReader {
            reader: Some(message.reader().map_err(Error::Body)?),
            piece: Vec::new(),
        };
        self.conn.begin_exchange()?;
        let result = self
            .driver
            .send(&mut self.conn, envelope, &mut body, Some(message.size()))
            .await;
        self.conn.end_exchange();
        result
    }
}

/// A blocking reader read piece by piece on tokio's blocking pool.
struct PooledReader {
    /// `None` while a read runs, or after a read task was lost.
    reader: Option<Box<dyn Read + Send>>,
    /// The buffer the last piece was read into, handed back and forth.
    piece: Vec<u8>,
}

impl Body for PooledReader {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut reader = self.reader.take().ok_or_else(|| {
            std::io::Error::other("an earlier read of the message did not finish")
        })?;
        let mut piece = std::mem::take(&mut self.piece);
        piece.resize(buf.len(), 0);
        let (reader, piece, read) = ::tokio::task::spawn_blocking(move || {
            let read = reader.read(&mut piece);
            (reader, piece, read)
        })
        .await
        .map_err(std::io::Error::other)?;
        self.reader = Some(reader);
        let n = read?;
        let got = piece.get(..n).unwrap_or_default();
        let len = got.len();
        buf.get_mut(..len).unwrap_or_default().copy_from_slice(got);
        self.piece = piece;
        Ok(len)
    }
}
