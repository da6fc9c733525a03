//! The async client against the real Dovecot of `scripts/servers`, over
//! TLS verified against the throwaway CA: POP3S and STLS, byte-exact
//! downloads (into a writer, through the body reader, pipelined), a
//! message with dot lines through Postfix, and an untrusted certificate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod dovecot_setup;

use mail_pop3::tokio::{Client, MessageSink, Session};
use mail_pop3::{Error, Mechanism, MsgNum, Options, Recording, Security, TlsConfig};
use mail_wire::testing::TestEnv;
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

use dovecot_setup::{dot_lines_round_trip, message, port, recorded_options};

/// POP3 locks a maildrop: tests of one user take turns.
static ALICE: Mutex<()> = Mutex::const_new(());
static BOB: Mutex<()> = Mutex::const_new(());

type Net = mail_wire::tokio::NetStream;

async fn connect(env: &TestEnv, security: Security) -> (Client<Net>, Recording) {
    let (options, rec) = recorded_options();
    let client = Client::connect(&env.server(port(security)), security, &env.tls(), options)
        .await
        .unwrap();
    (client, rec)
}

async fn retr_all(session: &mut Session<Net>) -> Vec<Vec<u8>> {
    let count = session.stat().await.unwrap().count;
    let mut all = Vec::new();
    for n in 1..=count {
        let mut out = Vec::new();
        let size = session.retr(MsgNum(n), &mut out).await.unwrap();
        assert_eq!(size, out.len() as u64);
        all.push(out);
    }
    all
}

#[tokio::test]
async fn pop3s_downloads_byte_exact_into_writers_and_through_the_reader() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = ALICE.lock().await;
    env.empty_mailbox("ALICE");
    let messages = [
        message("one", "first body\r\n"),
        message("two", ".leading dot\r\n..two dots\r\n.\r\n \r\nend\r\n"),
        message(
            "three",
            &"a line of text that is long enough\r\n".repeat(20_000),
        ),
    ];
    for m in &messages {
        env.save("ALICE", m);
    }
    let (user, pass) = env.account("ALICE");
    let (client, rec) = connect(&env, Security::Implicit).await;
    assert!(client.greeting().timestamp.is_some());
    let mut session = client
        .login(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let list = session.list().await.unwrap();
    let sizes: Vec<u64> = list.iter().map(|e| e.size).collect();
    let expected: Vec<u64> = messages.iter().map(|m| m.len() as u64).collect();
    assert_eq!(sizes, expected);
    let uidl = session.uidl().await.unwrap();
    assert_eq!(session.uidl_one(MsgNum(2)).await.unwrap(), uidl[1]);
    assert_eq!(retr_all(&mut session).await, messages);

    // The largest one again, as an AsyncRead in small reads.
    let mut reader = session.retr_reader(MsgNum(3)).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0; 1000];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(reader.size(), Some(messages[2].len() as u64));
    assert_eq!(got, messages[2]);
    drop(reader);

    let mut head = Vec::new();
    session.top(MsgNum(3), 1, &mut head).await.unwrap();
    assert!(head.ends_with(b"\r\n\r\na line of text that is long enough\r\n"));
    session.quit().await.unwrap();
    let shown = rec.lines().join("\n");
    assert!(!shown.contains(pass.expose()), "password in the transcript");
    assert!(shown.contains("C: PASS ********"));
}

#[derive(Default)]
struct Memory(Vec<(MsgNum, Vec<u8>)>);

impl MessageSink for Memory {
    type Writer = Vec<u8>;
    async fn open(&mut self, _: MsgNum) -> std::io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    async fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, _: u64) -> std::io::Result<()> {
        self.0.push((msg, writer));
        Ok(())
    }
    fn abandon(&mut self, _: MsgNum, _: Vec<u8>) {}
}

#[tokio::test]
async fn stls_then_pipelined_retr_and_dele_empty_the_mailbox() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = ALICE.lock().await;
    env.empty_mailbox("ALICE");
    let messages: Vec<Vec<u8>> = (0..40)
        .map(|i| message(&format!("bulk {i}"), &"x\r\n.y\r\n".repeat(i * 50)))
        .collect();
    for m in &messages {
        env.save("ALICE", m);
    }
    let (user, pass) = env.account("ALICE");
    let (mut client, rec) = connect(&env, Security::StartTls).await;
    assert!(client.connection().get_ref().is_tls());
    let caps = client.capabilities().unwrap();
    assert!(caps.pipelining() && !caps.has("STLS"));
    let lines = rec.lines();
    let stls = lines.iter().position(|l| l == "C: STLS").unwrap();
    assert!(lines.iter().rposition(|l| l == "C: CAPA").unwrap() > stls);
    let mut session = client
        .login_auto(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let msgs: Vec<MsgNum> = (1..=40).map(MsgNum).collect();
    let mut sink = Memory::default();
    let rejected = session.retr_many(&msgs, &mut sink).await.unwrap();
    assert!(rejected.is_empty());
    let got: Vec<Vec<u8>> = sink.0.into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, messages);
    session.dele_many(&msgs).await.unwrap();
    session.quit().await.unwrap();

    let (client, _) = connect(&env, Security::Implicit).await;
    let mut session = client
        .auth(Mechanism::Plain, &user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(session.stat().await.unwrap().count, 0);
    session.quit().await.unwrap();
}

#[tokio::test]
async fn a_message_sent_through_postfix_with_dot_lines_survives_the_round_trip() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = BOB.lock().await;
    let (user, pass) = env.account("BOB");
    let (env, user, pass) = (&env, &user, &pass);
    dot_lines_round_trip(env, || async move {
        let (client, _) = connect(env, Security::StartTls).await;
        let mut session = client.apop(user, pass).await.map_err(|(e, _)| e).unwrap();
        let all = retr_all(&mut session).await;
        session.quit().await.unwrap();
        all
    })
    .await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let Some(env) = TestEnv::load() else { return };
    for (security, port) in [
        (Security::Implicit, "MAILTEST_POP3S_PORT"),
        (Security::StartTls, "MAILTEST_POP3_PORT"),
    ] {
        let result = Client::connect(
            &env.server(port),
            security,
            &TlsConfig::new(),
            Options::default(),
        )
        .await;
        assert!(
            matches!(
                result,
                Err(Error::Wire(mail_wire::Error::Certificate { .. }))
            ),
            "{security:?}: {result:?}"
        );
    }
}

/// The blocking and the async client read the same bytes.
#[tokio::test]
async fn the_async_client_agrees_with_the_blocking_one() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = BOB.lock().await;
    env.empty_mailbox("BOB");
    for i in 0..3 {
        env.save(
            "BOB",
            &message(&format!("agree {i}"), &"..z\r\n".repeat(i * 100 + 1)),
        );
    }
    let (user, pass) = env.account("BOB");
    let (client, _) = connect(&env, Security::Implicit).await;
    let mut session = client
        .login(&user, &pass)
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    let async_bytes = retr_all(&mut session).await;
    session.quit().await.unwrap();
    let env2 = env.clone();
    let blocking_bytes = tokio::task::spawn_blocking(move || {
        let (user, pass) = env2.account("BOB");
        let client = mail_pop3::Client::connect(
            &env2.server("MAILTEST_POP3S_PORT"),
            Security::Implicit,
            &env2.tls(),
            Options::default(),
        )
        .unwrap();
        let mut session: mail_pop3::Session<mail_wire::NetStream> =
            client.login(&user, &pass).map_err(|(e, _)| e).unwrap();
        let count = session.stat().unwrap().count;
        let all: Vec<Vec<u8>> = (1..=count)
            .map(|n| {
                let mut out = Vec::new();
                session.retr(MsgNum(n), &mut out).unwrap();
                out
            })
            .collect();
        session.quit().unwrap();
        all
    })
    .await
    .unwrap();
    assert_eq!(async_bytes.len(), 3);
    assert_eq!(async_bytes, blocking_bytes);
}
