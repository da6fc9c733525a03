//! `--fetch-all DIR [--delete]`: every message not yet downloaded into
//! `DIR/<UIDL>.eml` (pipelined RETR, files made durable in batches by [`DurableStore`]);
//! `--delete` then marks only messages whose files are safely on disk.
//! POP3 removes messages only at QUIT (RFC 1939 §6), so a dropped
//! connection deletes nothing.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use mail_cli::download::{progress_bar, safe_file_name, DownloadDir};
use mail_cli::CliError;
use mail_pop3::Session;
use mail_wire::NetStream;

use crate::cli_error;
use crate::store::DurableStore;

/// Downloads every message not yet in `dir`, then deletes (with `delete`)
/// every message whose file is there, then QUITs.
pub fn fetch_all(
    mut session: Session<NetStream>,
    dir: &Path,
    delete: bool,
    verbose: bool,
) -> Result<(), CliError> {
    let downloads = DownloadDir::open(dir).map_err(|err| {
        CliError::usage(format!("cannot use the directory {}: {err}", dir.display()))
    })?;
    session.set_body_echo(false);
    let started = std::time::Instant::now();
    let uidls = session.uidl().map_err(|err| cli_error(&err))?;
    log::debug!("UIDL: {} messages in {:?}", uidls.len(), started.elapsed());

    let mut on_disk = Vec::new();
    let mut wanted = Vec::new();
    let mut names = HashMap::new();
    let mut seen = HashSet::new();
    for entry in uidls {
        let name = format!("{}.eml", safe_file_name(&entry.uid));
        if !seen.insert(name.clone()) {
            log::warn!(
                "message {} repeats the UIDL {}; skipped",
                entry.msg,
                entry.uid
            );
        } else if downloads.contains(&name) {
            on_disk.push(entry.msg);
        } else {
            wanted.push(entry.msg);
            names.insert(entry.msg, name);
        }
    }

    // The bar (stderr, terminals only) when no transcript scrolls by on stdout.
    let bar = progress_bar(wanted.len() as u64, !verbose);
    // mail-cli's template shows messages per second as bytes per second.
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {pos}/{len} messages, {elapsed} (eta {eta})",
    ) {
        bar.set_style(style);
    }
    let mut store = DurableStore::new(dir, names, bar.clone()).map_err(|err| {
        CliError::usage(format!("cannot use the directory {}: {err}", dir.display()))
    })?;
    let fetched = session.retr_many(&wanted, &mut store);
    log::debug!(
        "RETR of {} messages done after {:?}",
        wanted.len(),
        started.elapsed()
    );
    let stored = store.close();
    log::debug!("files durable after {:?}", started.elapsed());
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
        let deleted = if delete {
            format!("; {deleted} deleted on the server")
        } else {
            String::new()
        };
        println!("pop3-cli: {summary}{deleted}");
    }
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
