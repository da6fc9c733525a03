//! `--fetch-all DIR`: every message of a mailbox, one file per message named
//! `UIDVALIDITY-UID.eml`, made durable in batches by mail-cli's [`Batch`]
//! (a file gets its final name only once durable); files already there are
//! skipped, so an interrupted run resumes. UID FETCH BODY.PEEK[] commands
//! go out in batches, all pipelined; a large body streams straight to its
//! temporary file, never whole in memory.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use mail_cli::download::{progress_bar, safe_file_name, Batch, Entry};
use mail_cli::exit::PROTOCOL;
use mail_cli::CliError;
use mail_imap::{FetchEvent, SequenceSet, Session};
use mail_wire::NetStream;

use crate::cli_error;

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
            if self.seconds > 0.0 {
                mb / self.seconds
            } else {
                0.0
            },
            self.skipped
        )
    }
}

/// A file of the batch that remembers why a write failed.
struct DiskWriter {
    entry: Entry,
    error: Option<io::Error>,
}

impl Write for DiskWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.entry
            .write(buf)
            .inspect_err(|err| self.error = Some(io::Error::new(err.kind(), err.to_string())))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.entry
            .flush()
            .inspect_err(|err| self.error = Some(io::Error::new(err.kind(), err.to_string())))
    }
}

pub(crate) fn file_name(validity: u32, uid: u32) -> String {
    safe_file_name(&format!("{validity}-{uid}.eml"))
}

pub(crate) fn run(
    mut session: Session<NetStream>,
    dir: &Path,
    mailbox: &str,
    batch: usize,
) -> Result<Summary, CliError> {
    let started = std::time::Instant::now();
    let disk = |e: io::Error| CliError::usage(format!("cannot write to {}: {e}", dir.display()));
    let mut out = Batch::open(dir).map_err(disk)?;
    session.set_show_literals(false);
    let mut sel = session.examine(mailbox).map_err(|(e, _)| cli_error(e))?;
    let validity = sel.mailbox().uid_validity.ok_or_else(|| {
        CliError::new(
            PROTOCOL,
            format!("server sent no UIDVALIDITY for {mailbox}"),
        )
    })?;
    let uids = if sel.mailbox().exists == 0 {
        Vec::new()
    } else {
        sel.uid_search("ALL").map_err(cli_error)?
    };
    let missing: Vec<u32> = uids
        .iter()
        .map(|u| u.0)
        .filter(|&u| !out.contains(&file_name(validity, u)))
        .collect();
    let skipped = uids.len() - missing.len();
    log::debug!("examined and searched at {:?}", started.elapsed());
    let sets: Vec<SequenceSet> = missing
        .chunks(batch)
        .filter_map(|c| SequenceSet::from_numbers(c.iter().copied()))
        .collect();
    let bar = progress_bar(missing.len() as u64, true);
    let mut bytes = 0u64;
    // Files appear in groups, each after one syncfs; a failure below drops
    // the batch, which still commits the messages already complete.
    if !sets.is_empty() {
        let mut events = sel
            .uid_fetch_stream(&sets, "BODY.PEEK[]")
            .map_err(cli_error)?;
        while let Some(event) = events.next().map_err(cli_error)? {
            let FetchEvent::Body(body) = event else {
                continue;
            };
            let Some(uid) = body.context.uid else {
                return Err(CliError::new(
                    PROTOCOL,
                    format!(
                        "server sent message {} without its UID first",
                        body.context.seq
                    ),
                ));
            };
            let mut file = DiskWriter {
                entry: out.create(&file_name(validity, uid.0)),
                error: None,
            };
            if let Err(err) = body.copy_to(&mut file) {
                // A failed write to the file is the disk's fault, not the server's.
                return Err(file.error.map_or_else(|| cli_error(err), disk));
            }
            bytes += out.finish(file.entry).map_err(disk)?;
            bar.inc(1);
        }
    }
    log::debug!("download done at {:?}", started.elapsed());
    let stored = out.close();
    log::debug!("files durable at {:?}", started.elapsed());
    bar.finish_and_clear();
    if let Some(err) = stored.error {
        return Err(disk(err));
    }
    let saved = stored.names.len() as u64;
    sel.logout().map_err(cli_error)?;
    Ok(Summary {
        saved,
        bytes,
        skipped,
        dir: dir.display().to_string(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
