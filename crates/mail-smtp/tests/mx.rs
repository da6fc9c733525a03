//! MX resolution and delivery against a real DNS server (dnsmasq from
//! `scripts/dns`, zone `scripts/dns-zones/mx-test.conf`) and the real
//! Postfix of `scripts/mailserver` as the mail exchanger.
//!
//! Run through `scripts/test`, or by hand:
//! `scripts/dns start /tmp/mk-mx/dns 18053 scripts/dns-zones/mx-test.conf`
//! then `MAILTEST_DNS=127.0.0.1:18053 MAILTEST_ENV_FILE=/tmp/mk-mx/env cargo test -p mail-smtp --test mx`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use mail_smtp::mx::{
    deliver, Failure, MxOptions, MxPlan, MxReport, Outcome, ResolveError, Resolver, TlsPolicy,
    TlsUse,
};
use mail_smtp::MailOptions;
use mail_wire::testing::TestEnv;
use mail_wire::Recording;

/// How long a delivery into Dovecot may take (it is asynchronous).
const DELIVERY: Duration = Duration::from_secs(15);

/// The test DNS server, or `None` (loudly) when it is not running; under
/// `CI=true` a missing server is a failure.
fn dns() -> Option<SocketAddr> {
    match std::env::var("MAILTEST_DNS") {
        Ok(addr) => Some(addr.parse().expect("MAILTEST_DNS is not ip:port")),
        Err(_) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "CI=true but MAILTEST_DNS is not set: run the tests through scripts/test"
            );
            eprintln!("SKIPPED: MAILTEST_DNS not set; run scripts/test (or scripts/dns start ...)");
            None
        }
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// `(name, preference, addresses)` of each host of a plan.
fn shape(plan: &MxPlan) -> Vec<(String, Option<u16>, Vec<IpAddr>)> {
    plan.hosts()
        .iter()
        .map(|host| {
            (
                host.name.clone(),
                host.preference,
                host.addrs.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn mx_records_come_sorted_by_preference_with_their_addresses() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plan = resolver.mx_hosts("pref.test").unwrap();
    assert_eq!(
        shape(&plan),
        [
            (
                "mail.example.test".to_owned(),
                Some(5),
                vec![ip("127.0.0.1")]
            ),
            ("refuse.mx.test".to_owned(), Some(20), vec![ip("127.0.0.3")]),
        ]
    );
    // Case and a final dot do not change the answer.
    assert_eq!(
        shape(&resolver.mx_hosts("PREF.test.").unwrap()),
        shape(&plan)
    );
}

#[test]
fn equal_preferences_are_shuffled_and_the_backup_stays_last() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let mut firsts = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let plan = resolver.mx_hosts("equal.test").unwrap();
        let names: Vec<&str> = plan.hosts().iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert_eq!(names[3], "d.mx.test");
        let mut top: Vec<&str> = names[..3].to_vec();
        firsts.insert(top[0].to_owned());
        top.sort_unstable();
        assert_eq!(top, ["a.mx.test", "b.mx.test", "c.mx.test"]);
    }
    assert!(
        firsts.len() > 1,
        "40 lookups always put {firsts:?} first: no shuffle"
    );
}

#[test]
fn a_domain_without_mx_falls_back_to_its_address() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plan = resolver.mx_hosts("nomx.test").unwrap();
    assert_eq!(
        shape(&plan),
        [("nomx.test".to_owned(), None, vec![ip("127.0.0.1")])]
    );
}

#[test]
fn a_null_mx_means_no_mail() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    assert_eq!(resolver.mx_hosts("nullmx.test").unwrap(), MxPlan::NullMx);
}

#[test]
fn a_missing_domain_is_a_permanent_error() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let err = resolver.mx_hosts("missing.test").unwrap_err();
    assert_eq!(
        err,
        ResolveError::NoSuchDomain {
            domain: "missing.test".into()
        }
    );
    assert!(err.is_permanent());
    assert_eq!(err.to_string(), "domain missing.test does not exist");
}

#[test]
fn an_mx_name_that_does_not_resolve_stays_in_the_plan_to_be_skipped() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plan = resolver.mx_hosts("dangling.test").unwrap();
    let hosts = plan.hosts();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[0].name, "nowhere.mx.test");
    assert!(
        matches!(&hosts[0].addrs, Err(ResolveError::NoSuchDomain { .. })),
        "{:?}",
        hosts[0].addrs
    );
    assert_eq!(hosts[1].addrs, Ok(vec![ip("127.0.0.1")]));
}

#[test]
fn a_host_with_two_addresses_keeps_both() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plan = resolver.mx_hosts("dual.test").unwrap();
    let mut addrs = plan.hosts()[0].addrs.clone().unwrap();
    addrs.sort();
    assert_eq!(addrs, [ip("127.0.0.1"), ip("127.0.0.3")]);
}

#[test]
fn recipients_are_planned_per_domain() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plans = resolver.plan_recipients(&[
        "alice@pref.test",
        "x@nullmx.test",
        "bob@PREF.test",
        "y@missing.test",
    ]);
    let summary: Vec<(&str, usize, bool)> = plans
        .iter()
        .map(|p| (p.domain.as_str(), p.recipients.len(), p.plan.is_ok()))
        .collect();
    assert_eq!(
        summary,
        [
            ("pref.test", 2, true),
            ("nullmx.test", 1, true),
            ("missing.test", 1, false)
        ]
    );
    assert_eq!(plans[1].plan, Ok(MxPlan::NullMx));
}

#[test]
fn a_dns_server_that_does_not_answer_is_a_temporary_error() {
    // Nothing listens on this loopback UDP port: the lookup fails, and the
    // failure must not read as "domain does not exist".
    let mut resolver = Resolver::with_server("127.0.0.1:9".parse().unwrap()).unwrap();
    resolver.set_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let err = resolver.mx_hosts("pref.test").unwrap_err();
    assert!(matches!(err, ResolveError::Lookup { .. }), "{err:?}");
    assert!(!err.is_permanent());
    // Two attempts of half a second each, not the default 2 x 5 s.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------- delivery --

/// The domains the Postfix instance must accept besides its own (set by
/// scripts/test through MAILSTACK_EXTRA_DOMAINS).
const EXTRA_DOMAINS: [&str; 7] = [
    "pref.test",
    "refused.test",
    "busy.test",
    "hardfail.test",
    "dangling.test",
    "dual.test",
    "nomx.test",
];

/// The real servers and the DNS server, or `None` (loudly) locally.
fn setup() -> Option<(TestEnv, SocketAddr)> {
    let env = TestEnv::load()?;
    let dns = dns()?;
    let extra = env.var("MAILTEST_EXTRA_DOMAINS");
    for domain in EXTRA_DOMAINS {
        assert!(
            extra.split_whitespace().any(|d| d == domain),
            "the mail server was started without {domain} in MAILSTACK_EXTRA_DOMAINS (use scripts/test)"
        );
    }
    Some((env, dns))
}

fn smtp_port(env: &TestEnv) -> u16 {
    env.var("MAILTEST_SMTP_PORT").parse().unwrap()
}

/// Options for the test instance: its port-25-style service, its CA, and
/// a transcript of every connection (with a heading line per connection).
fn options(env: &TestEnv, tls: TlsPolicy) -> (MxOptions, Recording) {
    let transcript = Recording::new();
    let mut options = MxOptions::new("client.example.test");
    options.port = smtp_port(env);
    options.tls = tls;
    options.tls_config = env.tls();
    options.timeout = Duration::from_secs(20);
    let shared = transcript.clone();
    options.transcript = Some(Box::new(move |host: &str, addr: SocketAddr| {
        let mut heading = shared.clone();
        mail_wire::Transcript::line(
            &mut heading,
            mail_wire::Direction::Client,
            &format!("--- {host} [{addr}]"),
        );
        Some(Box::new(shared.clone()) as Box<dyn mail_wire::Transcript + Send>)
    }));
    (options, transcript)
}

/// A message with a unique Message-ID, and that id.
fn message(to: &str) -> (Vec<u8>, String) {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let id = format!(
        "<mx-{nanos}-{n}-{}@client.example.test>",
        std::process::id()
    );
    let text = format!(
        "From: sender@client.example.test\r\nTo: {to}\r\nSubject: MX test\r\nMessage-ID: {id}\r\n\r\nSent straight to the MX.\r\n.leading dot\r\n"
    );
    (text.into_bytes(), id)
}

/// Resolves, delivers `to` and returns the report and the Message-ID.
fn send(
    env: &TestEnv,
    dns: SocketAddr,
    to: &[&str],
    tls: TlsPolicy,
) -> (MxReport, String, Recording) {
    let resolver = Resolver::with_server(dns).unwrap();
    let plans = resolver.plan_recipients(to);
    let (mut options, transcript) = options(env, tls);
    let (body, id) = message(&to.join(", "));
    let report = deliver(
        &plans,
        "sender@client.example.test",
        &MailOptions::default(),
        || Ok(&body[..]),
        Some(body.len() as u64),
        &mut options,
    );
    (report, id, transcript)
}

fn delivered_host(outcome: Option<&Outcome>) -> (String, SocketAddr, TlsUse) {
    match outcome {
        Some(Outcome::Delivered {
            host,
            addr,
            tls,
            reply,
        }) => {
            assert!(reply.is_positive(), "{reply}");
            (host.clone(), *addr, *tls)
        }
        other => panic!("not delivered: {other:?}"),
    }
}

fn assert_no_auth(transcript: &Recording) {
    let lines = transcript.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("C: EHLO client.example.test")),
        "{lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("C: AUTH")),
        "AUTH sent to an MX host: {lines:#?}"
    );
}

/// A fake MX on `ip`, at the test instance's SMTP port, that greets every
/// connection with `greeting` and hangs up after the client's next line
/// (QUIT) or 5 s. Started once per address for the whole test binary.
type Fakes = Mutex<Vec<(&'static str, Arc<Mutex<usize>>)>>;

fn fake_mx(ip: &'static str, port: u16, greeting: &'static str) -> Arc<Mutex<usize>> {
    static FAKES: OnceLock<Fakes> = OnceLock::new();
    let mut fakes = FAKES.get_or_init(Default::default).lock().unwrap();
    if let Some((_, count)) = fakes.iter().find(|(known, _)| *known == ip) {
        return count.clone();
    }
    let listener =
        TcpListener::bind((ip, port)).unwrap_or_else(|err| panic!("bind {ip}:{port}: {err}"));
    let count = Arc::new(Mutex::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            *counter.lock().unwrap() += 1;
            std::thread::spawn(move || {
                let mut stream = stream;
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let _ = stream.write_all(greeting.as_bytes());
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                if line.starts_with("QUIT") {
                    let _ = stream.write_all(b"221 2.0.0 Bye\r\n");
                }
            });
        }
    });
    fakes.push((ip, count.clone()));
    count
}

#[test]
fn delivers_to_the_preferred_host_over_verified_tls() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, transcript) = send(&env, dns, &["alice@pref.test"], TlsPolicy::Opportunistic);
    let (host, addr, tls) = delivered_host(report.outcome("alice@pref.test"));
    assert_eq!(host, "mail.example.test");
    assert_eq!(addr, SocketAddr::new(ip("127.0.0.1"), smtp_port(&env)));
    // The certificate names mail.example.test and the test CA is trusted.
    assert_eq!(tls, TlsUse::Verified);
    // Preference 5 went first; the preference-20 host was never tried.
    assert_eq!(
        report.domains[0].attempts.len(),
        1,
        "{:?}",
        report.domains[0].attempts
    );
    assert!(report.all_delivered());
    let stored = env.wait_for_mail("ALICE", &id, DELIVERY);
    let stored = String::from_utf8_lossy(&stored);
    assert!(
        stored.contains("\n.leading dot") && !stored.contains("\n..leading"),
        "dot-stuffing not undone: {stored}"
    );
    assert_no_auth(&transcript);
    assert!(transcript.lines().iter().any(|l| l == "C: STARTTLS"));
}

#[test]
fn falls_back_when_the_first_host_refuses_connections() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, _) = send(&env, dns, &["bob@refused.test"], TlsPolicy::Opportunistic);
    let attempts = &report.domains[0].attempts;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].host, "refuse.mx.test");
    assert!(
        matches!(&attempts[0].result, Err(Failure::Connect { .. })),
        "{:?}",
        attempts[0].result
    );
    assert_eq!(
        delivered_host(report.outcome("bob@refused.test")).0,
        "mail.example.test"
    );
    env.wait_for_mail("BOB", &id, DELIVERY);
}

#[test]
fn falls_back_when_the_first_host_answers_421() {
    let Some((env, dns)) = setup() else { return };
    let busy = fake_mx(
        "127.0.0.4",
        smtp_port(&env),
        "421 4.3.2 busy.mx.test Service not available, try later\r\n",
    );
    let (report, id, transcript) = send(&env, dns, &["carol@busy.test"], TlsPolicy::Opportunistic);
    let attempts = &report.domains[0].attempts;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    match &attempts[0].result {
        Err(failure @ Failure::Reply { host, reply, .. }) => {
            assert_eq!(host, "busy.mx.test");
            assert_eq!(reply.code().to_string(), "421");
            assert!(!failure.is_permanent());
        }
        other => panic!("{other:?}"),
    }
    assert!(*busy.lock().unwrap() >= 1);
    assert_eq!(
        delivered_host(report.outcome("carol@busy.test")).0,
        "mail.example.test"
    );
    assert!(transcript
        .lines()
        .iter()
        .any(|l| l.starts_with("S: 421 4.3.2 busy.mx.test")));
    env.wait_for_mail("CAROL", &id, DELIVERY);
}

#[test]
fn a_554_greeting_skips_that_host_only() {
    let Some((env, dns)) = setup() else { return };
    fake_mx(
        "127.0.0.5",
        smtp_port(&env),
        "554 5.3.2 reject.mx.test No SMTP service here\r\n",
    );
    let (report, id, _) = send(
        &env,
        dns,
        &["alice@hardfail.test"],
        TlsPolicy::Opportunistic,
    );
    let attempts = &report.domains[0].attempts;
    assert!(
        matches!(&attempts[0].result, Err(Failure::Reply { reply, .. }) if reply.code().to_string() == "554"),
        "{attempts:?}"
    );
    assert_eq!(
        delivered_host(report.outcome("alice@hardfail.test")).0,
        "mail.example.test"
    );
    env.wait_for_mail("ALICE", &id, DELIVERY);
}

#[test]
fn a_domain_without_mx_gets_mail_at_its_address() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, transcript) = send(&env, dns, &["bob@nomx.test"], TlsPolicy::Opportunistic);
    let (host, addr, tls) = delivered_host(report.outcome("bob@nomx.test"));
    assert_eq!(host, "nomx.test");
    assert_eq!(addr.ip(), ip("127.0.0.1"));
    // The certificate does not name nomx.test: opportunistic TLS goes on
    // without the check, on a second connection.
    assert_eq!(tls, TlsUse::Unverified);
    assert_eq!(
        transcript
            .lines()
            .iter()
            .filter(|l| l.starts_with("C: --- nomx.test"))
            .count(),
        2
    );
    env.wait_for_mail("BOB", &id, DELIVERY);
}

#[test]
fn a_null_mx_is_refused_without_connecting() {
    let Some((env, dns)) = setup() else { return };
    let (report, _, transcript) = send(&env, dns, &["alice@nullmx.test"], TlsPolicy::Opportunistic);
    match report.outcome("alice@nullmx.test") {
        Some(Outcome::Refused(failure @ Failure::NullMx { .. })) => {
            assert_eq!(
                failure.to_string(),
                "domain nullmx.test accepts no mail (null MX)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(report.domains[0].attempts.is_empty());
    assert!(transcript.lines().is_empty(), "{:?}", transcript.lines());
}

#[test]
fn a_domain_that_does_not_exist_is_refused() {
    let Some((env, dns)) = setup() else { return };
    let (report, _, _) = send(&env, dns, &["alice@missing.test"], TlsPolicy::Opportunistic);
    assert_eq!(
        report.outcome("alice@missing.test"),
        Some(&Outcome::Refused(Failure::Dns(
            ResolveError::NoSuchDomain {
                domain: "missing.test".into()
            }
        )))
    );
}

#[test]
fn two_domains_in_one_run_each_reach_their_host() {
    let Some((env, dns)) = setup() else { return };
    let to = [
        "alice@example.test",
        "bob@refused.test",
        "nobody@nullmx.test",
        "carol@EXAMPLE.test",
    ];
    let (report, id, _) = send(&env, dns, &to, TlsPolicy::Opportunistic);
    let domains: Vec<&str> = report.domains.iter().map(|d| d.domain.as_str()).collect();
    assert_eq!(domains, ["example.test", "refused.test", "nullmx.test"]);
    // alice and carol share a domain, hence one session.
    assert_eq!(report.domains[0].recipients.len(), 2);
    assert_eq!(report.domains[0].attempts.len(), 1);
    for rcpt in [
        "alice@example.test",
        "bob@refused.test",
        "carol@EXAMPLE.test",
    ] {
        assert_eq!(
            delivered_host(report.outcome(rcpt)).0,
            "mail.example.test",
            "{rcpt}"
        );
    }
    assert!(matches!(
        report.outcome("nobody@nullmx.test"),
        Some(Outcome::Refused(Failure::NullMx { .. }))
    ));
    assert!(!report.all_delivered());
    for who in ["ALICE", "BOB", "CAROL"] {
        env.wait_for_mail(who, &id, DELIVERY);
    }
}

#[test]
fn a_5xx_refusal_is_final_and_no_other_host_is_tried() {
    let Some((env, dns)) = setup() else { return };
    // denied.test is not a Postfix domain: 554 relay access denied at RCPT.
    let (report, _, _) = send(&env, dns, &["alice@denied.test"], TlsPolicy::Opportunistic);
    match report.outcome("alice@denied.test") {
        Some(Outcome::Refused(Failure::Reply {
            host,
            command,
            reply,
        })) => {
            assert_eq!((host.as_str(), *command), ("mail.example.test", "RCPT"));
            assert_eq!(reply.code().to_string(), "554");
            assert!(reply.to_string().contains("Relay access denied"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    // The second MX (busy.mx.test) was not tried.
    assert_eq!(
        report.domains[0].attempts.len(),
        1,
        "{:?}",
        report.domains[0].attempts
    );
}

#[test]
fn one_unknown_user_does_not_stop_the_others() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, _) = send(
        &env,
        dns,
        &["nobody@pref.test", "bob@pref.test"],
        TlsPolicy::Opportunistic,
    );
    match report.outcome("nobody@pref.test") {
        Some(Outcome::Refused(failure)) => {
            assert_eq!(
                failure.reply().map(|r| r.code().to_string()),
                Some("550".into()),
                "{failure}"
            );
            assert!(
                failure
                    .to_string()
                    .starts_with("mail.example.test rejected RCPT: 550 5.1.1"),
                "{failure}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        delivered_host(report.outcome("bob@pref.test")).0,
        "mail.example.test"
    );
    assert_eq!(report.domains[0].attempts.len(), 1);
    env.wait_for_mail("BOB", &id, DELIVERY);
}

#[test]
fn an_unresolvable_mx_host_is_skipped() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, _) = send(
        &env,
        dns,
        &["carol@dangling.test"],
        TlsPolicy::Opportunistic,
    );
    let attempts = &report.domains[0].attempts;
    assert!(
        matches!(&attempts[0].result, Err(Failure::HostUnresolved { host, .. }) if host == "nowhere.mx.test"),
        "{attempts:?}"
    );
    assert_eq!(attempts[0].addr, None);
    assert_eq!(
        delivered_host(report.outcome("carol@dangling.test")).0,
        "mail.example.test"
    );
    env.wait_for_mail("CAROL", &id, DELIVERY);
}

#[test]
fn each_address_of_a_host_is_tried() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, _) = send(&env, dns, &["alice@dual.test"], TlsPolicy::Opportunistic);
    let (host, addr, _) = delivered_host(report.outcome("alice@dual.test"));
    assert_eq!(
        (host.as_str(), addr.ip()),
        ("dual.mx.test", ip("127.0.0.1"))
    );
    for attempt in &report.domains[0].attempts {
        if attempt.addr.map(|a| a.ip()) == Some(ip("127.0.0.3")) {
            assert!(
                matches!(attempt.result, Err(Failure::Connect { .. })),
                "{attempt:?}"
            );
        }
    }
    env.wait_for_mail("ALICE", &id, DELIVERY);
}

#[test]
fn disabled_tls_never_sends_starttls() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, transcript) = send(&env, dns, &["carol@example.test"], TlsPolicy::Disabled);
    assert_eq!(
        delivered_host(report.outcome("carol@example.test")).2,
        TlsUse::None
    );
    let lines = transcript.lines();
    assert!(
        lines.iter().any(|l| l.contains("STARTTLS")),
        "Postfix offers STARTTLS: {lines:#?}"
    );
    assert!(!lines.iter().any(|l| l == "C: STARTTLS"), "{lines:#?}");
    env.wait_for_mail("CAROL", &id, DELIVERY);
}

#[test]
fn required_tls_delivers_over_a_verified_certificate() {
    let Some((env, dns)) = setup() else { return };
    let (report, id, _) = send(&env, dns, &["bob@example.test"], TlsPolicy::Required);
    let (_, _, tls) = delivered_host(report.outcome("bob@example.test"));
    assert_eq!(tls, TlsUse::Verified);
    env.wait_for_mail("BOB", &id, DELIVERY);
}

#[test]
fn required_tls_skips_a_host_whose_certificate_does_not_match() {
    let Some((env, dns)) = setup() else { return };
    let (report, _, transcript) = send(&env, dns, &["carol@nomx.test"], TlsPolicy::Required);
    match report.outcome("carol@nomx.test") {
        Some(Outcome::Deferred(Failure::Tls { host, .. })) => assert_eq!(host, "nomx.test"),
        other => panic!("{other:?}"),
    }
    // Nothing of the message left the client.
    assert!(
        !transcript
            .lines()
            .iter()
            .any(|l| l.starts_with("C: MAIL FROM")),
        "{:?}",
        transcript.lines()
    );
}

/// Timing, not a check: `cargo test -p mail-smtp --test mx -- --ignored --nocapture`
/// with the servers and DNS up. Resolves and delivers 20 messages one by
/// one (a DNS round trip, a connection, STARTTLS with a verified
/// certificate, one transaction, QUIT each) and prints the median and worst.
#[test]
#[ignore = "a measurement; run by hand"]
fn measure_mx_delivery() {
    let Some((env, dns)) = setup() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let mut resolve = Vec::new();
    let mut total = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let plans = resolver.plan_recipients(&["alice@pref.test"]);
        resolve.push(started.elapsed());
        let (mut options, _) = options(&env, TlsPolicy::Opportunistic);
        options.transcript = None;
        let (body, _) = message("alice@pref.test");
        let report = deliver(
            &plans,
            "s@client.example.test",
            &MailOptions::default(),
            || Ok(&body[..]),
            None,
            &mut options,
        );
        total.push(started.elapsed());
        assert!(report.all_delivered(), "{report:?}");
    }
    resolve.sort();
    total.sort();
    println!(
        "MX resolution (dnsmasq answers with TTL 0: no cache): median {:?}, max {:?}; resolve + deliver over verified STARTTLS: median {:?}, max {:?}",
        resolve[10], resolve[19], total[10], total[19]
    );
}

#[test]
fn hostile_hosts_are_skipped_for_the_next_one() {
    let Some((env, _)) = setup() else { return };
    let port = smtp_port(&env);
    // An endless first line (past the 8 KiB line limit), then a reply that
    // is not SMTP at all; the plan is built by hand, no DNS involved.
    let endless: &'static str = Box::leak("220 ".repeat(16 * 1024).into_boxed_str());
    fake_mx("127.0.0.6", port, endless);
    fake_mx("127.0.0.7", port, "hello, this is not SMTP\r\n");
    let host = |name: &str, ip: &str| mail_smtp::mx::MxHost {
        name: name.to_owned(),
        preference: Some(10),
        addrs: Ok(vec![ip.parse().unwrap()]),
    };
    let plans = [mail_smtp::mx::DomainPlan {
        domain: "example.test".into(),
        recipients: vec!["alice@example.test".into()],
        plan: Ok(MxPlan::Hosts(vec![
            host("endless.mx.test", "127.0.0.6"),
            host("garbage.mx.test", "127.0.0.7"),
            host("mail.example.test", "127.0.0.1"),
        ])),
    }];
    let (mut options, transcript) = options(&env, TlsPolicy::Opportunistic);
    let (body, id) = message("alice@example.test");
    let report = deliver(
        &plans,
        "s@client.example.test",
        &MailOptions::default(),
        || Ok(&body[..]),
        None,
        &mut options,
    );
    let attempts = &report.domains[0].attempts;
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    for (attempt, words) in attempts
        .iter()
        .zip(["line longer than 8192 bytes", "broke the SMTP protocol"])
    {
        match &attempt.result {
            Err(failure @ Failure::Session { .. }) => {
                assert!(!failure.is_permanent());
                assert!(failure.to_string().contains(words), "{failure}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        delivered_host(report.outcome("alice@example.test")).0,
        "mail.example.test"
    );
    // The hostile bytes never reach the transcript unbounded.
    assert!(transcript.lines().iter().all(|l| l.len() < 9 * 1024));
    env.wait_for_mail("ALICE", &id, DELIVERY);
}

/// A minimal SMTP server on `ip` at the test port: offers STARTTLS and
/// answers it with `starttls`, answers RCPT with `rcpt`, takes any message.
/// Records the commands it saw. Started once per address.
fn fake_smtp(
    ip: &'static str,
    port: u16,
    starttls: &'static str,
    rcpt: &'static str,
) -> Arc<Mutex<Vec<String>>> {
    type Servers = Mutex<Vec<(&'static str, Arc<Mutex<Vec<String>>>)>>;
    static SERVERS: OnceLock<Servers> = OnceLock::new();
    let mut servers = SERVERS.get_or_init(Default::default).lock().unwrap();
    if let Some((_, seen)) = servers.iter().find(|(known, _)| *known == ip) {
        return seen.clone();
    }
    let listener =
        TcpListener::bind((ip, port)).unwrap_or_else(|err| panic!("bind {ip}:{port}: {err}"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                let mut lines = BufReader::new(stream).lines();
                let _ = out.write_all(b"220 fake.mx.test ESMTP\r\n");
                while let Some(Ok(line)) = lines.next() {
                    log.lock().unwrap().push(line.clone());
                    let verb = line
                        .split([' ', ':'])
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let reply: String = match verb.as_str() {
                        "EHLO" => "250-fake.mx.test\r\n250 STARTTLS\r\n".into(),
                        "STARTTLS" => format!("{starttls}\r\n"),
                        "MAIL" => "250 2.1.0 Ok\r\n".into(),
                        "RCPT" => format!("{rcpt}\r\n"),
                        "DATA" => {
                            let _ = out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n");
                            while let Some(Ok(body)) = lines.next() {
                                if body == "." {
                                    break;
                                }
                            }
                            "250 2.0.0 Ok: queued as FAKE\r\n".into()
                        }
                        "RSET" => "250 2.0.0 Ok\r\n".into(),
                        "QUIT" => {
                            let _ = out.write_all(b"221 2.0.0 Bye\r\n");
                            break;
                        }
                        _ => "502 5.5.2 Error: command not recognized\r\n".into(),
                    };
                    if out.write_all(reply.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    servers.push((ip, seen.clone()));
    seen
}

/// A hand-made plan: `hosts` as `(name, ip)`, preference 10 each.
fn plan_of(
    domain: &str,
    recipient: &str,
    hosts: &[(&str, &str)],
) -> Vec<mail_smtp::mx::DomainPlan> {
    let hosts = hosts
        .iter()
        .map(|(name, ip)| mail_smtp::mx::MxHost {
            name: (*name).to_owned(),
            preference: Some(10),
            addrs: Ok(vec![ip.parse().unwrap()]),
        })
        .collect();
    vec![mail_smtp::mx::DomainPlan {
        domain: domain.into(),
        recipients: vec![recipient.into()],
        plan: Ok(MxPlan::Hosts(hosts)),
    }]
}

#[test]
fn a_4xx_to_rcpt_moves_the_recipient_to_the_next_host() {
    let Some((env, _)) = setup() else { return };
    let seen = fake_smtp(
        "127.0.0.9",
        smtp_port(&env),
        "454 4.7.0 TLS not available",
        "451 4.3.0 mailbox busy",
    );
    let plans = plan_of(
        "example.test",
        "bob@example.test",
        &[
            ("busyrcpt.mx.test", "127.0.0.9"),
            ("mail.example.test", "127.0.0.1"),
        ],
    );
    let (mut options, _) = options(&env, TlsPolicy::Opportunistic);
    let (body, id) = message("bob@example.test");
    let report = deliver(
        &plans,
        "s@client.example.test",
        &MailOptions::default(),
        || Ok(&body[..]),
        None,
        &mut options,
    );
    let attempts = &report.domains[0].attempts;
    // The fake host held a transaction (so its attempt is Ok) but deferred bob.
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].result, Ok(TlsUse::None));
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("RCPT TO:<bob@example.test>")));
    assert_eq!(
        delivered_host(report.outcome("bob@example.test")).0,
        "mail.example.test"
    );
    env.wait_for_mail("BOB", &id, DELIVERY);
}

#[test]
fn a_refused_starttls_goes_on_in_clear_unless_tls_is_required() {
    let Some((env, _)) = setup() else { return };
    let seen = fake_smtp(
        "127.0.0.8",
        smtp_port(&env),
        "454 4.7.0 TLS not available",
        "250 2.1.5 Ok",
    );
    let plans = plan_of(
        "fake.test",
        "x@fake.test",
        &[("notls.mx.test", "127.0.0.8")],
    );
    let (mut opportunistic, _) = options(&env, TlsPolicy::Opportunistic);
    let report = deliver(
        &plans,
        "s@client.example.test",
        &MailOptions::default(),
        || Ok(&b"Subject: t\r\n\r\nhi\r\n"[..]),
        None,
        &mut opportunistic,
    );
    let (host, _, tls) = delivered_host(report.outcome("x@fake.test"));
    assert_eq!((host.as_str(), tls), ("notls.mx.test", TlsUse::None));

    let (mut required, _) = options(&env, TlsPolicy::Required);
    let before = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("MAIL"))
        .count();
    let report = deliver(
        &plans,
        "s@client.example.test",
        &MailOptions::default(),
        || Ok(&b"Subject: t\r\n\r\nhi\r\n"[..]),
        None,
        &mut required,
    );
    match report.outcome("x@fake.test") {
        Some(Outcome::Deferred(Failure::Reply { command, reply, .. })) => {
            assert_eq!(*command, "STARTTLS");
            assert_eq!(reply.code().to_string(), "454");
        }
        other => panic!("{other:?}"),
    }
    // No MAIL FROM went out in clear with TLS required.
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("MAIL"))
            .count(),
        before
    );
}
