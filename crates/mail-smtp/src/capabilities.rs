//! What the server offers, from its EHLO reply (RFC 5321 §4.1.1.1, §2.2).

use crate::reply::Reply;
use mail_wire::sasl::Mechanism;

/// The EHLO keywords and their parameters. After HELO (no ESMTP) it is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    domain: String,
    keywords: Vec<(String, Vec<String>)>,
    esmtp: bool,
}

impl Capabilities {
    /// Reads an EHLO reply: the first line is the server's domain and
    /// greeting, each further line `KEYWORD [param ...]`. Keywords are
    /// compared case-insensitively; unknown or odd lines are kept, not refused.
    pub fn from_ehlo(reply: &Reply) -> Self {
        let mut lines = reply.lines().iter();
        let domain = lines
            .next()
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_default()
            .to_owned();
        let mut keywords: Vec<(String, Vec<String>)> = Vec::new();
        for line in lines {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let mut keyword = keyword.to_ascii_uppercase();
            let mut params: Vec<String> = words.map(str::to_owned).collect();
            // Old servers (and Outlook clients' friends) send `AUTH=LOGIN PLAIN`.
            if let Some(first) = keyword.strip_prefix("AUTH=").map(str::to_owned) {
                keyword = "AUTH".to_owned();
                params.insert(0, first);
            }
            match keywords.iter_mut().find(|(k, _)| *k == keyword) {
                Some((_, existing)) => {
                    for p in params {
                        if !existing.iter().any(|e| e.eq_ignore_ascii_case(&p)) {
                            existing.push(p);
                        }
                    }
                }
                None => keywords.push((keyword, params)),
            }
        }
        Capabilities {
            domain,
            keywords,
            esmtp: true,
        }
    }

    /// What is known after a HELO fallback: nothing beyond RFC 821.
    pub fn helo_only(reply: &Reply) -> Self {
        let mut caps = Capabilities::from_ehlo(&Reply::new(
            reply.code(),
            reply.lines().iter().take(1).cloned().collect(),
        ));
        caps.esmtp = false;
        caps
    }

    /// True after EHLO succeeded.
    pub fn is_esmtp(&self) -> bool {
        self.esmtp
    }

    /// The domain the server named in its EHLO reply.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// True when the keyword (`PIPELINING`, `STARTTLS`...) was offered.
    pub fn has(&self, keyword: &str) -> bool {
        self.params(keyword).is_some()
    }

    /// The parameters of a keyword, `None` when not offered.
    pub fn params(&self, keyword: &str) -> Option<&[String]> {
        self.keywords
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(keyword))
            .map(|(_, p)| p.as_slice())
    }

    /// Every keyword with its parameters, in the server's order.
    pub fn keywords(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.keywords
            .iter()
            .map(|(k, p)| (k.as_str(), p.as_slice()))
    }

    /// `STARTTLS` (RFC 3207).
    pub fn starttls(&self) -> bool {
        self.has("STARTTLS")
    }

    /// `PIPELINING` (RFC 2920).
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }

    /// `CHUNKING` (RFC 3030).
    pub fn chunking(&self) -> bool {
        self.has("CHUNKING")
    }

    /// `8BITMIME` (RFC 6152).
    pub fn eight_bit_mime(&self) -> bool {
        self.has("8BITMIME")
    }

    /// `SMTPUTF8` (RFC 6531).
    pub fn smtputf8(&self) -> bool {
        self.has("SMTPUTF8")
    }

    /// `DSN` (RFC 3461).
    pub fn dsn(&self) -> bool {
        self.has("DSN")
    }

    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub fn enhanced_status_codes(&self) -> bool {
        self.has("ENHANCEDSTATUSCODES")
    }

    /// `SIZE` (RFC 1870): `Some(None)` when offered without a limit (or `SIZE 0`),
    /// `Some(Some(n))` with one.
    pub fn size(&self) -> Option<Option<u64>> {
        let params = self.params("SIZE")?;
        Some(
            params
                .first()
                .and_then(|p| p.parse::<u64>().ok())
                .filter(|&n| n > 0),
        )
    }

    /// The SASL mechanisms offered after `AUTH`, known ones only, in the server's order.
    pub fn auth_mechanisms(&self) -> Vec<Mechanism> {
        self.params("AUTH")
            .unwrap_or_default()
            .iter()
            .filter_map(|name| Mechanism::from_name(name))
            .fold(Vec::new(), |mut acc, m| {
                if !acc.contains(&m) {
                    acc.push(m);
                }
                acc
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::ReplyCode;

    fn ehlo(lines: &[&str]) -> Capabilities {
        Capabilities::from_ehlo(&Reply::new(
            ReplyCode::OK,
            lines.iter().map(|s| s.to_string()).collect(),
        ))
    }

    #[test]
    fn postfix_ehlo_reply_is_understood() {
        let caps = ehlo(&[
            "mail.example.test",
            "PIPELINING",
            "SIZE 10240000",
            "VRFY",
            "ETRN",
            "AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "DSN",
            "SMTPUTF8",
            "CHUNKING",
        ]);
        assert_eq!(caps.domain(), "mail.example.test");
        assert!(
            caps.pipelining()
                && caps.chunking()
                && caps.eight_bit_mime()
                && caps.smtputf8()
                && caps.dsn()
        );
        assert!(caps.enhanced_status_codes() && !caps.starttls());
        assert_eq!(caps.size(), Some(Some(10_240_000)));
        assert_eq!(
            caps.auth_mechanisms(),
            vec![Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_and_old_auth_form_merges() {
        let caps = ehlo(&["x", "starttls", "auth=LOGIN", "AUTH PLAIN login", "size"]);
        assert!(caps.starttls());
        assert_eq!(
            caps.auth_mechanisms(),
            vec![Mechanism::Login, Mechanism::Plain]
        );
        assert_eq!(caps.size(), Some(None));
    }

    #[test]
    fn odd_lines_do_not_fail() {
        let caps = ehlo(&["", "", "   ", "SIZE notanumber", "X-WEIRD a b"]);
        assert_eq!(caps.domain(), "");
        assert_eq!(caps.size(), Some(None));
        assert_eq!(caps.params("x-weird").unwrap(), ["a", "b"]);
        assert!(caps.auth_mechanisms().is_empty());
    }

    #[test]
    fn helo_only_offers_nothing() {
        let reply = Reply::new(
            ReplyCode::OK,
            vec!["mail.example.test".into(), "PIPELINING".into()],
        );
        let caps = Capabilities::helo_only(&reply);
        assert!(!caps.is_esmtp() && !caps.pipelining());
    }
}
