//! MX resolution through DNS (RFC 5321 §5.1, RFC 7505), on
//! `hickory-resolver` driven by a private single-thread tokio runtime so
//! callers stay blocking.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::Name;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::TokioResolver;

use super::plan::{self, DomainPlan, Exchanges, MxHost, MxPlan, MxRecord};

/// Why a domain's mail hosts could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The text cannot be a domain (empty, a bad label, a malformed
    /// address literal).
    InvalidDomain {
        /// The domain as given.
        domain: String,
        /// What is wrong with it.
        reason: String,
    },
    /// DNS says the name does not exist (NXDOMAIN): permanent.
    NoSuchDomain {
        /// The name looked up.
        domain: String,
    },
    /// The domain exists but has neither MX nor address records:
    /// permanent (RFC 5321 §5.1, "MUST be reported as an error").
    NoMailHost {
        /// The domain.
        domain: String,
    },
    /// The lookup itself failed (server failure, refusal, timeout, no
    /// reachable DNS server): temporary, worth trying again later.
    Lookup {
        /// The name looked up.
        name: String,
        /// The resolver's reason.
        reason: String,
    },
    /// The resolver could not be set up (unreadable system configuration).
    Setup {
        /// Why.
        reason: String,
    },
}

impl ResolveError {
    /// True when asking again cannot help: the name does not exist, has no
    /// mail host, or is not a domain.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ResolveError::InvalidDomain { .. }
                | ResolveError::NoSuchDomain { .. }
                | ResolveError::NoMailHost { .. }
        )
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::InvalidDomain { domain, reason } => {
                write!(f, "{domain:?} is not a mail domain: {reason}")
            }
            ResolveError::NoSuchDomain { domain } => write!(f, "domain {domain} does not exist"),
            ResolveError::NoMailHost { domain } => {
                write!(
                    f,
                    "domain {domain} has no MX and no address record, so no mail host"
                )
            }
            ResolveError::Lookup { name, reason } => {
                write!(f, "DNS lookup of {name} failed: {reason}")
            }
            ResolveError::Setup { reason } => write!(f, "cannot set up the DNS resolver: {reason}"),
        }
    }
}

impl std::error::Error for ResolveError {}

/// Finds the mail hosts of domains: a blocking front to an in-process DNS
/// stub resolver, asking the system's DNS servers or one given server.
pub struct Resolver {
    runtime: tokio::runtime::Runtime,
    dns: TokioResolver,
    config: ResolverConfig,
    options: ResolverOpts,
    rng: Mutex<fastrand::Rng>,
    server: Option<SocketAddr>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("server", &self.server)
            .field("timeout", &self.options.timeout)
            .finish_non_exhaustive()
    }
}

/// The default time limit of one DNS question (each is asked twice at most).
const TIMEOUT: Duration = Duration::from_secs(5);

impl Resolver {
    /// Asks the DNS servers of the system's configuration
    /// (`/etc/resolv.conf` on Unix).
    ///
    /// # Errors
    /// [`ResolveError::Setup`] when the configuration cannot be read.
    pub fn system() -> Result<Self, ResolveError> {
        let (config, mut options) =
            hickory_resolver::system_conf::read_system_conf().map_err(|err| {
                ResolveError::Setup {
                    reason: err.to_string(),
                }
            })?;
        tune(&mut options);
        Resolver::build(config, options, None)
    }

    /// Asks only the DNS server at `server` (`--dns 127.0.0.1:5353`), over
    /// UDP with TCP for truncated answers; no hosts file, no search list.
    ///
    /// # Errors
    /// [`ResolveError::Setup`] when the runtime cannot start.
    pub fn with_server(server: SocketAddr) -> Result<Self, ResolveError> {
        let servers = NameServerConfigGroup::from_ips_clear(&[server.ip()], server.port(), true);
        let config = ResolverConfig::from_parts(None, Vec::new(), servers);
        let mut options = ResolverOpts::default();
        tune(&mut options);
        options.use_hosts_file = ResolveHosts::Never;
        Resolver::build(config, options, Some(server))
    }

    fn build(
        config: ResolverConfig,
        options: ResolverOpts,
        server: Option<SocketAddr>,
    ) -> Result<Self, ResolveError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| ResolveError::Setup {
                reason: err.to_string(),
            })?;
        let dns = hickory(&runtime, &config, &options);
        Ok(Resolver {
            runtime,
            dns,
            config,
            options,
            rng: Mutex::new(fastrand::Rng::new()),
            server,
        })
    }

    /// Sets the time limit of one DNS question (5 s by default; each is
    /// asked twice at most), e.g. from `--timeout`.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.options.timeout = timeout;
        self.dns = hickory(&self.runtime, &self.config, &self.options);
    }

    /// The DNS server given to [`with_server`](Self::with_server), if any.
    pub fn server(&self) -> Option<SocketAddr> {
        self.server
    }

    /// Seeds the shuffle of equal MX preferences, for reproducible plans.
    pub fn set_shuffle_seed(&mut self, seed: u64) {
        self.rng = Mutex::new(fastrand::Rng::with_seed(seed));
    }

    /// The hosts to try for mail to `domain`, in order (RFC 5321 §5.1):
    /// MX records by ascending preference, equal preferences shuffled,
    /// each with its A and AAAA addresses; the domain's own addresses when
    /// it has no MX record; [`MxPlan::NullMx`] for an RFC 7505 null MX.
    /// An address literal (`[192.0.2.1]`) is its own single host.
    ///
    /// A host whose name does not resolve stays in the plan with its error
    /// in [`MxHost::addrs`], to be skipped.
    ///
    /// # Errors
    /// [`ResolveError::NoSuchDomain`] (NXDOMAIN), [`ResolveError::NoMailHost`]
    /// (no MX, no address), [`ResolveError::Lookup`] (temporary),
    /// [`ResolveError::InvalidDomain`].
    pub fn mx_hosts(&self, domain: &str) -> Result<MxPlan, ResolveError> {
        let domain = domain.trim_end_matches('.');
        if let Some(literal) = plan::parse_address_literal(domain) {
            let addr = literal.map_err(|reason| ResolveError::InvalidDomain {
                domain: domain.to_owned(),
                reason,
            })?;
            return Ok(MxPlan::Hosts(vec![MxHost {
                name: domain.to_owned(),
                preference: None,
                addrs: Ok(vec![addr]),
            }]));
        }
        let name = fqdn(domain)?;
        let records = match self.runtime.block_on(self.dns.mx_lookup(name.clone())) {
            Ok(lookup) => lookup
                .iter()
                .map(|mx| MxRecord {
                    preference: mx.preference(),
                    exchange: mx.exchange().to_ascii(),
                })
                .collect(),
            Err(err) => match classify(domain, &err) {
                Answer::NoData => Vec::new(),
                Answer::Failed(err) => return Err(err),
            },
        };
        let exchanges = {
            let mut rng = self
                .rng
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            plan::order_records(&records, &mut rng)
        };
        match exchanges {
            Exchanges::NullMx => {
                log::debug!("{domain}: null MX (RFC 7505), accepts no mail");
                Ok(MxPlan::NullMx)
            }
            Exchanges::Ordered(list) if list.is_empty() => {
                // RFC 5321 §5.1: no MX, so the domain itself is the host.
                log::debug!("{domain}: no MX record, trying its address records");
                let addrs = self.host_addrs(domain).map_err(|err| match err {
                    ResolveError::NoSuchDomain { .. } => ResolveError::NoMailHost {
                        domain: domain.to_owned(),
                    },
                    other => other,
                })?;
                Ok(MxPlan::Hosts(vec![MxHost {
                    name: domain.to_ascii_lowercase(),
                    preference: None,
                    addrs: Ok(addrs),
                }]))
            }
            Exchanges::Ordered(list) => {
                let hosts = list
                    .into_iter()
                    .map(|(name, preference)| {
                        let addrs = self.host_addrs(&name);
                        MxHost {
                            name,
                            preference: Some(preference),
                            addrs,
                        }
                    })
                    .collect();
                Ok(MxPlan::Hosts(hosts))
            }
        }
    }

    /// Groups `recipients` by domain (first-seen order) and finds each
    /// domain's plan: what `smtp-send --mx` tries, and what `--dry-run --mx`
    /// prints. A recipient without `@` lands in a group with domain `""`,
    /// whose plan is [`ResolveError::InvalidDomain`].
    pub fn plan_recipients<S: AsRef<str>>(&self, recipients: &[S]) -> Vec<DomainPlan> {
        plan::group_by_domain(recipients)
            .into_iter()
            .map(|(domain, recipients)| {
                let plan = self.mx_hosts(&domain);
                DomainPlan {
                    domain,
                    recipients,
                    plan,
                }
            })
            .collect()
    }

    /// The A and AAAA addresses of a host name, IPv4 first.
    ///
    /// # Errors
    /// [`ResolveError::NoSuchDomain`] when the name has no address (NXDOMAIN
    /// or no A/AAAA record), [`ResolveError::Lookup`], [`ResolveError::InvalidDomain`].
    pub fn host_addrs(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        let name = fqdn(host)?;
        match self.runtime.block_on(self.dns.lookup_ip(name)) {
            Ok(lookup) => {
                let mut addrs: Vec<IpAddr> = lookup.iter().collect();
                addrs.sort_by_key(|addr| addr.is_ipv6());
                addrs.dedup();
                if addrs.is_empty() {
                    Err(ResolveError::NoSuchDomain {
                        domain: host.to_owned(),
                    })
                } else {
                    Ok(addrs)
                }
            }
            Err(err) => match classify(host, &err) {
                Answer::NoData => Err(ResolveError::NoSuchDomain {
                    domain: host.to_owned(),
                }),
                Answer::Failed(err) => Err(err),
            },
        }
    }
}

/// Shorter waits than hickory's defaults, one name server at a time.
fn tune(options: &mut ResolverOpts) {
    options.timeout = TIMEOUT;
    options.attempts = 2;
    options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
    options.ndots = 0;
}

/// A hickory resolver whose background tasks live on `runtime`.
fn hickory(
    runtime: &tokio::runtime::Runtime,
    config: &ResolverConfig,
    options: &ResolverOpts,
) -> TokioResolver {
    let _context = runtime.enter();
    hickory_resolver::Resolver::builder_with_config(
        config.clone(),
        TokioConnectionProvider::default(),
    )
    .with_options(options.clone())
    .build()
}

/// The absolute DNS name of a domain, internationalized names as A-labels.
fn fqdn(domain: &str) -> Result<Name, ResolveError> {
    let invalid = |reason: String| ResolveError::InvalidDomain {
        domain: domain.to_owned(),
        reason,
    };
    if domain.is_empty() {
        return Err(invalid("empty domain".to_owned()));
    }
    if domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "contains a space or a control character".to_owned(),
        ));
    }
    let mut name = Name::from_utf8(domain).map_err(|err| invalid(err.to_string()))?;
    name.set_fqdn(true);
    Ok(name)
}

enum Answer {
    /// The name exists but holds no record of the asked type.
    NoData,
    Failed(ResolveError),
}

fn classify(name: &str, err: &hickory_resolver::ResolveError) -> Answer {
    if let Some(proto) = err.proto() {
        if let ProtoErrorKind::NoRecordsFound { response_code, .. } = proto.kind() {
            return match *response_code {
                ResponseCode::NXDomain => Answer::Failed(ResolveError::NoSuchDomain {
                    domain: name.to_owned(),
                }),
                ResponseCode::NoError => Answer::NoData,
                other => Answer::Failed(ResolveError::Lookup {
                    name: name.to_owned(),
                    reason: other.to_string(),
                }),
            };
        }
    }
    Answer::Failed(ResolveError::Lookup {
        name: name.to_owned(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_absolute_a_labels() {
        assert_eq!(fqdn("Example.COM").unwrap().to_ascii(), "example.com.");
        assert_eq!(
            fqdn("bücher.example").unwrap().to_ascii(),
            "xn--bcher-kva.example."
        );
        for bad in ["", "a b.example", "a\r\nb.example", "a..b"] {
            assert!(
                matches!(fqdn(bad), Err(ResolveError::InvalidDomain { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn permanence_follows_the_rfc() {
        assert!(ResolveError::NoSuchDomain { domain: "x".into() }.is_permanent());
        assert!(ResolveError::NoMailHost { domain: "x".into() }.is_permanent());
        assert!(!ResolveError::Lookup {
            name: "x".into(),
            reason: "SERVFAIL".into()
        }
        .is_permanent());
    }

    #[test]
    fn the_system_configuration_loads_without_a_query() {
        // Only built, never asked: tests send no DNS traffic off loopback.
        let mut resolver = Resolver::system().unwrap();
        resolver.set_timeout(Duration::from_secs(1));
        assert_eq!(resolver.server(), None);
        assert!(
            format!("{resolver:?}").contains("timeout: 1s"),
            "{resolver:?}"
        );
        assert_eq!(
            resolver.mx_hosts("[192.0.2.7]").unwrap().hosts()[0].name,
            "[192.0.2.7]"
        );
    }

    #[test]
    fn address_literals_need_no_dns() {
        // A server nobody answers on: an address literal must not ask it.
        let resolver = Resolver::with_server("127.0.0.1:9".parse().unwrap()).unwrap();
        let plan = resolver.mx_hosts("[127.0.0.1]").unwrap();
        assert_eq!(plan.hosts().len(), 1);
        assert_eq!(
            plan.hosts()[0].addrs,
            Ok(vec!["127.0.0.1".parse().unwrap()])
        );
        assert!(matches!(
            resolver.mx_hosts("[300.1.1.1]"),
            Err(ResolveError::InvalidDomain { .. })
        ));
    }
}
