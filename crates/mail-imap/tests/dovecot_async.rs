//! The async client (feature `tokio`) against the real Dovecot from
//! `scripts/servers`, over TLS verified against the throwaway CA.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use mail_imap::tokio::{Client, FetchEvent, NetStream, Session};
use mail_imap::{Options, Security, SequenceSet, Untagged};
use mail_wire::testing::TestEnv;

async fn login(env: &TestEnv, who: &str, security: Security) -> Session<NetStream> {
    let port = match security {
        Security::Implicit => "MAILTEST_IMAPS_PORT",
        _ => "MAILTEST_IMAP_PORT",
    };
    let client = Client::connect(&env.server(port), security, &env.tls(), Options::default())
        .await
        .unwrap();
    let (user, pass) = env.account(who);
    client
        .login_auto(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap()
}

/// A name no other test uses.
fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{base}-async-{}-{nanos}", std::process::id())
}

fn message(subject: &str, body_lines: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.test>\r\n\r\n"
    )
    .into_bytes();
    for i in 0..body_lines {
        m.extend_from_slice(
            format!("line {i} with some text \u{d55c}\u{ae00} and \"quotes\" \\ {{5}}\r\n")
                .as_bytes(),
        );
    }
    m
}

#[tokio::test]
async fn append_from_a_reader_then_a_streamed_fetch_is_byte_exact() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "CAROL", Security::Implicit).await;
    let mbox = unique("async-exact");
    s.create(&mbox).await.unwrap();
    let msg = message(&mbox, 20_000);
    let appended = s
        .append_from(&mbox, &["\\Seen"], &msg[..], msg.len() as u64)
        .await
        .unwrap();
    let mut sel = s.select(&mbox).await.map_err(|(e, _)| e).unwrap();
    assert_eq!(sel.mailbox().exists, 1);
    let uid = appended.map_or(SequenceSet::all(), |(_, uids)| uids);
    let mut body = Vec::new();
    let mut events = sel.uid_fetch_stream(&[uid], "BODY.PEEK[]").await.unwrap();
    while let Some(event) = events.next().await.unwrap() {
        if let FetchEvent::Body(reader) = event {
            reader.copy_to(&mut body).await.unwrap();
        }
    }
    assert_eq!(body.len(), msg.len());
    assert!(
        body == msg,
        "the fetched message differs from the appended one"
    );
    let mut s = sel.close().await.unwrap();
    s.delete(&mbox).await.unwrap();
    s.logout().await.unwrap();
}

#[tokio::test]
async fn starttls_then_list_finds_inbox() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "CAROL", Security::StartTls).await;
    assert!(!s.capabilities().iter().any(|c| c == "STARTTLS"));
    let list = s.list("", "*").await.unwrap();
    assert!(list.iter().any(|i| i.name.eq_ignore_ascii_case("INBOX")));
    s.logout().await.unwrap();
}

#[tokio::test]
async fn idle_receives_a_message_delivered_during_idle() {
    let Some(env) = TestEnv::load() else { return };
    let s = login(&env, "BOB", Security::Implicit).await;
    let inbox = s.select("INBOX").await.map_err(|(e, _)| e).unwrap();
    let before = inbox.mailbox().exists;
    let mut idle = inbox.idle().await.map_err(|(e, _)| e).unwrap();
    let subject = unique("idle-wake");
    let deliver_env = env.clone();
    let subject_sent = subject.clone();
    let delivery = tokio::task::spawn_blocking(move || {
        deliver_env.deliver_raw(
            "alice@example.test",
            "bob@example.test",
            &message(&subject_sent, 3),
        );
    });
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    let exists = loop {
        tokio::select! {
            update = idle.next() => {
                if let Untagged::Exists(n) = update.unwrap() {
                    if n > before {
                        break n;
                    }
                }
            }
            () = &mut deadline => panic!("no EXISTS during IDLE after a delivery"),
        }
    };
    delivery.await.unwrap();
    assert_eq!(idle.mailbox().exists, exists);
    let mut inbox = idle.done().await.unwrap();
    let hits = inbox
        .uid_search(&format!("HEADER Subject \"{subject}\""))
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "the delivered message is the new one");
    inbox.logout().await.unwrap();
}
