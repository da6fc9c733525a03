//! `--fetch-all DIR`: every message of a mailbox (or, with
//! `--all-mailboxes`, of every selectable mailbox, each in its own
//! sub-directory), one file per message named `UIDVALIDITY-UID.eml`, made
//! durable in batches by mail-cli's [`Batch`] (a file gets its final name
//! only once durable, at most about a second after it arrived); files
//! already there are skipped, so an interrupted run resumes. UID FETCH
//! BODY.PEEK[] commands go out in batches, all pipelined; a large body
//! streams straight to its temporary file, never whole in memory.
//! `--delete` flags `\Deleted` and expunges only messages whose files are
//! durable.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use mail_cli::download::{
    maildir, safe_file_name, Batch, Entry, Format, Interrupt, Progress, Summary,
};
use mail_cli::exit::PROTOCOL;
use mail_cli::CliError;
use mail_imap::{Fetch, FetchEvent, FetchItem, Selected, SequenceSet, Session};
use mail_wire::NetStream;

use crate::cli_error;

/// What `--fetch-all` was asked to do.
pub(crate) struct Options<'a> {
    pub dir: &'a Path,
    pub mailbox: &'a str,
    pub all_mailboxes: bool,
    pub batch: usize,
    pub delete: bool,
    pub quiet: bool,
    pub format: Format,
}

/// A file of the batch that remembers why a write failed, and stops at a signal.
struct DiskWriter<'a> {
    entry: Entry,
    interrupt: &'a Interrupt,
    error: Option<io::Error>,
}

impl Write for DiskWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.interrupt.check()?;
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

/// One component of a mailbox name as a directory name: any Unicode stays
/// (a Korean name stays readable), `/`, `\`, `%` and control characters
/// become `%XX`, and a leading `.` (hidden, `.`, `..`) is escaped.
pub(crate) fn safe_dir_name(component: &str) -> String {
    let mut name = String::with_capacity(component.len());
    for (i, c) in component.chars().enumerate() {
        if c.is_control() || matches!(c, '/' | '\\' | '%') || (c == '.' && i == 0) {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                name.push_str(&format!("%{b:02X}"));
            }
        } else {
            name.push(c);
        }
    }
    if name.is_empty() {
        name.push_str("%00");
    }
    name
}

/// Where a mailbox's files go under DIR: its decoded name, one
/// sub-directory per hierarchy level.
pub(crate) fn mailbox_dir(dir: &Path, decoded: &str, delimiter: Option<char>) -> PathBuf {
    let mut path = dir.to_owned();
    match delimiter {
        Some(d) => decoded
            .split(d)
            .for_each(|part| path.push(safe_dir_name(part))),
        None => path.push(safe_dir_name(decoded)),
    }
    path
}

/// Runs the download; the summary on success, else an error whose sentence
/// carries it (exit 130/143 after SIGINT/SIGTERM).
pub(crate) fn run(
    mut session: Session<NetStream>,
    opts: &Options<'_>,
) -> Result<Summary, CliError> {
    let started = Instant::now();
    let interrupt = Interrupt::install()
        .map_err(|err| CliError::new(1, format!("cannot catch signals: {err}")))?;
    let mut total = Summary {
        dir: opts.dir.to_owned(),
        deleted: opts.delete.then_some(0),
        ..Summary::default()
    };
    let targets: Vec<(String, PathBuf)> = if opts.all_mailboxes {
        let mut list = session.list("", "*").map_err(cli_error)?;
        list.retain(|item| {
            !item.attributes.iter().any(|a| {
                a.0.eq_ignore_ascii_case("\\Noselect") || a.0.eq_ignore_ascii_case("\\NonExistent")
            })
        });
        list.iter()
            .map(|item| {
                let name = item.decoded_name();
                let path = mailbox_dir(opts.dir, &name, item.delimiter);
                (name, path)
            })
            .collect()
    } else {
        vec![(opts.mailbox.to_owned(), opts.dir.to_owned())]
    };
    let mut current = Some(session);
    for (mailbox, dir) in &targets {
        let Some(session) = current.take() else { break };
        match mailbox_run(session, mailbox, dir, opts, &interrupt) {
            Ok((one, next)) => {
                total.add(&one);
                current = next;
            }
            Err(mut err) => {
                total.add(&err.summary);
                total.seconds = started.elapsed().as_secs_f64();
                err.error.message = format!("{} ({total})", err.error.message);
                return Err(err.error);
            }
        }
        if interrupt.raised() {
            break;
        }
    }
    total.seconds = started.elapsed().as_secs_f64();
    match current {
        Some(session) if !interrupt.raised() => {
            session.logout().map_err(cli_error)?;
            Ok(total)
        }
        // Responses may still be in flight: no LOGOUT, the connection just closes.
        _ => Err(CliError::new(
            interrupt.exit_code(),
            format!("{}: {total}", interrupt.describe()),
        )),
    }
}

/// A failure in one mailbox, with what that mailbox had saved by then.
struct Failed {
    error: CliError,
    summary: Summary,
}

impl Failed {
    fn new(error: CliError) -> Self {
        Failed {
            error,
            summary: Summary::default(),
        }
    }
}

/// Downloads one mailbox into `dir`; gives the session back, left
/// without expunging (none after a signal).
fn mailbox_run(
    session: Session<NetStream>,
    mailbox: &str,
    dir: &Path,
    opts: &Options<'_>,
    interrupt: &Interrupt,
) -> Result<(Summary, Option<Session<NetStream>>), Failed> {
    let disk = |e: io::Error| CliError::usage(format!("cannot write to {}: {e}", dir.display()));
    let mut out = match opts.format {
        Format::Eml => Batch::open(dir),
        Format::Maildir => {
            maildir::create(dir).and_then(|()| Batch::open_with_temp(dir, &dir.join("tmp")))
        }
    }
    .map_err(|e| Failed::new(disk(e)))?;
    let opened = if opts.delete {
        session.select(mailbox)
    } else {
        session.examine(mailbox)
    };
    let mut sel = opened.map_err(|(e, _)| Failed::new(cli_error(e)))?;
    sel.session().set_show_literals(false);
    let validity = sel.mailbox().uid_validity.ok_or_else(|| {
        Failed::new(CliError::new(
            PROTOCOL,
            format!("server sent no UIDVALIDITY for {mailbox}"),
        ))
    })?;
    let saved_keys = match opts.format {
        Format::Eml => maildir::KeySet::default(),
        Format::Maildir => maildir::keys(dir),
    };
    let is_saved = |uid: u32| match opts.format {
        Format::Eml => out.contains(&file_name(validity, uid)),
        Format::Maildir => saved_keys.contains(&format!("{validity}-{uid}")),
    };
    let listing = if sel.mailbox().exists == 0 {
        Listing::default()
    } else {
        list_messages(&mut sel, is_saved).map_err(|e| Failed::new(cli_error(e)))?
    };
    let Listing {
        present,
        missing,
        bytes,
    } = listing;
    let name_of = |uid: u32| match opts.format {
        Format::Eml => file_name(validity, uid),
        Format::Maildir => {
            let flags = missing
                .binary_search_by_key(&uid, |&(u, _)| u)
                .ok()
                .and_then(|at| missing.get(at))
                .map_or(0, |&(_, flags)| flags);
            maildir::file_name(&format!("{validity}-{uid}"), Some(&flag_names(flags)))
        }
    };
    let mut summary = Summary {
        skipped: present.len() as u64,
        dir: dir.to_owned(),
        ..Summary::default()
    };
    let sets: Vec<SequenceSet> = missing
        .chunks(opts.batch)
        .filter_map(|c| SequenceSet::from_numbers(c.iter().map(|(uid, _)| *uid)))
        .collect();
    let progress = Progress::new(missing.len() as u64, bytes, opts.quiet);
    let mut failure = None;
    if !sets.is_empty() {
        failure = download(&mut sel, &sets, &name_of, &mut out, &progress, interrupt)
            .err()
            .map(|err| err.unwrap_or_else(&disk));
    }
    let stored = out.close();
    progress.finish();
    summary.saved = stored.ids.len() as u64;
    summary.bytes = stored.bytes;
    if let Some(err) = failure.or_else(|| stored.error.map(disk)) {
        return Err(Failed {
            error: err,
            summary,
        });
    }
    if interrupt.raised() {
        // Responses are still in flight: the caller stops without LOGOUT.
        return Ok((summary, None));
    }
    if opts.delete {
        let safe: Vec<u32> = present.iter().chain(&stored.ids).copied().collect();
        summary.deleted = Some(expunge(&mut sel, &safe).map_err(|err| Failed {
            error: cli_error(err),
            summary: summary.clone(),
        })?);
    }
    let session = leave(sel).map_err(|err| Failed {
        error: cli_error(err),
        summary: summary.clone(),
    })?;
    Ok((summary, Some(session)))
}

/// Streams the bodies into the batch. `Err(Err(io))` is the disk's fault.
fn download(
    sel: &mut Selected<NetStream>,
    sets: &[SequenceSet],
    name_of: &dyn Fn(u32) -> String,
    out: &mut Batch,
    progress: &Progress,
    interrupt: &Interrupt,
) -> Result<(), Result<CliError, io::Error>> {
    let mut events = sel
        .uid_fetch_stream(sets, "BODY.PEEK[]")
        .map_err(|e| Ok(cli_error(e)))?;
    while !interrupt.raised() {
        let Some(event) = events.next().map_err(|e| Ok(cli_error(e)))? else {
            break;
        };
        let FetchEvent::Body(body) = event else {
            continue;
        };
        let Some(uid) = body.context.uid else {
            return Err(Ok(CliError::new(
                PROTOCOL,
                format!(
                    "server sent message {} without its UID first",
                    body.context.seq
                ),
            )));
        };
        let mut file = DiskWriter {
            entry: out.create(&name_of(uid.0), uid.0),
            interrupt,
            error: None,
        };
        if let Err(err) = body.copy_to(&mut file) {
            if interrupt.raised() {
                return Ok(());
            }
            // A failed write to the file is the disk's fault, not the server's.
            return Err(file.error.map_or_else(|| Ok(cli_error(err)), Err));
        }
        let size = out.finish(file.entry).map_err(Err)?;
        progress.message(size);
    }
    Ok(())
}

/// A mailbox's messages: those whose files are there, those to fetch
/// (UID and Maildir flag bits, by UID), and the bytes to fetch. Compact:
/// 4 or 5 bytes a message.
#[derive(Default)]
struct Listing {
    present: Vec<u32>,
    missing: Vec<(u32, u8)>,
    bytes: u64,
}

/// The system flags a Maildir name carries, one bit each.
const MAILDIR_FLAGS: [&str; 5] = ["\\Draft", "\\Flagged", "\\Answered", "\\Seen", "\\Deleted"];

fn flag_bits(fetch: &Fetch) -> u8 {
    let mut bits = 0;
    for flag in fetch.flags().unwrap_or_default() {
        for (i, name) in MAILDIR_FLAGS.iter().enumerate() {
            if flag.0.eq_ignore_ascii_case(name) {
                bits |= 1 << i;
            }
        }
    }
    bits
}

fn flag_names(bits: u8) -> Vec<&'static str> {
    MAILDIR_FLAGS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
        .collect()
}

/// UIDs, sizes and flags in one command, streamed (the sizes give the bar
/// its bytes, the flags Maildir's info); nothing per message is kept but
/// the UID and the flag bits.
fn list_messages(
    sel: &mut Selected<NetStream>,
    is_saved: impl Fn(u32) -> bool,
) -> Result<Listing, mail_imap::Error> {
    let mut listing = Listing::default();
    let all = [SequenceSet::all()];
    let mut events = sel.uid_fetch_stream(&all, "(UID RFC822.SIZE FLAGS)")?;
    while let Some(event) = events.next()? {
        let FetchEvent::Fetch(fetch) = event else {
            continue;
        };
        let Some(uid) = fetch.uid() else { continue };
        if is_saved(uid.0) {
            listing.present.push(uid.0);
        } else {
            listing.bytes += fetch
                .items
                .iter()
                .find_map(|i| match i {
                    FetchItem::Size(s) => Some(*s),
                    _ => None,
                })
                .unwrap_or(0);
            listing.missing.push((uid.0, flag_bits(&fetch)));
        }
    }
    listing.missing.sort_unstable_by_key(|&(uid, _)| uid);
    listing.missing.dedup_by_key(|&mut (uid, _)| uid);
    Ok(listing)
}

/// Flags the saved messages `\Deleted` and expunges them: UID EXPUNGE of
/// exactly those with UIDPLUS, else EXPUNGE (which also removes messages
/// another client flagged). Returns how many were flagged.
fn expunge(sel: &mut Selected<NetStream>, uids: &[u32]) -> Result<u64, mail_imap::Error> {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    let sets: Vec<SequenceSet> = sorted
        .chunks(500)
        .filter_map(|c| SequenceSet::from_numbers(c.iter().copied()))
        .collect();
    if sets.is_empty() {
        return Ok(0);
    }
    for set in &sets {
        sel.uid_store(set, "+FLAGS.SILENT", &["\\Deleted"])?;
    }
    if sel.session().has_capability("UIDPLUS") {
        for set in &sets {
            sel.uid_expunge(set)?;
        }
    } else {
        sel.expunge()?;
    }
    Ok(sorted.len() as u64)
}

/// Back to the authenticated state without expunging anything more:
/// UNSELECT where offered, else CLOSE (which expunges only after SELECT,
/// and `--delete` has expunged already).
fn leave(sel: Selected<NetStream>) -> Result<Session<NetStream>, mail_imap::Error> {
    let mut sel = sel;
    if sel.session().has_capability("UNSELECT") || sel.session().has_capability("IMAP4rev2") {
        sel.unselect()
    } else {
        sel.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_names_become_safe_directories() {
        let root = Path::new("out");
        let table = [
            ("INBOX", Some('/'), "out/INBOX"),
            ("보낸편지함", Some('/'), "out/보낸편지함"),
            ("Work/2024", Some('/'), "out/Work/2024"),
            ("Work.2024", Some('.'), "out/Work/2024"),
            ("../etc", Some('/'), "out/%2E./etc"),
            ("a/b", Some('.'), "out/a%2Fb"),
            ("a/b", None, "out/a%2Fb"),
            ("..", None, "out/%2E."),
            (".hidden", Some('/'), "out/%2Ehidden"),
            ("bell\u{7}\\100%", Some('/'), "out/bell%07%5C100%25"),
            ("a//b", Some('/'), "out/a/%00/b"),
        ];
        for (name, delimiter, expected) in table {
            assert_eq!(
                mailbox_dir(root, name, delimiter),
                PathBuf::from(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn maildir_flag_bits_give_the_flags_back() {
        for bits in 0..32u8 {
            let names = flag_names(bits);
            let back = names.iter().fold(0, |acc, name| {
                acc | 1 << MAILDIR_FLAGS.iter().position(|f| f == name).unwrap()
            });
            assert_eq!(back, bits);
        }
        assert_eq!(
            maildir::file_name("7-1", Some(&flag_names(0b1010))),
            "cur/7-1:2,FS"
        );
    }
}
