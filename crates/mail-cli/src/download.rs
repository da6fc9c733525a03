//! Downloads: one file per message, written so that a file that looks
//! complete is complete. [`Batch`] for many files (made durable together,
//! one `syncfs` per batch), [`DownloadDir::save`] for a single one (fsync,
//! rename), safe file names, and a progress bar.

mod batch;

pub use batch::{remove_stale_temporaries, Batch, Entry, Saved, IN_MEMORY};

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

/// A directory of downloaded messages.
#[derive(Debug, Clone)]
pub struct DownloadDir {
    dir: PathBuf,
}

impl DownloadDir {
    /// Opens (creating it if needed) the directory.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        Ok(DownloadDir {
            dir: dir.to_owned(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// True when a finished file of that (already safe) name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.dir.join(name).is_file()
    }

    /// Writes one message through `write` to a temporary file, syncs it to
    /// disk and renames it to `name` (for a single file; many files go
    /// through a [`Batch`], which syncs them together); on any error the temporary file is
    /// removed and no file named `name` appears.
    ///
    /// # Errors
    /// The writer's error, or an I/O error of the file system.
    pub fn save<E: From<io::Error>>(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<PathBuf, E> {
        let final_path = self.dir.join(name);
        let temp_path = self
            .dir
            .join(format!(".{name}.part-{}", std::process::id()));
        let result = (|| {
            let mut out = BufWriter::with_capacity(256 * 1024, File::create(&temp_path)?);
            write(&mut out)?;
            let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.sync_all()?;
            fs::rename(&temp_path, &final_path)?;
            // Make the rename itself durable.
            File::open(&self.dir)?.sync_all()?;
            Ok(final_path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temp_path);
        }
        result
    }
}

/// Turns a server-chosen identifier (a UIDL, say) into a file name that
/// cannot leave the directory or hide: letters, digits, `-`, `_` and `.` stay,
/// anything else becomes `%XX`, and a leading `.` is escaped too.
pub fn safe_file_name(raw: &str) -> String {
    let mut name = String::with_capacity(raw.len());
    for (i, b) in raw.bytes().enumerate() {
        let keep = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') || (b == b'.' && i > 0);
        if keep {
            name.push(char::from(b));
        } else {
            name.push_str(&format!("%{b:02X}"));
        }
    }
    if name.is_empty() {
        name.push_str("%00");
    }
    name
}

/// A progress bar on stderr when it is a terminal and `enabled`; hidden otherwise.
pub fn progress_bar(total: u64, enabled: bool) -> ProgressBar {
    if !enabled || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40} {pos}/{len} messages ({per_sec}, {elapsed} elapsed, ETA {eta}) {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_or_hide() {
        let table = [
            ("000000016b02535a", "000000016b02535a"),
            ("../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"),
            (".hidden", "%2Ehidden"),
            ("a/b\\c d", "a%2Fb%5Cc%20d"),
            ("", "%00"),
            ("1234.eml", "1234.eml"),
        ];
        for (raw, expected) in table {
            assert_eq!(safe_file_name(raw), expected, "{raw}");
        }
    }

    #[test]
    fn save_is_all_or_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DownloadDir::open(&tmp.path().join("mail")).unwrap();
        let path = dir
            .save::<io::Error>("a.eml", |w| w.write_all(b"hello"))
            .unwrap();
        assert_eq!(fs::read(path).unwrap(), b"hello");
        assert!(dir.contains("a.eml"));

        let failed = dir.save("b.eml", |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("connection dropped"))
        });
        assert!(failed.is_err());
        assert!(!dir.contains("b.eml"));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("a.eml")]);
    }
}
