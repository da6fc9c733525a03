//! Durable storage for `--fetch-all`: each message is written under a
//! temporary name, made durable, and only then renamed to `<UIDL>.eml`, so
//! a file that looks complete is complete.
//!
//! Durability without one fsync stall per message: the connection thread
//! only hands finished messages over. A writer thread puts them into their
//! temporary files; a committer thread takes them in batches, makes a whole
//! batch durable with one `syncfs` of the file system (Linux; one fsync per
//! file elsewhere), renames the batch and syncs the directory. A message
//! counts as saved only after that.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use indicatif::ProgressBar;
use mail_pop3::{MessageSink, MsgNum};

/// Threads writing temporary files. One keeps up with the network; several
/// creating files in one directory only contend for the directory's lock.
const WRITERS: usize = 1;

/// A message up to this size stays in memory until a writer thread writes
/// it; a larger one is spilled to its temporary file as it arrives, so a
/// 50 MB message never sits in memory.
const IN_MEMORY: usize = 256 * 1024;

/// Finished messages waiting for a writer; with [`IN_MEMORY`] this bounds
/// the memory of the queue (about 8 MiB).
const QUEUE: usize = 32;

/// Messages made durable together.
const BATCH: usize = 256;

/// What ended up safely on disk.
#[derive(Debug)]
pub struct Stored {
    /// Messages whose final files are durable.
    pub saved: Vec<MsgNum>,
    /// Their total size.
    pub bytes: u64,
    /// The first storage failure, if any.
    pub error: Option<io::Error>,
}

/// One message as it arrives: in memory while small, else in its file.
enum Spool {
    Memory(Vec<u8>),
    File(BufWriter<File>),
}

/// The writer handed out for one message.
pub struct SpoolWriter {
    spool: Spool,
    temp: PathBuf,
}

impl Write for SpoolWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Spool::Memory(bytes) = &mut self.spool {
            if bytes.len() + buf.len() <= IN_MEMORY {
                bytes.extend_from_slice(buf);
                return Ok(buf.len());
            }
            let mut file = BufWriter::with_capacity(64 * 1024, File::create(&self.temp)?);
            file.write_all(bytes)?;
            self.spool = Spool::File(file);
        }
        match &mut self.spool {
            Spool::File(file) => file.write(buf),
            Spool::Memory(_) => Err(io::Error::other("spool state")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.spool {
            Spool::File(file) => file.flush(),
            Spool::Memory(_) => Ok(()),
        }
    }
}

/// A finished message for a writer thread.
struct Job {
    msg: MsgNum,
    spool: Spool,
    temp: PathBuf,
    target: PathBuf,
    size: u64,
}

/// A written temporary file for the committer.
struct Written {
    msg: MsgNum,
    temp: PathBuf,
    target: PathBuf,
    size: u64,
}

/// Writes the temporary file; on systems without `syncfs`, syncs it too.
fn write_temp(job: Job) -> io::Result<Written> {
    let file = match job.spool {
        Spool::Memory(bytes) => {
            let mut file = File::create(&job.temp)?;
            file.write_all(&bytes)?;
            file
        }
        Spool::File(writer) => writer.into_inner().map_err(io::IntoInnerError::into_error)?,
    };
    if !cfg!(target_os = "linux") {
        file.sync_all()?;
    }
    Ok(Written { msg: job.msg, temp: job.temp, target: job.target, size: job.size })
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

/// Makes a batch durable, renames it, and makes the renames durable.
fn commit(dir: &Path, batch: Vec<Written>, done: &mpsc::Sender<(MsgNum, io::Result<u64>)>) {
    let result = File::open(dir).and_then(|handle| {
        sync_file_system(&handle)?;
        let mut renamed = Vec::with_capacity(batch.len());
        for written in &batch {
            match fs::rename(&written.temp, &written.target) {
                Ok(()) => renamed.push((written.msg, written.size)),
                Err(err) => {
                    let _ = fs::remove_file(&written.temp);
                    let _ = done.send((written.msg, Err(err)));
                }
            }
        }
        handle.sync_all()?;
        Ok(renamed)
    });
    match result {
        Ok(renamed) => {
            for (msg, size) in renamed {
                let _ = done.send((msg, Ok(size)));
            }
        }
        Err(err) => {
            // Nothing of this batch counts as safe; leave no temporary files.
            for written in batch {
                let _ = fs::remove_file(&written.temp);
                let _ = done.send((written.msg, Err(io::Error::new(err.kind(), err.to_string()))));
            }
        }
    }
}

/// Removes temporary files left in `dir` by an earlier run that was killed
/// (`.<name>.part-<pid>-<n>` whose process no longer exists); returns how
/// many. Files of a live process (another download into the same
/// directory) are left alone. Only on Linux, where `/proc` tells.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    if !cfg!(target_os = "linux") {
        return 0;
    }
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file name `.<name>.part-<pid>-<n>`.
fn temporary_owner(file_name: &str) -> Option<u32> {
    if !file_name.starts_with('.') {
        return None;
    }
    let (_, tail) = file_name.rsplit_once(".part-")?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// The [`MessageSink`] of `--fetch-all`.
pub struct DurableStore {
    dir: PathBuf,
    names: HashMap<MsgNum, String>,
    jobs: Option<mpsc::SyncSender<Job>>,
    threads: Vec<JoinHandle<()>>,
    results: mpsc::Receiver<(MsgNum, io::Result<u64>)>,
    bar: ProgressBar,
    opened: u64,
}

impl DurableStore {
    /// A store writing message `msg` to `dir/names[msg]`.
    pub fn new(dir: &Path, names: HashMap<MsgNum, String>, bar: ProgressBar) -> Self {
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        let (to_commit, written) = mpsc::channel::<io::Result<Written>>();
        let (done, results) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads: Vec<JoinHandle<()>> = (0..WRITERS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let to_commit = to_commit.clone();
                std::thread::spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    let (msg, temp) = (job.msg, job.temp.clone());
                    let result = write_temp(job).inspect_err(|_| {
                        let _ = fs::remove_file(&temp);
                    });
                    let _ = to_commit.send(result.map_err(|err| io::Error::new(err.kind(), format!("message {msg}: {err}"))));
                })
            })
            .collect();
        drop(to_commit);
        let commit_dir = dir.to_owned();
        threads.push(std::thread::spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for written in written {
                match written {
                    Ok(w) => batch.push(w),
                    Err(err) => {
                        let _ = done.send((MsgNum(0), Err(err)));
                    }
                }
                if batch.len() >= BATCH {
                    commit(&commit_dir, std::mem::take(&mut batch), &done);
                }
            }
            if !batch.is_empty() {
                commit(&commit_dir, batch, &done);
            }
        }));
        DurableStore { dir: dir.to_owned(), names, jobs: Some(jobs), threads, results, bar, opened: 0 }
    }

    /// Waits until every finished message is durable under its final name
    /// (also after a failed download: complete messages are kept).
    pub fn close(mut self) -> Stored {
        drop(self.jobs.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let mut stored = Stored { saved: Vec::new(), bytes: 0, error: None };
        for (msg, result) in self.results.try_iter() {
            match result {
                Ok(size) => {
                    stored.saved.push(msg);
                    stored.bytes += size;
                }
                Err(err) => {
                    stored.error.get_or_insert(err);
                }
            }
        }
        stored.saved.sort();
        stored
    }
}

impl MessageSink for DurableStore {
    type Writer = SpoolWriter;

    fn open(&mut self, msg: MsgNum) -> io::Result<SpoolWriter> {
        let name = self.names.get(&msg).ok_or_else(|| io::Error::other(format!("no file name for message {msg}")))?;
        // Unique per open, so a retried message never shares a temporary file.
        self.opened += 1;
        let temp = self.dir.join(format!(".{name}.part-{}-{}", std::process::id(), self.opened));
        Ok(SpoolWriter { spool: Spool::Memory(Vec::with_capacity(32 * 1024)), temp })
    }

    fn finish(&mut self, msg: MsgNum, writer: SpoolWriter, size: u64) -> io::Result<()> {
        let name = self.names.get(&msg).cloned().unwrap_or_default();
        let job = Job { msg, spool: writer.spool, temp: writer.temp, target: self.dir.join(name), size };
        let jobs = self.jobs.as_ref().ok_or_else(|| io::Error::other("the store is closed"))?;
        jobs.send(job).map_err(|_| io::Error::other("the writer threads stopped"))?;
        self.bar.inc(1);
        Ok(())
    }

    fn abandon(&mut self, _: MsgNum, writer: SpoolWriter) {
        if let Spool::File(file) = writer.spool {
            drop(file);
            let _ = fs::remove_file(&writer.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: u32) -> HashMap<MsgNum, String> {
        (1..=n).map(|i| (MsgNum(i), format!("m{i}.eml"))).collect()
    }

    #[test]
    fn finished_messages_get_their_final_names_and_nothing_else_remains() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = DurableStore::new(dir.path(), names(600), ProgressBar::hidden());
        for i in 1..=600u32 {
            let mut w = store.open(MsgNum(i)).unwrap();
            // Message 7 is big enough to be spilled to its file on the way.
            let body = if i == 7 { vec![b'x'; IN_MEMORY * 3] } else { format!("message {i}\r\n").into_bytes() };
            for chunk in body.chunks(1000) {
                w.write_all(chunk).unwrap();
            }
            store.finish(MsgNum(i), w, body.len() as u64).unwrap();
        }
        let mut w = store.open(MsgNum(1)).unwrap();
        w.write_all(&vec![b'y'; IN_MEMORY + 1]).unwrap();
        store.abandon(MsgNum(1), w);
        let stored = store.close();
        assert!(stored.error.is_none(), "{:?}", stored.error);
        assert_eq!(stored.saved.len(), 600);
        assert_eq!(fs::read(dir.path().join("m42.eml")).unwrap(), b"message 42\r\n");
        assert_eq!(fs::read(dir.path().join("m7.eml")).unwrap().len(), IN_MEMORY * 3);
        assert_eq!(fs::read(dir.path().join("m1.eml")).unwrap(), b"message 1\r\n", "abandoned retry left m1 alone");
        let count = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(count, 600, "temporary files left behind");
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        assert_eq!(temporary_owner(".0000007c6b02694d.eml.part-4242-17"), Some(4242));
        for name in ["0000007c.eml", ".hidden", ".x.part-12", ".x.part-a-1", "x.part-1-1"] {
            assert_eq!(temporary_owner(name), None, "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        let ours = format!(".b.eml.part-{}-1", std::process::id());
        // pid_max is at most 4194304 on Linux: this process cannot exist.
        for name in [".a.eml.part-4194305-1", ours.as_str(), "c.eml", ".keep"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let expected = usize::from(cfg!(target_os = "linux"));
        assert_eq!(remove_stale_temporaries(dir.path()), expected);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4 - expected);
        assert!(dir.path().join(&ours).exists(), "a live process keeps its files");
    }

    #[test]
    fn a_directory_that_cannot_be_written_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let mut store = DurableStore::new(&missing, names(2), ProgressBar::hidden());
        let mut w = store.open(MsgNum(1)).unwrap();
        w.write_all(b"x").unwrap();
        store.finish(MsgNum(1), w, 1).unwrap();
        let stored = store.close();
        assert!(stored.saved.is_empty());
        assert!(stored.error.is_some());
    }
}
