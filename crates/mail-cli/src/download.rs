//! Downloads: one file per message, written so that a file that looks
//! complete is complete. [`Batch`] for many files (made durable together,
//! one `syncfs` per batch), [`DownloadDir::save`] for a single one (fsync,
//! rename), safe file names, and a progress bar.

mod batch;
mod interrupt;
pub mod maildir;

pub use batch::{
    remove_stale_temporaries, Batch, Entry, Saved, COMMIT_AFTER, IN_MEMORY, QUEUE_BYTES,
};
pub use interrupt::Interrupt;
pub use maildir::Format;

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

/// The progress of a bulk download on stderr: bytes (MB, MB/s, the ETA
/// from bytes) and messages. Shown only when stderr is a terminal and no
/// transcript scrolls on the same screen (`quiet`, or stdout redirected).
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
    messages: u64,
    done: Arc<AtomicU64>,
}

impl Progress {
    /// A bar for `messages` messages of `bytes` bytes in total.
    pub fn new(messages: u64, bytes: u64, quiet: bool) -> Progress {
        let visible =
            io::stderr().is_terminal() && (quiet || !io::stdout().is_terminal()) && messages > 0;
        let bar = if visible {
            ProgressBar::new(bytes)
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:30} {decimal_bytes}/{decimal_total_bytes} \
             ({decimal_bytes_per_sec}, ETA {eta}) {msg}",
        ) {
            bar.set_style(style);
        }
        let progress = Progress {
            bar,
            messages,
            done: Arc::new(AtomicU64::new(0)),
        };
        progress.show_count(0);
        progress
    }

    fn show_count(&self, done: u64) {
        self.bar
            .set_message(format!("{done}/{} messages", self.messages));
    }

    /// One more message of `size` bytes has arrived.
    pub fn message(&self, size: u64) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar.inc(size);
        self.show_count(done);
    }

    /// Removes the bar (before the summary line).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The last line of a bulk download, the same in every program:
/// `saved 407 messages (12.3 MB) to DIR in 2.1 s; 0 already there; 0 failed`,
/// then `; N deleted on the server` when deleting.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Messages made durable by this run.
    pub saved: u64,
    /// Their size.
    pub bytes: u64,
    /// Messages whose files an earlier run saved.
    pub skipped: u64,
    /// Messages the server refused or that could not be stored.
    pub failed: u64,
    /// Where.
    pub dir: PathBuf,
    /// How long the run took.
    pub seconds: f64,
    /// Messages removed from the server, with `--delete`.
    pub deleted: Option<u64>,
}

impl Summary {
    /// Adds another mailbox's counts (not its directory or time).
    pub fn add(&mut self, other: &Summary) {
        self.saved += other.saved;
        self.bytes += other.bytes;
        self.skipped += other.skipped;
        self.failed += other.failed;
        if let Some(n) = other.deleted {
            *self.deleted.get_or_insert(0) += n;
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "saved {} messages ({:.1} MB) to {} in {:.1} s; {} already there; {} failed",
            self.saved,
            self.bytes as f64 / 1e6,
            self.dir.display(),
            self.seconds,
            self.skipped,
            self.failed
        )?;
        if let Some(n) = self.deleted {
            write!(f, "; {n} deleted on the server")?;
        }
        Ok(())
    }
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
    fn the_summary_line_has_one_format() {
        let mut summary = Summary {
            saved: 407,
            bytes: 12_345_678,
            skipped: 3,
            failed: 1,
            dir: PathBuf::from("mail"),
            seconds: 2.14,
            deleted: None,
        };
        assert_eq!(
            summary.to_string(),
            "saved 407 messages (12.3 MB) to mail in 2.1 s; 3 already there; 1 failed"
        );
        summary.add(&Summary {
            saved: 1,
            deleted: Some(2),
            ..Summary::default()
        });
        assert!(summary
            .to_string()
            .starts_with("saved 408 messages (12.3 MB)"));
        assert!(summary.to_string().ends_with("; 2 deleted on the server"));
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
