//! The async client's cancellation rules (feature `tokio`): `Idle::next` is
//! cancel-safe; any other future dropped mid-exchange leaves the client
//! broken, and it then refuses every call without sending a byte.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use mail_imap::tokio::{Client, Connection, FetchEvent, Selected};
use mail_imap::{default_limits, Error, SequenceSet, Untagged, WireError};
use mail_wire::testing::ScriptedStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A client on one end of a pipe, PREAUTH, INBOX selected; the test plays
/// the server on the other end.
async fn selected_over_a_pipe() -> (Selected<DuplexStream>, DuplexStream) {
    let (ours, mut server) = tokio::io::duplex(1 << 16);
    server
        .write_all(
            b"* PREAUTH [CAPABILITY IMAP4rev1 IDLE] ready\r\n\
              * 1 EXISTS\r\na1 OK [READ-WRITE] selected\r\n",
        )
        .await
        .unwrap();
    let mut conn = Connection::new(ours, default_limits());
    conn.set_read_timeout(Some(Duration::from_secs(5)));
    let client = Client::new(conn).await.unwrap();
    let session = client.preauthenticated().unwrap();
    let inbox = session.select("INBOX").await.map_err(|(e, _)| e).unwrap();
    (inbox, server)
}

async fn written(server: &mut DuplexStream) -> String {
    let mut buf = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_millis(200), server.read(&mut buf))
        .await
        .map_or(0, |r| r.unwrap());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn idle_next_loses_nothing_when_a_timer_wins_mid_line() {
    let (inbox, mut server) = selected_over_a_pipe().await;
    server.write_all(b"+ idling\r\n").await.unwrap();
    let mut idle = inbox.idle().await.map_err(|(e, _)| e).unwrap();
    // Half an update, then the timer wins the race.
    server.write_all(b"* 2 EXI").await.unwrap();
    tokio::select! {
        update = idle.next() => panic!("no whole update yet: {update:?}"),
        () = tokio::time::sleep(Duration::from_millis(100)) => {}
    }
    server.write_all(b"STS\r\n").await.unwrap();
    assert_eq!(idle.next().await.unwrap(), Untagged::Exists(2));
    assert_eq!(idle.mailbox().exists, 2);
    server
        .write_all(b"a2 OK IDLE terminated\r\n")
        .await
        .unwrap();
    let mut inbox = idle.done().await.unwrap();
    assert_eq!(
        written(&mut server).await,
        "a1 SELECT INBOX\r\na2 IDLE\r\nDONE\r\n"
    );
    // The client is whole again.
    server.write_all(b"a3 OK done\r\n").await.unwrap();
    inbox.noop().await.unwrap();
}

#[tokio::test]
async fn a_command_cancelled_before_its_reply_breaks_the_client() {
    let (mut inbox, mut server) = selected_over_a_pipe().await;
    let cancelled = tokio::time::timeout(Duration::from_millis(100), inbox.noop()).await;
    assert!(cancelled.is_err(), "no reply was sent");
    assert_eq!(written(&mut server).await, "a1 SELECT INBOX\r\na2 NOOP\r\n");
    server.write_all(b"a2 OK done\r\n").await.unwrap();
    let err = inbox.noop().await.unwrap_err();
    assert!(matches!(err, Error::Wire(WireError::Abandoned)), "{err}");
    assert!(err.is_wire());
    assert_eq!(written(&mut server).await, "", "nothing more is sent");
}

#[tokio::test]
async fn a_fetch_stream_dropped_halfway_breaks_the_client() {
    let stream = ScriptedStream::from_transcript(
        "S: * PREAUTH [CAPABILITY IMAP4rev1] ready\n\
         C: a1 SELECT INBOX\nS: * 2 EXISTS\nS: a1 OK [READ-WRITE] done\n\
         C: a2 FETCH 1:2 (FLAGS)\nS: * 1 FETCH (FLAGS ())\nS: * 2 FETCH (FLAGS ())\nS: a2 OK done\n",
    );
    let conn = Connection::new(stream.clone(), default_limits());
    let session = Client::new(conn).await.unwrap().preauthenticated().unwrap();
    let mut inbox = session.select("INBOX").await.map_err(|(e, _)| e).unwrap();
    {
        let mut events = inbox
            .fetch_stream(&SequenceSet::range(1, 2), "(FLAGS)")
            .await
            .unwrap();
        assert!(matches!(
            events.next().await,
            Ok(Some(FetchEvent::Fetch(_)))
        ));
    }
    let before = stream.written();
    let err = inbox.noop().await.unwrap_err();
    assert!(err.is_wire(), "{err}");
    assert_eq!(stream.written(), before, "nothing more is sent");
}

#[tokio::test]
async fn a_fetch_stream_read_to_the_end_leaves_the_client_whole() {
    let stream = ScriptedStream::from_transcript(
        "S: * PREAUTH [CAPABILITY IMAP4rev1] ready\n\
         C: a1 SELECT INBOX\nS: * 1 EXISTS\nS: a1 OK [READ-WRITE] done\n\
         C: a2 FETCH 1 (FLAGS)\nS: * 1 FETCH (FLAGS ())\nS: a2 OK done\n\
         C: a3 NOOP\nS: a3 OK done\n",
    );
    let conn = Connection::new(stream.clone(), default_limits());
    let session = Client::new(conn).await.unwrap().preauthenticated().unwrap();
    let mut inbox = session.select("INBOX").await.map_err(|(e, _)| e).unwrap();
    let mut events = inbox
        .fetch_stream(&SequenceSet::single(1), "(FLAGS)")
        .await
        .unwrap();
    while events.next().await.unwrap().is_some() {}
    inbox.noop().await.unwrap();
    stream.assert_done();
}

/// Every future of the client can go to `tokio::spawn` (`Send + 'static`);
/// checked by the compiler, never run.
#[test]
fn the_client_futures_can_be_spawned() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    spawnable(async {
        let stream = ScriptedStream::from_transcript("S: * OK ready\n");
        let conn = Connection::new(stream, default_limits());
        let client = Client::new(conn).await.unwrap();
        let pass = mail_imap::Secret::new("pw");
        let mut session = client
            .login_auto("a", &pass)
            .await
            .map_err(|(e, _)| e)
            .unwrap();
        session.list("", "*").await.unwrap();
        session.append_from("x", &[], &b"x"[..], 1).await.unwrap();
        let mut inbox = session.select("INBOX").await.map_err(|(e, _)| e).unwrap();
        inbox.uid_search("ALL").await.unwrap();
        let mut events = inbox
            .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
            .await
            .unwrap();
        while let Some(event) = events.next().await.unwrap() {
            if let FetchEvent::Body(body) = event {
                body.copy_to(&mut tokio::io::sink()).await.unwrap();
            }
        }
        let mut idle = inbox.idle().await.map_err(|(e, _)| e).unwrap();
        idle.next().await.unwrap();
        let inbox = idle.done().await.unwrap();
        inbox.close().await.unwrap().logout().await.unwrap();
    });
}
