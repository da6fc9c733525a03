//! `--fetch-all DIR`: every message of a mailbox, one file per message named
//! `UIDVALIDITY-UID.eml`, written atomically; files already there are skipped,
//! so an interrupted run resumes. UID FETCH BODY.PEEK[] commands go out in
//! batches, all pipelined, and each body streams straight to its file.

use std::fmt;
use std::io;
use std::path::Path;

use mail_cli::download::{progress_bar, safe_file_name, DownloadDir};
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

pub(crate) fn file_name(validity: u32, uid: u32) -> String {
    safe_file_name(&format!("{validity}-{uid}.eml"))
}

pub(crate) fn run(mut session: Session<NetStream>, dir: &Path, mailbox: &str, batch: usize) -> Result<Summary, CliError> {
    let started = std::time::Instant::now();
    let out = DownloadDir::open(dir).map_err(|e| CliError::usage(format!("cannot use {}: {e}", dir.display())))?;
    session.set_show_literals(false);
    let mut sel = session.examine(mailbox).map_err(|(e, _)| cli_error(e))?;
    let validity = sel
        .mailbox()
        .uid_validity
        .ok_or_else(|| CliError::new(PROTOCOL, format!("server sent no UIDVALIDITY for {mailbox}")))?;
    let uids = if sel.mailbox().exists == 0 { Vec::new() } else { sel.uid_search("ALL").map_err(cli_error)? };
    let missing: Vec<u32> = uids.iter().map(|u| u.0).filter(|&u| !out.contains(&file_name(validity, u))).collect();
    let skipped = uids.len() - missing.len();
    let sets: Vec<SequenceSet> = missing.chunks(batch).filter_map(|c| SequenceSet::from_numbers(c.iter().copied())).collect();
    let bar = progress_bar(missing.len() as u64, true);
    let (mut saved, mut bytes) = (0u64, 0u64);
    if !sets.is_empty() {
        let mut events = sel.uid_fetch_stream(&sets, "BODY.PEEK[]").map_err(cli_error)?;
        while let Some(event) = events.next().map_err(cli_error)? {
            let FetchEvent::Body(body) = event else { continue };
            let Some(uid) = body.context.uid else {
                return Err(CliError::new(PROTOCOL, format!("server sent message {} without its UID first", body.context.seq)));
            };
            let name = file_name(validity, uid.0);
            let size = body.context.size;
            out.save(&name, |w| body.copy_to(w).map(|_| ()).map_err(SaveError::Imap)).map_err(|e| match e {
                SaveError::Imap(e) => cli_error(e),
                SaveError::Io(e) => CliError::usage(format!("cannot write {name}: {e}")),
            })?;
            saved += 1;
            bytes += size;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    sel.logout().map_err(cli_error)?;
    Ok(Summary { saved, bytes, skipped, dir: dir.display().to_string(), seconds: started.elapsed().as_secs_f64() })
}
