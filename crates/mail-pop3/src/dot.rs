//! Reading a multi-line reply (RFC 1939 §3): lines up to a lone `.`, with
//! the leading dot of "byte-stuffed" lines removed, streamed to a writer so a
//! message of any size needs only the connection's buffer.
//!
//! The fast path works on whole lines already in the connection's buffer
//! (found with `memchr`) and writes runs of them with one call; only a line
//! cut by the end of the buffer goes through `read_line`. Every line leaves
//! with CRLF, whether the server ended it with CRLF or a bare LF, so the
//! output does not depend on how the bytes were split into reads.

use std::io::{self, Read, Write};

use mail_wire::Connection;

use crate::error::Error;

/// Streams the rest of a multi-line reply (after its `+OK` line) to `out`,
/// unstuffed, and returns how many bytes were written. At most `limit` bytes
/// are accepted.
pub(crate) fn copy_multiline<S: Read + Write>(
    conn: &mut Connection<S>,
    out: &mut dyn Write,
    limit: u64,
) -> Result<u64, Error> {
    let mut written = 0u64;
    loop {
        let step = {
            let buf = conn.buffered();
            scan(buf, out, &mut written)?
        };
        check_limit(written, limit)?;
        match step {
            Scan::Consumed { bytes, end } => {
                // The lines were written from the buffer; now consume them
                // (the transcript, if any, sees them here).
                conn.copy_exact(bytes as u64, &mut io::sink())?;
                if end {
                    return Ok(written);
                }
            }
            Scan::NeedLine => {
                let line = conn.read_line()?;
                match line {
                    b"." => return Ok(written),
                    _ => {
                        let data = line.strip_prefix(b".").unwrap_or(line);
                        out.write_all(data).map_err(Error::Output)?;
                        out.write_all(b"\r\n").map_err(Error::Output)?;
                        written += data.len() as u64 + 2;
                        check_limit(written, limit)?;
                    }
                }
            }
        }
    }
}

fn check_limit(written: u64, limit: u64) -> Result<(), Error> {
    if written > limit {
        return Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
            size: written,
            limit,
        }));
    }
    Ok(())
}

/// What one pass over the buffer did.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// `bytes` of complete lines were handled (written or, for the
    /// terminator, dropped); `end` when the terminating `.` was among them.
    Consumed { bytes: usize, end: bool },
    /// No complete line is buffered.
    NeedLine,
}

/// Writes every complete line of `buf` to `out` (unstuffed, CRLF-terminated)
/// up to and including the terminator, counting output bytes in `written`.
fn scan(buf: &[u8], out: &mut dyn Write, written: &mut u64) -> Result<Scan, Error> {
    let mut emit = |bytes: &[u8]| -> Result<(), Error> {
        if !bytes.is_empty() {
            out.write_all(bytes).map_err(Error::Output)?;
            *written += bytes.len() as u64;
        }
        Ok(())
    };
    // `run_start..pos` is a run of ordinary CRLF lines not yet written.
    let mut run_start = 0;
    let mut line_start = 0;
    for newline in memchr::memchr_iter(b'\n', buf) {
        let line = buf.get(line_start..newline).unwrap_or_default();
        let has_cr = line.last() == Some(&b'\r');
        let content = if has_cr {
            line.get(..line.len() - 1).unwrap_or_default()
        } else {
            line
        };
        let next = newline + 1;
        if let Some(rest) = content.strip_prefix(b".") {
            emit(buf.get(run_start..line_start).unwrap_or_default())?;
            if rest.is_empty() {
                return Ok(Scan::Consumed {
                    bytes: next,
                    end: true,
                });
            }
            emit(rest)?;
            emit(b"\r\n")?;
            run_start = next;
        } else if !has_cr {
            // A bare LF: write the line with CRLF.
            emit(buf.get(run_start..newline).unwrap_or_default())?;
            emit(b"\r\n")?;
            run_start = next;
        }
        line_start = next;
    }
    if line_start == 0 {
        return Ok(Scan::NeedLine);
    }
    emit(buf.get(run_start..line_start).unwrap_or_default())?;
    Ok(Scan::Consumed {
        bytes: line_start,
        end: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_wire::testing::ScriptedStream;
    use mail_wire::{Limits, Recording};

    fn read_all(stream: ScriptedStream) -> (Result<u64, Error>, Vec<u8>, Vec<u8>) {
        let mut conn = Connection::new(stream, Limits::default());
        let mut out = Vec::new();
        let result = copy_multiline(&mut conn, &mut out, u64::MAX);
        let rest = conn.buffered().to_vec();
        (result, out, rest)
    }

    #[test]
    fn unstuffs_known_answers() {
        let table: &[(&[u8], &[u8])] = &[
            (b".\r\n", b""),
            (b"a\r\nb\r\n.\r\n", b"a\r\nb\r\n"),
            (b"..\r\n.\r\n", b".\r\n"),
            (b"...\r\n.\r\n", b"..\r\n"),
            (b"..x\r\nx.\r\n.x\r\n.\r\n", b".x\r\nx.\r\nx\r\n"),
            (b"\r\n\r\n.\r\n", b"\r\n\r\n"),
            (b"bare\nlf\n.\n", b"bare\r\nlf\r\n"),
            (b"a\r\n. \r\n.\r\n", b"a\r\n \r\n"),
            (b"cr\rin\r\n.\r\n", b"cr\rin\r\n"),
        ];
        for (wire, expected) in table {
            let (result, out, _) = read_all(ScriptedStream::raw(wire));
            assert_eq!(out, *expected, "wire {:?}", String::from_utf8_lossy(wire));
            assert_eq!(result.unwrap(), expected.len() as u64);
        }
    }

    #[test]
    fn every_split_of_the_stream_gives_the_same_bytes() {
        let wire: &[u8] =
            b"Subject: x\r\n\r\n..leading\r\nplain\n\r\n...\r\n..\r\nend\r\n.\r\n+OK next\r\n";
        let expected: &[u8] = b"Subject: x\r\n\r\n.leading\r\nplain\r\n\r\n..\r\n.\r\nend\r\n";
        for split in 0..wire.len() {
            let (head, tail) = wire.split_at(split);
            let stream = ScriptedStream::raw(head).then_serve(tail);
            let (result, out, rest) = read_all(stream);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
                "split at {split}"
            );
            assert_eq!(result.unwrap(), expected.len() as u64);
            // Nothing after the terminator was consumed.
            assert!(
                b"+OK next\r\n".starts_with(&rest),
                "split at {split}: {rest:?}"
            );
        }
        let (_, out, _) = read_all(ScriptedStream::raw(wire).one_byte_reads());
        assert_eq!(out, expected);
    }

    #[test]
    fn the_next_reply_stays_buffered() {
        let mut conn = Connection::new(
            ScriptedStream::raw(b"a\r\n.\r\n+OK 2\r\n"),
            Limits::default(),
        );
        let mut out = Vec::new();
        copy_multiline(&mut conn, &mut out, 100).unwrap();
        assert_eq!(conn.read_line().unwrap(), b"+OK 2");
    }

    #[test]
    fn a_reply_cut_short_is_closed() {
        let (result, out, _) = read_all(ScriptedStream::raw(b"line one\r\nline tw"));
        assert!(
            matches!(result, Err(Error::Wire(mail_wire::Error::Closed))),
            "{result:?}"
        );
        assert_eq!(out, b"line one\r\n");
    }

    #[test]
    fn a_reply_that_never_ends_times_out() {
        let stream =
            ScriptedStream::raw(b"a\r\nb\r\nc\r\n").error_kind_after(9, io::ErrorKind::WouldBlock);
        let (result, _, _) = read_all(stream);
        assert!(
            matches!(result, Err(Error::Wire(mail_wire::Error::Timeout))),
            "{result:?}"
        );
    }

    #[test]
    fn more_than_the_limit_is_refused() {
        let mut conn = Connection::new(
            ScriptedStream::raw(&b"0123456789\r\n".repeat(100)),
            Limits::default(),
        );
        let result = copy_multiline(&mut conn, &mut io::sink(), 500);
        assert!(matches!(
            result,
            Err(Error::Wire(mail_wire::Error::LiteralTooLarge {
                limit: 500,
                ..
            }))
        ));
    }

    #[test]
    fn an_overlong_line_is_refused() {
        let limits = Limits {
            max_line: 100,
            max_literal: 1000,
        };
        let mut data = vec![b'x'; 5000];
        data.extend_from_slice(b"\r\n.\r\n");
        let mut conn = Connection::new(ScriptedStream::raw(&data), limits);
        let result = copy_multiline(&mut conn, &mut io::sink(), u64::MAX);
        assert!(
            matches!(
                result,
                Err(Error::Wire(mail_wire::Error::LineTooLong { limit: 100 }))
            ),
            "{result:?}"
        );
    }

    #[test]
    fn a_failing_writer_is_an_output_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut conn = Connection::new(ScriptedStream::raw(b"a\r\n.\r\n"), Limits::default());
        assert!(matches!(
            copy_multiline(&mut conn, &mut Full, 100),
            Err(Error::Output(_))
        ));
    }

    #[test]
    fn the_transcript_sees_the_wire_lines() {
        let rec = Recording::new();
        let mut conn =
            Connection::new(ScriptedStream::raw(b"..x\r\ny\r\n.\r\n"), Limits::default());
        conn.set_transcript(Some(Box::new(rec.clone())));
        copy_multiline(&mut conn, &mut io::sink(), 100).unwrap();
        assert_eq!(rec.lines(), ["S: ..x", "S: y", "S: ."]);
    }

    #[test]
    fn a_large_message_streams_through_a_small_buffer() {
        let line = b"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789\r\n";
        let count = 200_000; // about 15 MB
        let mut wire = line.repeat(count);
        wire.extend_from_slice(b".\r\n");
        struct Counter(u64);
        impl Write for Counter {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 += b.len() as u64;
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut conn = Connection::new(ScriptedStream::raw(&wire), Limits::default());
        let mut counter = Counter(0);
        let n = copy_multiline(&mut conn, &mut counter, u64::MAX).unwrap();
        assert_eq!(
            (n, counter.0),
            ((line.len() * count) as u64, (line.len() * count) as u64)
        );
    }
}
