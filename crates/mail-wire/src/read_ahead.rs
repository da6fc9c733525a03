//! The socket under TLS, read through a buffer.
//!
//! OpenSSL reads a record in two calls (its 5-byte header, then the rest),
//! and servers send records of a few kilobytes: a download made two system
//! calls per record. Read through this buffer, one call takes in whatever
//! the socket holds, up to [`CAPACITY`], and the record reads are copies.
//! The async connection puts tokio's `BufReader` of the same capacity in
//! the same place.
//! It sits below TLS only: what it reads ahead is ciphertext that the same
//! TLS session reads next, never bytes of the plain-text protocol.

use std::io::{self, BufReader, Read, Write};

/// Room for several of the records servers send (a few kilobytes each); a
/// read of a full-size record (16 KiB and its framing) into an empty buffer
/// goes straight to the socket.
pub(crate) const CAPACITY: usize = 16 * 1024;

/// A stream whose reads go through a buffer and whose writes go straight on.
#[derive(Debug)]
pub(crate) struct ReadAhead<S>(BufReader<S>);

impl<S: Read> ReadAhead<S> {
    pub(crate) fn new(inner: S) -> Self {
        ReadAhead(BufReader::with_capacity(CAPACITY, inner))
    }
}

impl<S> ReadAhead<S> {
    pub(crate) fn get_ref(&self) -> &S {
        self.0.get_ref()
    }
}

impl<S: Read> Read for ReadAhead<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.0.read(out)
    }
}

impl<S: Write> Write for ReadAhead<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.get_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.get_mut().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes a call and counts calls.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        calls: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.calls += 1;
            let n = self.data.len().min(out.len()).min(self.step);
            let (now, rest) = self.data.split_at(n);
            out[..n].copy_from_slice(now);
            self.data = rest;
            Ok(n)
        }
    }

    #[test]
    fn small_reads_are_served_from_one_big_read_and_lose_nothing() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut ahead = ReadAhead::new(Trickle {
            data: &data,
            step: usize::MAX,
            calls: 0,
        });
        let mut got = Vec::new();
        let mut piece = [0u8; 5];
        loop {
            let n = ahead.read(&mut piece).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&piece[..n]);
        }
        assert_eq!(got, data);
        // 100,000 bytes in 5-byte reads: four buffer-fulls and the end.
        assert_eq!(ahead.0.get_ref().calls, data.len().div_ceil(CAPACITY) + 1);
    }

    #[test]
    fn short_socket_reads_and_large_caller_reads_pass_through() {
        let data = vec![7u8; 3 * CAPACITY];
        let mut ahead = ReadAhead::new(Trickle {
            data: &data,
            step: 1000,
            calls: 0,
        });
        let mut small = [0u8; 10];
        assert_eq!(ahead.read(&mut small).unwrap(), 10);
        // The rest of the first socket read comes from the buffer.
        let mut big = vec![0u8; 2 * CAPACITY];
        assert_eq!(ahead.read(&mut big).unwrap(), 990);
        // With the buffer empty a large read goes straight to the socket.
        assert_eq!(ahead.read(&mut big).unwrap(), 1000);
        assert_eq!(ahead.0.get_ref().calls, 2);
    }
}
