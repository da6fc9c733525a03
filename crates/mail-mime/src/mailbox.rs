//! `Mailbox`: a display name and an address (RFC 5322 §3.4), as the builder
//! takes it from a person and as the parser reads it from a header.

use std::fmt;

use crate::{encoded_word, BuildError};

/// A display name (optional) and an address, `홍길동 <hong@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    name: Option<String>,
    address: String,
}

/// Characters RFC 5322 §3.2.3 allows in an atom.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn invalid(input: &str, reason: &'static str) -> BuildError {
    BuildError::InvalidAddress {
        input: input.to_string(),
        reason,
    }
}

impl Mailbox {
    /// A mailbox from parts already split; used by the parser, not checked.
    pub(crate) fn from_parts(name: Option<String>, address: String) -> Self {
        Mailbox { name, address }
    }

    /// Parses what a person types: `hong@example.com`,
    /// `홍길동 <hong@example.com>` or `"Doe, J" <j@x.org>`.
    ///
    /// # Errors
    ///
    /// [`BuildError::LineBreak`] for CR, LF or NUL anywhere;
    /// [`BuildError::InvalidAddress`] when the address is empty or not
    /// `local@domain` (white space, brackets or a missing part).
    pub fn parse(input: &str) -> Result<Mailbox, BuildError> {
        if input.contains(['\r', '\n', '\0']) {
            return Err(BuildError::LineBreak { what: "address" });
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid(input, "empty address"));
        }
        let (name, address) = match trimmed.rfind('<') {
            Some(open) => {
                let after = trimmed.get(open + 1..).unwrap_or_default();
                let Some(close) = after.find('>') else {
                    return Err(invalid(input, "missing '>'"));
                };
                if !after.get(close + 1..).unwrap_or_default().trim().is_empty() {
                    return Err(invalid(input, "text after '>'"));
                }
                let name = parse_display_name(trimmed.get(..open).unwrap_or_default(), input)?;
                (name, after.get(..close).unwrap_or_default().trim())
            }
            None if trimmed.contains('>') => return Err(invalid(input, "'>' without '<'")),
            None => (None, trimmed),
        };
        check_address(address, input)?;
        Ok(Mailbox {
            name,
            address: address.to_string(),
        })
    }

    /// Parses a list as people type it: mailboxes separated by `,` or `;`;
    /// a separator inside a quoted display name or inside `<...>` does not
    /// separate (`"Kim, Chul" <k@x.org>, b@y.org` is two mailboxes). Empty
    /// entries are skipped, so an empty text gives an empty list.
    ///
    /// # Errors
    ///
    /// As [`Mailbox::parse`] for the first entry that is not a mailbox;
    /// [`BuildError::InvalidAddress`] for a quote without its closing quote.
    pub fn parse_list(input: &str) -> Result<Vec<Mailbox>, BuildError> {
        Mailbox::split_list(input)?
            .into_iter()
            .map(Mailbox::parse)
            .collect()
    }

    /// The entries of a typed list as [`Mailbox::parse_list`] splits it,
    /// trimmed and not yet parsed (for callers that report each entry).
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidAddress`] for a quote without its closing quote.
    pub fn split_list(input: &str) -> Result<Vec<&str>, BuildError> {
        split_list(input)
    }

    /// The display name, if there is one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address, `local@domain`, without angle brackets.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The domain part of the address (after the last `@`).
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// Header form: the name as an atom phrase, a quoted string or
    /// encoded-words (non-ASCII), then `<address>`.
    pub(crate) fn to_header(&self) -> String {
        match self.name.as_deref() {
            None | Some("") => self.address.clone(),
            Some(name) => format!("{} <{}>", encode_phrase(name), self.address),
        }
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if !name.is_empty() => write!(f, "{name} <{}>", self.address),
            _ => f.write_str(&self.address),
        }
    }
}

/// Splits a typed list on top-level `,` and `;`, keeping quoted names and
/// `<...>` whole; entries come back trimmed, empty ones dropped.
fn split_list(input: &str) -> Result<Vec<&str>, BuildError> {
    let mut entries = Vec::new();
    let (mut start, mut in_quotes, mut escaped, mut in_angle) = (0, false, false, false);
    for (at, c) in input.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' | ';' if !in_quotes && !in_angle => {
                entries.push(input.get(start..at).unwrap_or_default());
                start = at + 1;
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(invalid(input.trim(), "a quote without its closing quote"));
    }
    entries.push(input.get(start..).unwrap_or_default());
    Ok(entries
        .into_iter()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect())
}

fn parse_display_name(raw: &str, input: &str) -> Result<Option<String>, BuildError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let Some(inner) = inner.strip_suffix('"') else {
            return Err(invalid(input, "unterminated quoted display name"));
        };
        let mut name = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.extend(chars.next()),
                '"' => return Err(invalid(input, "stray '\"' in display name")),
                c => name.push(c),
            }
        }
        return Ok(Some(name));
    }
    Ok(Some(raw.to_string()))
}

fn check_address(address: &str, input: &str) -> Result<(), BuildError> {
    if address.is_empty() {
        return Err(invalid(input, "empty address"));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(invalid(input, "no '@' in address"));
    };
    if local.is_empty() {
        return Err(invalid(input, "empty local part"));
    }
    if domain.is_empty() {
        return Err(invalid(input, "empty domain"));
    }
    let quoted_local = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if !quoted_local
        && (local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || !local.chars().all(|c| is_atext(c) || c == '.'))
    {
        return Err(invalid(input, "invalid character in local part"));
    }
    if quoted_local && local.chars().any(|c| c.is_control()) {
        return Err(invalid(input, "control character in local part"));
    }
    let literal = domain.starts_with('[') && domain.ends_with(']');
    let domain_ok = if literal {
        domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".:[]-".contains(c))
    } else {
        !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii())
    };
    if !domain_ok {
        return Err(invalid(input, "invalid domain"));
    }
    Ok(())
}

/// A display name as RFC 5322 `phrase`: atoms as they are, otherwise a
/// quoted string, or encoded-words when it holds non-ASCII text.
pub(crate) fn encode_phrase(name: &str) -> String {
    if !name.is_ascii() || name.contains("=?") {
        return encoded_word::encode(name).join(" ");
    }
    let atoms_only = name
        .split(' ')
        .all(|w| !w.is_empty() && w.chars().all(is_atext));
    if atoms_only {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_top_level_separators() {
        let table: &[(&str, &[&str])] = &[
            ("", &[]),
            ("  ,  ", &[]),
            ("a@x.test", &["a@x.test"]),
            (
                "a@x.test, b@y.test; c@z.test",
                &["a@x.test", "b@y.test", "c@z.test"],
            ),
            (
                "\"Kim, Chul\" <k@x.test>, 밥 <bob@x.test>",
                &["\"Kim, Chul\" <k@x.test>", "밥 <bob@x.test>"],
            ),
            ("\"a \\\" , b\" <q@x.test>", &["\"a \\\" , b\" <q@x.test>"]),
            (
                "<odd,one@x.test>, b@y.test",
                &["<odd,one@x.test>", "b@y.test"],
            ),
        ];
        for (text, expected) in table {
            assert_eq!(Mailbox::split_list(text).unwrap(), *expected, "{text:?}");
        }
        let list = Mailbox::parse_list("\"Kim, Chul\" <k@x.test>,b@y.test").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].name(), list[0].address()),
            (Some("Kim, Chul"), "k@x.test")
        );
        assert_eq!(list[1].address(), "b@y.test");
        assert!(matches!(
            Mailbox::parse_list("\"unclosed <a@x.test>"),
            Err(BuildError::InvalidAddress {
                reason: "a quote without its closing quote",
                ..
            })
        ));
        assert!(Mailbox::parse_list("a@x.test, nope").is_err());
    }

    #[test]
    fn parses_the_forms_people_type() {
        let m = Mailbox::parse("홍길동 <hong@example.com>").unwrap();
        assert_eq!(
            (m.name(), m.address()),
            (Some("홍길동"), "hong@example.com")
        );
        let m = Mailbox::parse("hong@example.com").unwrap();
        assert_eq!((m.name(), m.address()), (None, "hong@example.com"));
        let m = Mailbox::parse("\"Doe, J\" <j@x.org>").unwrap();
        assert_eq!(
            (m.name(), m.address(), m.domain()),
            (Some("Doe, J"), "j@x.org", "x.org")
        );
        let m = Mailbox::parse("  <bob@example.test>  ").unwrap();
        assert_eq!((m.name(), m.address()), (None, "bob@example.test"));
        let m = Mailbox::parse("\"a \\\"q\\\" b\" <a@b.c>").unwrap();
        assert_eq!(m.name(), Some("a \"q\" b"));
        assert!(Mailbox::parse("사용자@예시.한국").is_ok());
    }

    #[test]
    fn refuses_malformed_and_injected_addresses() {
        for bad in [
            "",
            "   ",
            "nobody",
            "@x.org",
            "a@",
            "a b@x.org",
            "<a@x.org",
            "a@x.org>",
            "A <a@x.org> junk",
            "a@x..org",
            "\"open <a@x.org>",
        ] {
            assert!(
                matches!(Mailbox::parse(bad), Err(BuildError::InvalidAddress { .. })),
                "{bad:?}"
            );
        }
        for bad in [
            "a@x.org\r\nBcc: evil@x.org",
            "Name\n <a@x.org>",
            "a\0@x.org",
        ] {
            assert!(
                matches!(Mailbox::parse(bad), Err(BuildError::LineBreak { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn header_form_quotes_or_encodes_the_name() {
        let h = |s: &str| Mailbox::parse(s).unwrap().to_header();
        assert_eq!(h("Bob Smith <b@x.org>"), "Bob Smith <b@x.org>");
        assert_eq!(h("\"Doe, J\" <j@x.org>"), "\"Doe, J\" <j@x.org>");
        assert_eq!(h("j@x.org"), "j@x.org");
        assert!(h("홍길동 <hong@example.com>").starts_with("=?utf-8?B?"));
    }
}
