//! Against the real Dovecot of `scripts/mailserver`, over TLS verified
//! against the throwaway CA: POP3S and STLS, USER/PASS, APOP and AUTH,
//! byte-exact retrieval of messages put in through Postfix (SMTP) and
//! doveadm, pipelined bulk retrieval and deletion.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod dovecot_setup;

use std::sync::{Mutex, MutexGuard, PoisonError};

use mail_pop3::{Client, Error, Mechanism, MessageSink, MsgNum, Session};
use mail_wire::testing::TestEnv;
use mail_wire::{NetStream, Recording, Secret, Security, TlsConfig};

use dovecot_setup::{block_on, dot_lines_round_trip, message, port, recorded_options};

/// POP3 locks a maildrop: tests of one user take turns.
static ALICE: Mutex<()> = Mutex::new(());
static BOB: Mutex<()> = Mutex::new(());
static CAROL: Mutex<()> = Mutex::new(());

fn lock(who: &str) -> MutexGuard<'static, ()> {
    let mutex = match who {
        "ALICE" => &ALICE,
        "BOB" => &BOB,
        _ => &CAROL,
    };
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn connect(env: &TestEnv, security: Security) -> (Client<NetStream>, Recording) {
    let (options, rec) = recorded_options();
    let client =
        Client::connect(&env.server(port(security)), security, &env.tls(), options).unwrap();
    (client, rec)
}

fn login(env: &TestEnv, who: &str) -> Session<NetStream> {
    let (user, pass) = env.account(who);
    let (client, _) = connect(env, Security::Implicit);
    client.login(&user, &pass).map_err(|(e, _)| e).unwrap()
}

fn retr_all(session: &mut Session<NetStream>) -> Vec<Vec<u8>> {
    let count = session.stat().unwrap().count;
    (1..=count)
        .map(|n| {
            let mut out = Vec::new();
            session.retr(MsgNum(n), &mut out).unwrap();
            out
        })
        .collect()
}

#[test]
fn pop3s_user_pass_lists_and_retrieves_byte_exact() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("ALICE");
    env.empty_mailbox("ALICE");
    let messages = [
        message("one", "first body\r\n"),
        message("two", ".leading dot\r\n..two dots\r\n.\r\n \r\nend\r\n"),
        message(
            "three",
            &"a line of text that is long enough\r\n".repeat(2000),
        ),
    ];
    for m in &messages {
        env.save("ALICE", m);
    }
    let (user, pass) = env.account("ALICE");
    let (client, rec) = connect(&env, Security::Implicit);
    assert!(
        client.greeting().timestamp.is_some(),
        "Dovecot sends an APOP timestamp"
    );
    let mut session = client.login(&user, &pass).map_err(|(e, _)| e).unwrap();
    let stat = session.stat().unwrap();
    assert_eq!(stat.count, 3);
    let list = session.list().unwrap();
    assert_eq!(list.iter().map(|e| e.size).sum::<u64>(), stat.size);
    for (entry, m) in list.iter().zip(&messages) {
        assert_eq!(
            entry.size,
            m.len() as u64,
            "LIST size of message {}",
            entry.msg
        );
    }
    let uidl = session.uidl().unwrap();
    assert_eq!(uidl.len(), 3);
    assert_eq!(session.uidl_one(MsgNum(2)).unwrap(), uidl[1]);
    assert_eq!(retr_all(&mut session), messages);
    let mut head = Vec::new();
    session.top(MsgNum(3), 1, &mut head).unwrap();
    assert!(
        head.ends_with(b"\r\n\r\na line of text that is long enough\r\n"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    session.quit().unwrap();
    let shown = rec.lines().join("\n");
    assert!(!shown.contains(pass.expose()), "password in the transcript");
    assert!(shown.contains("C: PASS ********"));
}

#[test]
fn stls_then_apop_with_capabilities_asked_again() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    env.empty_mailbox("BOB");
    env.save("BOB", &message("apop", "hello\r\n"));
    let (user, pass) = env.account("BOB");
    let (client, rec) = connect(&env, Security::StartTls);
    let caps = client.capabilities().unwrap();
    assert!(caps.has("USER") && caps.pipelining());
    assert!(!caps.has("STLS"), "STLS is no longer offered inside TLS");
    let lines = rec.lines();
    let stls = lines.iter().position(|l| l == "C: STLS").unwrap();
    assert_eq!(lines.iter().filter(|l| *l == "C: CAPA").count(), 2);
    assert!(lines.iter().rposition(|l| l == "C: CAPA").unwrap() > stls);
    let mut session = client.apop(&user, &pass).map_err(|(e, _)| e).unwrap();
    assert_eq!(session.stat().unwrap().count, 1);
    session.quit().unwrap();
    assert!(rec
        .lines()
        .iter()
        .any(|l| l.starts_with("C: APOP bob@example.test ********")));
}

#[test]
fn auth_plain_login_and_cram_md5_with_a_difficult_password() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("CAROL");
    let (user, pass) = env.account("CAROL");
    assert!(pass.expose().contains(' ') && pass.expose().contains('"'));
    for mechanism in [Mechanism::Plain, Mechanism::Login, Mechanism::CramMd5] {
        let (mut client, rec) = connect(&env, Security::Implicit);
        client.capa().unwrap();
        let mut session = client
            .auth(mechanism, &user, &pass)
            .map_err(|(e, _)| e)
            .unwrap();
        session.noop().unwrap();
        session.quit().unwrap();
        let shown = rec.lines().join("\n");
        assert!(
            !shown.contains(pass.expose()),
            "{mechanism:?}: password shown"
        );
    }
    // USER/PASS with the same password (spaces and quotes go as typed).
    let session = login(&env, "CAROL");
    session.quit().unwrap();
}

#[test]
fn wrong_password_is_an_auth_failure_with_the_servers_text() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("BOB");
    let (client, _) = connect(&env, Security::Implicit);
    let (err, client) = client
        .login(&user, &Secret::new("wrong-password"))
        .unwrap_err();
    assert!(err.is_auth_failure(), "{err}");
    assert!(
        err.to_string().starts_with("server rejected PASS: -ERR"),
        "{err}"
    );
    client.quit().unwrap();
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let Some(env) = TestEnv::load() else { return };
    let result = Client::connect(
        &env.server("MAILTEST_POP3S_PORT"),
        Security::Implicit,
        &TlsConfig::new(),
        mail_pop3::Options::default(),
    );
    assert!(
        matches!(
            result,
            Err(Error::Wire(mail_wire::Error::Certificate { .. }))
        ),
        "{result:?}"
    );
}

#[test]
fn a_message_sent_through_postfix_with_dot_lines_survives_the_round_trip() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("BOB");
    block_on(dot_lines_round_trip(&env, || {
        let mut session = login(&env, "BOB");
        let all = retr_all(&mut session);
        session.quit().unwrap();
        std::future::ready(all)
    }));
}

#[derive(Default)]
struct Memory(Vec<(MsgNum, Vec<u8>)>);

impl MessageSink for Memory {
    type Writer = Vec<u8>;
    fn open(&mut self, _: MsgNum) -> std::io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, _: u64) -> std::io::Result<()> {
        self.0.push((msg, writer));
        Ok(())
    }
    fn abandon(&mut self, _: MsgNum, _: Vec<u8>) {}
}

#[test]
fn pipelined_retr_and_dele_empty_the_mailbox() {
    let Some(env) = TestEnv::load() else { return };
    let _turn = lock("ALICE");
    env.empty_mailbox("ALICE");
    let messages: Vec<Vec<u8>> = (0..60)
        .map(|i| message(&format!("bulk {i}"), &"x\r\n.y\r\n".repeat(i * 50)))
        .collect();
    for m in &messages {
        env.save("ALICE", m);
    }
    let mut session = login(&env, "ALICE");
    assert!(session.capabilities().unwrap().pipelining());
    let msgs: Vec<MsgNum> = (1..=60).map(MsgNum).collect();
    let mut sink = Memory::default();
    let rejected = session.retr_many(&msgs, &mut sink).unwrap();
    assert!(rejected.is_empty());
    let got: Vec<Vec<u8>> = sink.0.into_iter().map(|(_, m)| m).collect();
    assert_eq!(got, messages);
    session.dele_many(&msgs).unwrap();
    session.quit().unwrap();
    let mut session = login(&env, "ALICE");
    assert_eq!(session.stat().unwrap().count, 0);
    session.quit().unwrap();
}
