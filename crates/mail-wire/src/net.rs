//! Reaching a server: TCP, implicit TLS, and the STARTTLS upgrade.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use native_tls::{Certificate, HandshakeError, TlsConnector, TlsStream};

use crate::certificate::CertProblem;
use crate::detect::{self, ModeSwitch, GREETING_WAIT};
use crate::read_ahead::ReadAhead;
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
        Server {
            host: host.into(),
            port,
            tls_name: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// The name checked against the certificate.
    pub fn tls_name(&self) -> &str {
        self.tls_name.as_deref().unwrap_or(&self.host)
    }
}

/// Told what [`TlsConfig::detect_mode`] found.
type ModeNotice = dyn Fn(&ModeSwitch) + Send + Sync;

/// TLS trust settings. Certificate and host-name checks are on unless
/// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs) is called.
#[derive(Clone, Default)]
pub struct TlsConfig {
    extra_roots: Vec<Certificate>,
    /// Set by [`TlsConfig::without_system_roots`]: only `extra_roots` are trusted.
    no_system_roots: bool,
    accept_invalid_certs: bool,
    /// Unchecked on purpose (opportunistic STARTTLS): log at debug, not warn.
    opportunistic: bool,
    /// Set by [`TlsConfig::detect_mode`]: told when the server's TLS mode
    /// differs from the one asked for.
    detect: Option<Arc<ModeNotice>>,
    /// The connector built from these settings, shared by the clones of
    /// this config: building one loads the system's trust roots, about a
    /// megabyte each, which many sessions need not hold one copy each of.
    /// Reset by every change to the settings.
    connector: Arc<Mutex<Option<TlsConnector>>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("extra_roots", &self.extra_roots.len())
            .field("system_roots", &!self.no_system_roots)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("opportunistic", &self.opportunistic)
            .field("detect_mode", &self.detect.is_some())
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
        let pem = std::fs::read(path).map_err(|err| Error::CaFile {
            path: path.to_owned(),
            reason: err.to_string(),
        })?;
        self.add_ca_pem(&pem).map_err(|reason| Error::CaFile {
            path: path.to_owned(),
            reason,
        })
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
        self.connector = Arc::default();
        Ok(())
    }

    /// Trusts only the certificates added with
    /// [`add_ca_file`](Self::add_ca_file) and [`add_ca_pem`](Self::add_ca_pem),
    /// not the system's roots: a server of a private CA is then refused a
    /// certificate from any public one (as curl's `--cacert` or msmtp's
    /// `tls_trust_file` trust only the file they are given). With no added
    /// certificate every server is refused.
    ///
    /// native-tls still reads the system's CA bundle while it builds the
    /// connector, then sets it aside: tens of milliseconds of CPU. A
    /// program that trusts only its own file can spare that by pointing
    /// OpenSSL's `SSL_CERT_FILE` at it before its first TLS connection.
    pub fn without_system_roots(mut self) -> Self {
        self.no_system_roots = true;
        self.connector = Arc::default();
        self
    }

    /// False after [`without_system_roots`](Self::without_system_roots).
    pub fn trusts_system_roots(&self) -> bool {
        !self.no_system_roots
    }

    /// Skips certificate and host-name checks: anyone on the path can read
    /// and change the session. Only for servers you cannot fix.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self.opportunistic = false;
        self.connector = Arc::default();
        self
    }

    /// Opportunistic TLS (RFC 7435), as SMTP relays use STARTTLS between
    /// MX hosts (RFC 3207 §4.1): encrypt, but accept any certificate, since
    /// the alternative is plain text rather than a verified session. Checks
    /// are off exactly as with
    /// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs),
    /// and [`accepts_invalid_certs`](Self::accepts_invalid_certs) says so, but
    /// the handshake logs at debug instead of warning, since the caller chose
    /// this and counts such sessions as unverified.
    pub fn opportunistic(mut self) -> Self {
        self.accept_invalid_certs = true;
        self.opportunistic = true;
        self.connector = Arc::default();
        self
    }

    /// Finds the TLS mode the server really speaks when the one asked for
    /// is wrong, and tells `notice` what it found:
    /// - a plain or STARTTLS connection that receives no greeting within
    ///   two seconds tries a TLS handshake on that connection (certificate
    ///   checked as always) and goes on as implicit TLS if it succeeds;
    ///   if the server answers in plain text after all (a slow greeting),
    ///   a new connection waits for it in the mode asked for;
    /// - implicit TLS that meets a plain-text greeting goes on over a new
    ///   connection in STARTTLS mode, where the protocol requires STARTTLS.
    ///
    /// The protocol crates read the mode in effect from
    /// [`NetStream::security`]. Off by default: a library caller or an MX
    /// delivery gets exactly the mode it asked for.
    pub fn detect_mode(mut self, notice: impl Fn(&ModeSwitch) + Send + Sync + 'static) -> Self {
        self.detect = Some(Arc::new(notice));
        self
    }

    /// True for [`opportunistic`](Self::opportunistic) settings.
    pub fn is_opportunistic(&self) -> bool {
        self.accept_invalid_certs && self.opportunistic
    }

    /// True when checks are switched off.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs
    }

    /// The native-tls connector with these trust settings, shared by the
    /// blocking and the async handshake (and by the clones of this config).
    pub(crate) fn connector(&self, tls_name: &str) -> Result<TlsConnector, Error> {
        // Checks stay on unless the caller opted out (`--insecure`, or
        // opportunistic TLS for MX delivery); the builder mirrors that choice.
        let insecure = self.accept_invalid_certs;
        if insecure && self.opportunistic {
            log::debug!("opportunistic TLS with {tls_name}: the certificate is not checked");
        } else if insecure {
            log::warn!("TLS certificate checks are OFF for {tls_name}: the connection is not authenticated");
        }
        // Held while building, so sessions started together wait for one
        // build (parsing the system's CA bundle costs tens of milliseconds)
        // instead of each building its own.
        let mut shared = self
            .connector
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(connector) = shared.as_ref() {
            return Ok(connector.clone());
        }
        let mut builder = TlsConnector::builder();
        for root in &self.extra_roots {
            builder.add_root_certificate(root.clone());
        }
        builder
            .disable_built_in_roots(self.no_system_roots)
            .danger_accept_invalid_certs(insecure)
            .danger_accept_invalid_hostnames(insecure);
        let connector = builder.build().map_err(|err| Error::Tls {
            host: tls_name.to_owned(),
            reason: err.to_string(),
        })?;
        *shared = Some(connector.clone());
        Ok(connector)
    }

    fn handshake(
        &self,
        tls_name: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<ReadAhead<TcpStream>>, Error> {
        match self
            .connector(tls_name)?
            .connect(tls_name, ReadAhead::new(tcp))
        {
            Ok(stream) => {
                log::debug!("TLS established with {tls_name}");
                Ok(stream)
            }
            Err(HandshakeError::Failure(err)) => Err(handshake_failure(tls_name, &err)),
            Err(HandshakeError::WouldBlock(_)) => Err(Error::Timeout),
        }
    }
}

/// The error for a failed handshake: a refused certificate explained, a
/// plain-text server named, other reasons without OpenSSL's codes.
pub(crate) fn handshake_failure(tls_name: &str, err: &native_tls::Error) -> Error {
    let raw = err.to_string();
    log::debug!("TLS handshake with {tls_name} failed: {raw}");
    let tls_error = |reason: String| Error::Tls {
        host: tls_name.to_owned(),
        reason,
    };
    match CertProblem::from_reason(&raw) {
        Some(problem) => Error::Certificate {
            host: tls_name.to_owned(),
            problem,
        },
        None if detect::is_plain_text_reply(&raw) => tls_error(format!(
            "{}; the server does not speak TLS from the first byte (try --tls starttls)",
            short_reason(&raw)
        )),
        None => tls_error(short_reason(&raw)),
    }
}

/// OpenSSL's `error:0A00010B:SSL routines:ssl3_get_record:wrong version
/// number:../ssl/record/ssl3_record.c:350:` as `wrong version number`: no
/// codes or source paths in a message meant for people.
fn short_reason(raw: &str) -> String {
    let fields: Vec<&str> = raw.trim().split(':').collect();
    match (fields.first(), fields.get(4)) {
        (Some(&"error"), Some(reason)) if !reason.is_empty() => {
            let detail = fields
                .get(7..)
                .map(|rest| rest.join(":"))
                .unwrap_or_default();
            let detail = detail.trim();
            if detail.is_empty() {
                (*reason).to_owned()
            } else {
                format!("{reason} {detail}")
            }
        }
        _ => raw.to_owned(),
    }
}

/// Adds the names and dates a refused certificate carries, read over a
/// second connection that does nothing but the handshake.
pub(crate) fn with_certificate_details(err: Error, server: &Server, tls: &TlsConfig) -> Error {
    match err {
        Error::Certificate { host, problem } if problem.wants_details() => {
            let problem = match presented_certificate(server, tls) {
                Some(der) => problem.with_details(&der),
                None => problem,
            };
            Error::Certificate { host, problem }
        }
        other => other,
    }
}

/// The certificate the server presents, in DER. The handshake checks it as
/// the refused one did (the same trust roots and host name), so it fails
/// again; the verify callback only keeps the server's own certificate for
/// the error sentence and leaves every verdict as OpenSSL gave it. No check
/// is switched off, and nothing but the handshake is sent.
#[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
fn presented_certificate(server: &Server, tls: &TlsConfig) -> Option<Vec<u8>> {
    use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
    use openssl::x509::X509;
    use std::sync::Mutex;

    let seen: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
    let mut builder = SslConnector::builder(SslMethod::tls_client()).ok()?;
    for root in &tls.extra_roots {
        let root = X509::from_der(&root.to_der().ok()?).ok()?;
        builder.cert_store_mut().add_cert(root).ok()?;
    }
    let keep = Arc::clone(&seen);
    builder.set_verify_callback(SslVerifyMode::PEER, move |verdict, ctx| {
        let leaf = ctx.chain().and_then(|chain| chain.get(0));
        if let (Some(leaf), Ok(mut kept)) = (leaf, keep.lock()) {
            if kept.is_none() {
                *kept = leaf.to_der().ok();
            }
        }
        verdict
    });
    let tcp = open_tcp(server).ok()?;
    // Refused as before: only the certificate seen on the way is wanted.
    let _ = builder.build().connect(server.tls_name(), tcp);
    let der = seen.lock().ok()?.take();
    der
}

/// Where native-tls does not use OpenSSL, the sentence goes without the
/// certificate's names and dates.
#[cfg(any(target_os = "windows", target_vendor = "apple"))]
fn presented_certificate(_server: &Server, _tls: &TlsConfig) -> Option<Vec<u8>> {
    None
}

/// A TCP stream that is plain or TLS, so one connection type survives STARTTLS.
#[derive(Debug)]
pub struct NetStream {
    inner: Inner,
    security: Security,
}

#[derive(Debug)]
enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<ReadAhead<TcpStream>>>),
    /// Only during a failed upgrade: the stream is gone.
    Detached,
}

impl NetStream {
    /// True once TLS protects the stream.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    /// The TLS mode in effect: the one asked for, unless
    /// [`TlsConfig::detect_mode`] found the server speaking another.
    pub fn security(&self) -> Security {
        self.security
    }

    fn tcp(&self) -> Option<&TcpStream> {
        match &self.inner {
            Inner::Plain(tcp) => Some(tcp),
            Inner::Tls(tls) => Some(tls.get_ref().get_ref()),
            Inner::Detached => None,
        }
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.tcp().and_then(|tcp| tcp.peer_addr().ok())
    }

    /// Changes the time limit for each read (`None`: wait forever), e.g.
    /// a shorter one only while idling. [`Server::timeout`] set the first one.
    ///
    /// # Errors
    /// The socket's error, `InvalidInput` for a zero duration (as
    /// [`TcpStream::set_read_timeout`]), or `NotConnected` after a failed
    /// TLS upgrade.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().ok_or_else(detached)?.set_read_timeout(timeout)
    }

    /// The current time limit for each read.
    ///
    /// # Errors
    /// The socket's error, or `NotConnected` after a failed TLS upgrade.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        self.tcp().ok_or_else(detached)?.read_timeout()
    }
}

/// A stream that can tell whether TLS protects it, so a generic
/// `Connection<S>` can say so ([`Connection::is_encrypted`]).
pub trait Encrypted {
    /// True once TLS protects the stream.
    fn is_encrypted(&self) -> bool;
}

impl Encrypted for NetStream {
    fn is_encrypted(&self) -> bool {
        self.is_tls()
    }
}

impl<S: Read + Write + Encrypted> Connection<S> {
    /// True once TLS protects the connection (after implicit TLS or a
    /// successful STARTTLS).
    pub fn is_encrypted(&self) -> bool {
        self.stream.is_encrypted()
    }
}

fn detached() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "connection lost during the TLS upgrade",
    )
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
        .map_err(|source| Error::Resolve {
            host: server.host.clone(),
            source,
        })?
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
    Err(Error::Connect {
        server: format!("{}:{}", server.host, server.port),
        source: last,
    })
}

/// Connects in exactly the mode asked for.
fn open_as(server: &Server, security: Security, tls: &TlsConfig) -> Result<NetStream, Error> {
    let tcp = open_tcp(server)?;
    let inner = match security {
        Security::Implicit => match tls.handshake(server.tls_name(), tcp) {
            Ok(stream) => Inner::Tls(Box::new(stream)),
            Err(err) => return Err(with_certificate_details(err, server, tls)),
        },
        Security::StartTls | Security::Plain => Inner::Plain(tcp),
    };
    Ok(NetStream { inner, security })
}

pub(crate) fn host_port(server: &Server) -> String {
    format!(
        "{}:{}",
        crate::escape_for_display(server.host.as_bytes()),
        server.port
    )
}

/// Implicit TLS; on a plain-text greeting, a new connection for STARTTLS.
fn implicit_or_starttls(
    server: &Server,
    tls: &TlsConfig,
    notice: &ModeNotice,
) -> Result<NetStream, Error> {
    let err = match open_as(server, Security::Implicit, tls) {
        Ok(stream) => return Ok(stream),
        Err(err) if err.tls_reason().is_some_and(detect::is_plain_text_reply) => err,
        Err(err) => return Err(err),
    };
    let tcp = open_tcp(server)?;
    let Some(greeting) = detect::peek_text_greeting(&tcp, GREETING_WAIT) else {
        return Err(err);
    };
    log::debug!("implicit TLS met a plain-text greeting; switching to STARTTLS");
    notice(&ModeSwitch::ToStartTls {
        server: host_port(server),
        greeting,
    });
    Ok(NetStream {
        inner: Inner::Plain(tcp),
        security: Security::StartTls,
    })
}

/// Plain or STARTTLS; when the greeting does not come, a TLS handshake.
fn plain_or_implicit(
    server: &Server,
    security: Security,
    tls: &TlsConfig,
    notice: &ModeNotice,
) -> Result<NetStream, Error> {
    let tcp = open_tcp(server)?;
    if !detect::is_silent(&tcp, GREETING_WAIT)? {
        return Ok(NetStream {
            inner: Inner::Plain(tcp),
            security,
        });
    }
    log::debug!("no greeting within {GREETING_WAIT:?}; trying a TLS handshake");
    match tls.handshake(server.tls_name(), tcp) {
        Ok(stream) => {
            notice(&ModeSwitch::ToImplicit {
                server: host_port(server),
            });
            Ok(NetStream {
                inner: Inner::Tls(Box::new(stream)),
                security: Security::Implicit,
            })
        }
        Err(err) if err.tls_reason().is_some_and(detect::is_plain_text_reply) => {
            log::debug!("the server answered in plain text after all; reconnecting to wait for its greeting");
            open_as(server, security, tls)
        }
        Err(err @ (Error::Tls { .. } | Error::Certificate { .. })) => {
            // A TLS server (it answered the ClientHello) that failed the handshake.
            notice(&ModeSwitch::ToImplicit {
                server: host_port(server),
            });
            Err(with_certificate_details(err, server, tls))
        }
        Err(err) => Err(err),
    }
}

impl Connection<NetStream> {
    /// Connects over TCP, with a TLS handshake first for [`Security::Implicit`].
    /// For [`Security::StartTls`] the protocol crate sends its command and then
    /// calls [`start_tls`](Self::start_tls).
    ///
    /// # Errors
    /// [`Error::Resolve`], [`Error::Connect`], [`Error::Tls`], [`Error::Timeout`].
    /// With [`TlsConfig::detect_mode`], a server in the other mode is
    /// detected; [`NetStream::security`] then tells the mode in effect.
    ///
    /// # Errors
    /// [`Error::Resolve`], [`Error::Connect`], [`Error::Tls`], [`Error::Timeout`].
    pub fn connect(server: &Server, security: Security, tls: &TlsConfig) -> Result<Self, Error> {
        let stream = match (&tls.detect, security) {
            (None, _) => open_as(server, security, tls)?,
            (Some(notice), Security::Implicit) => {
                implicit_or_starttls(server, tls, notice.as_ref())?
            }
            (Some(notice), _) => plain_or_implicit(server, security, tls, notice.as_ref())?,
        };
        Ok(Connection::new(stream, Limits::default()))
    }

    /// Upgrades to TLS after the server's go-ahead to STARTTLS/STLS.
    ///
    /// # Errors
    /// [`Error::BufferedAfterStartTls`] if any byte arrived after the go-ahead
    /// (the connection must then be dropped); [`Error::AlreadyTls`];
    /// [`Error::Tls`] when the handshake or certificate check fails.
    pub fn start_tls(&mut self, server: &Server, tls: &TlsConfig) -> Result<(), Error> {
        let buffered = self.buffered().len();
        if buffered > 0 {
            return Err(Error::BufferedAfterStartTls { bytes: buffered });
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
                Err(if already {
                    Error::AlreadyTls
                } else {
                    Error::Closed
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_is_on_by_default_and_opportunistic_turns_it_off_quietly() {
        let tls = TlsConfig::new();
        assert!(!tls.accepts_invalid_certs() && !tls.is_opportunistic());
        let tls = TlsConfig::new().opportunistic();
        assert!(tls.accepts_invalid_certs() && tls.is_opportunistic());
        let insecure = TlsConfig::new().danger_accept_invalid_certs(true);
        assert!(insecure.accepts_invalid_certs() && !insecure.is_opportunistic());
        let tls = TlsConfig::new()
            .opportunistic()
            .danger_accept_invalid_certs(false);
        assert!(!tls.accepts_invalid_certs() && !tls.is_opportunistic());
        assert!(format!("{:?}", TlsConfig::new().opportunistic()).contains("opportunistic: true"));
    }

    /// A self-signed root made for this test, valid until 2126.
    const TEST_ROOT: &str = "-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUfMtDxPdlF+VdjSjhf8xOM3E9oWIwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRbWFpbGtpdCB0ZXN0IHJvb3QwIBcNMjYxMjA3MTYyODMzWhgP
MjEyNjExMTMxNjI4MzNaMBwxGjAYBgNVBAMMEW1haWxraXQgdGVzdCByb290MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpD+SFKAgz5+3j18KabA65g+H6yoipG8N
wIxgveTeoxq5dzK1jHk1/uK3wl/SdUBthvo5lwG3inPPXP0b4zpf/KNTMFEwHQYD
VR0OBBYEFGDBM8CO3VNi/Pjc7OPUvFCbFxueMB8GA1UdIwQYMBaAFGDBM8CO3VNi
/Pjc7OPUvFCbFxueMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
AJPrhkj0K9OCJvVpbUt7Vrp6Q16MML5U3cswVXI2j9tHAiAAvFYUx2bcpPn1KbI+
tAAAgvZuc2t5mcGZUvgm2ev2cQ==
-----END CERTIFICATE-----";

    fn is_built(tls: &TlsConfig) -> bool {
        tls.connector.lock().is_ok_and(|built| built.is_some())
    }

    #[test]
    fn clones_share_one_connector_until_the_settings_change() {
        let tls = TlsConfig::new();
        let clone = tls.clone();
        tls.connector("localhost").unwrap();
        assert!(is_built(&clone), "built once for both");
        let mut more_roots = clone.clone();
        more_roots.add_ca_pem(TEST_ROOT.as_bytes()).unwrap();
        assert!(!is_built(&more_roots));
        let insecure = clone.danger_accept_invalid_certs(true);
        assert!(!is_built(&insecure));
        assert!(is_built(&tls));
    }

    #[test]
    fn tls_reasons_lose_openssl_codes_and_source_paths() {
        let raw = "error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:350:";
        assert_eq!(short_reason(raw), "wrong version number");
        let raw = "error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1584:SSL alert number 40";
        assert_eq!(
            short_reason(raw),
            "sslv3 alert handshake failure SSL alert number 40"
        );
        assert_eq!(short_reason("connection reset"), "connection reset");
    }

    #[test]
    fn implicit_tls_meeting_plain_text_names_the_starttls_flag() {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server::new("127.0.0.1", listener.local_addr().unwrap().port());
        let peer = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            tcp.write_all(b"+OK POP3 ready\r\n").unwrap();
            let _ = tcp.read(&mut [0u8; 512]);
        });
        let err = Connection::connect(&server, Security::Implicit, &TlsConfig::new()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("TLS with 127.0.0.1 failed: wrong version number;"),
            "{text}"
        );
        assert!(
            text.ends_with("(try --tls starttls)") && !text.contains(".c:"),
            "{text}"
        );
        peer.join().unwrap();
    }

    #[test]
    fn read_timeout_can_change_after_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut server = Server::new("127.0.0.1", port);
        server.timeout = Duration::from_secs(7);
        let conn = Connection::connect(&server, Security::Plain, &TlsConfig::new()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        let stream = conn.get_ref();
        assert!(!conn.is_encrypted());
        assert_eq!(stream.read_timeout().unwrap(), Some(Duration::from_secs(7)));
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        assert_eq!(stream.read_timeout().unwrap(), Some(Duration::from_secs(2)));
        stream.set_read_timeout(None).unwrap();
        assert_eq!(stream.read_timeout().unwrap(), None);
        assert!(stream.set_read_timeout(Some(Duration::ZERO)).is_err());
    }

    #[test]
    fn a_short_read_timeout_ends_a_read_with_a_timeout() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let server = Server::new("127.0.0.1", listener.local_addr().unwrap().port());
        let mut conn = Connection::connect(&server, Security::Plain, &TlsConfig::new()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        conn.get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(conn.read_line(), Err(Error::Timeout)));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
