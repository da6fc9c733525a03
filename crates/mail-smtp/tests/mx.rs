//! MX resolution and delivery against a real DNS server (dnsmasq from
//! `scripts/dns`, zone `scripts/dns-zones/mx-test.conf`) and the real
//! Postfix of `scripts/mailserver` as the mail exchanger.
//!
//! Run through `scripts/test`, or by hand:
//! `scripts/dns start /tmp/mk-mx/dns 18053 scripts/dns-zones/mx-test.conf`
//! then `MAILTEST_DNS=127.0.0.1:18053 MAILTEST_ENV_FILE=/tmp/mk-mx/env cargo test -p mail-smtp --test mx`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};

use mail_smtp::mx::{MxPlan, ResolveError, Resolver};

/// The test DNS server, or `None` (loudly) when it is not running; under
/// `CI=true` a missing server is a failure.
fn dns() -> Option<SocketAddr> {
    match std::env::var("MAILTEST_DNS") {
        Ok(addr) => Some(addr.parse().expect("MAILTEST_DNS is not ip:port")),
        Err(_) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(!ci, "CI=true but MAILTEST_DNS is not set: run the tests through scripts/test");
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
        .map(|host| (host.name.clone(), host.preference, host.addrs.clone().unwrap_or_default()))
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
            ("mail.example.test".to_owned(), Some(5), vec![ip("127.0.0.1")]),
            ("refuse.mx.test".to_owned(), Some(20), vec![ip("127.0.0.3")]),
        ]
    );
    // Case and a final dot do not change the answer.
    assert_eq!(shape(&resolver.mx_hosts("PREF.test.").unwrap()), shape(&plan));
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
    assert!(firsts.len() > 1, "40 lookups always put {firsts:?} first: no shuffle");
}

#[test]
fn a_domain_without_mx_falls_back_to_its_address() {
    let Some(dns) = dns() else { return };
    let resolver = Resolver::with_server(dns).unwrap();
    let plan = resolver.mx_hosts("nomx.test").unwrap();
    assert_eq!(shape(&plan), [("nomx.test".to_owned(), None, vec![ip("127.0.0.1")])]);
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
    assert_eq!(err, ResolveError::NoSuchDomain { domain: "missing.test".into() });
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
    assert!(matches!(&hosts[0].addrs, Err(ResolveError::NoSuchDomain { .. })), "{:?}", hosts[0].addrs);
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
    let plans = resolver.plan_recipients(&["alice@pref.test", "x@nullmx.test", "bob@PREF.test", "y@missing.test"]);
    let summary: Vec<(&str, usize, bool)> =
        plans.iter().map(|p| (p.domain.as_str(), p.recipients.len(), p.plan.is_ok())).collect();
    assert_eq!(summary, [("pref.test", 2, true), ("nullmx.test", 1, true), ("missing.test", 1, false)]);
    assert_eq!(plans[1].plan, Ok(MxPlan::NullMx));
}

#[test]
fn a_dns_server_that_does_not_answer_is_a_temporary_error() {
    // Nothing listens on this loopback UDP port: the lookup fails, and the
    // failure must not read as "domain does not exist".
    let resolver = Resolver::with_server("127.0.0.1:9".parse().unwrap()).unwrap();
    let started = std::time::Instant::now();
    let err = resolver.mx_hosts("pref.test").unwrap_err();
    assert!(matches!(err, ResolveError::Lookup { .. }), "{err:?}");
    assert!(!err.is_permanent());
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
}
