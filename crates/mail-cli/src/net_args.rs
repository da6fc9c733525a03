//! The connection flags every program takes, and what they resolve to.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mail_wire::{ModeSwitch, Security, Server, TlsConfig};

use crate::exit::CliError;
use crate::preset::{self, Protocol};

/// `--tls` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TlsMode {
    /// TLS from the first byte (465, 993, 995).
    Implicit,
    /// STARTTLS / STLS, required.
    Starttls,
    /// No TLS: credentials in clear (warns).
    None,
}

impl From<TlsMode> for Security {
    fn from(mode: TlsMode) -> Self {
        match mode {
            TlsMode::Implicit => Security::Implicit,
            TlsMode::Starttls => Security::StartTls,
            TlsMode::None => Security::Plain,
        }
    }
}

/// Connection flags shared by `smtp-send`, `pop3-cli` and `imap-cli`.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Server host name or address (overrides the provider preset).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Server port (default from the preset or the TLS mode).
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// TLS mode (default from the port: 465/993/995 implicit, otherwise starttls).
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsMode>,
    /// Extra trusted CA certificate in PEM (repeatable).
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_files: Vec<PathBuf>,
    /// Trust only the --ca-file certificates, not the system's (as curl's --cacert).
    #[arg(long = "no-system-ca", requires = "ca_files")]
    pub no_system_ca: bool,
    /// Skip certificate checks (dangerous: anyone on the path can read the session).
    #[arg(long)]
    pub insecure: bool,
    /// Network time limit per operation, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub timeout: u64,
    /// No transcript.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Debug log on stderr (RUST_LOG also works).
    #[arg(short, long)]
    pub verbose: bool,
}

/// An account id resolved to a login name, an address and a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The name sent to log in: the id as given.
    pub user: String,
    /// The mail address: the id, or `id@naver.com` for a bare id.
    pub address: String,
    /// Where to connect.
    pub server: Server,
    /// How TLS is used.
    pub security: Security,
}

impl NetArgs {
    /// Installs the logger on stderr: warnings by default, debug with `-v`,
    /// or whatever `RUST_LOG` says. Every message is escaped, at every
    /// level: log lines may quote what a server sent.
    pub fn init_logging(&self, program: &'static str) {
        let level = if self.verbose { "debug" } else { "warn" };
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
            .format(move |buf, record| {
                use std::io::Write;
                let level = record.level().to_string().to_lowercase();
                let message = mail_wire::escape_for_display(record.args().to_string().as_bytes());
                writeln!(buf, "{program}: {level}: {message}")
            })
            .try_init()
            .ok();
    }

    /// Trust settings from `--ca-file`, `--no-system-ca` and `--insecure`,
    /// with the server's TLS mode detected when `--tls` (or the port's
    /// default) is wrong; what was detected is one line on stderr naming the
    /// right `--tls`. Called while the program has one thread (it may set
    /// an environment variable, see [`spare_system_bundle`]).
    ///
    /// # Errors
    /// A usage error for a CA file that cannot be read.
    pub fn tls_config(&self) -> Result<TlsConfig, CliError> {
        let mut tls = TlsConfig::new();
        for path in &self.ca_files {
            tls.add_ca_file(path)
                .map_err(|err| CliError::usage(err.to_string()))?;
        }
        if self.no_system_ca {
            tls = tls.without_system_roots();
            spare_system_bundle(&self.ca_files);
        }
        if self.insecure {
            log::warn!("--insecure: certificates are not checked; anyone on the path can read this session");
        }
        Ok(tls
            .danger_accept_invalid_certs(self.insecure)
            .detect_mode(|found| log::warn!("{}", mode_notice(found))))
    }

    /// Resolves the account id and the flags to a server, per DESIGN.md:
    /// `name` alone is a Naver account, `name@domain` picks the preset for
    /// `domain`, and `--host`/`--port`/`--tls` override.
    ///
    /// # Errors
    /// A usage error for an empty id, or an unknown domain without `--host`.
    pub fn resolve(&self, id: &str, protocol: Protocol) -> Result<Endpoint, CliError> {
        if id.is_empty() || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(CliError::usage(
                "the account id must be a non-empty name without spaces or control characters",
            ));
        }
        let address = if id.contains('@') {
            id.to_owned()
        } else {
            format!("{id}@{}", preset::DEFAULT_DOMAIN)
        };
        let domain = address.rsplit('@').next().unwrap_or_default();
        let preset = preset::find(domain).and_then(|p| p.endpoint(protocol));
        let (host, preset_port) = match (&self.host, preset) {
            (Some(host), _) => (host.clone(), None),
            (None, Some((host, port))) => (host.to_owned(), Some(port)),
            (None, None) => {
                return Err(CliError::usage(format!(
                    "no built-in {protocol} server for {domain}; give --host (and --port)"
                )))
            }
        };
        let security: Option<Security> = self.tls.map(Into::into);
        let port = self
            .port
            .or(preset_port.filter(|&p| security.is_none_or(|s| Security::for_port(p) == s)))
            .unwrap_or_else(|| protocol.default_port(security.unwrap_or(Security::Implicit)));
        let security = security.unwrap_or_else(|| Security::for_port(port));
        if security == Security::Plain {
            log::warn!("--tls none: the password and the mail travel unencrypted to {host}:{port}");
        }
        let mut server = Server::new(host, port);
        server.timeout = Duration::from_secs(self.timeout.max(1));
        Ok(Endpoint {
            user: id.to_owned(),
            address,
            server,
            security,
        })
    }
}

/// The line that tells the user which `--tls` the server wants.
fn mode_notice(found: &ModeSwitch) -> String {
    match found {
        ModeSwitch::ToImplicit { server } => {
            format!("{server} speaks TLS from the first byte: using implicit TLS (next time give --tls implicit)")
        }
        ModeSwitch::ToStartTls { server, greeting } => format!(
            "{server} answered in plain text (\"{greeting}\"), not TLS: using STARTTLS instead (next time give --tls starttls)"
        ),
        other => format!("{other:?}"),
    }
}

/// With `--no-system-ca` the system's CA bundle is set aside, yet native-tls
/// parses it (twice) while building its connector: most of a short
/// session's CPU. OpenSSL reads the file named by `SSL_CERT_FILE` instead,
/// so pointing it at the first `--ca-file` spares that work and changes no
/// trust decision (a value already set named system roots, which this flag
/// sets aside too). Only called while the program has one thread: changing
/// the environment is not thread-safe.
fn spare_system_bundle(ca_files: &[PathBuf]) {
    const VAR: &str = "SSL_CERT_FILE";
    let Some(first) = ca_files.first() else {
        return;
    };
    let path = std::fs::canonicalize(first).unwrap_or_else(|_| first.clone());
    std::env::set_var(VAR, path);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        net: NetArgs,
    }

    fn resolve(args: &[&str], id: &str, protocol: Protocol) -> Result<Endpoint, CliError> {
        let cli = Cli::try_parse_from(std::iter::once("prog").chain(args.iter().copied())).unwrap();
        cli.net.resolve(id, protocol)
    }

    #[test]
    fn bare_id_is_a_naver_account() {
        let e = resolve(&[], "hong", Protocol::Smtp).unwrap();
        assert_eq!(
            (e.user.as_str(), e.address.as_str()),
            ("hong", "hong@naver.com")
        );
        assert_eq!(
            (e.server.host.as_str(), e.server.port, e.security),
            ("smtp.naver.com", 465, Security::Implicit)
        );
        let e = resolve(&[], "hong", Protocol::Imap).unwrap();
        assert_eq!(
            (e.server.host.as_str(), e.server.port),
            ("imap.naver.com", 993)
        );
    }

    #[test]
    fn domain_picks_the_preset() {
        let table = [
            ("a@gmail.com", Protocol::Pop3, "pop.gmail.com", 995),
            ("a@163.com", Protocol::Smtp, "smtp.163.com", 465),
            ("a@QQ.com", Protocol::Imap, "imap.qq.com", 993),
            (
                "a@outlook.com",
                Protocol::Smtp,
                "smtp-mail.outlook.com",
                587,
            ),
        ];
        for (id, protocol, host, port) in table {
            let e = resolve(&[], id, protocol).unwrap();
            assert_eq!(
                (e.server.host.as_str(), e.server.port),
                (host, port),
                "{id}"
            );
            assert_eq!(e.security, Security::for_port(port));
        }
    }

    #[test]
    fn flags_override_the_preset() {
        let e = resolve(
            &["--host", "127.0.0.1", "--port", "10587"],
            "alice@example.test",
            Protocol::Smtp,
        )
        .unwrap();
        assert_eq!(
            (e.server.host.as_str(), e.server.port, e.security),
            ("127.0.0.1", 10587, Security::StartTls)
        );
        let e = resolve(&["--tls", "starttls"], "a@gmail.com", Protocol::Smtp).unwrap();
        assert_eq!((e.server.port, e.security), (587, Security::StartTls));
        let e = resolve(
            &["--host", "h", "--tls", "none"],
            "a@x.test",
            Protocol::Pop3,
        )
        .unwrap();
        assert_eq!((e.server.port, e.security), (110, Security::Plain));
        let e = resolve(
            &["--host", "h", "--timeout", "5"],
            "a@x.test",
            Protocol::Imap,
        )
        .unwrap();
        assert_eq!(
            (e.server.port, e.security, e.server.timeout),
            (993, Security::Implicit, Duration::from_secs(5))
        );
    }

    #[test]
    fn unknown_domain_without_host_is_a_usage_error() {
        let err = resolve(&[], "a@unknown.test", Protocol::Smtp).unwrap_err();
        assert_eq!(err.code, crate::exit::USAGE);
        assert!(err.message.contains("--host"), "{err}");
        assert_eq!(
            resolve(&[], "a b", Protocol::Smtp).unwrap_err().code,
            crate::exit::USAGE
        );
        assert!(resolve(&[], "icloud@icloud.com", Protocol::Pop3).is_err());
    }
}
