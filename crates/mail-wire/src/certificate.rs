//! Why a server's certificate was refused, in words a person can act on:
//! the TLS library's verify result sorted into a few cases, and the names
//! and dates read from the certificate itself (a minimal DER reader).

use std::fmt;

/// Why the certificate check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertProblem {
    /// Signed by an authority that is not trusted here (a private CA).
    UnknownIssuer,
    /// Self-signed, by the server itself or by a root that is not trusted.
    SelfSigned,
    /// Its validity ended (`YYYY-MM-DD`, when the certificate could be read).
    Expired(Option<String>),
    /// Its validity has not begun.
    NotYetValid(Option<String>),
    /// It does not carry the name connected to; these are the names it does carry.
    NameMismatch(Vec<String>),
}

impl CertProblem {
    /// Sorts the TLS library's reason (OpenSSL's verify result in
    /// parentheses at its end); `None` when it is no certificate problem.
    pub(crate) fn from_reason(reason: &str) -> Option<CertProblem> {
        let reason = reason.to_ascii_lowercase();
        let has = |sign: &str| reason.contains(sign);
        if has("self-signed") || has("self signed") {
            Some(CertProblem::SelfSigned)
        } else if has("unable to get local issuer")
            || has("unable to get issuer")
            || has("unable to verify the first")
        {
            Some(CertProblem::UnknownIssuer)
        } else if has("certificate has expired") {
            Some(CertProblem::Expired(None))
        } else if has("certificate is not yet valid") {
            Some(CertProblem::NotYetValid(None))
        } else if has("hostname mismatch") || has("ip address mismatch") {
            Some(CertProblem::NameMismatch(Vec::new()))
        } else {
            None
        }
    }

    /// True when the certificate's own contents would tell more.
    pub(crate) fn wants_details(&self) -> bool {
        matches!(
            self,
            CertProblem::Expired(None)
                | CertProblem::NotYetValid(None)
                | CertProblem::NameMismatch(_)
        )
    }

    /// Fills in names and dates from the certificate (DER).
    pub(crate) fn with_details(self, der: &[u8]) -> CertProblem {
        let Some(facts) = CertFacts::parse(der) else {
            return self;
        };
        match self {
            CertProblem::Expired(_) => CertProblem::Expired(facts.not_after),
            CertProblem::NotYetValid(_) => CertProblem::NotYetValid(facts.not_before),
            CertProblem::NameMismatch(_) => CertProblem::NameMismatch(facts.names),
            other => other,
        }
    }
}

impl CertProblem {
    /// What the user can do about it, naming the programs' flags.
    pub fn remedy(&self) -> &'static str {
        match self {
            CertProblem::UnknownIssuer | CertProblem::SelfSigned => {
                "if you trust this server, give the CA that signed its certificate with --ca-file PEM, \
                 or use --insecure to skip the check (then anyone on the path can read the session)"
            }
            CertProblem::Expired(_) => {
                "ask the server's administrator to renew it, \
                 or use --insecure to skip the check (then anyone on the path can read the session)"
            }
            CertProblem::NotYetValid(_) => {
                "check this computer's clock, \
                 or use --insecure to skip the check (then anyone on the path can read the session)"
            }
            CertProblem::NameMismatch(_) => {
                "connect by a name it carries, \
                 or use --insecure to skip the check (then anyone on the path can read the session)"
            }
        }
    }
}

/// The reason alone, as in "the certificate is {reason}".
impl fmt::Display for CertProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertProblem::UnknownIssuer => f.write_str("signed by an unknown authority"),
            CertProblem::SelfSigned => f.write_str("self-signed"),
            CertProblem::Expired(Some(date)) => write!(f, "expired since {date}"),
            CertProblem::Expired(None) => f.write_str("expired"),
            CertProblem::NotYetValid(Some(date)) => write!(f, "not valid before {date}"),
            CertProblem::NotYetValid(None) => f.write_str("not valid yet"),
            CertProblem::NameMismatch(names) if names.is_empty() => {
                f.write_str("issued for another name")
            }
            CertProblem::NameMismatch(names) => write!(f, "issued for {} only", names.join(", ")),
        }
    }
}

/// What the messages need from a certificate.
#[derive(Debug, Default, PartialEq, Eq)]
struct CertFacts {
    names: Vec<String>,
    not_before: Option<String>,
    not_after: Option<String>,
}

const SEQUENCE: u8 = 0x30;
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

impl CertFacts {
    /// Reads the subject alternative names (DNS names and IP addresses;
    /// the subject's CN when there are none) and the validity dates of an
    /// X.509 certificate (RFC 5280 §4.1). `None` for anything malformed.
    fn parse(der: &[u8]) -> Option<CertFacts> {
        let (_, cert, _) = tlv(der).filter(|(tag, _, _)| *tag == SEQUENCE)?;
        let (_, tbs, _) = tlv(cert).filter(|(tag, _, _)| *tag == SEQUENCE)?;
        let mut fields = Vec::new();
        let mut rest = tbs;
        while let Some((tag, content, after)) = tlv(rest) {
            fields.push((tag, content));
            rest = after;
        }
        // The version ([0]) is optional; serial, signature, issuer, validity, subject follow.
        let skip = usize::from(fields.first()?.0 == 0xa0);
        let (_, validity) = *fields.get(skip + 3)?;
        let (_, subject) = *fields.get(skip + 4)?;
        let (_, not_before, rest) = tlv(validity)?;
        let (_, not_after, _) = tlv(rest)?;
        let mut names = fields
            .iter()
            .find(|(tag, _)| *tag == 0xa3)
            .map(|(_, ext)| alt_names(ext))
            .unwrap_or_default();
        if names.is_empty() {
            names.extend(common_name(subject));
        }
        Some(CertFacts {
            names,
            not_before: date(not_before),
            not_after: date(not_after),
        })
    }
}

/// One DER element: tag, content, and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let bytes = rest.get(..count)?;
        (
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b)),
            rest.get(count..)?,
        )
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// Every element of a SEQUENCE's content.
fn elements(mut content: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some((tag, inner, rest)) = tlv(content) {
        out.push((tag, inner));
        content = rest;
    }
    out
}

/// The DNS names and IP addresses of the subjectAltName extension.
fn alt_names(explicit: &[u8]) -> Vec<String> {
    let Some((_, extensions, _)) = tlv(explicit) else {
        return Vec::new();
    };
    for (_, extension) in elements(extensions) {
        let parts = elements(extension);
        let Some((0x06, oid)) = parts.first().copied() else {
            continue;
        };
        if oid != OID_SUBJECT_ALT_NAME {
            continue;
        }
        let Some((0x04, value)) = parts.last().copied() else {
            continue;
        };
        let Some((_, general_names, _)) = tlv(value) else {
            continue;
        };
        return elements(general_names)
            .into_iter()
            .filter_map(|(tag, name)| match (tag, name.len()) {
                (0x82, _) => Some(crate::escape_for_display(name)),
                (0x87, 4) => Some(name.iter().map(u8::to_string).collect::<Vec<_>>().join(".")),
                (0x87, 16) => <[u8; 16]>::try_from(name)
                    .ok()
                    .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                _ => None,
            })
            .collect();
    }
    Vec::new()
}

/// The subject's common name, for a certificate without subjectAltName.
fn common_name(subject: &[u8]) -> Option<String> {
    elements(subject)
        .into_iter()
        .flat_map(|(_, set)| elements(set))
        .find_map(|(_, pair)| {
            let parts = elements(pair);
            match (parts.first(), parts.get(1)) {
                (Some((0x06, oid)), Some((_, value))) if *oid == OID_COMMON_NAME => {
                    Some(crate::escape_for_display(value))
                }
                _ => None,
            }
        })
}

/// `YYYY-MM-DD` from a UTCTime (`YYMMDD...`) or a GeneralizedTime (`YYYYMMDD...`).
fn date(time: &[u8]) -> Option<String> {
    let digits = std::str::from_utf8(time).ok()?;
    let (year, rest) = if digits.len() >= 15 {
        (digits.get(..4)?.to_owned(), digits.get(4..)?)
    } else {
        let yy: u32 = digits.get(..2)?.parse().ok()?;
        // RFC 5280 §4.1.2.5.1: 50 and above are 19xx.
        (
            format!("{}", if yy >= 50 { 1900 + yy } else { 2000 + yy }),
            digits.get(2..)?,
        )
    };
    let (month, day) = (rest.get(..2)?, rest.get(2..4)?);
    [year.as_str(), month, day]
        .iter()
        .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{year}-{month}-{day}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_verify_results_are_sorted() {
        let prefix = "error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: ";
        let table = [
            (
                "(unable to get local issuer certificate)",
                Some(CertProblem::UnknownIssuer),
            ),
            (
                "(self-signed certificate in certificate chain)",
                Some(CertProblem::SelfSigned),
            ),
            ("(self signed certificate)", Some(CertProblem::SelfSigned)),
            (
                "(certificate has expired)",
                Some(CertProblem::Expired(None)),
            ),
            (
                "(hostname mismatch)",
                Some(CertProblem::NameMismatch(Vec::new())),
            ),
        ];
        for (verify, expected) in table {
            assert_eq!(
                CertProblem::from_reason(&format!("{prefix}{verify}")),
                expected,
                "{verify}"
            );
        }
        assert_eq!(
            CertProblem::from_reason("error:0A00010B:SSL routines::wrong version number"),
            None
        );
    }

    #[test]
    fn sentences_say_what_to_do() {
        assert_eq!(
            CertProblem::UnknownIssuer.to_string(),
            "signed by an unknown authority"
        );
        assert!(CertProblem::UnknownIssuer
            .remedy()
            .contains("--ca-file PEM"));
        let names = CertProblem::NameMismatch(vec!["localhost".into(), "127.0.0.1".into()]);
        assert_eq!(names.to_string(), "issued for localhost, 127.0.0.1 only");
        assert_eq!(
            CertProblem::Expired(Some("2020-01-02".into())).to_string(),
            "expired since 2020-01-02"
        );
        for problem in [
            CertProblem::SelfSigned,
            CertProblem::Expired(None),
            CertProblem::NotYetValid(None),
            names,
        ] {
            assert!(problem.remedy().contains("--insecure"), "{problem:?}");
        }
    }

    #[test]
    fn dates_from_both_time_types() {
        assert_eq!(date(b"290311125027Z").as_deref(), Some("2029-03-11"));
        assert_eq!(date(b"991231235959Z").as_deref(), Some("1999-12-31"));
        assert_eq!(date(b"20500101000000Z").as_deref(), Some("2050-01-01"));
        assert_eq!(date(b"2x0311125027Z"), None);
        assert_eq!(date(b""), None);
    }

    #[test]
    fn malformed_der_is_none_at_every_length() {
        let der = [0x30, 0x82, 0x01, 0x00, 0x30, 0x03, 0x02, 0x01, 0x01];
        for end in 0..=der.len() {
            assert_eq!(CertFacts::parse(&der[..end]), None);
        }
        assert_eq!(tlv(&[0x30, 0x85, 1, 1, 1, 1, 1]), None);
    }
}
