//! Reaching a server: TCP, implicit TLS, and the STARTTLS upgrade.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use native_tls::{Certificate, HandshakeError, TlsConnector, TlsStream};

use crate::{Connection, Error, Limits};

/// How TLS is used on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (ports 465, 993, 995).
    Implicit,
    /// Plain first, then the protocol's STARTTLS/STLS command; required.
    StartTls,
    /// No TLS at all: credentials would travel in clear.
    Plain,
}

impl Security {
    /// The conventional choice for a port: implicit TLS on 465, 993 and 995,
    /// STARTTLS elsewhere.
    pub fn for_port(port: u16) -> Self {
        match port {
            465 | 993 | 995 => Security::Implicit,
            _ => Security::StartTls,
        }
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Host name or IP address to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Name the certificate must carry, when it differs from `host`
    /// (connecting to `127.0.0.1` while checking `localhost`, say).
    pub tls_name: Option<String>,
    /// Time limit for connecting and for every read and write.
    pub timeout: Duration,
}

impl Server {
    /// A server with the default time limit of 30 seconds.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Server { host: host.into(), port, tls_name: None, timeout: Duration::from_secs(30) }
    }

    /// The name checked against the certificate.
    pub fn tls_name(&self) -> &str {
        self.tls_name.as_deref().unwrap_or(&self.host)
    }
}

/// TLS trust settings. Certificate and host-name checks are on unless
/// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs) is called.
#[derive(Clone, Default)]
pub struct TlsConfig {
    extra_roots: Vec<Certificate>,
    accept_invalid_certs: bool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("extra_roots", &self.extra_roots.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl TlsConfig {
    /// The system's trust roots, with full verification.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts every certificate in a PEM file as well (a private CA).
    ///
    /// # Errors
    /// [`Error::CaFile`] if the file cannot be read or holds no certificate.
    pub fn add_ca_file(&mut self, path: &Path) -> Result<(), Error> {
        let pem = std::fs::read(path)
            .map_err(|err| Error::CaFile { path: path.to_owned(), reason: err.to_string() })?;
        self.add_ca_pem(&pem)
            .map_err(|reason| Error::CaFile { path: path.to_owned(), reason })
    }

    /// Trusts every certificate in PEM text as well.
    ///
    /// # Errors
    /// The parser's reason when the text holds no certificate.
    pub fn add_ca_pem(&mut self, pem: &[u8]) -> Result<(), String> {
        let certs = Certificate::stack_from_pem(pem).map_err(|err| err.to_string())?;
        if certs.is_empty() {
            return Err("no PEM certificate found".to_owned());
        }
        self.extra_roots.extend(certs);
        Ok(())
    }

    /// Skips certificate and host-name checks: anyone on the path can read
    /// and change the session. Only for servers you cannot fix.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// True when checks are switched off.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs
    }

    fn handshake(&self, tls_name: &str, tcp: TcpStream) -> Result<TlsStream<TcpStream>, Error> {
        let tls_error = |reason: String| Error::Tls { host: tls_name.to_owned(), reason };
        let mut builder = TlsConnector::builder();
        for root in &self.extra_roots {
            builder.add_root_certificate(root.clone());
        }
        if self.accept_invalid_certs {
            log::warn!("TLS certificate checks are OFF for {tls_name}: the connection is not authenticated");
            builder.danger_accept_invalid_certs(true).danger_accept_invalid_hostnames(true);
        }
        let connector = builder.build().map_err(|err| tls_error(err.to_string()))?;
        match connector.connect(tls_name, tcp) {
            Ok(stream) => {
                log::debug!("TLS established with {tls_name}");
                Ok(stream)
            }
            Err(HandshakeError::Failure(err)) => Err(tls_error(err.to_string())),
            Err(HandshakeError::WouldBlock(_)) => Err(Error::Timeout),
        }
    }
}

/// A TCP stream that is plain or TLS, so one connection type survives STARTTLS.
#[derive(Debug)]
pub struct NetStream {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only during a failed upgrade: the stream is gone.
    Detached,
}

impl NetStream {
    /// True once TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    fn tcp(&self) -> Option<&TcpStream> {
        match &self.inner {
            Inner::Plain(tcp) => Some(tcp),
            Inner::Tls(tls) => Some(tls.get_ref()),
            Inner::Detached => None,
        }
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.tcp().and_then(|tcp| tcp.peer_addr().ok())
    }
}

fn detached() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "connection lost during the TLS upgrade")
}

impl Read for NetStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(tcp) => tcp.read(buf),
            Inner::Tls(tls) => tls.read(buf),
            Inner::Detached => Err(detached()),
        }
    }
}

impl Write for NetStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(tcp) => tcp.write(buf),
            Inner::Tls(tls) => tls.write(buf),
            Inner::Detached => Err(detached()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Inner::Plain(tcp) => tcp.flush(),
            Inner::Tls(tls) => tls.flush(),
            Inner::Detached => Err(detached()),
        }
    }
}

fn open_tcp(server: &Server) -> Result<TcpStream, Error> {
    let addrs: Vec<SocketAddr> = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|source| Error::Resolve { host: server.host.clone(), source })?
        .collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, server.timeout) {
            Ok(tcp) => {
                tcp.set_read_timeout(Some(server.timeout))?;
                tcp.set_write_timeout(Some(server.timeout))?;
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
    Err(Error::Connect { server: format!("{}:{}", server.host, server.port), source: last })
}

impl Connection<NetStream> {
    /// Connects over TCP, with a TLS handshake first for [`Security::Implicit`].
    /// For [`Security::StartTls`] the protocol crate sends its command and then
    /// calls [`start_tls`](Self::start_tls).
    ///
    /// # Errors
    /// [`Error::Resolve`], [`Error::Connect`], [`Error::Tls`], [`Error::Timeout`].
    pub fn connect(server: &Server, security: Security, tls: &TlsConfig) -> Result<Self, Error> {
        let tcp = open_tcp(server)?;
        let inner = match security {
            Security::Implicit => Inner::Tls(Box::new(tls.handshake(server.tls_name(), tcp)?)),
            Security::StartTls | Security::Plain => Inner::Plain(tcp),
        };
        Ok(Connection::new(NetStream { inner }, Limits::default()))
    }

    /// Upgrades to TLS after the server's go-ahead to STARTTLS/STLS.
    ///
    /// # Errors
    /// [`Error::BufferedAfterStartTls`] if any byte arrived after the go-ahead
    /// (the connection must then be dropped); [`Error::AlreadyTls`];
    /// [`Error::Tls`] when the handshake or certificate check fails.
    pub fn start_tls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        if self.end > self.start {
            return Err(Error::BufferedAfterStartTls { bytes: self.end - self.start });
        }
        self.flush()?;
        match std::mem::replace(&mut self.stream.inner, Inner::Detached) {
            Inner::Plain(tcp) => {
                let tls_stream = tls.handshake(server.tls_name(), tcp)?;
                self.stream.inner = Inner::Tls(Box::new(tls_stream));
                Ok(())
            }
            other => {
                let already = matches!(other, Inner::Tls(_));
                self.stream.inner = other;
                Err(if already { Error::AlreadyTls } else { Error::Closed })
            }
        }
    }
}
