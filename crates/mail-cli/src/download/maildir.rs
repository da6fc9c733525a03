//! Maildir output (`--format maildir`): the layout mutt, neomutt, notmuch
//! and mbsync read. A message is written in `tmp/` and renamed into `new/`
//! (no flags: not yet seen by a mail reader) or `cur/` with the info
//! `:2,` + the flag letters in ASCII order (`D` draft, `F` flagged, `R`
//! answered, `S` seen, `T` trashed for `\Deleted`).
//!
//! The unique part of each name is the download key (`UIDVALIDITY-UID`,
//! or the UIDL), so a second run recognises what it saved whatever flags
//! the file carries since.

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
pub fn keys(dir: &Path) -> KeySet {
    let mut set = KeySet::default();
    for entry in ["new", "cur"]
        .iter()
        .filter_map(|sub| fs::read_dir(dir.join(sub)).ok())
        .flatten()
        .flatten()
    {
        if let Ok(name) = entry.file_name().into_string() {
            if !name.starts_with('.') {
                set.push(key_of(&name));
            }
        }
    }
    set.seal();
    set
}

/// A set of keys kept compact: their text in one string and a sorted list
/// of where each one lies, about 8 bytes a key beside its text. A Maildir
/// of 100,000 messages read into a set of strings cost 100,000 allocations
/// and several megabytes on every later run.
#[derive(Debug, Default)]
pub struct KeySet {
    text: String,
    /// Start and end of each key in `text`; sorted by key once sealed.
    spans: Vec<(u32, u32)>,
}

impl KeySet {
    /// Adds `key` (ignored if the text would pass 4 GiB).
    fn push(&mut self, key: &str) {
        let start = self.text.len();
        if let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(start + key.len())) {
            self.text.push_str(key);
            self.spans.push((start, end));
        }
    }

    fn key(&self, (start, end): (u32, u32)) -> &str {
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// Sorts the keys so that [`contains`](Self::contains) can search them.
    fn seal(&mut self) {
        let mut spans = std::mem::take(&mut self.spans);
        spans.sort_unstable_by(|&a, &b| self.key(a).cmp(self.key(b)));
        spans.dedup_by(|a, b| self.key(*a) == self.key(*b));
        spans.shrink_to_fit();
        self.spans = spans;
    }

    /// True when `key` is in the set.
    pub fn contains(&self, key: &str) -> bool {
        self.spans
            .binary_search_by(|&span| self.key(span).cmp(key))
            .is_ok()
    }

    /// How many different keys.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
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
        let found = keys(dir.path());
        assert_eq!(found.len(), 2);
        assert!(found.contains("a") && found.contains("b"));
        assert!(!found.contains("c") && !found.contains(""));
    }

    #[test]
    fn a_key_set_finds_every_key_once_and_nothing_else() {
        let mut set = KeySet::default();
        assert!(set.is_empty() && !set.contains("x"));
        let keys: Vec<String> = (0..1000).rev().map(|i| format!("1700000000-{i}")).collect();
        for key in &keys {
            set.push(key);
        }
        set.push("1700000000-7"); // the same key in new/ and cur/
        set.seal();
        assert_eq!(set.len(), 1000);
        assert!(keys.iter().all(|key| set.contains(key)));
        assert!(!set.contains("1700000000-1000") && !set.contains("1700000000-"));
        assert!(!set.contains("1700000000-10000"));
    }
}
