//! What only the async client has: message bodies as an `AsyncRead`
//! borrowing the session, and the cancellation rule (a dropped future or
//! body reader leaves the client broken, with `Abandoned`). The behaviour
//! both clients share is tested once for both in `scripted.rs`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod both;

use std::io;
use std::time::Duration;

use mail_pop3::tokio::{Client, Session};
use mail_pop3::{Error, MsgNum, Secret, WireError};
use mail_wire::testing::ScriptedStream;

use both::{served, session, session_from, LOGIN};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// The async client over a script.
type Async = Client<ScriptedStream>;

fn is_abandoned(err: &Error) -> bool {
    matches!(err, Error::Wire(WireError::Abandoned)) && err.is_wire()
}

/// Reads `reader` to its end, `step` bytes per read.
async fn read_in_steps(reader: &mut (impl AsyncRead + Unpin), step: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0; step];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_body_reader_unstuffs_in_any_read_size_and_the_session_goes_on() {
    let body = "S: Subject: x\nS: \nS: ..leading\nS: ...\nS: ..\nS: plain\n";
    let expected: &[u8] = b"Subject: x\r\n\r\n.leading\r\n..\r\n.\r\nplain\r\n";
    for step in [1, 3, 7, 64, 100_000] {
        let script = format!(
            "{LOGIN}C: RETR 1\nS: +OK\n{body}S: .\nC: TOP 1 0\nS: +OK\nS: Subject: x\nS: \nS: .\nC: NOOP\nS: +OK\n"
        );
        let (mut s, stream, _) = session::<Async>(&script).await;
        let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
        assert_eq!(
            read_in_steps(&mut reader, step).await,
            expected,
            "step {step}"
        );
        assert_eq!(reader.size(), Some(expected.len() as u64));
        drop(reader);
        let mut head = s.top_reader(MsgNum(1), 0).await.unwrap();
        assert_eq!(read_in_steps(&mut head, step).await, b"Subject: x\r\n\r\n");
        drop(head);
        s.noop().await.unwrap();
        stream.assert_done();
    }
}

#[tokio::test]
async fn a_large_body_streams_through_the_reader_in_bounded_rounds() {
    let line = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789";
    let count = 50_000; // about 3.7 MB
    let mut wire = b"+OK\r\n".to_vec();
    for _ in 0..count {
        wire.extend_from_slice(line.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b".\r\n");
    let stream = ScriptedStream::from_transcript(LOGIN)
        .then_expect(b"RETR 1\r\n")
        .then_serve(&wire);
    let (mut s, _) = session_from::<Async>(&stream).await;
    s.set_body_echo(false);
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    let mut total = 0u64;
    let mut buf = vec![0; 8192];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    let expected = ((line.len() + 2) * count) as u64;
    assert_eq!((total, reader.size()), (expected, Some(expected)));
}

#[tokio::test]
async fn dropping_a_half_read_body_reader_leaves_the_session_abandoned() {
    // Larger than one round of the reader, so its end is still unread.
    let lines = "S: a line of the message body, long enough to fill rounds\n".repeat(3000);
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\n{lines}S: .\n");
    let (mut s, stream, _) = session::<Async>(&script).await;
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    let mut first = [0; 2];
    reader.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"a ");
    assert_eq!(reader.size(), None);
    drop(reader);
    let written = stream.written().len();
    let err = s.stat().await.unwrap_err();
    assert!(is_abandoned(&err), "{err}");
    assert_eq!(
        err.to_string(),
        "an earlier operation on this connection was cancelled before it finished; reconnect"
    );
    // Every later call fails the same way, and nothing more is sent.
    assert!(is_abandoned(&s.noop().await.unwrap_err()));
    assert!(is_abandoned(&s.quit().await.unwrap_err()));
    assert_eq!(stream.written().len(), written);
}

#[tokio::test]
async fn finish_skips_the_rest_of_a_body_and_keeps_the_session() {
    let script =
        format!("{LOGIN}C: RETR 1\nS: +OK\nS: one\nS: ..two\nS: .\nC: STAT\nS: +OK 1 11\n");
    let (mut s, stream, _) = session::<Async>(&script).await;
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    let mut first = [0; 2];
    reader.read_exact(&mut first).await.unwrap();
    assert_eq!(reader.finish().await.unwrap(), 11);
    assert_eq!(s.stat().await.unwrap().count, 1);
    stream.assert_done();
}

#[tokio::test]
async fn a_rejected_retr_reader_leaves_the_session_usable() {
    let script = format!("{LOGIN}C: RETR 9\nS: -ERR no such message\nC: NOOP\nS: +OK\n");
    let (mut s, stream, _) = session::<Async>(&script).await;
    let err = s.retr_reader(MsgNum(9)).await.unwrap_err();
    assert!(err.is_rejected(), "{err}");
    s.noop().await.unwrap();
    stream.assert_done();
}

#[tokio::test]
async fn a_body_reader_reports_a_dropped_connection_with_the_crates_error() {
    let stream = ScriptedStream::from_transcript(LOGIN)
        .then_expect(b"RETR 1\r\n")
        .then_serve(b"+OK\r\nline one\r\nline tw");
    let (mut s, _) = session_from::<Async>(&stream).await;
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).await.unwrap_err();
    assert_eq!(out, b"line one\r\n");
    let inner = err.into_inner().unwrap().downcast::<Error>().unwrap();
    assert!(matches!(*inner, Error::Wire(WireError::Closed)), "{inner}");
    // The failure was reported once; later reads fail too, never a silent end.
    assert!(reader.read(&mut [0; 16]).await.is_err());
}

#[tokio::test]
async fn a_stalled_body_reader_times_out() {
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: line\n");
    let stream = ScriptedStream::from_transcript(&script).stall_after(served(&script));
    let (mut s, _) = session_from::<Async>(&stream).await;
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).await.unwrap_err();
    let inner = err.into_inner().unwrap().downcast::<Error>().unwrap();
    assert!(matches!(*inner, Error::Wire(WireError::Timeout)), "{inner}");
    assert_eq!(out, b"line\r\n");
}

#[tokio::test]
async fn a_cancelled_command_leaves_the_client_abandoned() {
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: line\n");
    let stream = ScriptedStream::from_transcript(&script).stall_after(served(&script));
    let (mut s, _) = session_from::<Async>(&stream).await;
    s.connection().set_read_timeout(None);
    let mut out = Vec::new();
    let cancelled =
        tokio::time::timeout(Duration::from_millis(50), s.retr(MsgNum(1), &mut out)).await;
    assert!(cancelled.is_err(), "the retr must still be waiting");
    let err = s.noop().await.unwrap_err();
    assert!(is_abandoned(&err), "{err}");
}

#[tokio::test]
async fn a_failing_writer_is_an_output_error() {
    struct Full;
    impl AsyncWrite for Full {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<io::Result<usize>> {
            std::task::Poll::Ready(Err(io::Error::new(io::ErrorKind::StorageFull, "disk full")))
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
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: a\nS: .\n");
    let (mut s, _, _) = session::<Async>(&script).await;
    let err = s.retr(MsgNum(1), &mut Full).await.unwrap_err();
    assert!(matches!(err, Error::Output(_)), "{err}");
}

#[tokio::test]
async fn body_echo_off_shows_one_note_for_a_reader_too() {
    let script = format!("{LOGIN}C: RETR 1\nS: +OK\nS: secret body\nS: .\nC: NOOP\nS: +OK\n");
    let (mut s, _, rec) = session::<Async>(&script).await;
    s.set_body_echo(false);
    let mut reader = s.retr_reader(MsgNum(1)).await.unwrap();
    read_in_steps(&mut reader, 4).await;
    drop(reader);
    s.noop().await.unwrap();
    let lines = rec.lines();
    assert!(!lines.iter().any(|l| l.contains("secret body")));
    assert_eq!(
        &lines[lines.len() - 5..],
        [
            "S: +OK",
            "S: <message: 13 bytes>",
            "S: .",
            "C: NOOP",
            "S: +OK"
        ]
    );
}

/// The futures can move to another worker thread (`tokio::spawn`).
#[test]
fn the_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn check(mut s: Session<ScriptedStream>, c: Client<ScriptedStream>) {
        let mut out = Vec::new();
        assert_send(&s.retr(MsgNum(1), &mut out));
        assert_send(&s.retr_reader(MsgNum(1)));
        assert_send(&s.stat());
        assert_send(&c.login_auto("a", &Secret::new("b")));
    }
    let _ = check;
    fn reader_is_send<R: AsyncRead + Send>() {}
    reader_is_send::<mail_pop3::tokio::BodyReader<'static, ScriptedStream>>();
}
