//! `--fetch-all DIR [--delete]`: every message not yet downloaded into
//! `DIR/<UIDL>.eml` (pipelined RETR, files made durable in batches by [`DurableStore`]);
//! `--delete` then marks only messages whose files are safely on disk.
//! POP3 removes messages only at QUIT (RFC 1939 §6), so a dropped
//! connection deletes nothing.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use mail_cli::download::{maildir, safe_file_name, Batch, Format, Interrupt, Progress, Summary};
use mail_cli::CliError;
use mail_pop3::{MsgNum, Session};
use mail_wire::NetStream;

use crate::cli_error;
use crate::store::DurableStore;

/// Downloads every message not yet in `dir`, then deletes (with `delete`)
/// every message whose file is there, then QUITs. SIGINT/SIGTERM stop the
/// download: the complete messages are kept, nothing is deleted, and the
/// error carries the summary and the exit code 130/143.
pub fn fetch_all(
    mut session: Session<NetStream>,
    dir: &Path,
    delete: bool,
    quiet: bool,
    format: Format,
) -> Result<(), CliError> {
    let started = Instant::now();
    let interrupt = Interrupt::install()
        .map_err(|err| CliError::new(1, format!("cannot catch signals: {err}")))?;
    let unusable =
        |err| CliError::usage(format!("cannot use the directory {}: {err}", dir.display()));
    let batch = match format {
        Format::Eml => Batch::open(dir),
        Format::Maildir => {
            maildir::create(dir).and_then(|()| Batch::open_with_temp(dir, &dir.join("tmp")))
        }
    }
    .map_err(unusable)?;
    let saved_keys = maildir::keys(dir);
    session.set_body_echo(false);
    let uidls = session.uidl().map_err(|err| cli_error(&err))?;
    let sizes: HashMap<MsgNum, u64> = session
        .list()
        .map_err(|err| cli_error(&err))?
        .into_iter()
        .map(|entry| (entry.msg, entry.size))
        .collect();
    log::debug!("UIDL: {} messages in {:?}", uidls.len(), started.elapsed());

    let mut on_disk = Vec::new();
    let mut wanted = Vec::new();
    let mut names = HashMap::new();
    let mut seen = HashSet::new();
    for entry in uidls {
        let key = safe_file_name(&entry.uid);
        let (name, present) = match format {
            Format::Eml => {
                let name = format!("{key}.eml");
                let present = batch.contains(&name);
                (name, present)
            }
            // POP3 gives no flags: new/, for the mail reader to see first.
            Format::Maildir => (maildir::file_name(&key, None), saved_keys.contains(&key)),
        };
        if !seen.insert(name.clone()) {
            log::warn!(
                "message {} repeats the UIDL {}; skipped",
                entry.msg,
                entry.uid
            );
        } else if present {
            on_disk.push(entry.msg);
        } else {
            wanted.push(entry.msg);
            names.insert(entry.msg, name);
        }
    }

    let total_bytes = wanted.iter().filter_map(|m| sizes.get(m)).sum();
    let progress = Progress::new(wanted.len() as u64, total_bytes, quiet);
    let mut store = DurableStore::new(batch, names, progress.clone(), interrupt.clone());
    let fetched = session.retr_many(&wanted, &mut store);
    log::debug!(
        "RETR of {} messages done after {:?}",
        wanted.len(),
        started.elapsed()
    );
    let stored = store.close();
    log::debug!("files durable after {:?}", started.elapsed());
    progress.finish();

    let mut summary = Summary {
        saved: stored.saved.len() as u64,
        bytes: stored.bytes,
        skipped: on_disk.len() as u64,
        failed: 0,
        dir: dir.to_owned(),
        seconds: started.elapsed().as_secs_f64(),
        deleted: None,
    };
    if interrupt.raised() {
        // RETRs are still in flight: no QUIT, so the server deletes nothing.
        return Err(CliError::new(
            interrupt.exit_code(),
            format!("{}: {summary}; nothing deleted", interrupt.describe()),
        ));
    }
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
            return Err(CliError::new(
                1,
                format!("cannot store the messages: {err} ({summary}; nothing deleted)"),
            ));
        }
        (Ok(rejected), None) => rejected,
    };
    for (msg, reply) in &rejected {
        log::warn!("RETR {msg} refused: {reply}");
    }
    summary.failed = rejected.len() as u64;

    if delete {
        let mut safe = on_disk;
        safe.extend(&stored.saved);
        safe.sort();
        session.dele_many(&safe).map_err(|err| cli_error(&err))?;
        summary.deleted = Some(safe.len() as u64);
    }
    session.quit().map_err(|err| cli_error(&err))?;
    summary.seconds = started.elapsed().as_secs_f64();
    // Always: -q turns off the transcript, not the result.
    println!("{summary}");
    if let Some((msg, reply)) = rejected.first() {
        return Err(CliError::new(
            mail_cli::exit::REJECTED,
            format!(
                "server rejected RETR {msg}: {reply} ({} messages not fetched)",
                rejected.len()
            ),
        ));
    }
    Ok(())
}
