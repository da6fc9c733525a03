//! `--fetch-all DIR [--delete]`: every message into `DIR/<UIDL>.eml`,
//! pipelined, each file written under a temporary name, synced and renamed;
//! `--delete` marks only messages whose files are safely on disk.
//!
//! Durability without one fsync stall per message: the network thread only
//! writes files; a small pool of threads runs `fsync` + `rename` for the
//! finished ones meanwhile (the file system then commits many of them per
//! journal transaction), and the directory is synced once at the end, before
//! any `DELE` is sent. POP3 removes messages only at QUIT (RFC 1939 §6), so a
//! dropped connection deletes nothing.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use indicatif::ProgressBar;
use mail_cli::download::{progress_bar, safe_file_name, DownloadDir};
use mail_cli::CliError;
use mail_pop3::{MessageSink, MsgNum, Session};
use mail_wire::NetStream;

use crate::cli_error;

/// Threads running fsync + rename.
const SYNC_THREADS: usize = 8;

/// Downloads every message not yet in `dir`, then deletes (with `delete`)
/// every message whose file is there, then QUITs.
pub fn fetch_all(mut session: Session<NetStream>, dir: &Path, delete: bool, verbose: bool) -> Result<(), CliError> {
    let downloads = DownloadDir::open(dir)
        .map_err(|err| CliError::usage(format!("cannot use the directory {}: {err}", dir.display())))?;
    session.set_body_echo(false);
    let uidls = session.uidl().map_err(|err| cli_error(&err))?;

    let mut on_disk = Vec::new();
    let mut wanted = Vec::new();
    let mut names = HashMap::new();
    let mut seen = HashSet::new();
    for entry in uidls {
        let name = format!("{}.eml", safe_file_name(&entry.uid));
        if !seen.insert(name.clone()) {
            log::warn!("message {} repeats the UIDL {}; skipped", entry.msg, entry.uid);
        } else if downloads.contains(&name) {
            on_disk.push(entry.msg);
        } else {
            wanted.push(entry.msg);
            names.insert(entry.msg, name);
        }
    }

    let bar = progress_bar(wanted.len() as u64, true);
    let mut store = DurableStore::new(dir, names, bar.clone());
    let fetched = session.retr_many(&wanted, &mut store);
    let stored = store.finish();
    bar.finish_and_clear();

    let summary = format!(
        "fetched {} new messages ({} bytes) into {}; {} were already there",
        stored.saved.len(),
        stored.bytes,
        dir.display(),
        on_disk.len()
    );
    let rejected = match (fetched, stored.error) {
        (Err(err), _) => {
            let sentence = format!("{err} ({summary}; nothing deleted)");
            if !matches!(err, mail_pop3::Error::Wire(_)) {
                let _ = session.quit();
            }
            return Err(CliError::new(crate::exit_code(&err), sentence));
        }
        (Ok(_), Some(err)) => {
            let _ = session.quit();
            return Err(CliError::new(1, format!("cannot store the messages: {err} ({summary}; nothing deleted)")));
        }
        (Ok(rejected), None) => rejected,
    };
    for (msg, reply) in &rejected {
        log::warn!("RETR {msg} refused: {reply}");
    }

    let mut deleted = 0;
    if delete {
        let mut safe = on_disk;
        safe.extend(&stored.saved);
        safe.sort();
        session.dele_many(&safe).map_err(|err| cli_error(&err))?;
        deleted = safe.len();
    }
    session.quit().map_err(|err| cli_error(&err))?;
    if verbose {
        let deleted = if delete { format!("; {deleted} deleted on the server") } else { String::new() };
        println!("pop3-cli: {summary}{deleted}");
    }
    if let Some((msg, reply)) = rejected.first() {
        return Err(CliError::new(
            mail_cli::exit::REJECTED,
            format!("server rejected RETR {msg}: {reply} ({} messages not fetched)", rejected.len()),
        ));
    }
    Ok(())
}

/// A finished temporary file on its way to its final name.
struct Job {
    msg: MsgNum,
    file: File,
    temp: PathBuf,
    target: PathBuf,
    size: u64,
}

/// What ended up safely on disk.
struct Stored {
    saved: Vec<MsgNum>,
    bytes: u64,
    error: Option<io::Error>,
}

/// Writes each message to `.<name>.part-<pid>` and hands it to the sync pool.
struct DurableStore {
    dir: PathBuf,
    names: HashMap<MsgNum, String>,
    open: HashMap<MsgNum, PathBuf>,
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    results: mpsc::Receiver<(MsgNum, io::Result<u64>)>,
    bar: ProgressBar,
}

impl DurableStore {
    fn new(dir: &Path, names: HashMap<MsgNum, String>, bar: ProgressBar) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (done, results) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..SYNC_THREADS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let done = done.clone();
                std::thread::spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    let result = job.file.sync_all().and_then(|()| fs::rename(&job.temp, &job.target));
                    if result.is_err() {
                        let _ = fs::remove_file(&job.temp);
                    }
                    let _ = done.send((job.msg, result.map(|()| job.size)));
                })
            })
            .collect();
        DurableStore { dir: dir.to_owned(), names, open: HashMap::new(), jobs: Some(jobs), workers, results, bar }
    }

    /// Waits for every sync, then syncs the directory so the renames last.
    fn finish(mut self) -> Stored {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
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
        if !stored.saved.is_empty() {
            if let Err(err) = File::open(&self.dir).and_then(|d| d.sync_all()) {
                // The renames may not survive a crash: nothing counts as safe.
                stored.saved.clear();
                stored.error.get_or_insert(err);
            }
        }
        stored.saved.sort();
        stored
    }
}

impl MessageSink for DurableStore {
    type Writer = BufWriter<File>;

    fn open(&mut self, msg: MsgNum) -> io::Result<Self::Writer> {
        let name = self.names.get(&msg).ok_or_else(|| io::Error::other(format!("no file name for message {msg}")))?;
        let temp = self.dir.join(format!(".{name}.part-{}", std::process::id()));
        let file = File::create(&temp)?;
        self.open.insert(msg, temp);
        Ok(BufWriter::with_capacity(64 * 1024, file))
    }

    fn finish(&mut self, msg: MsgNum, writer: Self::Writer, size: u64) -> io::Result<()> {
        let temp = self.open.remove(&msg).ok_or_else(|| io::Error::other("message finished twice"))?;
        let file = match writer.into_inner() {
            Ok(file) => file,
            Err(err) => {
                let _ = fs::remove_file(&temp);
                return Err(err.into_error());
            }
        };
        let name = self.names.get(&msg).cloned().unwrap_or_default();
        let job = Job { msg, file, temp, target: self.dir.join(name), size };
        let jobs = self.jobs.as_ref().ok_or_else(|| io::Error::other("the store is closed"))?;
        jobs.send(job).map_err(|_| io::Error::other("the sync threads stopped"))?;
        self.bar.inc(1);
        Ok(())
    }

    fn abandon(&mut self, msg: MsgNum, writer: Self::Writer) {
        drop(writer);
        if let Some(temp) = self.open.remove(&msg) {
            let _ = fs::remove_file(temp);
        }
    }
}
