//! An SMTP server in memory for the memory tests of `send_message`
//! (blocking and async): it counts the message data and keeps none.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use mail_mime::{Mailbox, MessageBuilder, OutgoingMessage};

pub const ATTACHMENT: u64 = 24 * 1024 * 1024;

/// What the sink saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub commands: Vec<String>,
    pub data_bytes: u64,
}

/// A minimal SMTP server in memory (no PIPELINING, no CHUNKING: one reply
/// per command, DATA ended by CRLF.CRLF) that counts the data and keeps none.
pub struct Sink {
    to_client: VecDeque<u8>,
    line: Vec<u8>,
    in_data: bool,
    tail: [u8; 5],
    seen: Arc<Mutex<Seen>>,
}

impl Sink {
    pub fn new(seen: Arc<Mutex<Seen>>) -> Sink {
        Sink {
            to_client: b"220 sink.test ESMTP\r\n".iter().copied().collect(),
            line: Vec::new(),
            in_data: false,
            tail: [0; 5],
            seen,
        }
    }

    fn reply(&mut self, text: &str) {
        self.to_client.extend(text.as_bytes());
    }

    fn command(&mut self, line: &str) {
        self.seen.lock().unwrap().commands.push(line.to_owned());
        match line.get(..4).unwrap_or(line).to_ascii_uppercase().as_str() {
            "EHLO" => self.reply("250-sink.test\r\n250-SIZE 1000000000\r\n250 8BITMIME\r\n"),
            "DATA" => {
                self.in_data = true;
                self.tail = *b"xxx\r\n";
                self.reply("354 go ahead\r\n");
            }
            "QUIT" => self.reply("221 bye\r\n"),
            _ => self.reply("250 ok\r\n"),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            if self.in_data {
                self.seen.lock().unwrap().data_bytes += 1;
                self.tail.rotate_left(1);
                self.tail[4] = b;
                if &self.tail == b"\r\n.\r\n" {
                    self.in_data = false;
                    self.reply("250 2.0.0 queued\r\n");
                }
            } else {
                self.line.push(b);
                if self.line.ends_with(b"\r\n") {
                    let line =
                        String::from_utf8_lossy(&self.line[..self.line.len() - 2]).into_owned();
                    self.line.clear();
                    self.command(&line);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Sink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.to_client.len());
        for (slot, byte) in buf.iter_mut().zip(self.to_client.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

/// The process's peak resident set so far, in bytes.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// The async side of the same sink: every read and write completes at once.
#[cfg(feature = "tokio")]
impl tokio::io::AsyncRead for Sink {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        let n = Read::read(self.get_mut(), buf.initialize_unfilled())?;
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio")]
impl tokio::io::AsyncWrite for Sink {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::task::Poll::Ready(Write::write(self.get_mut(), buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// A message with a sparse 24 MiB attachment file (nothing on disk).
pub fn large_message(dir: &std::path::Path) -> OutgoingMessage {
    let path = dir.join("large.bin");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(ATTACHMENT)
        .unwrap();
    let message = MessageBuilder::new()
        .from(Mailbox::parse("alice@example.test").unwrap())
        .to(Mailbox::parse("bob@example.test").unwrap())
        .text("large")
        .attach_path(&path)
        .unwrap()
        .build()
        .unwrap();
    assert!(message.size() > ATTACHMENT * 4 / 3);
    message
}

/// Everything went out, announced with its exact size, while the peak
/// memory grew by far less than the message.
pub fn check(seen: &Seen, message: &OutgoingMessage, growth: u64) {
    assert!(
        seen.commands.contains(&format!(
            "MAIL FROM:<alice@example.test> SIZE={}",
            message.size()
        )),
        "{:?}",
        seen.commands
    );
    // CRLF.CRLF included; base64 lines need no stuffing.
    assert_eq!(seen.data_bytes, message.size() + 3);
    assert!(
        growth < 8 * 1024 * 1024,
        "peak memory grew by {growth} bytes for a {} byte message",
        message.size()
    );
}
