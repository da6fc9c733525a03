//! [`Batch`]: many downloaded files made durable together. Each file is
//! written under a hidden temporary name; a committer thread makes a whole
//! batch durable with one `syncfs` of the file system (Linux; one fsync per
//! file elsewhere), then renames the batch to the final names and syncs the
//! directory. A file therefore has its final name only once its bytes are
//! durable, and nothing half-written ever has a final name.
//!
//! The caller's thread only receives: a small file stays in memory until a
//! writer thread writes it, a large one is spilled to its temporary file as
//! it arrives (never whole in memory), and the `syncfs` runs while the next
//! files arrive.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Threads creating and writing temporary files. File creation waits on the
/// file system; two overlap that wait without contending much for the
/// directory.
const WRITERS: usize = 2;

/// A file up to this size stays in memory until a writer writes it; a
/// larger one goes to its temporary file as it arrives.
pub const IN_MEMORY: usize = 256 * 1024;

/// Finished files waiting for a writer: with [`IN_MEMORY`], at most about
/// 8 MiB of memory.
const QUEUE: usize = 32;

/// A batch is committed after this many files...
const BATCH_FILES: usize = 256;

/// ...or this many bytes...
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// ...or once its first file has waited this long, whichever comes first:
/// few `syncfs` calls, and at most about a second of work to fetch again
/// after a crash or `kill -9`.
pub const COMMIT_AFTER: Duration = Duration::from_secs(1);

/// What a [`Batch`] made durable under final names.
#[derive(Debug, Default)]
pub struct Saved {
    /// The names of the files now durable, in the order they were committed.
    pub names: Vec<String>,
    /// Their total size.
    pub bytes: u64,
    /// The first storage failure, if any (those files were not saved).
    pub error: Option<io::Error>,
}

/// One file as it arrives: in memory while small, else in its temporary file.
enum Spool {
    Memory(Vec<u8>),
    File(BufWriter<File>),
}

/// The writer for one file of a [`Batch`]; hand it back with
/// [`Batch::finish`]. Dropped without that (the download failed), it leaves
/// nothing behind.
pub struct Entry {
    name: String,
    temp: PathBuf,
    spool: Option<Spool>,
    size: u64,
}

impl Entry {
    /// The final file name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Write for Entry {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let spool = self
            .spool
            .as_mut()
            .ok_or_else(|| io::Error::other("the file is finished"))?;
        let spill = matches!(spool, Spool::Memory(bytes) if bytes.len() + buf.len() > IN_MEMORY);
        if spill {
            let mut file = BufWriter::with_capacity(256 * 1024, File::create(&self.temp)?);
            if let Spool::Memory(bytes) = spool {
                file.write_all(bytes)?;
            }
            *spool = Spool::File(file);
        }
        match spool {
            Spool::Memory(bytes) => bytes.extend_from_slice(buf),
            Spool::File(file) => file.write_all(buf)?,
        }
        self.size += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.spool {
            Some(Spool::File(file)) => file.flush(),
            _ => Ok(()),
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some(Spool::File(file)) = self.spool.take() {
            drop(file);
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A finished file for a writer thread.
struct Job {
    name: String,
    temp: PathBuf,
    spool: Spool,
    size: u64,
}

/// A written temporary file for the committer.
struct Written {
    name: String,
    temp: PathBuf,
    size: u64,
}

/// Writes the temporary file; where there is no `syncfs`, syncs it too.
fn write_temp(job: Job) -> io::Result<Written> {
    let file = match job.spool {
        Spool::Memory(bytes) => {
            let mut file = File::create(&job.temp)?;
            file.write_all(&bytes)?;
            file
        }
        Spool::File(writer) => writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?,
    };
    if !cfg!(target_os = "linux") {
        file.sync_all()?;
    }
    Ok(Written {
        name: job.name,
        temp: job.temp,
        size: job.size,
    })
}

/// Makes every file written so far on the directory's file system durable.
#[cfg(target_os = "linux")]
fn sync_file_system(dir: &File) -> io::Result<()> {
    rustix::fs::syncfs(dir).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(_dir: &File) -> io::Result<()> {
    // Each file was synced by its writer thread.
    Ok(())
}

type Outcome = (String, io::Result<u64>);

/// Makes a batch durable, renames it, and makes the renames durable; only
/// then are its files reported saved.
fn commit(dir: &Path, batch: Vec<Written>, done: &Sender<Outcome>) {
    let result = File::open(dir).and_then(|handle| {
        sync_file_system(&handle)?;
        let mut renamed = Vec::with_capacity(batch.len());
        let mut failed = Vec::new();
        for written in &batch {
            match fs::rename(&written.temp, dir.join(&written.name)) {
                Ok(()) => renamed.push((written.name.clone(), written.size)),
                Err(err) => {
                    let _ = fs::remove_file(&written.temp);
                    failed.push((written.name.clone(), err));
                }
            }
        }
        handle.sync_all()?;
        // Final names in sub-directories (Maildir's new/ and cur/).
        let mut parents: Vec<PathBuf> = batch
            .iter()
            .filter_map(|w| dir.join(&w.name).parent().map(Path::to_path_buf))
            .filter(|p| p != dir)
            .collect();
        parents.sort();
        parents.dedup();
        for parent in parents {
            File::open(parent)?.sync_all()?;
        }
        Ok((renamed, failed))
    });
    match result {
        Ok((renamed, failed)) => {
            for (name, size) in renamed {
                let _ = done.send((name, Ok(size)));
            }
            for (name, err) in failed {
                let _ = done.send((name, Err(err)));
            }
        }
        Err(err) => {
            // Nothing of this batch counts as saved; no temporary file stays.
            for written in batch {
                let _ = fs::remove_file(&written.temp);
                let _ = done.send((
                    written.name,
                    Err(io::Error::new(err.kind(), err.to_string())),
                ));
            }
        }
    }
}

/// The committer thread: gathers written files into batches, each
/// committed when full or when its first file has waited [`COMMIT_AFTER`].
fn committer(
    dir: &Path,
    written: &Receiver<(String, io::Result<Written>)>,
    done: &Sender<Outcome>,
) {
    let mut batch = Vec::with_capacity(BATCH_FILES);
    let mut bytes = 0;
    let mut started = Instant::now();
    loop {
        let received = if batch.is_empty() {
            written.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            written.recv_timeout(COMMIT_AFTER.saturating_sub(started.elapsed()))
        };
        match received {
            Ok((_, Ok(w))) => {
                if batch.is_empty() {
                    started = Instant::now();
                }
                bytes += w.size;
                batch.push(w);
            }
            Ok((name, Err(err))) => {
                let _ = done.send((name, Err(err)));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if batch.len() >= BATCH_FILES
            || bytes >= BATCH_BYTES
            || (!batch.is_empty() && started.elapsed() >= COMMIT_AFTER)
        {
            commit(dir, std::mem::take(&mut batch), done);
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        commit(dir, batch, done);
    }
}

/// Files written into one directory and made durable in batches.
///
/// ```
/// use std::io::Write;
/// use mail_cli::download::Batch;
///
/// let tmp = std::env::temp_dir().join(format!("batch-doc-{}", std::process::id()));
/// let mut batch = Batch::open(&tmp)?;
/// for i in 0..3 {
///     let mut file = batch.create(&format!("{i}.eml"));
///     file.write_all(b"Subject: hi\r\n\r\nbody\r\n")?;
///     batch.finish(file)?;
/// }
/// let saved = batch.close();
/// assert_eq!(saved.names.len(), 3);
/// assert!(saved.error.is_none());
/// assert_eq!(std::fs::read(tmp.join("2.eml"))?, b"Subject: hi\r\n\r\nbody\r\n");
/// # std::fs::remove_dir_all(&tmp)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Batch {
    dir: PathBuf,
    temp_dir: PathBuf,
    jobs: Option<SyncSender<Job>>,
    threads: Vec<JoinHandle<()>>,
    results: Receiver<Outcome>,
    opened: u64,
}

impl Batch {
    /// Opens (creating it if needed) the directory, removes temporary files
    /// that a killed earlier run left there, and starts the threads.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn open(dir: &Path) -> io::Result<Batch> {
        Batch::open_with_temp(dir, dir)
    }

    /// As [`open`](Self::open), with the temporary files in `temp_dir`
    /// (Maildir's `tmp/`, on the same file system); final names may then
    /// name a sub-directory of `dir` (`new/...`).
    ///
    /// # Errors
    /// When a directory cannot be created.
    pub fn open_with_temp(dir: &Path, temp_dir: &Path) -> io::Result<Batch> {
        fs::create_dir_all(dir)?;
        fs::create_dir_all(temp_dir)?;
        let stale = remove_stale_temporaries(temp_dir);
        if stale > 0 {
            log::warn!(
                "removed {stale} temporary files left by an interrupted download in {}",
                dir.display()
            );
        }
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let (to_commit, written) = mpsc::channel();
        let (done, results) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads: Vec<JoinHandle<()>> = (0..WRITERS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let to_commit: Sender<(String, io::Result<Written>)> = to_commit.clone();
                std::thread::spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    let (name, temp) = (job.name.clone(), job.temp.clone());
                    let result = write_temp(job).map_err(|err| {
                        let _ = fs::remove_file(&temp);
                        io::Error::new(err.kind(), format!("{name}: {err}"))
                    });
                    if to_commit.send((name, result)).is_err() {
                        return;
                    }
                })
            })
            .collect();
        drop(to_commit);
        let commit_dir = dir.to_owned();
        threads.push(std::thread::spawn(move || {
            committer(&commit_dir, &written, &done)
        }));
        Ok(Batch {
            dir: dir.to_owned(),
            temp_dir: temp_dir.to_owned(),
            jobs: Some(jobs),
            threads,
            results,
            opened: 0,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// True when a file of that (already safe) name is there: saved by an
    /// earlier run, or already committed by this one.
    pub fn contains(&self, name: &str) -> bool {
        self.dir.join(name).is_file()
    }

    /// Starts the file `name` (a name from [`safe_file_name`](super::safe_file_name)).
    pub fn create(&mut self, name: &str) -> Entry {
        // Unique per file, so a retried download never shares a temporary file.
        self.opened += 1;
        let temp = self.temp_dir.join(format!(
            ".{}.part-{}-{}",
            name.replace(['/', ':'], "_"),
            std::process::id(),
            self.opened
        ));
        Entry {
            name: name.to_owned(),
            temp,
            spool: Some(Spool::Memory(Vec::with_capacity(32 * 1024))),
            size: 0,
        }
    }

    /// Hands a complete file over; it gets its final name once its batch is
    /// durable. Returns its size.
    ///
    /// # Errors
    /// When the writer threads have stopped.
    pub fn finish(&mut self, mut entry: Entry) -> io::Result<u64> {
        let spool = entry
            .spool
            .take()
            .ok_or_else(|| io::Error::other("the file is finished"))?;
        let size = entry.size;
        let job = Job {
            name: std::mem::take(&mut entry.name),
            temp: entry.temp.clone(),
            spool,
            size,
        };
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| io::Error::other("the download is closed"))?;
        jobs.send(job)
            .map_err(|_| io::Error::other("the writer threads stopped"))?;
        Ok(size)
    }

    /// Waits until every finished file is durable under its final name, and
    /// tells which are.
    pub fn close(mut self) -> Saved {
        self.stop();
        let mut saved = Saved::default();
        for (name, result) in self.results.try_iter() {
            match result {
                Ok(size) => {
                    saved.names.push(name);
                    saved.bytes += size;
                }
                Err(err) => {
                    saved.error.get_or_insert(err);
                }
            }
        }
        saved
    }

    fn stop(&mut self) {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Batch {
    /// Finished files are still committed (a failed download keeps the
    /// complete ones).
    fn drop(&mut self) {
        self.stop();
    }
}

/// Removes temporary files left in `dir` by an earlier run that was killed
/// (`.<name>.part-<pid>[-<n>]` whose process no longer exists); returns how
/// many. Files of a live process (another download into the same
/// directory) are left alone. Only on Linux, where `/proc` tells.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    if !cfg!(target_os = "linux") {
        return 0;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else {
            continue;
        };
        if pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
            && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file name `.<name>.part-<pid>[-<n>]`.
fn temporary_owner(file_name: &str) -> Option<u32> {
    if !file_name.starts_with('.') {
        return None;
    }
    let (_, tail) = file_name.rsplit_once(".part-")?;
    let pid = match tail.split_once('-') {
        Some((pid, n)) => {
            n.parse::<u64>().ok()?;
            pid
        }
        None => tail,
    };
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().count()
    }

    #[test]
    fn finished_files_get_their_final_names_and_nothing_else_remains() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::open(dir.path()).unwrap();
        for i in 1..=600u32 {
            let mut w = batch.create(&format!("m{i}.eml"));
            // File 7 is large enough to be spilled to its file on the way.
            let body = if i == 7 {
                vec![b'x'; IN_MEMORY * 3]
            } else {
                format!("message {i}\r\n").into_bytes()
            };
            for chunk in body.chunks(1000) {
                w.write_all(chunk).unwrap();
            }
            assert_eq!(batch.finish(w).unwrap(), body.len() as u64);
        }
        // A retry of m1 that fails half-way (spilled, then dropped).
        let mut w = batch.create("m1.eml");
        w.write_all(&vec![b'y'; IN_MEMORY + 1]).unwrap();
        drop(w);
        let saved = batch.close();
        assert!(saved.error.is_none(), "{:?}", saved.error);
        assert_eq!(saved.names.len(), 600);
        assert_eq!(
            fs::read(dir.path().join("m42.eml")).unwrap(),
            b"message 42\r\n"
        );
        assert_eq!(
            fs::read(dir.path().join("m7.eml")).unwrap().len(),
            IN_MEMORY * 3
        );
        assert_eq!(
            fs::read(dir.path().join("m1.eml")).unwrap(),
            b"message 1\r\n",
            "the dropped retry left m1 alone"
        );
        assert_eq!(count(dir.path()), 600, "temporary files left behind");
    }

    #[test]
    fn nothing_has_its_final_name_before_it_is_finished_and_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::open(dir.path()).unwrap();
        let mut big = batch.create("big.eml");
        big.write_all(&vec![b'z'; IN_MEMORY * 2]).unwrap();
        assert!(
            !batch.contains("big.eml"),
            "a half-written file has no final name"
        );
        assert_eq!(count(dir.path()), 1, "only its hidden temporary file");
        batch.finish(big).unwrap();
        let mut small = batch.create("small.eml");
        small.write_all(b"half").unwrap();
        drop(small);
        drop(batch);
        assert!(
            dir.path().join("big.eml").is_file(),
            "a finished file is committed when the batch is dropped"
        );
        assert_eq!(count(dir.path()), 1);
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        assert_eq!(
            temporary_owner(".0000007c6b02694d.eml.part-4242-17"),
            Some(4242)
        );
        assert_eq!(temporary_owner(".1-9.eml.part-4242"), Some(4242));
        for name in [
            "0000007c.eml",
            ".hidden",
            ".x.part-a-1",
            "x.part-1-1",
            ".x.part-1-b",
        ] {
            assert_eq!(temporary_owner(name), None, "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        let ours = format!(".b.eml.part-{}-1", std::process::id());
        // pid_max is at most 4194304 on Linux: these processes cannot exist.
        for name in [
            ".a.eml.part-4194305-1",
            ".d.eml.part-4194306",
            ours.as_str(),
            "c.eml",
            ".keep",
        ] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let expected = if cfg!(target_os = "linux") { 2 } else { 0 };
        assert_eq!(remove_stale_temporaries(dir.path()), expected);
        assert_eq!(count(dir.path()), 5 - expected);
        assert!(
            dir.path().join(&ours).exists(),
            "a live process keeps its files"
        );
    }

    #[test]
    fn a_file_is_durable_within_about_a_second_while_the_batch_stays_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::open(dir.path()).unwrap();
        let mut w = batch.create("early.eml");
        w.write_all(b"first").unwrap();
        batch.finish(w).unwrap();
        let deadline = Instant::now() + COMMIT_AFTER * 3;
        while !batch.contains("early.eml") {
            assert!(
                Instant::now() < deadline,
                "not committed while the batch was open"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(fs::read(dir.path().join("early.eml")).unwrap(), b"first");
        drop(batch);
    }

    #[test]
    fn a_directory_that_disappears_saves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("gone");
        let mut batch = Batch::open(&dir).unwrap();
        fs::remove_dir(&dir).unwrap();
        let mut w = batch.create("1.eml");
        w.write_all(b"x").unwrap();
        batch.finish(w).unwrap();
        let saved = batch.close();
        assert!(saved.names.is_empty());
        assert!(saved.error.is_some());
    }
}
