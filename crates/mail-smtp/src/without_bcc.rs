//! Dropping `Bcc:` from a message as it streams, for messages written
//! elsewhere (a built `mail_mime::OutgoingMessage` never carries Bcc in its header).

use std::io::{self, Read};

/// The longest header section [`WithoutBcc`] holds while looking for `Bcc:`.
const MAX_HEADER: usize = 256 * 1024;

/// A message stream with every `Bcc:` field (and its continuation lines)
/// left out of the header section; the body passes through untouched.
/// The header section is held in memory (at most 256 KiB; a longer one is
/// an error, since no real header is that long).
#[derive(Debug)]
pub struct WithoutBcc<R> {
    inner: R,
    /// The filtered header section, then empty.
    head: Vec<u8>,
    head_pos: usize,
    header_done: bool,
}

impl<R: Read> WithoutBcc<R> {
    /// Wraps a message stream (CRLF or LF line ends).
    pub fn new(inner: R) -> WithoutBcc<R> {
        WithoutBcc {
            inner,
            head: Vec::new(),
            head_pos: 0,
            header_done: false,
        }
    }

    /// Reads until the header section has ended (or the stream has), then
    /// keeps the header without Bcc fields plus whatever body bytes came
    /// with the last read, untouched.
    fn read_header(&mut self) -> io::Result<()> {
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        let end = loop {
            if let Some(end) = header_end(&raw) {
                break end;
            }
            if raw.len() >= MAX_HEADER {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the message header is longer than 256 KiB",
                ));
            }
            let n = self.inner.read(&mut chunk)?;
            if n == 0 {
                break raw.len();
            }
            raw.extend_from_slice(chunk.get(..n).unwrap_or_default());
        };
        let (header, body) = raw.split_at(end.min(raw.len()));
        let mut skipping = false;
        for line in header.split_inclusive(|&b| b == b'\n') {
            let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
            if !folded {
                skipping = is_bcc_field(line);
            }
            if !skipping {
                self.head.extend_from_slice(line);
            }
        }
        self.head.extend_from_slice(body);
        self.header_done = true;
        Ok(())
    }
}

/// Where the header section ends: just past its first empty line.
fn header_end(raw: &[u8]) -> Option<usize> {
    let mut at = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if !line.ends_with(b"\n") {
            return None;
        }
        at += line.len();
        if line == b"\n" || line == b"\r\n" {
            return Some(at);
        }
    }
    None
}

fn is_bcc_field(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    line.get(..colon)
        .is_some_and(|name| name.trim_ascii_end().eq_ignore_ascii_case(b"bcc"))
}

impl<R: Read> Read for WithoutBcc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.header_done {
            self.read_header()?;
        }
        let rest = self.head.get(self.head_pos..).unwrap_or_default();
        if !rest.is_empty() {
            let n = rest.len().min(buf.len());
            buf.get_mut(..n)
                .unwrap_or_default()
                .copy_from_slice(rest.get(..n).unwrap_or_default());
            self.head_pos += n;
            if self.head_pos == self.head.len() {
                self.head = Vec::new();
                self.head_pos = 0;
            }
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(raw: &[u8], read_size: usize) -> Vec<u8> {
        let mut reader = WithoutBcc::new(raw);
        let mut out = Vec::new();
        let mut buf = vec![0u8; read_size];
        loop {
            let n = reader.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn without_bcc_drops_the_field_and_its_continuations_only() {
        let table: &[(&[u8], &[u8])] = &[
            (
                b"From: a@x.test\r\nBcc: h@x.test,\r\n\tj@x.test\r\nTo: b@x.test\r\n\r\nBcc: in the body\r\n",
                b"From: a@x.test\r\nTo: b@x.test\r\n\r\nBcc: in the body\r\n",
            ),
            (b"bcc : h@x.test\nSubject: s\n\nbody\n", b"Subject: s\n\nbody\n"),
            (b"Bccx: keep\r\n\r\n", b"Bccx: keep\r\n\r\n"),
            (b"From: a@x.test\r\nBcc: h@x.test\r\n", b"From: a@x.test\r\n"),
            (b"\r\nBcc: body only\r\n", b"\r\nBcc: body only\r\n"),
            (b"", b""),
        ];
        for (input, expected) in table {
            for read_size in [1, 3, 4096] {
                assert_eq!(
                    strip(input, read_size),
                    *expected,
                    "{:?} / {read_size}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn without_bcc_refuses_an_endless_header() {
        let endless = std::io::repeat(b'a').take(1 << 20);
        let mut reader = WithoutBcc::new(endless);
        let err = reader.read(&mut [0u8; 64]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
