//! The async twin of `src/bin/imap_stream.rs`: mail-imap's async client
//! (`mail_imap::tokio`, bench feature `tokio-imap`) streams a whole mailbox
//! over IMAPS (connect, login, EXAMINE, one `UID FETCH 1:* BODY.PEEK[]`,
//! LOGOUT), bodies counted and dropped, on a current-thread tokio runtime.
//! Prints one JSON line in the blocking program's format.
//!
//! usage: imap_stream_async USER_KEY [MAILBOX]   (servers from MAILTEST_ENV_FILE)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use mail_imap::tokio::{Client, FetchEvent};
use mail_imap::{Security, SequenceSet};
use mail_wire::testing::TestEnv;

/// Counts the bytes written to it.
struct Count(u64);

impl tokio::io::AsyncWrite for Count {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0 += buf.len() as u64;
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let who = args.next().unwrap_or_else(|| "ALICE".into());
    let mailbox = args.next().unwrap_or_else(|| "INBOX".into());
    let env = TestEnv::load().expect("set MAILTEST_ENV_FILE");
    let (user, pass) = env.account(&who);
    let started = Instant::now();
    let client = Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .await
    .unwrap();
    let session = client
        .login(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let mut sel = session.examine(&mailbox).await.map_err(|(e, _)| e).unwrap();
    let mut count = Count(0);
    let mut messages = 0u64;
    {
        let mut events = sel
            .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
            .await
            .unwrap();
        while let Some(event) = events.next().await.unwrap() {
            if let FetchEvent::Body(body) = event {
                body.copy_to(&mut count).await.unwrap();
                messages += 1;
            }
        }
    }
    sel.logout().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"mail-imap async uid_fetch_stream\",\"secs\":{secs:.4},\"bytes\":{},\"messages\":{messages},\"mb_s\":{:.1}}}",
        count.0,
        count.0 as f64 / 1e6 / secs
    );
}
