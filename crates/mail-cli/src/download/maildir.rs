//! Maildir output (`--format maildir`): the layout mutt, neomutt, notmuch
//! and mbsync read. A message is written in `tmp/` and renamed into `new/`
//! (no flags: not yet seen by a mail reader) or `cur/` with the info
//! `:2,` + the flag letters in ASCII order (`D` draft, `F` flagged, `R`
//! answered, `S` seen, `T` trashed for `\Deleted`).
//!
//! The unique part of each name is the download key (`UIDVALIDITY-UID`,
//! or the UIDL), so a second run recognises what it saved whatever flags
//! the file carries since.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// The output format of `--fetch-all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One `KEY.eml` file per message.
    #[default]
    Eml,
    /// A Maildir (`cur/`, `new/`, `tmp/`).
    Maildir,
}

/// The path, relative to the Maildir, of the message `key` with IMAP `flags`
/// (`None`: the protocol gives none, as POP3).
pub fn file_name(key: &str, flags: Option<&[&str]>) -> String {
    let mut letters: Vec<char> = flags
        .unwrap_or_default()
        .iter()
        .filter_map(|flag| match flag.to_ascii_lowercase().as_str() {
            "\\draft" => Some('D'),
            "\\flagged" => Some('F'),
            "\\answered" => Some('R'),
            "\\seen" => Some('S'),
            "\\deleted" => Some('T'),
            _ => None,
        })
        .collect();
    letters.sort_unstable();
    letters.dedup();
    if letters.is_empty() {
        format!("new/{key}")
    } else {
        format!("cur/{key}:2,{}", letters.into_iter().collect::<String>())
    }
}

/// The key of a Maildir path made by [`file_name`] (`cur/K:2,S` → `K`).
pub fn key_of(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.split_once(':').map_or(base, |(key, _)| key)
}

/// The keys of the messages already in the Maildir `dir` (in `new/` or `cur/`).
pub fn keys(dir: &Path) -> HashSet<String> {
    ["new", "cur"]
        .iter()
        .filter_map(|sub| fs::read_dir(dir.join(sub)).ok())
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .map(|name| key_of(&name).to_owned())
        .collect()
}

/// Creates `dir/cur`, `dir/new` and `dir/tmp`.
///
/// # Errors
/// When a directory cannot be created.
pub fn create(dir: &Path) -> std::io::Result<()> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_sorted_info_letters_and_no_flags_go_to_new() {
        assert_eq!(file_name("7-1", None), "new/7-1");
        assert_eq!(file_name("7-1", Some(&[])), "new/7-1");
        assert_eq!(file_name("7-1", Some(&["\\Recent", "$Junk"])), "new/7-1");
        assert_eq!(
            file_name(
                "7-2",
                Some(&["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "\\Deleted"])
            ),
            "cur/7-2:2,DFRST"
        );
        assert_eq!(file_name("7-3", Some(&["\\SEEN"])), "cur/7-3:2,S");
        assert_eq!(key_of("cur/7-2:2,DFRST"), "7-2");
        assert_eq!(key_of("new/7-1"), "7-1");
    }

    #[test]
    fn keys_are_found_in_new_and_cur_whatever_the_flags() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path()).unwrap();
        fs::write(dir.path().join("new/a"), b"x").unwrap();
        fs::write(dir.path().join("cur/b:2,RS"), b"x").unwrap();
        fs::write(dir.path().join("tmp/c"), b"x").unwrap();
        let mut found: Vec<_> = keys(dir.path()).into_iter().collect();
        found.sort();
        assert_eq!(found, vec!["a", "b"]);
    }
}
