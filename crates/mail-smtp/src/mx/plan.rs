//! The delivery plan for one domain: which hosts to try, in which order
//! (RFC 5321 §5.1, RFC 7505). Pure: the DNS answers come in as values.

use std::fmt;
use std::net::IpAddr;

use super::ResolveError;

/// Where mail for one domain goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxPlan {
    /// The hosts to try, most preferred first (RFC 5321 §5.1): MX records
    /// sorted by preference with equal preferences shuffled, or the
    /// domain's own address records when it has no MX (the "implicit MX").
    Hosts(Vec<MxHost>),
    /// The domain publishes a null MX (RFC 7505: preference 0, exchange
    /// `.`): it accepts no mail, and no delivery may be attempted.
    NullMx,
}

impl MxPlan {
    /// The hosts in order; none for a null MX.
    pub fn hosts(&self) -> &[MxHost] {
        match self {
            MxPlan::Hosts(hosts) => hosts,
            MxPlan::NullMx => &[],
        }
    }
}

/// The recipients of one domain and where their mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPlan {
    /// The domain in lower case, without a final dot (`""` for recipients
    /// without `@`).
    pub domain: String,
    /// The recipients, as given.
    pub recipients: Vec<String>,
    /// The hosts to try, or why there are none.
    pub plan: Result<MxPlan, ResolveError>,
}

impl fmt::Display for DomainPlan {
    /// What `smtp-send --dry-run --mx` prints for a domain: a heading line,
    /// then one numbered line per host in the order they would be tried,
    /// or the reason there are none.
    ///
    /// ```text
    /// example.com (2 recipients):
    ///   1. mx1.example.com (preference 10): 192.0.2.1
    ///   2. mx2.example.com (preference 20): skipped, domain mx2.example.com does not exist
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = if self.domain.is_empty() {
            "(no domain)"
        } else {
            &self.domain
        };
        let count = self.recipients.len();
        write!(
            f,
            "{domain} ({count} recipient{}):",
            if count == 1 { "" } else { "s" }
        )?;
        match &self.plan {
            Ok(MxPlan::Hosts(hosts)) if hosts.is_empty() => write!(f, "\n  no host to try"),
            Ok(MxPlan::Hosts(hosts)) => {
                for (i, host) in hosts.iter().enumerate() {
                    write!(f, "\n  {}. {host}", i + 1)?;
                }
                Ok(())
            }
            Ok(MxPlan::NullMx) => write!(f, "\n  accepts no mail (null MX, RFC 7505)"),
            Err(err) => write!(f, "\n  {err}"),
        }
    }
}

/// One mail exchanger to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxHost {
    /// The exchange name without its final dot (`mx1.example.com`), the
    /// domain itself for an implicit MX, or an address literal
    /// (`[192.0.2.1]`). TLS certificates are checked against this name.
    pub name: String,
    /// The MX preference (lower is tried first); `None` for an implicit MX
    /// or an address literal, which have no MX record.
    pub preference: Option<u16>,
    /// The host's addresses in the order to try them, or why the name did
    /// not resolve (the host is then skipped, RFC 5321 §5.1).
    pub addrs: Result<Vec<IpAddr>, ResolveError>,
}

impl fmt::Display for MxHost {
    /// `mx1.example.com (preference 10): 192.0.2.1, 2001:db8::1`, the form
    /// `smtp-send --dry-run --mx` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match self.preference {
            Some(preference) => write!(f, " (preference {preference})")?,
            None if self.name.starts_with('[') => f.write_str(" (address literal)")?,
            None => f.write_str(" (no MX record: the domain's own address)")?,
        }
        match &self.addrs {
            Ok(addrs) => {
                f.write_str(":")?;
                for (i, addr) in addrs.iter().enumerate() {
                    write!(f, "{}{addr}", if i == 0 { " " } else { ", " })?;
                }
                Ok(())
            }
            Err(err) => write!(f, ": skipped, {err}"),
        }
    }
}

/// One MX record as DNS returned it: preference and exchange name (`""`
/// or `"."` for the root, which marks a null MX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MxRecord {
    pub(crate) preference: u16,
    pub(crate) exchange: String,
}

/// What the MX records of a domain say, before the hosts' addresses are
/// looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Exchanges {
    /// Exchange names, most preferred first, with their preferences.
    Ordered(Vec<(String, u16)>),
    /// Only null MX records.
    NullMx,
}

/// Orders MX records per RFC 5321 §5.1: ascending preference, records of
/// equal preference in random order ("SHOULD be randomized to spread the
/// load"). Root exchanges (RFC 7505 null MX) make the plan `NullMx` when
/// they are all there is; mixed with real hosts (which RFC 7505 §3 forbids
/// the domain to publish) they are dropped, since "." names no host.
/// Duplicate exchanges keep their most preferred record.
pub(crate) fn order_records(records: &[MxRecord], rng: &mut fastrand::Rng) -> Exchanges {
    let mut real: Vec<(String, u16)> = Vec::new();
    for record in records {
        let name = record.exchange.trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        match real.iter_mut().find(|(known, _)| *known == name) {
            Some(known) => known.1 = known.1.min(record.preference),
            None => real.push((name, record.preference)),
        }
    }
    if real.is_empty() && !records.is_empty() {
        return Exchanges::NullMx;
    }
    // Shuffle first, then a stable sort by preference keeps the shuffled
    // order within each preference.
    rng.shuffle(&mut real);
    real.sort_by_key(|&(_, preference)| preference);
    Exchanges::Ordered(real)
}

/// The IP address of an address-literal domain (`[192.0.2.1]`,
/// `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3), `None` for a domain name.
///
/// # Errors
/// `Err(reason)` for brackets around something that is not an address.
pub(crate) fn parse_address_literal(domain: &str) -> Option<Result<IpAddr, String>> {
    let inner = domain.strip_prefix('[')?;
    let Some(inner) = inner.strip_suffix(']') else {
        return Some(Err("unclosed address literal".to_owned()));
    };
    let parsed = match inner.get(..5) {
        Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => inner
            .get(5..)
            .and_then(|v6| v6.parse::<std::net::Ipv6Addr>().ok())
            .map(IpAddr::V6),
        _ => inner.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4),
    };
    Some(parsed.ok_or_else(|| format!("{inner:?} is not an IPv4 or IPv6: address")))
}

/// The domain of a recipient address: what follows its last `@`, without
/// a final dot, in lower case (domains compare case-insensitively, RFC
/// 5321 §2.4). `""` when there is no `@`.
pub(crate) fn domain_of(recipient: &str) -> String {
    let recipient = recipient.trim_start_matches('<').trim_end_matches('>');
    match recipient.rsplit_once('@') {
        Some((_, domain)) => domain.trim_end_matches('.').to_lowercase(),
        None => String::new(),
    }
}

/// Groups recipients by domain, domains and recipients in first-seen order.
pub(crate) fn group_by_domain<S: AsRef<str>>(recipients: &[S]) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for recipient in recipients {
        let recipient = recipient.as_ref();
        let domain = domain_of(recipient);
        match groups.iter_mut().find(|(known, _)| *known == domain) {
            Some((_, members)) => members.push(recipient.to_owned()),
            None => groups.push((domain, vec![recipient.to_owned()])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(list: &[(u16, &str)]) -> Vec<MxRecord> {
        list.iter()
            .map(|&(preference, exchange)| MxRecord {
                preference,
                exchange: exchange.to_owned(),
            })
            .collect()
    }

    fn names(exchanges: &Exchanges) -> Vec<&str> {
        match exchanges {
            Exchanges::Ordered(list) => list.iter().map(|(name, _)| name.as_str()).collect(),
            Exchanges::NullMx => vec!["<null>"],
        }
    }

    #[test]
    fn records_are_ordered_by_ascending_preference() {
        type Case<'a> = (&'a [(u16, &'a str)], &'a [&'a str]);
        let table: &[Case] = &[
            (
                &[(20, "b.example."), (10, "a.example.")],
                &["a.example", "b.example"],
            ),
            (
                &[(0, "z.example"), (65535, "y.example"), (5, "x.example")],
                &["z.example", "x.example", "y.example"],
            ),
            (&[(10, "MX.Example.COM.")], &["mx.example.com"]),
            // The same host twice keeps its best preference.
            (
                &[(30, "a.example"), (20, "b.example"), (10, "a.example")],
                &["a.example", "b.example"],
            ),
        ];
        for (input, expected) in table {
            let got = order_records(&records(input), &mut fastrand::Rng::with_seed(7));
            assert_eq!(names(&got), *expected, "{input:?}");
        }
    }

    #[test]
    fn equal_preferences_are_shuffled_but_stay_in_their_rank() {
        let input = records(&[(10, "a"), (10, "b"), (10, "c"), (5, "first"), (20, "last")]);
        let mut seen_first = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let ordered = order_records(&input, &mut fastrand::Rng::with_seed(seed));
            let got = names(&ordered);
            assert_eq!(got.first(), Some(&"first"));
            assert_eq!(got.last(), Some(&"last"));
            let mut middle: Vec<&str> = got.get(1..4).unwrap().to_vec();
            seen_first.insert(middle[0].to_owned());
            middle.sort_unstable();
            assert_eq!(middle, ["a", "b", "c"]);
        }
        // 64 seeds that never put a different host first would mean no shuffle.
        assert_eq!(seen_first.len(), 3, "{seen_first:?}");
    }

    #[test]
    fn a_lone_root_exchange_is_a_null_mx() {
        for exchange in [".", ""] {
            let got = order_records(&records(&[(0, exchange)]), &mut fastrand::Rng::with_seed(1));
            assert_eq!(got, Exchanges::NullMx);
        }
    }

    #[test]
    fn a_root_exchange_beside_real_hosts_is_dropped() {
        let got = order_records(
            &records(&[(0, "."), (10, "mx.example")]),
            &mut fastrand::Rng::with_seed(1),
        );
        assert_eq!(names(&got), ["mx.example"]);
    }

    #[test]
    fn no_records_is_an_empty_order_not_a_null_mx() {
        assert_eq!(
            order_records(&[], &mut fastrand::Rng::with_seed(1)),
            Exchanges::Ordered(vec![])
        );
    }

    #[test]
    fn address_literals_parse() {
        assert_eq!(parse_address_literal("example.com"), None);
        assert_eq!(
            parse_address_literal("[192.0.2.1]"),
            Some(Ok("192.0.2.1".parse().unwrap()))
        );
        assert_eq!(
            parse_address_literal("[IPv6:2001:db8::1]"),
            Some(Ok("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            parse_address_literal("[ipv6:::1]"),
            Some(Ok("::1".parse().unwrap()))
        );
        for bad in [
            "[192.0.2.1",
            "[2001:db8::1]",
            "[IPv6:192.0.2.1]",
            "[]",
            "[IPv6:]",
            "[x\u{e9}]",
        ] {
            assert!(matches!(parse_address_literal(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn recipients_group_by_domain_in_first_seen_order() {
        let groups = group_by_domain(&[
            "a@B.test",
            "x@a.test",
            "c@b.TEST.",
            "<d@a.test>",
            "postmaster",
            "e@x@c.test",
        ]);
        let shape: Vec<(&str, usize)> = groups.iter().map(|(d, r)| (d.as_str(), r.len())).collect();
        assert_eq!(
            shape,
            [("b.test", 2), ("a.test", 2), ("", 1), ("c.test", 1)]
        );
        // Recipients keep their spelling; only the grouping key is folded.
        assert_eq!(groups[0].1, ["a@B.test", "c@b.TEST."]);
    }

    #[test]
    fn hosts_display_for_dry_run() {
        let host = MxHost {
            name: "mx1.example.com".into(),
            preference: Some(10),
            addrs: Ok(vec![
                "192.0.2.1".parse().unwrap(),
                "2001:db8::1".parse().unwrap(),
            ]),
        };
        assert_eq!(
            host.to_string(),
            "mx1.example.com (preference 10): 192.0.2.1, 2001:db8::1"
        );
        let implicit = MxHost {
            name: "example.com".into(),
            preference: None,
            addrs: Ok(vec!["192.0.2.2".parse().unwrap()]),
        };
        assert_eq!(
            implicit.to_string(),
            "example.com (no MX record: the domain's own address): 192.0.2.2"
        );
        let dangling = MxHost {
            name: "gone.example.com".into(),
            preference: Some(20),
            addrs: Err(ResolveError::NoSuchDomain {
                domain: "gone.example.com".into(),
            }),
        };
        assert_eq!(
            dangling.to_string(),
            "gone.example.com (preference 20): skipped, domain gone.example.com does not exist"
        );
        let plan = DomainPlan {
            domain: "example.com".into(),
            recipients: vec!["a@example.com".into()],
            plan: Ok(MxPlan::Hosts(vec![host, dangling])),
        };
        assert_eq!(
            plan.to_string(),
            "example.com (1 recipient):\n  1. mx1.example.com (preference 10): 192.0.2.1, 2001:db8::1\n  \
             2. gone.example.com (preference 20): skipped, domain gone.example.com does not exist"
        );
        let null = DomainPlan {
            domain: "n.example".into(),
            recipients: vec!["a@n.example".into(), "b@n.example".into()],
            plan: Ok(MxPlan::NullMx),
        };
        assert_eq!(
            null.to_string(),
            "n.example (2 recipients):\n  accepts no mail (null MX, RFC 7505)"
        );
    }
}
