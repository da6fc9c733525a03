//! Address fields as people type them: `name@domain` or `Name <name@domain>`,
//! several separated by commas or semicolons (a comma inside a quoted
//! display name does not separate).

use std::fmt;

use mail_mime::{BuildError, Mailbox};

/// An entry that is not a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressError {
    /// The entry as typed.
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a mail address: {} (expected name@domain or Name <name@domain>)",
            self.entry, self.reason
        )
    }
}

impl std::error::Error for AddressError {}

/// Splits a list and checks each mailbox; an empty field gives an empty list.
///
/// # Errors
/// The first entry that is not a mailbox.
pub fn parse_list(text: &str) -> Result<Vec<String>, AddressError> {
    split_list(text)?.into_iter().map(parse_mailbox).collect()
}

/// Checks one mailbox with mail-mime's [`Mailbox::parse`] (the parser the
/// builder uses, so what passes here builds) and returns it trimmed.
///
/// # Errors
/// [`AddressError`] naming the problem.
pub fn parse_mailbox(entry: &str) -> Result<String, AddressError> {
    let entry = entry.trim();
    match Mailbox::parse(entry) {
        Ok(_) => Ok(entry.to_owned()),
        Err(BuildError::InvalidAddress { reason, .. }) => Err(AddressError {
            entry: entry.to_owned(),
            reason,
        }),
        Err(BuildError::LineBreak { .. }) => Err(AddressError {
            entry: entry.to_owned(),
            reason: "a line break",
        }),
        Err(_) => Err(AddressError {
            entry: entry.to_owned(),
            reason: "not a mailbox",
        }),
    }
}

/// Splits on top-level `,` and `;` with mail-mime's list splitter.
fn split_list(text: &str) -> Result<Vec<&str>, AddressError> {
    Mailbox::split_list(text).map_err(|err| AddressError {
        entry: text.trim().to_owned(),
        reason: match err {
            BuildError::InvalidAddress { reason, .. } => reason,
            _ => "not a list of mailboxes",
        },
    })
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
                "\"Hong, Gildong\" <hong@x.test>, 밥 <bob@x.test>",
                &["\"Hong, Gildong\" <hong@x.test>", "밥 <bob@x.test>"],
            ),
            ("\"a \\\" , b\" <q@x.test>", &["\"a \\\" , b\" <q@x.test>"]),
        ];
        for (text, expected) in table {
            assert_eq!(parse_list(text).unwrap(), *expected, "{text:?}");
        }
    }

    #[test]
    fn malformed_entries_are_named() {
        let table = [
            ("bob", "no '@' in address"),
            ("@x.test", "empty local part"),
            ("bob@", "empty domain"),
            ("Bob <bob@x.test", "missing '>'"),
            ("Bob bob@x.test>", "'>' without '<'"),
            ("Bob <bob@x.test> extra", "text after '>'"),
            ("\"unclosed <a@x.test>", "a quote without its closing quote"),
        ];
        for (text, reason) in table {
            let err = parse_list(text).unwrap_err();
            assert_eq!(err.reason, reason, "{text:?}");
        }
        for bad in ["bob smith@x.test", "a@b@c", "<>", "x\ny@z.test"] {
            assert!(parse_mailbox(bad).is_err(), "{bad:?}");
        }
        let err = parse_list("ok@x.test, nope").unwrap_err();
        assert_eq!(err.to_string(), "\"nope\" is not a mail address: no '@' in address (expected name@domain or Name <name@domain>)");
    }
}
