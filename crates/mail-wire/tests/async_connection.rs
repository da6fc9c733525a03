//! The async connection (feature `tokio`) against hostile peers: scripted
//! streams and a loopback listener. Run with `cargo test -p mail-wire`
//! (the crate's dev-dependency turns the feature on).
#![cfg(feature = "tokio")]
// The loopback helper below is test code outside a `#[test]` function.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use mail_wire::testing::ScriptedStream;
use mail_wire::tokio::{Connection, NetStream};
use mail_wire::{Error, Limits, Line, Recording, Secret, Security, Server, TlsConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn scripted(stream: ScriptedStream) -> Connection<ScriptedStream> {
    Connection::new(stream, Limits::default())
}

#[tokio::test]
async fn reads_lines_and_literals_in_one_byte_reads() {
    let mut c =
        scripted(ScriptedStream::raw(b"* 1 FETCH {5}\r\nhello)\r\n250 b\n").one_byte_reads());
    assert_eq!(c.read_line().await.unwrap(), b"* 1 FETCH {5}");
    assert_eq!(c.read_exact(5).await.unwrap(), b"hello");
    assert_eq!(c.read_line().await.unwrap(), b")");
    assert_eq!(c.read_line().await.unwrap(), b"250 b");
    assert!(matches!(c.read_line().await, Err(Error::Closed)));
}

#[tokio::test]
async fn endless_line_is_line_too_long_with_bounded_memory() {
    let limits = Limits {
        max_line: 1000,
        max_literal: 100,
    };
    let mut c = Connection::new(ScriptedStream::raw(&vec![b'a'; 10 * 1024 * 1024]), limits);
    assert!(matches!(
        c.read_line().await,
        Err(Error::LineTooLong { limit: 1000 })
    ));
    // The line was refused after at most the initial buffer, not 10 MB.
    assert!(c.buffered().len() <= 64 * 1024);
}

#[tokio::test]
async fn line_exactly_at_the_limit_is_accepted_one_more_is_not() {
    let limits = Limits {
        max_line: 10,
        max_literal: 100,
    };
    let mut c = Connection::new(
        ScriptedStream::raw(b"0123456789\r\n01234567890\r\n"),
        limits,
    );
    assert_eq!(c.read_line().await.unwrap(), b"0123456789");
    assert!(matches!(
        c.read_line().await,
        Err(Error::LineTooLong { limit: 10 })
    ));
}

#[tokio::test]
async fn a_stalled_server_is_a_timeout_not_a_hang() {
    let mut c = scripted(ScriptedStream::raw(b"+OK rea").stall_after(4));
    c.set_read_timeout(Some(Duration::from_millis(200)));
    let started = Instant::now();
    let err = c.read_line().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(err.to_string(), "the server did not answer in time");
    // A blocking read of the same script times out the same way.
    let mut blocking = mail_wire::Connection::new(
        ScriptedStream::raw(b"+OK rea").stall_after(4),
        Limits::default(),
    );
    assert!(matches!(blocking.read_line(), Err(Error::Timeout)));
}

#[tokio::test]
async fn a_stalled_literal_is_a_timeout() {
    let mut c = scripted(ScriptedStream::raw(b"abcdef").stall_after(3));
    c.set_read_timeout(Some(Duration::from_millis(100)));
    assert!(matches!(c.read_exact(6).await, Err(Error::Timeout)));
}

#[tokio::test]
async fn drop_mid_literal_is_closed_for_read_exact_and_copy_exact() {
    let mut c = scripted(ScriptedStream::raw(b"* 1 FETCH {10}\r\nabc"));
    c.read_line().await.unwrap();
    assert!(matches!(c.read_exact(10).await, Err(Error::Closed)));

    let mut c = scripted(ScriptedStream::raw(b"abcdefgh").eof_after(5));
    let mut sink = Vec::new();
    assert!(matches!(
        c.copy_exact(8, &mut sink).await,
        Err(Error::Closed)
    ));
    assert_eq!(sink, b"abcde");
}

#[tokio::test]
async fn huge_announced_literal_is_refused_before_reading() {
    let mut c = scripted(ScriptedStream::raw(b"abc"));
    let err = c.read_exact(u64::MAX).await.unwrap_err();
    assert!(matches!(err, Error::LiteralTooLarge { size: u64::MAX, .. }));
    assert_eq!(c.read_exact(3).await.unwrap(), b"abc");
}

#[tokio::test]
async fn copy_exact_streams_a_large_body_through_the_buffer() {
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut c = scripted(ScriptedStream::raw(&body));
    let mut sink = Vec::new();
    c.copy_exact(body.len() as u64, &mut sink).await.unwrap();
    assert_eq!(sink, body);
    assert!(c.buffered().is_empty());
}

#[tokio::test]
async fn read_errors_are_the_same_kinds_as_blocking() {
    let mut c = scripted(ScriptedStream::raw(b"abc").error_after(2));
    assert!(matches!(c.read_line().await, Err(Error::Io(_))));
    let mut c =
        scripted(ScriptedStream::raw(b"abc").error_kind_after(2, std::io::ErrorKind::WouldBlock));
    assert!(matches!(c.read_line().await, Err(Error::Timeout)));
}

#[tokio::test]
async fn sends_lines_with_crlf_masks_secrets_and_escapes_server_text() {
    let rec = Recording::new();
    let stream = ScriptedStream::from_transcript(
        "S: +OK \x1b[31mready\nC: PASS ********\nC: NOOP\nS: +OK\n",
    );
    let mut c = scripted(stream);
    c.set_transcript(Some(Box::new(rec.clone())));
    assert!(c.has_transcript());
    c.read_line().await.unwrap();
    c.queue(Line::with_secret(b"PASS ", &Secret::new("hunter2")))
        .await
        .unwrap();
    c.send(Line::public(b"NOOP")).await.unwrap();
    c.read_line().await.unwrap();
    c.get_ref().assert_done();
    assert_eq!(
        rec.lines(),
        [
            "S: +OK \\x1b[31mready",
            "C: PASS ********",
            "C: NOOP",
            "S: +OK"
        ]
    );
    assert!(!c.get_ref().written().windows(7).any(|w| w == b"*******"));
}

#[tokio::test]
async fn refuses_cr_lf_nul_in_lines_before_writing() {
    let mut c = scripted(ScriptedStream::raw(b""));
    for bad in [&b"RCPT TO:<a>\r\nDATA"[..], b"x\ny", b"nul\0"] {
        assert!(matches!(
            c.send(Line::public(bad)).await,
            Err(Error::LineBreak { .. })
        ));
    }
    let secret = Secret::new("pw\r\nQUIT");
    assert!(matches!(
        c.send(Line::with_secret(b"PASS ", &secret)).await,
        Err(Error::LineBreak { at: 7 })
    ));
    assert!(c.get_ref().written().is_empty());
}

#[tokio::test]
async fn literal_lines_reach_the_transcript_across_reads() {
    let rec = Recording::new();
    let mut c = scripted(ScriptedStream::raw(b"ab\r\ncd\r\nef").one_byte_reads());
    c.set_transcript(Some(Box::new(rec.clone())));
    let mut out = Vec::new();
    c.copy_exact(10, &mut out).await.unwrap();
    assert_eq!(out, b"ab\r\ncd\r\nef");
    assert_eq!(rec.lines(), ["S: ab", "S: cd", "S: ef"]);
}

#[tokio::test]
async fn write_raw_sends_large_and_small_bodies_in_order() {
    let big = vec![b'x'; 200_000];
    let mut c = scripted(ScriptedStream::raw(b""));
    c.queue(Line::public(b"DATA")).await.unwrap();
    c.write_raw(b"small\r\n").await.unwrap();
    c.write_raw(&big).await.unwrap();
    c.write_raw(b".\r\n").await.unwrap();
    c.flush().await.unwrap();
    let mut expected = b"DATA\r\nsmall\r\n".to_vec();
    expected.extend_from_slice(&big);
    expected.extend_from_slice(b".\r\n");
    assert_eq!(c.get_ref().written(), expected);
}

#[tokio::test]
async fn a_cancelled_read_line_keeps_its_bytes() {
    let (client, mut server) = tokio::io::duplex(1024);
    let mut c = Connection::new(client, Limits::default());
    server.write_all(b"* OK hal").await.unwrap();
    let first = tokio::time::timeout(Duration::from_millis(100), c.read_line()).await;
    assert!(
        first.is_err(),
        "no whole line yet: the outer time-out fires"
    );
    server.write_all(b"f a line\r\n").await.unwrap();
    assert_eq!(c.read_line().await.unwrap(), b"* OK half a line");
    assert!(!c.is_abandoned());
    // read_line is cancel-safe, so it leaves no exchange open either.
    c.begin_exchange().unwrap();
    c.end_exchange();
}

#[tokio::test]
async fn a_cancelled_exchange_refuses_every_later_call_and_sends_nothing() {
    let (client, mut server) = tokio::io::duplex(1024);
    let mut c = Connection::new(client, Limits::default());
    // The exchange: send a command, wait for its reply, which never comes.
    let exchange = async {
        c.begin_exchange()?;
        c.send(Line::public(b"A1 NOOP")).await?;
        let reply = c.read_line().await.map(<[u8]>::to_vec);
        c.end_exchange();
        reply
    };
    tokio::select! {
        _ = exchange => panic!("the server never answers"),
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
    let mut sent = vec![0u8; 64];
    let n = server.read(&mut sent).await.unwrap();
    assert_eq!(&sent[..n], b"A1 NOOP\r\n");

    let err = c.begin_exchange().unwrap_err();
    assert!(matches!(err, Error::Abandoned));
    assert_eq!(
        err.to_string(),
        "an earlier operation on this connection was cancelled before it finished; reconnect"
    );
    assert!(c.is_abandoned());
    // Every later call fails at once, and nothing more reaches the server.
    assert!(matches!(
        c.send(Line::public(b"A2 NOOP")).await,
        Err(Error::Abandoned)
    ));
    assert!(matches!(c.read_line().await, Err(Error::Abandoned)));
    assert!(matches!(c.flush().await, Err(Error::Abandoned)));
    drop(c);
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "sent after cancellation: {rest:?}");
}

#[tokio::test]
async fn a_cancelled_literal_read_leaves_the_connection_abandoned() {
    let (client, mut server) = tokio::io::duplex(1024);
    let mut c = Connection::new(client, Limits::default());
    server.write_all(b"abc").await.unwrap();
    let mut sink = Vec::new();
    let cut = tokio::time::timeout(Duration::from_millis(100), c.copy_exact(10, &mut sink)).await;
    assert!(cut.is_err());
    server.write_all(b"defghij\r\n").await.unwrap();
    assert!(matches!(c.read_line().await, Err(Error::Abandoned)));
    assert!(matches!(c.read_exact(1).await, Err(Error::Abandoned)));
    assert!(matches!(c.begin_exchange(), Err(Error::Abandoned)));
}

#[tokio::test]
async fn an_exchange_that_ends_with_an_error_leaves_the_connection_usable() {
    let mut c = scripted(ScriptedStream::raw(b"+OK\r\n"));
    c.begin_exchange().unwrap();
    assert!(c.send(Line::public(b"bad\r\n")).await.is_err());
    c.end_exchange();
    c.begin_exchange().unwrap();
    assert_eq!(c.read_line().await.unwrap(), b"+OK");
    c.end_exchange();
}

/// A loopback peer: accepts one connection and runs `serve` on it.
async fn loopback<F, Fut>(serve: F) -> Server
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut server = Server::new("127.0.0.1", listener.local_addr().unwrap().port());
    server.timeout = Duration::from_millis(300);
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        serve(socket).await;
    });
    server
}

#[tokio::test]
async fn loopback_stall_is_a_timeout_from_the_servers_time_limit() {
    let server = loopback(|mut socket| async move {
        socket.write_all(b"220 hel").await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut c = Connection::<NetStream>::connect(&server, Security::Plain, &TlsConfig::new())
        .await
        .unwrap();
    assert_eq!(c.read_timeout(), Some(Duration::from_millis(300)));
    assert!(!c.is_encrypted());
    let started = Instant::now();
    assert!(matches!(c.read_line().await, Err(Error::Timeout)));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn loopback_endless_line_is_refused() {
    let server = loopback(|mut socket| async move {
        let chunk = vec![b'x'; 64 * 1024];
        while socket.write_all(&chunk).await.is_ok() {}
    })
    .await;
    let mut c = Connection::<NetStream>::connect(&server, Security::Plain, &TlsConfig::new())
        .await
        .unwrap();
    assert!(matches!(
        c.read_line().await,
        Err(Error::LineTooLong { limit: 65536 })
    ));
}

#[tokio::test]
async fn loopback_bytes_after_the_starttls_go_ahead_are_refused() {
    let server = loopback(|mut socket| async move {
        socket.write_all(b"220 ready\r\n").await.unwrap();
        let mut buf = [0u8; 64];
        let _ = socket.read(&mut buf).await;
        // The go-ahead and an injected reply in one segment.
        socket
            .write_all(b"220 go ahead\r\n250 injected\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    })
    .await;
    let mut c = Connection::<NetStream>::connect(&server, Security::StartTls, &TlsConfig::new())
        .await
        .unwrap();
    assert_eq!(c.read_line().await.unwrap(), b"220 ready");
    c.send(Line::public(b"STARTTLS")).await.unwrap();
    assert_eq!(c.read_line().await.unwrap(), b"220 go ahead");
    let err = c.start_tls(&server, &TlsConfig::new()).await.unwrap_err();
    assert!(
        matches!(err, Error::BufferedAfterStartTls { bytes: 14 }),
        "{err}"
    );
    assert!(err.is_protocol_violation());
    assert!(!c.is_encrypted());
}

#[tokio::test]
async fn loopback_connection_refused_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = Connection::<NetStream>::connect(
        &Server::new("127.0.0.1", port),
        Security::Plain,
        &TlsConfig::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
}

#[tokio::test]
async fn implicit_tls_meeting_plain_text_says_so_as_blocking_does() {
    let server = loopback(|mut socket| async move {
        socket.write_all(b"+OK POP3 ready\r\n").await.unwrap();
        let _ = socket.read(&mut [0u8; 512]).await;
    })
    .await;
    let err = Connection::<NetStream>::connect(&server, Security::Implicit, &TlsConfig::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("TLS with 127.0.0.1 failed: wrong version number;"),
        "{text}"
    );
    assert!(text.ends_with("(try --tls starttls)"), "{text}");
}
