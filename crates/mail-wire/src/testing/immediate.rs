//! A blocking in-memory stream (`Read + Write`) as an async one, for tests
//! of the async clients over a hand-written server.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

/// `S` whose reads and writes complete at once: an in-memory stream for
/// `mail_wire::tokio::Connection`. `S` must never block.
#[derive(Debug)]
pub struct Immediate<S>(pub S);

impl<S: Read + Unpin> tokio::io::AsyncRead for Immediate<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.get_mut().0.read(buf.initialize_unfilled())?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<S: Write + Unpin> tokio::io::AsyncWrite for Immediate<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.get_mut().0.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
