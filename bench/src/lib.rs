//! Shared helpers for the benchmarks; the benches live in `benches/`.

/// A message of about `size` bytes (CRLF lines, base64-like text) for the
/// SMTP throughput runs, blocking (`smtp_pipeline`) and async
/// (`examples/smtp_pipeline_async.rs`) alike.
pub fn smtp_message(size: usize) -> Vec<u8> {
    let header = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n";
    let line = "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZyAwMTIzNDU2Nzg5YWJj\r\n";
    let body_len = size.saturating_sub(header.len()).max(2);
    let mut body: String = line
        .repeat(body_len / line.len() + 1)
        .chars()
        .take(body_len - 2)
        .collect();
    body.push_str("\r\n");
    format!("{header}{body}").into_bytes()
}
