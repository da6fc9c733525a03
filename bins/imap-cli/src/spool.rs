//! Writes downloaded messages durably and fast: small messages go to a pool
//! of writer threads (file creation is latency-bound, so a few in parallel
//! beat one at a time), large ones stream straight to disk. Every file is
//! written under a temporary name; a group of files becomes visible only
//! after one `syncfs` has made all their bytes durable, and then each is
//! renamed to its final name. A crash leaves only hidden temporary files,
//! which the next run removes.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() -> io::Result<()> + Send>;

/// Messages up to this size are buffered and handed to the writer threads.
pub(crate) const SMALL: u64 = 256 * 1024;
const THREADS: usize = 4;
/// Jobs waiting for a writer; bounds memory to `QUEUE * SMALL`.
const QUEUE: usize = 32;

pub(crate) struct Spool {
    dir: PathBuf,
    jobs: Option<SyncSender<Job>>,
    done: Receiver<io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    queued: usize,
    pending: Vec<(PathBuf, PathBuf)>,
}

fn temp_name(name: &str) -> String {
    format!(".{name}.part-{}", std::process::id())
}

impl Spool {
    /// Opens `dir` and removes temporary files a crashed run left behind.
    pub(crate) fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.contains(".eml.part-") {
                fs::remove_file(entry.path())?;
            }
        }
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let (done_tx, done) = mpsc::channel();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..THREADS)
            .map(|_| {
                let rx = Arc::clone(&rx);
                let done_tx = done_tx.clone();
                std::thread::spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => {
                            if done_tx.send(job()).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                })
            })
            .collect();
        Ok(Spool { dir: dir.to_owned(), jobs: Some(tx), done, workers, queued: 0, pending: Vec::new() })
    }

    /// True when `name` was saved by an earlier run.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.dir.join(name).is_file()
    }

    fn submit(&mut self, job: Job) -> io::Result<()> {
        let jobs = self.jobs.as_ref().ok_or_else(|| io::Error::other("writer threads stopped"))?;
        jobs.send(job).map_err(|_| io::Error::other("writer threads stopped"))?;
        self.queued += 1;
        Ok(())
    }

    /// Queues a small message, already in memory.
    pub(crate) fn write_small(&mut self, name: &str, bytes: Vec<u8>) -> io::Result<()> {
        let temp = self.dir.join(temp_name(name));
        self.pending.push((temp.clone(), self.dir.join(name)));
        self.submit(Box::new(move || fs::write(&temp, &bytes)))
    }

    /// Streams a large message through `write` into its temporary file.
    pub(crate) fn write_large<E: From<io::Error>>(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<(), E>,
    ) -> Result<(), E> {
        let temp = self.dir.join(temp_name(name));
        let mut out = BufWriter::with_capacity(256 * 1024, File::create(&temp)?);
        let result = write(&mut out);
        let flushed = out.flush();
        if result.is_err() || flushed.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result?;
        flushed?;
        self.pending.push((temp, self.dir.join(name)));
        Ok(())
    }

    fn wait(&mut self) -> io::Result<()> {
        let mut first_error = None;
        while self.queued > 0 {
            let result = self.done.recv().map_err(|_| io::Error::other("writer threads stopped"))?;
            self.queued -= 1;
            if let Err(err) = result {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Makes every file written so far durable (one `syncfs`), then gives
    /// each its final name and syncs the directory; returns how many.
    pub(crate) fn commit(&mut self) -> io::Result<usize> {
        let started = std::time::Instant::now();
        self.wait()?;
        if self.pending.is_empty() {
            return Ok(0);
        }
        let written = started.elapsed();
        let dir = File::open(&self.dir)?;
        rustix::fs::syncfs(&dir)?;
        let synced = started.elapsed();
        let pending = std::mem::take(&mut self.pending);
        let count = pending.len();
        for (temp, target) in pending {
            self.submit(Box::new(move || fs::rename(&temp, &target)))?;
        }
        self.wait()?;
        dir.sync_all()?;
        log::debug!(
            "committed {count} files: writes done at {written:?}, syncfs done at {synced:?}, renamed and synced at {:?}",
            started.elapsed()
        );
        Ok(count)
    }

    /// Removes what was not committed.
    pub(crate) fn abandon(&mut self) {
        let _ = self.wait();
        for (temp, _) in self.pending.drain(..) {
            let _ = fs::remove_file(temp);
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        self.abandon();
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_appear_only_after_commit_and_stale_parts_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(".1-9.eml.part-1"), b"stale").unwrap();
        let mut spool = Spool::open(tmp.path()).unwrap();
        assert!(!tmp.path().join(".1-9.eml.part-1").exists());
        for i in 0..50 {
            spool.write_small(&format!("1-{i}.eml"), vec![b'x'; i]).unwrap();
        }
        spool.write_large::<io::Error>("1-big.eml", |w| w.write_all(&[b'y'; 300_000])).unwrap();
        assert!(!spool.contains("1-3.eml"));
        assert_eq!(spool.commit().unwrap(), 51);
        assert_eq!(fs::read(tmp.path().join("1-3.eml")).unwrap(), b"xxx");
        assert_eq!(fs::read(tmp.path().join("1-big.eml")).unwrap().len(), 300_000);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 51);
    }

    #[test]
    fn a_failed_large_write_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(tmp.path()).unwrap();
        let err = spool.write_large::<io::Error>("1-1.eml", |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("connection lost"))
        });
        assert!(err.is_err());
        spool.write_small("1-2.eml", b"ok".to_vec()).unwrap();
        drop(spool);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "uncommitted files are removed");
    }
}
