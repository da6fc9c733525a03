//! `--fetch-all DIR [--delete]`: every message not yet downloaded into
//! `DIR/<UIDL>.eml` (pipelined RETR, files made durable in batches by [`DurableStore`]);
//! `--delete` then marks only messages whose files are safely on disk.
//! POP3 removes messages only at QUIT (RFC 1939 §6), so a dropped
//! connection deletes nothing.

use std::path::Path;
use std::time::Instant;

use mail_cli::download::{maildir, safe_file_name, Batch, Format, Interrupt, Progress, Summary};
use mail_cli::CliError;
use mail_pop3::Session;
use mail_wire::NetStream;

use crate::cli_error;
use crate::names::NameTable;
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
    let saved_keys = match format {
        Format::Eml => maildir::KeySet::default(),
        Format::Maildir => maildir::keys(dir),
    };
    session.set_body_echo(false);
    // Streamed and kept compact (a few bytes a message): a maildrop of
    // 100,000 messages must not cost 100,000 allocations.
    let mut all = NameTable::default();
    session
        .uidl_each(|entry| {
            let key = safe_file_name(&entry.uid);
            match format {
                Format::Eml => all.push(entry.msg, &format!("{key}.eml")),
                // POP3 gives no flags: new/, for the mail reader to see first.
                Format::Maildir => all.push(entry.msg, &maildir::file_name(&key, None)),
            }
        })
        .map_err(|err| cli_error(&err))?;
    all.seal();
    log::debug!("UIDL: {} messages in {:?}", all.len(), started.elapsed());

    let repeats = all.repeats();
    let mut on_disk = Vec::new();
    let mut wanted = Vec::new();
    for (msg, name) in all.iter() {
        let present = match format {
            Format::Eml => batch.contains(name),
            Format::Maildir => saved_keys.contains(maildir::key_of(name)),
        };
        if repeats.binary_search(&msg).is_ok() {
            log::warn!("message {msg} repeats the UIDL of an earlier one; skipped");
        } else if present {
            on_disk.push(msg);
        } else {
            wanted.push(msg);
        }
    }
    drop(repeats);

    // Sizes only for the progress bar's bytes, summed as LIST arrives.
    let mut total_bytes = 0;
    session
        .list_each(|entry| {
            if wanted.binary_search(&entry.msg).is_ok() {
                total_bytes += entry.size;
            }
        })
        .map_err(|err| cli_error(&err))?;
    let progress = Progress::new(wanted.len() as u64, total_bytes, quiet);
    let mut store = DurableStore::new(batch, all, progress.clone(), interrupt.clone());
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
