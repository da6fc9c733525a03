//! `--fetch-all DIR`: every message of a mailbox, one file per message named
//! `UIDVALIDITY-UID.eml`, written atomically (see [`Spool`]); files already
//! there are skipped, so an interrupted run resumes. UID FETCH BODY.PEEK[]
//! commands go out in batches, all pipelined; a large body streams straight
//! to its file, never whole in memory.

use std::fmt;
use std::io;
use std::path::Path;

use mail_cli::download::{progress_bar, safe_file_name};
use mail_cli::exit::PROTOCOL;
use mail_cli::CliError;
use mail_imap::{FetchEvent, SequenceSet, Session};
use mail_wire::NetStream;

use crate::cli_error;
use crate::spool::{Spool, SMALL};

/// What a run did.
pub(crate) struct Summary {
    saved: u64,
    bytes: u64,
    skipped: usize,
    dir: String,
    seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = self.bytes as f64 / 1e6;
        write!(
            f,
            "saved {} messages ({mb:.1} MB) to {} in {:.2} s ({:.1} MB/s); {} already there",
            self.saved,
            self.dir,
            self.seconds,
            if self.seconds > 0.0 { mb / self.seconds } else { 0.0 },
            self.skipped
        )
    }
}

enum SaveError {
    Imap(mail_imap::Error),
    Io(io::Error),
}

impl From<io::Error> for SaveError {
    fn from(err: io::Error) -> Self {
        SaveError::Io(err)
    }
}

/// Files become visible after this many bytes (one syncfs each): few flushes,
/// and little to fetch again after a crash.
const COMMIT_BYTES: u64 = 64 * 1024 * 1024;

pub(crate) fn file_name(validity: u32, uid: u32) -> String {
    safe_file_name(&format!("{validity}-{uid}.eml"))
}

pub(crate) fn run(mut session: Session<NetStream>, dir: &Path, mailbox: &str, batch: usize) -> Result<Summary, CliError> {
    let started = std::time::Instant::now();
    let disk = |e: io::Error| CliError::usage(format!("cannot write to {}: {e}", dir.display()));
    let mut out = Spool::open(dir).map_err(disk)?;
    session.set_show_literals(false);
    let mut sel = session.examine(mailbox).map_err(|(e, _)| cli_error(e))?;
    let validity = sel
        .mailbox()
        .uid_validity
        .ok_or_else(|| CliError::new(PROTOCOL, format!("server sent no UIDVALIDITY for {mailbox}")))?;
    let uids = if sel.mailbox().exists == 0 { Vec::new() } else { sel.uid_search("ALL").map_err(cli_error)? };
    let missing: Vec<u32> = uids.iter().map(|u| u.0).filter(|&u| !out.contains(&file_name(validity, u))).collect();
    let skipped = uids.len() - missing.len();
    log::debug!("examined and searched at {:?}", started.elapsed());
    let sets: Vec<SequenceSet> = missing.chunks(batch).filter_map(|c| SequenceSet::from_numbers(c.iter().copied())).collect();
    let bar = progress_bar(missing.len() as u64, true);
    let (mut saved, mut bytes, mut uncommitted) = (0u64, 0u64, 0u64);
    // Files appear in groups: each group after one syncfs.
    if !sets.is_empty() {
        let mut events = sel.uid_fetch_stream(&sets, "BODY.PEEK[]").map_err(cli_error)?;
        while let Some(event) = events.next().map_err(cli_error)? {
            let FetchEvent::Body(body) = event else { continue };
            let Some(uid) = body.context.uid else {
                return Err(CliError::new(PROTOCOL, format!("server sent message {} without its UID first", body.context.seq)));
            };
            let name = file_name(validity, uid.0);
            let size = body.context.size;
            if size <= SMALL {
                let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
                body.copy_to(&mut bytes).map_err(cli_error)?;
                out.write_small(&name, bytes).map_err(disk)?;
            } else {
                out.write_large(&name, |w| body.copy_to(w).map(|_| ()).map_err(SaveError::Imap)).map_err(|e| match e {
                    SaveError::Imap(e) => cli_error(e),
                    SaveError::Io(e) => disk(e),
                })?;
            }
            bytes += size;
            bar.inc(1);
            uncommitted += size;
            if uncommitted >= COMMIT_BYTES {
                saved += out.commit().map_err(disk)? as u64;
                uncommitted = 0;
            }
        }
    }
    log::debug!("download done at {:?}", started.elapsed());
    saved += out.commit().map_err(disk)? as u64;
    bar.finish_and_clear();
    sel.logout().map_err(cli_error)?;
    Ok(Summary { saved, bytes, skipped, dir: dir.display().to_string(), seconds: started.elapsed().as_secs_f64() })
}
