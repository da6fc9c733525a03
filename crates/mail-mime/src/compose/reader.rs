//! Streams an [`OutgoingMessage`](super::OutgoingMessage): bytes from memory,
//! attachment files read and base64-encoded chunk by chunk.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::outgoing::Segment;
use crate::base64;

/// Attachment bytes read per chunk (a whole number of 57-byte base64 lines).
const FILE_CHUNK: usize = base64::LINE_INPUT * 1024;

struct FileEncoder {
    file: File,
    remaining: u64,
    path: PathBuf,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
}

impl FileEncoder {
    /// Refills `out` with the next chunk; false at the file's end.
    fn refill(&mut self) -> io::Result<bool> {
        if self.remaining == 0 {
            return Ok(false);
        }
        let want = (FILE_CHUNK as u64).min(self.remaining) as usize;
        self.input.resize(want, 0);
        let mut got = 0;
        while got < want {
            let n = self
                .file
                .read(self.input.get_mut(got..).unwrap_or_default())?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "attachment {} shrank while the message was being written",
                        self.path.display()
                    ),
                ));
            }
            got += n;
        }
        self.remaining -= want as u64;
        self.out.clear();
        self.out_pos = 0;
        base64::encode_lines(&self.input, &mut self.out);
        Ok(true)
    }
}

pub(super) struct MessageReader {
    segments: Arc<Vec<Segment>>,
    index: usize,
    pos: usize,
    file: Option<FileEncoder>,
}

impl MessageReader {
    pub(super) fn new(segments: Arc<Vec<Segment>>) -> Self {
        MessageReader {
            segments,
            index: 0,
            pos: 0,
            file: None,
        }
    }
}

impl Read for MessageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(segment) = self.segments.get(self.index) else {
                return Ok(0);
            };
            match segment {
                Segment::Bytes(bytes) => {
                    let rest = bytes.get(self.pos..).unwrap_or_default();
                    if rest.is_empty() {
                        self.index += 1;
                        self.pos = 0;
                        continue;
                    }
                    let n = rest.len().min(buf.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(rest.get(..n).unwrap_or_default());
                    self.pos += n;
                    return Ok(n);
                }
                Segment::Base64File { path, len } => {
                    if self.file.is_none() {
                        let file = File::open(path).map_err(|e| {
                            io::Error::new(
                                e.kind(),
                                format!("cannot read attachment {}: {e}", path.display()),
                            )
                        })?;
                        self.file = Some(FileEncoder {
                            file,
                            remaining: *len,
                            path: path.clone(),
                            input: Vec::new(),
                            out: Vec::new(),
                            out_pos: 0,
                        });
                    }
                    let Some(enc) = self.file.as_mut() else {
                        continue;
                    };
                    if enc.out_pos >= enc.out.len() && !enc.refill()? {
                        self.file = None;
                        self.index += 1;
                        continue;
                    }
                    let rest = enc.out.get(enc.out_pos..).unwrap_or_default();
                    let n = rest.len().min(buf.len());
                    buf.get_mut(..n)
                        .unwrap_or_default()
                        .copy_from_slice(rest.get(..n).unwrap_or_default());
                    enc.out_pos += n;
                    return Ok(n);
                }
            }
        }
    }
}
