//! The [`MessageSink`] of `--fetch-all`: each message goes into a
//! [`Batch`] of mail-cli (hidden temporary file, made durable with its
//! batch, then renamed to `<UIDL>.eml`). A message counts as saved only
//! once its file is durable under its final name.

use std::io::{self, Write};

use mail_cli::download::{Batch, Entry, Interrupt, Progress};
use mail_pop3::{MessageSink, MsgNum};

use crate::names::NameTable;

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

/// Messages to files named by their UIDL.
pub struct DurableStore {
    batch: Batch,
    names: NameTable,
    progress: Progress,
    interrupt: Interrupt,
}

/// One message's file; a signal stops the transfer at the next write.
pub struct MessageFile {
    entry: Entry,
    interrupt: Interrupt,
}

impl Write for MessageFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.interrupt.check()?;
        self.entry.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.entry.flush()
    }
}

impl DurableStore {
    /// A store writing message `msg` to its name in `names` in the batch's directory.
    pub fn new(batch: Batch, names: NameTable, progress: Progress, interrupt: Interrupt) -> Self {
        DurableStore {
            batch,
            names,
            progress,
            interrupt,
        }
    }

    /// Waits until every finished message is durable under its final name
    /// (also after a failed download: complete messages are kept).
    pub fn close(self) -> Stored {
        let saved = self.batch.close();
        let mut msgs: Vec<MsgNum> = saved.ids.into_iter().map(MsgNum).collect();
        msgs.sort_unstable();
        Stored {
            saved: msgs,
            bytes: saved.bytes,
            error: saved.error,
        }
    }
}

impl MessageSink for DurableStore {
    type Writer = MessageFile;

    fn open(&mut self, msg: MsgNum) -> io::Result<MessageFile> {
        self.interrupt.check()?;
        let name = self
            .names
            .get(msg)
            .ok_or_else(|| io::Error::other(format!("no file name for message {msg}")))?;
        Ok(MessageFile {
            entry: self.batch.create(name, msg.0),
            interrupt: self.interrupt.clone(),
        })
    }

    fn finish(&mut self, _: MsgNum, writer: MessageFile, size: u64) -> io::Result<()> {
        self.batch.finish(writer.entry)?;
        self.progress.message(size);
        Ok(())
    }

    fn abandon(&mut self, _: MsgNum, writer: MessageFile) {
        // Dropping an unfinished entry removes whatever it wrote.
        drop(writer);
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;

    use super::*;

    fn batch(dir: &std::path::Path) -> Batch {
        Batch::open(dir).unwrap()
    }

    fn hidden() -> Progress {
        Progress::new(0, 0, true)
    }

    fn names(n: u32) -> NameTable {
        let mut table = NameTable::default();
        for i in 1..=n {
            table.push(MsgNum(i), &format!("m{i}.eml"));
        }
        table.seal();
        table
    }

    #[test]
    fn finished_messages_are_saved_and_an_abandoned_retry_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            DurableStore::new(batch(dir.path()), names(300), hidden(), Interrupt::never());
        for i in 1..=300u32 {
            let mut w = store.open(MsgNum(i)).unwrap();
            let body = format!("message {i}\r\n");
            w.write_all(body.as_bytes()).unwrap();
            store.finish(MsgNum(i), w, body.len() as u64).unwrap();
        }
        let mut w = store.open(MsgNum(1)).unwrap();
        w.write_all(&vec![b'y'; mail_cli::download::IN_MEMORY + 1])
            .unwrap();
        store.abandon(MsgNum(1), w);
        assert!(store.open(MsgNum(301)).is_err(), "no name, no file");
        let stored = store.close();
        assert!(stored.error.is_none(), "{:?}", stored.error);
        assert_eq!(stored.saved, (1..=300).map(MsgNum).collect::<Vec<_>>());
        assert_eq!(
            fs::read(dir.path().join("m1.eml")).unwrap(),
            b"message 1\r\n"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            300,
            "temporary files left behind"
        );
    }

    #[test]
    fn a_signal_stops_the_message_being_written_and_keeps_the_finished_ones() {
        let dir = tempfile::tempdir().unwrap();
        let interrupt = Interrupt::never();
        let mut store = DurableStore::new(batch(dir.path()), names(3), hidden(), interrupt.clone());
        let mut w = store.open(MsgNum(1)).unwrap();
        w.write_all(b"one\r\n").unwrap();
        store.finish(MsgNum(1), w, 5).unwrap();
        let mut w = store.open(MsgNum(2)).unwrap();
        w.write_all(&vec![b'x'; mail_cli::download::IN_MEMORY + 1])
            .unwrap();
        interrupt.raise(2);
        let err = w.write_all(b"more").unwrap_err();
        assert_eq!(err.to_string(), "interrupted by SIGINT");
        store.abandon(MsgNum(2), w);
        assert!(store.open(MsgNum(3)).is_err());
        let stored = store.close();
        assert_eq!(stored.saved, vec![MsgNum(1)]);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("m1.eml")]);
    }

    #[test]
    fn a_directory_that_disappears_saves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("gone");
        let mut store = DurableStore::new(batch(&dir), names(2), hidden(), Interrupt::never());
        fs::remove_dir(&dir).unwrap();
        let mut w = store.open(MsgNum(1)).unwrap();
        w.write_all(b"x").unwrap();
        store.finish(MsgNum(1), w, 1).unwrap();
        let stored = store.close();
        assert!(stored.saved.is_empty());
        assert!(stored.error.is_some());
    }
}
