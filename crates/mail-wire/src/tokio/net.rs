//! Reaching a server from tokio: TCP, implicit TLS and the STARTTLS upgrade,
//! with the blocking side's trust rules ([`TlsConfig`]) and errors.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf};
use ::tokio::net::TcpStream;
use tokio_native_tls::TlsStream;

use super::{within, Connection};
use crate::net::{handshake_failure, with_certificate_details};
use crate::{Encrypted, Error, Limits, Security, Server, TlsConfig};

/// A tokio TCP stream that is plain or TLS, so one connection type survives STARTTLS.
#[derive(Debug)]
pub struct NetStream {
    inner: Inner,
    security: Security,
}

#[derive(Debug)]
enum Inner {
    Plain(TcpStream),
    /// The socket is read through a buffer, as on the blocking side (see
    /// `read_ahead`): ciphertext only, read by this same TLS session.
    Tls(Box<TlsStream<BufReader<TcpStream>>>),
    /// Only during a failed upgrade: the stream is gone.
    Detached,
}

impl NetStream {
    /// True once TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    /// The TLS mode asked for when connecting.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match &self.inner {
            Inner::Plain(tcp) => tcp.peer_addr().ok(),
            Inner::Tls(tls) => tls.get_ref().get_ref().get_ref().get_ref().peer_addr().ok(),
            Inner::Detached => None,
        }
    }
}

impl Encrypted for NetStream {
    fn is_encrypted(&self) -> bool {
        self.is_tls()
    }
}

fn detached() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "connection lost during the TLS upgrade",
    )
}

impl AsyncRead for NetStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
            Inner::Detached => Poll::Ready(Err(detached())),
        }
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
            Inner::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
            Inner::Detached => Poll::Ready(Err(detached())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
            Inner::Detached => Poll::Ready(Err(detached())),
        }
    }
}

/// TCP to the first address of `server` that accepts within its time-out.
async fn open_tcp(server: &Server) -> Result<TcpStream, Error> {
    let resolve = ::tokio::net::lookup_host((server.host.as_str(), server.port));
    let addrs: Vec<SocketAddr> = match within(Some(server.timeout), resolve).await {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(source)) => {
            return Err(Error::Resolve {
                host: server.host.clone(),
                source,
            })
        }
        Err(_) => {
            return Err(Error::Resolve {
                host: server.host.clone(),
                source: io::Error::new(io::ErrorKind::TimedOut, "name lookup timed out"),
            })
        }
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        let attempt = within(Some(server.timeout), TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection timed out",
                ))
            });
        match attempt {
            Ok(tcp) => {
                tcp.set_nodelay(true)?;
                log::debug!("connected to {addr}");
                return Ok(tcp);
            }
            Err(err) => {
                log::debug!("connect to {addr} failed: {err}");
                last = err;
            }
        }
    }
    Err(Error::Connect {
        server: format!("{}:{}", server.host, server.port),
        source: last,
    })
}

/// The TLS handshake over `tcp`, within the server's time-out, checked as
/// [`TlsConfig`] says (the connector is the blocking side's).
async fn handshake(
    server: &Server,
    tls: &TlsConfig,
    tcp: TcpStream,
) -> Result<TlsStream<BufReader<TcpStream>>, Error> {
    let tls_name = server.tls_name();
    let connector = tokio_native_tls::TlsConnector::from(tls.connector(tls_name)?);
    let tcp = BufReader::with_capacity(crate::read_ahead::CAPACITY, tcp);
    match within(Some(server.timeout), connector.connect(tls_name, tcp)).await? {
        Ok(stream) => {
            log::debug!("TLS established with {tls_name}");
            Ok(stream)
        }
        Err(err) => Err(explained(handshake_failure(tls_name, &err), server, tls).await),
    }
}

/// Adds the refused certificate's names and dates, as the blocking side
/// does: read over a second connection on a thread of its own, so the
/// runtime's threads never block.
async fn explained(err: Error, server: &Server, tls: &TlsConfig) -> Error {
    if !matches!(&err, Error::Certificate { problem, .. } if problem.wants_details()) {
        return err;
    }
    let (sender, receiver) = ::tokio::sync::oneshot::channel();
    let (server, tls) = (server.clone(), tls.clone());
    let spawned = std::thread::Builder::new()
        .name("mail-wire-certificate".to_owned())
        .spawn(move || {
            let _ = sender.send(with_certificate_details(err, &server, &tls));
        });
    match spawned {
        Ok(_) => receiver.await.unwrap_or(Error::Closed),
        Err(spawn_error) => Error::Io(spawn_error),
    }
}

impl Connection<NetStream> {
    /// Connects over TCP, with a TLS handshake first for [`Security::Implicit`];
    /// reads and writes are then bounded by [`Server::timeout`]. For
    /// [`Security::StartTls`] the protocol crate sends its command and then
    /// calls [`start_tls`](Self::start_tls). Connects in exactly the mode
    /// asked for ([`TlsConfig::detect_mode`] is not consulted).
    ///
    /// # Errors
    /// [`Error::Resolve`], [`Error::Connect`], [`Error::Tls`],
    /// [`Error::Certificate`], [`Error::Timeout`], as on the blocking side.
    pub async fn connect(
        server: &Server,
        security: Security,
        tls: &TlsConfig,
    ) -> Result<Self, Error> {
        let tcp = open_tcp(server).await?;
        let inner = match security {
            Security::Implicit => Inner::Tls(Box::new(handshake(server, tls, tcp).await?)),
            Security::StartTls | Security::Plain => Inner::Plain(tcp),
        };
        let mut conn = Connection::new(NetStream { inner, security }, Limits::default());
        conn.set_read_timeout(Some(server.timeout));
        conn.set_write_timeout(Some(server.timeout));
        Ok(conn)
    }

    /// Upgrades to TLS after the server's go-ahead to STARTTLS/STLS.
    /// Not cancel-safe.
    ///
    /// # Errors
    /// [`Error::BufferedAfterStartTls`] if any byte arrived after the go-ahead
    /// (the connection must then be dropped); [`Error::AlreadyTls`];
    /// [`Error::Tls`] or [`Error::Certificate`] when the handshake or
    /// certificate check fails; [`Error::Abandoned`].
    pub async fn start_tls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        let buffered = self.buffered().len();
        if buffered > 0 {
            return Err(Error::BufferedAfterStartTls { bytes: buffered });
        }
        self.flush().await?;
        self.enter()?;
        let result = self.upgrade(server, tls).await;
        self.leave(result)
    }

    async fn upgrade(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        match std::mem::replace(&mut self.stream.inner, Inner::Detached) {
            Inner::Plain(tcp) => {
                let tls_stream = handshake(server, tls, tcp).await?;
                self.stream.inner = Inner::Tls(Box::new(tls_stream));
                Ok(())
            }
            other => {
                let already = matches!(other, Inner::Tls(_));
                self.stream.inner = other;
                Err(if already {
                    Error::AlreadyTls
                } else {
                    Error::Closed
                })
            }
        }
    }
}
