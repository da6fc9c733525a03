//! Delivery through MX hosts: per domain, each host in order, each of its
//! addresses in order, until every recipient has a final answer
//! (RFC 5321 §5.1 and §4.2.5: 4yz means try later or elsewhere, 5yz means no).

use std::fmt;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::time::Duration;

use mail_wire::{NetStream, Security, Server, TlsConfig, Transcript};

use super::plan::{DomainPlan, MxHost, MxPlan};
use super::report::{Attempt, DomainReport, Failure, MxReport, Outcome, RecipientReport, TlsUse};
use crate::{Client, Envelope, Error, MailOptions, Options, Reply};

/// Makes the transcript of one connection, given the MX host name and the
/// address about to be tried (so a printer can write a heading first).
pub type TranscriptFactory = Box<dyn FnMut(&str, SocketAddr) -> Option<Box<dyn Transcript + Send>>>;

/// How TLS is used with MX hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// STARTTLS when the host offers it (RFC 3207, RFC 7435): with the
    /// certificate checked against the MX host name first; when that
    /// handshake fails, again on a new connection without checks, and
    /// when that fails too, without TLS. Hosts without STARTTLS get the
    /// message in clear.
    #[default]
    Opportunistic,
    /// STARTTLS with a verified certificate or nothing: a host that does
    /// not offer it, or whose certificate does not check out for its MX
    /// name, is skipped as a temporary failure (`smtp-send --mx --tls starttls`).
    Required,
    /// Never STARTTLS, even when offered: the message travels in clear
    /// (`--tls none`; for servers whose TLS is broken).
    Disabled,
}

/// How to reach the MX hosts.
pub struct MxOptions {
    /// The TCP port spoken to on every MX host (25; `--mx-port` in tests).
    pub port: u16,
    /// The name sent with EHLO/HELO.
    pub helo_name: String,
    /// Opportunistic or required STARTTLS.
    pub tls: TlsPolicy,
    /// Trust roots for checking certificates (`--ca-file`). With
    /// `danger_accept_invalid_certs` every session counts as unverified.
    pub tls_config: TlsConfig,
    /// Time limit for connecting and for each read and write.
    pub timeout: Duration,
    /// A transcript per connection, if wanted.
    pub transcript: Option<TranscriptFactory>,
    /// See [`Options::pipelining`].
    pub pipelining: bool,
    /// See [`Options::chunking`].
    pub chunking: bool,
    /// See [`Options::show_data`].
    pub show_data: bool,
}

impl MxOptions {
    /// Port 25, opportunistic TLS with the system's trust roots, 60 s per operation.
    pub fn new(helo_name: impl Into<String>) -> Self {
        MxOptions {
            port: 25,
            helo_name: helo_name.into(),
            tls: TlsPolicy::Opportunistic,
            tls_config: TlsConfig::new(),
            timeout: Duration::from_secs(60),
            transcript: None,
            pipelining: true,
            chunking: true,
            show_data: false,
        }
    }
}

impl fmt::Debug for MxOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MxOptions")
            .field("port", &self.port)
            .field("helo_name", &self.helo_name)
            .field("tls", &self.tls)
            .field("tls_config", &self.tls_config)
            .field("timeout", &self.timeout)
            .field("transcript", &self.transcript.is_some())
            .field("pipelining", &self.pipelining)
            .field("chunking", &self.chunking)
            .field("show_data", &self.show_data)
            .finish()
    }
}

/// Delivers one message to every recipient of `plans` (from
/// [`Resolver::plan_recipients`](super::Resolver::plan_recipients)) by
/// speaking SMTP to each domain's MX hosts, and reports per recipient.
///
/// For each domain, the hosts are tried in plan order and each host's
/// addresses in order. A host that cannot be used (connection refused,
/// a 4xx or 5xx greeting, EHLO refused, TLS required but missing) passes
/// the recipients on to the next host. In a transaction, a recipient
/// accepted and followed by an accepted message is delivered; a 5xx to
/// its RCPT (or to MAIL or the message) refuses it for good, and no
/// further host is tried for it; a 4xx leaves it for the next host. When
/// the hosts run out, the recipients still waiting are deferred with the
/// last failure. No AUTH is ever sent. `mail` carries the MAIL parameters
/// (SMTPUTF8, 8BITMIME, DSN); `body` is called once per transaction for a
/// fresh reader of the whole message; `size` (when known) is announced.
pub fn deliver<R, F>(
    plans: &[DomainPlan],
    from: &str,
    mail: &MailOptions,
    mut body: F,
    size: Option<u64>,
    options: &mut MxOptions,
) -> MxReport
where
    R: Read,
    F: FnMut() -> io::Result<R>,
{
    let mut report = MxReport::default();
    for plan in plans {
        let domain = deliver_domain(plan, options.port, |host, addr, pending| {
            let envelope = Envelope {
                from: from.to_owned(),
                recipients: pending.to_vec(),
                options: mail.clone(),
            };
            session(host, addr, &envelope, &mut body, size, options)
        });
        report.domains.push(domain);
    }
    report
}

/// What one session at one address did.
#[derive(Debug)]
pub(crate) enum SessionResult {
    /// The host could not be used; every recipient is still waiting.
    HostFailed(Failure),
    /// A message transaction took place; a verdict per waiting recipient,
    /// in order.
    Transaction { tls: TlsUse, verdicts: Vec<Verdict> },
    /// A local failure that another host cannot cure: stop this domain.
    Abort(Failure),
}

/// One recipient's result in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accepted, message accepted: the final reply.
    Delivered(Reply),
    /// Not taken; `failure.is_permanent()` decides whether another host
    /// may be tried.
    NotTaken(Failure),
}

/// The host loop for one domain, over any way of running a session.
pub(crate) fn deliver_domain<F>(plan: &DomainPlan, port: u16, mut session: F) -> DomainReport
where
    F: FnMut(&MxHost, SocketAddr, &[String]) -> SessionResult,
{
    let mut report = DomainReport {
        domain: plan.domain.clone(),
        attempts: Vec::new(),
        recipients: Vec::new(),
    };
    let hosts = match &plan.plan {
        Ok(MxPlan::Hosts(hosts)) => hosts.as_slice(),
        Ok(MxPlan::NullMx) => {
            let failure = Failure::NullMx {
                domain: plan.domain.clone(),
            };
            report.recipients = refuse_all(&plan.recipients, &failure);
            return report;
        }
        Err(err) => {
            let failure = Failure::Dns(err.clone());
            report.recipients = if failure.is_permanent() {
                refuse_all(&plan.recipients, &failure)
            } else {
                plan.recipients
                    .iter()
                    .map(|r| RecipientReport {
                        recipient: r.clone(),
                        outcome: Outcome::Deferred(failure.clone()),
                    })
                    .collect()
            };
            return report;
        }
    };
    // Recipients still waiting, each with its last failure.
    let mut pending: Vec<(String, Option<Failure>)> =
        plan.recipients.iter().map(|r| (r.clone(), None)).collect();
    let mut done: Vec<RecipientReport> = Vec::new();
    'hosts: for host in hosts {
        let addrs = match &host.addrs {
            Ok(addrs) => addrs.as_slice(),
            Err(error) => {
                let failure = Failure::HostUnresolved {
                    host: host.name.clone(),
                    error: error.clone(),
                };
                log::info!("{failure}");
                for (_, last) in &mut pending {
                    *last = Some(failure.clone());
                }
                report.attempts.push(Attempt {
                    host: host.name.clone(),
                    addr: None,
                    result: Err(failure),
                });
                continue;
            }
        };
        for &ip in addrs {
            if pending.is_empty() {
                break 'hosts;
            }
            let addr = SocketAddr::new(ip, port);
            let recipients: Vec<String> = pending.iter().map(|(r, _)| r.clone()).collect();
            match session(host, addr, &recipients) {
                SessionResult::HostFailed(failure) => {
                    log::info!("{failure}");
                    for (_, last) in &mut pending {
                        *last = Some(failure.clone());
                    }
                    report.attempts.push(Attempt {
                        host: host.name.clone(),
                        addr: Some(addr),
                        result: Err(failure),
                    });
                }
                SessionResult::Abort(failure) => {
                    report.attempts.push(Attempt {
                        host: host.name.clone(),
                        addr: Some(addr),
                        result: Err(failure.clone()),
                    });
                    for (recipient, _) in pending.drain(..) {
                        done.push(RecipientReport {
                            recipient,
                            outcome: Outcome::Deferred(failure.clone()),
                        });
                    }
                    break 'hosts;
                }
                SessionResult::Transaction { tls, verdicts } => {
                    report.attempts.push(Attempt {
                        host: host.name.clone(),
                        addr: Some(addr),
                        result: Ok(tls),
                    });
                    let mut still = Vec::new();
                    let mut verdicts = verdicts.into_iter();
                    for (recipient, last) in pending.drain(..) {
                        match verdicts.next() {
                            Some(Verdict::Delivered(reply)) => done.push(RecipientReport {
                                recipient,
                                outcome: Outcome::Delivered {
                                    host: host.name.clone(),
                                    addr,
                                    tls,
                                    reply,
                                },
                            }),
                            Some(Verdict::NotTaken(failure)) if failure.is_permanent() => {
                                done.push(RecipientReport {
                                    recipient,
                                    outcome: Outcome::Refused(failure),
                                });
                            }
                            Some(Verdict::NotTaken(failure)) => {
                                still.push((recipient, Some(failure)))
                            }
                            None => still.push((recipient, last)),
                        }
                    }
                    pending = still;
                }
            }
        }
    }
    for (recipient, last) in pending {
        let failure = last.unwrap_or_else(|| {
            Failure::Dns(super::ResolveError::NoMailHost {
                domain: plan.domain.clone(),
            })
        });
        let outcome = if failure.is_permanent() {
            Outcome::Refused(failure)
        } else {
            Outcome::Deferred(failure)
        };
        done.push(RecipientReport { recipient, outcome });
    }
    // Report in the order given, not the order of decisions.
    report.recipients = plan
        .recipients
        .iter()
        .filter_map(|r| {
            done.iter()
                .position(|d| &d.recipient == r)
                .map(|at| done.swap_remove(at))
        })
        .collect();
    report
}

fn refuse_all(recipients: &[String], failure: &Failure) -> Vec<RecipientReport> {
    recipients
        .iter()
        .map(|r| RecipientReport {
            recipient: r.clone(),
            outcome: Outcome::Refused(failure.clone()),
        })
        .collect()
}

/// How far a connection goes with TLS, from the most to the least secure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Verified,
    Unverified,
    Plain,
}

/// One address of one host: connect, STARTTLS as the policy says, the
/// transaction, QUIT. Opportunistic TLS may take up to three connections.
fn session<R: Read>(
    host: &MxHost,
    addr: SocketAddr,
    envelope: &Envelope,
    body: &mut dyn FnMut() -> io::Result<R>,
    size: Option<u64>,
    options: &mut MxOptions,
) -> SessionResult {
    let mut stage = match options.tls {
        TlsPolicy::Disabled => Stage::Plain,
        _ if options.tls_config.accepts_invalid_certs() => Stage::Unverified,
        _ => Stage::Verified,
    };
    loop {
        match connect(host, addr, stage, options) {
            Ok((mut client, tls)) => {
                let result = transaction(&mut client, &host.name, envelope, body, size, tls);
                if !matches!(result, SessionResult::Abort(_)) {
                    // A refused QUIT changes nothing that was decided.
                    let _ = client.quit();
                }
                return result;
            }
            Err(Connected::Retry(failure)) => {
                let next = match (options.tls, stage) {
                    (TlsPolicy::Opportunistic, Stage::Verified) => Stage::Unverified,
                    (TlsPolicy::Opportunistic, Stage::Unverified) => Stage::Plain,
                    _ => return SessionResult::HostFailed(failure),
                };
                log::info!(
                    "{failure}; trying {} again {}",
                    host.name,
                    if next == Stage::Plain {
                        "without TLS"
                    } else {
                        "without certificate checks"
                    }
                );
                stage = next;
            }
            Err(Connected::Failed(failure)) => return SessionResult::HostFailed(failure),
        }
    }
}

enum Connected {
    /// The TLS handshake failed: a new connection at a lower stage may work.
    Retry(Failure),
    Failed(Failure),
}

fn connect(
    host: &MxHost,
    addr: SocketAddr,
    stage: Stage,
    options: &mut MxOptions,
) -> Result<(Client<NetStream>, TlsUse), Connected> {
    let tls_name = match host.name.strip_prefix('[') {
        // An address literal: the certificate would have to name the IP.
        Some(_) => addr.ip().to_string(),
        None => host.name.clone(),
    };
    let mut server = Server::new(addr.ip().to_string(), addr.port());
    server.tls_name = Some(tls_name);
    server.timeout = options.timeout;
    let transcript = options
        .transcript
        .as_mut()
        .and_then(|make| make(&host.name, addr));
    let client_options = Options {
        helo_name: options.helo_name.clone(),
        transcript,
        pipelining: options.pipelining,
        chunking: options.chunking,
        show_data: options.show_data,
        ..Options::default()
    };
    log::debug!("connecting to MX {} [{addr}]", host.name);
    let mut client = match Client::connect(
        &server,
        Security::Plain,
        &options.tls_config,
        client_options,
    ) {
        Ok(client) => client,
        Err(err) => return Err(Connected::Failed(host_failure(&host.name, Some(addr), err))),
    };
    if stage == Stage::Plain {
        return Ok((client, TlsUse::None));
    }
    if !client.capabilities().starttls() {
        return match options.tls {
            TlsPolicy::Required => {
                let _ = client.quit();
                Err(Connected::Failed(Failure::TlsUnavailable {
                    host: host.name.clone(),
                }))
            }
            TlsPolicy::Opportunistic | TlsPolicy::Disabled => Ok((client, TlsUse::None)),
        };
    }
    let tls = match stage {
        Stage::Verified => options.tls_config.clone(),
        // Opportunistic STARTTLS (RFC 3207 §4.1): counted as unverified,
        // so mail-wire's warning about unchecked certificates would be noise.
        _ => options.tls_config.clone().opportunistic(),
    };
    match client.starttls(&server, &tls) {
        Ok(()) if tls.accepts_invalid_certs() => Ok((client, TlsUse::Unverified)),
        Ok(()) => Ok((client, TlsUse::Verified)),
        Err(Error::Wire(mail_wire::Error::Tls { reason, .. })) => {
            Err(Connected::Retry(Failure::Tls {
                host: host.name.clone(),
                reason,
            }))
        }
        Err(Error::Wire(mail_wire::Error::Certificate { problem, .. })) => {
            Err(Connected::Retry(Failure::Tls {
                host: host.name.clone(),
                reason: format!("the certificate is {problem}"),
            }))
        }
        // STARTTLS refused (not the EHLO after it): the session goes on in
        // clear when TLS is optional (RFC 3207 §4.1).
        Err(Error::Rejected {
            command: "STARTTLS",
            reply,
        }) if !client.is_tls() => match options.tls {
            TlsPolicy::Opportunistic | TlsPolicy::Disabled => Ok((client, TlsUse::None)),
            TlsPolicy::Required => {
                let _ = client.quit();
                Err(Connected::Failed(Failure::Reply {
                    host: host.name.clone(),
                    command: "STARTTLS",
                    reply,
                }))
            }
        },
        Err(err) => Err(Connected::Failed(host_failure(&host.name, Some(addr), err))),
    }
}

/// MAIL, RCPT, the message; a verdict per recipient of `envelope`.
pub(crate) fn transaction<S: Read + io::Write, R: Read>(
    client: &mut Client<S>,
    host: &str,
    envelope: &Envelope,
    body: &mut dyn FnMut() -> io::Result<R>,
    size: Option<u64>,
    tls: TlsUse,
) -> SessionResult {
    let mut reader = match body() {
        Ok(reader) => reader,
        Err(err) => {
            return SessionResult::Abort(Failure::Body {
                reason: err.to_string(),
            })
        }
    };
    let all = |failure: Failure| vec![Verdict::NotTaken(failure); envelope.recipients.len()];
    let verdicts = match client.send(envelope, &mut reader, size) {
        Ok(delivery) => envelope
            .recipients
            .iter()
            .map(
                |recipient| match delivery.recipients.iter().find(|r| &r.address == recipient) {
                    Some(r) if r.is_accepted() => Verdict::Delivered(delivery.reply.clone()),
                    Some(r) => Verdict::NotTaken(Failure::Reply {
                        host: host.to_owned(),
                        command: "RCPT",
                        reply: r.reply.clone(),
                    }),
                    None => Verdict::NotTaken(Failure::Session {
                        host: host.to_owned(),
                        reason: "no reply for this recipient".to_owned(),
                        permanent: false,
                    }),
                },
            )
            .collect(),
        Err(Error::AllRecipientsRejected { rejected }) => envelope
            .recipients
            .iter()
            .map(|recipient| {
                let reply = rejected
                    .iter()
                    .find(|(r, _)| r == recipient)
                    .map(|(_, reply)| reply.clone());
                Verdict::NotTaken(match reply {
                    Some(reply) => Failure::Reply {
                        host: host.to_owned(),
                        command: "RCPT",
                        reply,
                    },
                    None => Failure::Session {
                        host: host.to_owned(),
                        reason: "no reply for this recipient".to_owned(),
                        permanent: false,
                    },
                })
            })
            .collect(),
        // MAIL, DATA or BDAT refused: the same answer for every recipient.
        Err(Error::Rejected { command, reply }) => all(Failure::Reply {
            host: host.to_owned(),
            command,
            reply,
        }),
        Err(Error::Body(err)) => {
            return SessionResult::Abort(Failure::Body {
                reason: err.to_string(),
            })
        }
        // An address that cannot go on the wire: no host will take it.
        Err(err @ Error::Invalid(_)) => all(Failure::Invalid {
            reason: err.to_string(),
        }),
        Err(err) => return SessionResult::HostFailed(host_failure(host, None, err)),
    };
    SessionResult::Transaction { tls, verdicts }
}

/// A session-level error as the failure of one host.
fn host_failure(host: &str, addr: Option<SocketAddr>, err: Error) -> Failure {
    let host = host.to_owned();
    match err {
        Error::Rejected { command, reply } => Failure::Reply {
            host,
            command,
            reply,
        },
        Error::Wire(mail_wire::Error::Connect { source, .. }) => match addr {
            Some(addr) => Failure::Connect {
                host,
                addr,
                reason: source.to_string(),
            },
            None => Failure::Session {
                host,
                reason: source.to_string(),
                permanent: false,
            },
        },
        Error::Wire(mail_wire::Error::Tls { reason, .. }) => Failure::Tls { host, reason },
        Error::Wire(mail_wire::Error::Certificate { problem, .. }) => Failure::Tls {
            host,
            reason: format!("the certificate is {problem}"),
        },
        Error::Invalid(err) => Failure::Invalid {
            reason: err.to_string(),
        },
        err @ (Error::Unsupported(_) | Error::TooLarge { .. }) => Failure::Session {
            host,
            reason: err.to_string(),
            permanent: true,
        },
        err => Failure::Session {
            host,
            reason: err.to_string(),
            permanent: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mx::ResolveError;
    use crate::ReplyCode;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Connection, Limits};

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(ReplyCode::new(code).unwrap(), vec![text.to_owned()])
    }

    fn host(name: &str, ips: &[&str]) -> MxHost {
        MxHost {
            name: name.to_owned(),
            preference: Some(10),
            addrs: Ok(ips.iter().map(|ip| ip.parse().unwrap()).collect()),
        }
    }

    fn domain_plan(recipients: &[&str], plan: Result<MxPlan, ResolveError>) -> DomainPlan {
        DomainPlan {
            domain: "x.test".to_owned(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            plan,
        }
    }

    fn rcpt_failure(host: &str, code: u16) -> Failure {
        Failure::Reply {
            host: host.to_owned(),
            command: "RCPT",
            reply: reply(code, "no"),
        }
    }

    fn connect_failure(host: &str) -> Failure {
        Failure::Connect {
            host: host.to_owned(),
            addr: "127.0.0.3:25".parse().unwrap(),
            reason: "refused".to_owned(),
        }
    }

    fn delivered_at(outcome: &Outcome) -> Option<&str> {
        match outcome {
            Outcome::Delivered { host, .. } => Some(host),
            _ => None,
        }
    }

    #[test]
    fn a_4xx_recipient_moves_to_the_next_host_alone() {
        let plan = domain_plan(
            &["a@x.test", "b@x.test"],
            Ok(MxPlan::Hosts(vec![
                host("one", &["127.0.0.1"]),
                host("two", &["127.0.0.2"]),
            ])),
        );
        let mut calls: Vec<(String, Vec<String>)> = Vec::new();
        let report = deliver_domain(&plan, 25, |host, _, pending| {
            calls.push((host.name.clone(), pending.to_vec()));
            let verdicts = match host.name.as_str() {
                "one" => vec![
                    Verdict::Delivered(reply(250, "ok")),
                    Verdict::NotTaken(rcpt_failure("one", 452)),
                ],
                _ => vec![Verdict::Delivered(reply(250, "ok"))],
            };
            SessionResult::Transaction {
                tls: TlsUse::None,
                verdicts,
            }
        });
        assert_eq!(
            calls,
            [
                (
                    "one".to_owned(),
                    vec!["a@x.test".to_owned(), "b@x.test".to_owned()]
                ),
                ("two".to_owned(), vec!["b@x.test".to_owned()])
            ]
        );
        let hosts: Vec<Option<&str>> = report
            .recipients
            .iter()
            .map(|r| delivered_at(&r.outcome))
            .collect();
        assert_eq!(hosts, [Some("one"), Some("two")]);
        assert_eq!(report.attempts.len(), 2);
        if let Outcome::Delivered { addr, .. } = &report.recipients[1].outcome {
            assert_eq!(addr.to_string(), "127.0.0.2:25");
        }
    }

    #[test]
    fn a_5xx_recipient_is_refused_and_no_other_host_is_asked() {
        let plan = domain_plan(
            &["a@x.test"],
            Ok(MxPlan::Hosts(vec![
                host("one", &["127.0.0.1"]),
                host("two", &["127.0.0.2"]),
            ])),
        );
        let mut calls = 0;
        let report = deliver_domain(&plan, 25, |_, _, _| {
            calls += 1;
            SessionResult::Transaction {
                tls: TlsUse::Verified,
                verdicts: vec![Verdict::NotTaken(rcpt_failure("one", 550))],
            }
        });
        assert_eq!(calls, 1);
        assert_eq!(
            report.recipients[0].outcome,
            Outcome::Refused(rcpt_failure("one", 550))
        );
    }

    #[test]
    fn every_address_of_every_host_is_tried_then_the_last_failure_defers() {
        let plan = domain_plan(
            &["a@x.test", "b@x.test"],
            Ok(MxPlan::Hosts(vec![
                host("one", &["127.0.0.1", "::1"]),
                host("two", &["127.0.0.2"]),
            ])),
        );
        let mut tried = Vec::new();
        let report = deliver_domain(&plan, 2525, |host, addr, _| {
            tried.push(addr.to_string());
            SessionResult::HostFailed(connect_failure(&host.name))
        });
        assert_eq!(tried, ["127.0.0.1:2525", "[::1]:2525", "127.0.0.2:2525"]);
        assert_eq!(report.attempts.len(), 3);
        for r in &report.recipients {
            assert_eq!(r.outcome, Outcome::Deferred(connect_failure("two")));
        }
    }

    #[test]
    fn a_permanent_last_failure_refuses() {
        let plan = domain_plan(
            &["a@x.test"],
            Ok(MxPlan::Hosts(vec![host("one", &["127.0.0.1"])])),
        );
        let greeting = Failure::Reply {
            host: "one".into(),
            command: "the connection",
            reply: reply(554, "go away"),
        };
        let report = deliver_domain(&plan, 25, |_, _, _| {
            SessionResult::HostFailed(greeting.clone())
        });
        assert_eq!(report.recipients[0].outcome, Outcome::Refused(greeting));
    }

    #[test]
    fn plans_without_hosts_never_open_a_session() {
        let cases = [
            (Ok(MxPlan::NullMx), true),
            (
                Err(ResolveError::NoSuchDomain {
                    domain: "x.test".into(),
                }),
                true,
            ),
            (
                Err(ResolveError::Lookup {
                    name: "x.test".into(),
                    reason: "SERVFAIL".into(),
                }),
                false,
            ),
            (Ok(MxPlan::Hosts(Vec::new())), true),
        ];
        for (plan, permanent) in cases {
            let plan = domain_plan(&["a@x.test"], plan);
            let report = deliver_domain(&plan, 25, |_, _, _| panic!("no session expected"));
            let outcome = &report.recipients[0].outcome;
            assert_eq!(
                matches!(outcome, Outcome::Refused(_)),
                permanent,
                "{outcome:?}"
            );
            assert!(
                matches!(outcome, Outcome::Refused(_) | Outcome::Deferred(_)),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn an_unresolved_host_is_recorded_and_skipped() {
        let dangling = MxHost {
            name: "gone".into(),
            preference: Some(5),
            addrs: Err(ResolveError::NoSuchDomain {
                domain: "gone".into(),
            }),
        };
        let plan = domain_plan(
            &["a@x.test"],
            Ok(MxPlan::Hosts(vec![dangling, host("two", &["127.0.0.2"])])),
        );
        let report = deliver_domain(&plan, 25, |_, _, _| SessionResult::Transaction {
            tls: TlsUse::None,
            verdicts: vec![Verdict::Delivered(reply(250, "ok"))],
        });
        assert_eq!(report.attempts[0].addr, None);
        assert!(matches!(
            report.attempts[0].result,
            Err(Failure::HostUnresolved { .. })
        ));
        assert_eq!(delivered_at(&report.recipients[0].outcome), Some("two"));
    }

    #[test]
    fn a_local_body_failure_stops_the_domain() {
        let plan = domain_plan(
            &["a@x.test"],
            Ok(MxPlan::Hosts(vec![
                host("one", &["127.0.0.1"]),
                host("two", &["127.0.0.2"]),
            ])),
        );
        let mut calls = 0;
        let report = deliver_domain(&plan, 25, |_, _, _| {
            calls += 1;
            SessionResult::Abort(Failure::Body {
                reason: "disk on fire".into(),
            })
        });
        assert_eq!(calls, 1);
        assert!(matches!(
            report.recipients[0].outcome,
            Outcome::Deferred(Failure::Body { .. })
        ));
    }

    // ---- one transaction against a scripted server ----

    fn client(script: &str) -> (Client<ScriptedStream>, ScriptedStream) {
        let server = ScriptedStream::from_transcript(script);
        let options = Options {
            helo_name: "client.example".into(),
            ..Options::default()
        };
        (
            Client::new(Connection::new(server.clone(), Limits::default()), options).unwrap(),
            server,
        )
    }

    const HELLO: &str = "S: 220 mx.example ESMTP\nC: EHLO client.example\nS: 250 mx.example\n";

    fn envelope(recipients: &[&str]) -> Envelope {
        Envelope::new("a@client.example", recipients.iter().copied())
    }

    #[test]
    fn a_transaction_gives_one_verdict_per_recipient() {
        let (mut client, server) = client(&format!(
            "{HELLO}C: MAIL FROM:<a@client.example>\nS: 250 2.1.0 Ok\n\
             C: RCPT TO:<ok@x.test>\nS: 250 2.1.5 Ok\n\
             C: RCPT TO:<gone@x.test>\nS: 550 5.1.1 no such user\n\
             C: RCPT TO:<later@x.test>\nS: 451 4.3.0 try later\n\
             C: DATA\nS: 354 go ahead\nC: hello\nC: .\nS: 250 2.0.0 queued as X1\n"
        ));
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["ok@x.test", "gone@x.test", "later@x.test"]),
            &mut || Ok(&b"hello\n"[..]),
            None,
            TlsUse::None,
        );
        server.assert_done();
        let SessionResult::Transaction { verdicts, .. } = result else {
            panic!("{result:?}")
        };
        assert_eq!(
            verdicts[0],
            Verdict::Delivered(reply(250, "2.0.0 queued as X1"))
        );
        assert!(
            matches!(&verdicts[1], Verdict::NotTaken(f) if f.is_permanent() && f.reply().unwrap().code().to_string() == "550")
        );
        assert!(matches!(&verdicts[2], Verdict::NotTaken(f) if !f.is_permanent()));
    }

    #[test]
    fn split_reads_change_nothing() {
        let server = ScriptedStream::from_transcript(&format!(
            "{HELLO}C: MAIL FROM:<a@client.example>\nS: 250 Ok\nC: RCPT TO:<b@x.test>\nS: 250 Ok\n\
             C: DATA\nS: 354 go\nC: hi\nC: .\nS: 250 2.0.0 queued\n"
        ))
        .one_byte_reads();
        let options = Options {
            helo_name: "client.example".into(),
            ..Options::default()
        };
        let mut client =
            Client::new(Connection::new(server.clone(), Limits::default()), options).unwrap();
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["b@x.test"]),
            &mut || Ok(&b"hi"[..]),
            None,
            TlsUse::Verified,
        );
        server.assert_done();
        assert!(
            matches!(&result, SessionResult::Transaction { tls: TlsUse::Verified, verdicts } if matches!(verdicts[..], [Verdict::Delivered(_)])),
            "{result:?}"
        );
    }

    #[test]
    fn a_refused_message_refuses_every_recipient_alike() {
        for (code, permanent) in [(554, true), (452, false)] {
            let (mut client, _) = client(&format!(
                "{HELLO}C: MAIL FROM:<a@client.example>\nS: 250 Ok\nC: RCPT TO:<b@x.test>\nS: 250 Ok\n\
                 C: DATA\nS: 354 go\nC: hi\nC: .\nS: {code} no thanks\n"
            ));
            let result = transaction(
                &mut client,
                "mx",
                &envelope(&["b@x.test"]),
                &mut || Ok(&b"hi"[..]),
                None,
                TlsUse::None,
            );
            let SessionResult::Transaction { verdicts, .. } = result else {
                panic!("{result:?}")
            };
            match &verdicts[0] {
                Verdict::NotTaken(f @ Failure::Reply { command, .. }) => {
                    assert_eq!(*command, "DATA");
                    assert_eq!(f.is_permanent(), permanent);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_421_after_mail_defers_to_the_next_host() {
        let (mut client, _) = client(&format!(
            "{HELLO}C: MAIL FROM:<a@client.example>\nS: 421 4.3.2 shutting down\n"
        ));
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["b@x.test", "c@x.test"]),
            &mut || Ok(&b"hi"[..]),
            None,
            TlsUse::None,
        );
        let SessionResult::Transaction { verdicts, .. } = result else {
            panic!("{result:?}")
        };
        assert_eq!(verdicts.len(), 2);
        assert!(verdicts
            .iter()
            .all(|v| matches!(v, Verdict::NotTaken(f) if !f.is_permanent())));
    }

    #[test]
    fn a_connection_lost_mid_reply_fails_the_host() {
        let (mut client, _) = client(&format!(
            "{HELLO}C: MAIL FROM:<a@client.example>\nS: 250-2.1.0 half\n"
        ));
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["b@x.test"]),
            &mut || Ok(&b"hi"[..]),
            None,
            TlsUse::None,
        );
        assert!(
            matches!(&result, SessionResult::HostFailed(f @ Failure::Session { .. }) if !f.is_permanent()),
            "{result:?}"
        );
    }

    #[test]
    fn a_body_that_cannot_be_opened_aborts_before_any_command() {
        let (mut client, server) = client(HELLO);
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["b@x.test"]),
            &mut || Err::<&[u8], _>(io::Error::other("gone")),
            None,
            TlsUse::None,
        );
        assert!(
            matches!(result, SessionResult::Abort(Failure::Body { .. })),
            "{result:?}"
        );
        server.assert_done();
    }

    #[test]
    fn a_line_break_in_a_recipient_is_refused_before_sending() {
        let (mut client, server) = client(HELLO);
        let result = transaction(
            &mut client,
            "mx",
            &envelope(&["b@x.test\r\nRSET"]),
            &mut || Ok(&b"hi"[..]),
            None,
            TlsUse::None,
        );
        let SessionResult::Transaction { verdicts, .. } = result else {
            panic!("{result:?}")
        };
        assert!(
            matches!(&verdicts[0], Verdict::NotTaken(f @ Failure::Invalid { .. }) if f.is_permanent())
        );
        server.assert_done();
    }
}
