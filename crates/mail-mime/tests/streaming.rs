//! A 100 MB attachment goes through `OutgoingMessage::reader` with bounded memory.
//! Alone in its own test binary, so the process's peak RSS is this test's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Read;

use mail_mime::{Mailbox, MessageBuilder};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn hundred_megabyte_attachment_streams_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let len: u64 = 100 * 1024 * 1024;
    // Sparse: the file system holds no data blocks, reads give zeros.
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    let msg = MessageBuilder::new()
        .from(Mailbox::parse("a@example.com").unwrap())
        .to(Mailbox::parse("b@example.com").unwrap())
        .text("big one attached")
        .attach_path(&path)
        .unwrap()
        .build()
        .unwrap();
    assert!(msg.size() > len * 4 / 3);
    let before = peak_rss_kib();
    let mut reader = msg.reader().unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    let mut tail = Vec::new();
    loop {
        let n = reader.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        tail.clear();
        tail.extend_from_slice(&buf[..n]);
    }
    assert_eq!(total, msg.size());
    assert!(String::from_utf8_lossy(&tail).trim_end().ends_with("--"));
    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let grew_mib = (after.saturating_sub(before)) / 1024;
        eprintln!(
            "peak RSS grew by {grew_mib} MiB while streaming {} MiB",
            msg.size() >> 20
        );
        assert!(grew_mib < 32, "peak RSS grew by {grew_mib} MiB");
    }
}
