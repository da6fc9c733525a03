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
//! files arrive. The queue to the writers is bounded in bytes
//! ([`QUEUE_BYTES`]) as well as in files, so a slow disk holds the receiver
//! back instead of filling memory; what a batch reports is one `u32` per
//! saved file (the caller's id), so memory stays flat in the number of files.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Threads creating and writing temporary files. File creation waits on the
/// file system; two overlap that wait without contending much for the
/// directory.
const WRITERS: usize = 2;

/// A file up to this size stays in memory until a writer writes it; a
/// larger one goes to its temporary file as it arrives.
pub const IN_MEMORY: usize = 256 * 1024;

/// Finished files waiting for a writer...
const QUEUE: usize = 64;

/// ...holding at most this much memory (buffer capacities counted): a file
/// that would exceed it waits until a writer has taken earlier ones.
pub const QUEUE_BYTES: usize = 2 * 1024 * 1024;

/// Written files waiting for the committer (bounded, so a slow `syncfs`
/// holds the writers, and through them the receiver, back).
const WRITTEN_QUEUE: usize = 2 * BATCH_FILES;

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
    /// The ids (given to [`Batch::create`]) of the files now durable, in the
    /// order they were committed.
    pub ids: Vec<u32>,
    /// Their total size.
    pub bytes: u64,
    /// The first storage failure, if any (those files were not saved).
    pub error: Option<io::Error>,
}

impl Saved {
    fn failed(&mut self, err: io::Error) {
        self.error.get_or_insert(err);
    }
}

/// Bytes of finished in-memory files not yet taken by a writer.
#[derive(Default)]
struct Budget {
    used: Mutex<usize>,
    freed: Condvar,
}

impl Budget {
    /// Waits until `bytes` more fit (a file larger than the whole budget
    /// waits for an empty queue).
    fn take(&self, bytes: usize) {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used > 0 && *used + bytes > QUEUE_BYTES {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *used += bytes;
    }

    fn give_back(&self, bytes: usize) {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(bytes);
        self.freed.notify_all();
    }
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
    id: u32,
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

/// The first buffer of a file arriving in memory (it grows as needed).
const FIRST_BUFFER: usize = 32 * 1024;

/// A finished file for a writer thread.
struct Job {
    id: u32,
    name: String,
    temp: PathBuf,
    spool: Spool,
    size: u64,
}

/// A written temporary file for the committer.
struct Written {
    id: u32,
    name: String,
    temp: PathBuf,
    size: u64,
}

impl Job {
    /// The memory it holds while queued.
    fn charge(&self) -> usize {
        match &self.spool {
            Spool::Memory(bytes) => bytes.capacity(),
            Spool::File(_) => 0,
        }
    }
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
        id: job.id,
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

/// Makes a batch durable, renames it, and makes the renames durable; only
/// then are its files counted in `saved`.
fn commit(dir: &Path, batch: Vec<Written>, saved: &mut Saved) {
    let result = File::open(dir).and_then(|handle| {
        sync_file_system(&handle)?;
        let mut renamed = Vec::with_capacity(batch.len());
        for written in &batch {
            match fs::rename(&written.temp, dir.join(&written.name)) {
                Ok(()) => renamed.push((written.id, written.size)),
                Err(err) => {
                    let _ = fs::remove_file(&written.temp);
                    saved.failed(io::Error::new(
                        err.kind(),
                        format!("{}: {err}", written.name),
                    ));
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
        Ok(renamed)
    });
    match result {
        Ok(renamed) => {
            for (id, size) in renamed {
                saved.ids.push(id);
                saved.bytes += size;
            }
        }
        Err(err) => {
            // Nothing of this batch counts as saved; no temporary file stays.
            for written in batch {
                let _ = fs::remove_file(&written.temp);
            }
            saved.failed(err);
        }
    }
}

/// The committer thread: gathers written files into batches, each
/// committed when full or when its first file has waited [`COMMIT_AFTER`].
fn committer(dir: &Path, written: &Receiver<io::Result<Written>>) -> Saved {
    let mut saved = Saved::default();
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
            Ok(Ok(w)) => {
                if batch.is_empty() {
                    started = Instant::now();
                }
                bytes += w.size;
                batch.push(w);
            }
            Ok(Err(err)) => saved.failed(err),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if batch.len() >= BATCH_FILES
            || bytes >= BATCH_BYTES
            || (!batch.is_empty() && started.elapsed() >= COMMIT_AFTER)
        {
            commit(dir, std::mem::take(&mut batch), &mut saved);
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        commit(dir, batch, &mut saved);
    }
    saved
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
///     let mut file = batch.create(&format!("{i}.eml"), i);
///     file.write_all(b"Subject: hi\r\n\r\nbody\r\n")?;
///     batch.finish(file)?;
/// }
/// let saved = batch.close();
/// assert_eq!(saved.ids.len(), 3);
/// assert!(saved.error.is_none());
/// assert_eq!(std::fs::read(tmp.join("2.eml"))?, b"Subject: hi\r\n\r\nbody\r\n");
/// # std::fs::remove_dir_all(&tmp)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Batch {
    dir: PathBuf,
    temp_dir: PathBuf,
    jobs: Option<SyncSender<Job>>,
    budget: Arc<Budget>,
    writers: Vec<JoinHandle<()>>,
    committer: Option<JoinHandle<Saved>>,
    pid: u32,
    opened: u64,
}

/// A writer thread: takes finished files off the queue and writes them.
fn writer(
    queue: &Mutex<Receiver<Job>>,
    budget: &Budget,
    to_commit: &SyncSender<io::Result<Written>>,
) {
    loop {
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        let charged = job.charge();
        let (name, temp) = (job.name.clone(), job.temp.clone());
        let result = write_temp(job).map_err(|err| {
            let _ = fs::remove_file(&temp);
            io::Error::new(err.kind(), format!("{name}: {err}"))
        });
        budget.give_back(charged);
        if to_commit.send(result).is_err() {
            return;
        }
    }
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
        let (to_commit, written) = mpsc::sync_channel(WRITTEN_QUEUE);
        let queue = Arc::new(Mutex::new(queue));
        let budget = Arc::new(Budget::default());
        let writers = (0..WRITERS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let budget = Arc::clone(&budget);
                let to_commit = to_commit.clone();
                std::thread::spawn(move || writer(&queue, &budget, &to_commit))
            })
            .collect();
        drop(to_commit);
        let commit_dir = dir.to_owned();
        let committer = std::thread::spawn(move || committer(&commit_dir, &written));
        Ok(Batch {
            dir: dir.to_owned(),
            temp_dir: temp_dir.to_owned(),
            jobs: Some(jobs),
            budget,
            writers,
            committer: Some(committer),
            pid: std::process::id(),
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

    /// Starts the file `name` (a name from [`safe_file_name`](super::safe_file_name));
    /// `id` is what [`Saved::ids`] reports for it once it is durable.
    pub fn create(&mut self, name: &str, id: u32) -> Entry {
        // Unique per file, so a retried download never shares a temporary file.
        self.opened += 1;
        let temp = self.temp_dir.join(format!(
            ".{}.part-{}-{}",
            name.replace(['/', ':'], "_"),
            self.pid,
            self.opened
        ));
        Entry {
            id,
            name: name.to_owned(),
            temp,
            spool: Some(Spool::Memory(Vec::with_capacity(FIRST_BUFFER))),
            size: 0,
        }
    }

    /// Hands a complete file over; it gets its final name once its batch is
    /// durable. Returns its size. Waits while the writers are
    /// [`QUEUE_BYTES`] behind.
    ///
    /// # Errors
    /// When the writer threads have stopped.
    pub fn finish(&mut self, mut entry: Entry) -> io::Result<u64> {
        let mut spool = entry
            .spool
            .take()
            .ok_or_else(|| io::Error::other("the file is finished"))?;
        if let Spool::Memory(bytes) = &mut spool {
            // A small file keeps only its own size while it waits.
            if bytes.capacity() > bytes.len() + bytes.len() / 4 {
                bytes.shrink_to_fit();
            }
        }
        let size = entry.size;
        let job = Job {
            id: entry.id,
            name: std::mem::take(&mut entry.name),
            temp: entry.temp.clone(),
            spool,
            size,
        };
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| io::Error::other("the download is closed"))?;
        let charged = job.charge();
        self.budget.take(charged);
        if jobs.send(job).is_err() {
            self.budget.give_back(charged);
            return Err(io::Error::other("the writer threads stopped"));
        }
        Ok(size)
    }

    /// Waits until every finished file is durable under its final name, and
    /// tells which are.
    pub fn close(mut self) -> Saved {
        self.stop()
    }

    fn stop(&mut self) -> Saved {
        drop(self.jobs.take());
        for thread in self.writers.drain(..) {
            let _ = thread.join();
        }
        self.committer
            .take()
            .and_then(|thread| thread.join().ok())
            .unwrap_or_default()
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
            let mut w = batch.create(&format!("m{i}.eml"), i);
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
        let mut w = batch.create("m1.eml", 1);
        w.write_all(&vec![b'y'; IN_MEMORY + 1]).unwrap();
        drop(w);
        let saved = batch.close();
        assert!(saved.error.is_none(), "{:?}", saved.error);
        assert_eq!(saved.ids.len(), 600);
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
        let mut big = batch.create("big.eml", 1);
        big.write_all(&vec![b'z'; IN_MEMORY * 2]).unwrap();
        assert!(
            !batch.contains("big.eml"),
            "a half-written file has no final name"
        );
        assert_eq!(count(dir.path()), 1, "only its hidden temporary file");
        batch.finish(big).unwrap();
        let mut small = batch.create("small.eml", 2);
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
        let mut w = batch.create("early.eml", 1);
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
    fn the_queue_holds_the_receiver_back_at_its_byte_bound() {
        // Writers that have fallen QUEUE_BYTES behind (a slow disk) make
        // the receiving side wait instead of holding more in memory.
        let budget = Arc::new(Budget::default());
        budget.take(QUEUE_BYTES - 10);
        budget.take(10);
        let (sent, arrived) = mpsc::channel();
        let waiting = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || {
                budget.take(1);
                sent.send(()).unwrap();
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(arrived.try_recv().is_err(), "taken beyond the bound");
        budget.give_back(10);
        arrived.recv().unwrap();
        waiting.join().unwrap();
        // One file larger than the whole bound still goes, alone.
        budget.give_back(QUEUE_BYTES);
        budget.take(QUEUE_BYTES * 3);
    }

    #[test]
    fn files_arriving_while_commits_run_are_each_saved_once() {
        // More files than one batch, some spilled: every one is saved once.
        let dir = tempfile::tempdir().unwrap();
        let mut batch = Batch::open(dir.path()).unwrap();
        let files = u32::try_from(BATCH_FILES * 3 + 7).unwrap();
        for i in 0..files {
            let mut w = batch.create(&format!("{i}.eml"), i);
            let size = if i % 100 == 0 { IN_MEMORY + 1 } else { 100 };
            w.write_all(&vec![b'a'; size]).unwrap();
            batch.finish(w).unwrap();
        }
        let saved = batch.close();
        assert!(saved.error.is_none(), "{:?}", saved.error);
        let mut ids = saved.ids.clone();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), saved.ids.len(), "a file reported twice");
        assert_eq!(ids, (0..files).collect::<Vec<_>>());
        assert_eq!(count(dir.path()), files as usize);
    }

    #[test]
    fn a_directory_that_disappears_saves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("gone");
        let mut batch = Batch::open(&dir).unwrap();
        fs::remove_dir(&dir).unwrap();
        let mut w = batch.create("1.eml", 1);
        w.write_all(b"x").unwrap();
        batch.finish(w).unwrap();
        let saved = batch.close();
        assert!(saved.ids.is_empty());
        assert!(saved.error.is_some());
    }
}
