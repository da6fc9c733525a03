//! One test body, two clients: the operations the scripted tests need as a
//! trait, implemented by the blocking client (which simply calls its
//! methods) and, with the `tokio` feature, by the async client. Each test
//! is an `async fn` generic over the trait; [`both!`] runs it against each.
#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use mail_pop3::{
    Capabilities, Error, Greeting, Limits, ListEntry, LoginMethod, Mechanism, MsgNum, RawReply,
    Recording, Reply, Secret, Stat, Uidl,
};
use mail_wire::testing::ScriptedStream;

/// How long the async client waits on a stalled script (the blocking one
/// sees the stall as a `WouldBlock` read, as a socket time-out).
pub const STALL: Duration = Duration::from_millis(200);

/// A message finished or abandoned by `retr_many`.
#[derive(Debug, Default)]
pub struct Memory {
    pub done: Vec<(MsgNum, Vec<u8>)>,
    pub abandoned: Vec<MsgNum>,
}

/// The AUTHORIZATION state, as the tests use it.
pub trait TestClient: Sized {
    type Session: TestSession;
    /// Reads the greeting from `stream`, with `rec` as the transcript.
    async fn start(stream: ScriptedStream, limits: Limits, rec: &Recording) -> Result<Self, Error>;
    fn greeting(&self) -> &Greeting;
    fn capabilities(&self) -> Option<&Capabilities>;
    fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error>;
    async fn capa(&mut self) -> Result<Capabilities, Error>;
    /// STLS with an upgrade that only marks `stream` as encrypted.
    async fn stls(self, stream: &ScriptedStream) -> Result<Self, Error>;
    async fn login(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)>;
    async fn apop(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)>;
    async fn auth(
        self,
        mechanism: Mechanism,
        user: &str,
        pass: &Secret,
    ) -> Result<Self::Session, (Error, Self)>;
    async fn login_auto(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)>;
    async fn quit(self) -> Result<(), Error>;
}

/// The TRANSACTION state, as the tests use it.
pub trait TestSession: Sized {
    fn capabilities(&self) -> Option<&Capabilities>;
    fn set_limits(&mut self, limits: Limits);
    fn set_body_echo(&mut self, echo: bool);
    async fn stat(&mut self) -> Result<Stat, Error>;
    async fn list(&mut self) -> Result<Vec<ListEntry>, Error>;
    async fn list_one(&mut self, msg: MsgNum) -> Result<ListEntry, Error>;
    async fn uidl(&mut self) -> Result<Vec<Uidl>, Error>;
    async fn uidl_one(&mut self, msg: MsgNum) -> Result<Uidl, Error>;
    async fn retr(&mut self, msg: MsgNum, out: &mut Vec<u8>) -> Result<u64, Error>;
    async fn top(&mut self, msg: MsgNum, lines: u32, out: &mut Vec<u8>) -> Result<u64, Error>;
    async fn retr_many(
        &mut self,
        msgs: &[MsgNum],
        sink: &mut Memory,
    ) -> Result<Vec<(MsgNum, Reply)>, Error>;
    async fn dele(&mut self, msg: MsgNum) -> Result<(), Error>;
    async fn dele_many(&mut self, msgs: &[MsgNum]) -> Result<(), Error>;
    async fn noop(&mut self) -> Result<(), Error>;
    async fn rset(&mut self) -> Result<(), Error>;
    async fn raw(&mut self, line: &str, out: &mut Vec<u8>) -> Result<RawReply, Error>;
    async fn quit(self) -> Result<Reply, Error>;
}

/// A login the session helpers below serve: CAPA (PIPELINING, UIDL), then
/// `USER a`/`PASS pw`.
pub const LOGIN: &str = "S: +OK ready\nC: CAPA\nS: +OK\nS: PIPELINING\nS: UIDL\nS: .\nC: USER a\nS: +OK\nC: PASS ********\nS: +OK\n";

/// A client of kind `C` that has read the greeting from `stream`.
pub async fn start_stream<C: TestClient>(stream: &ScriptedStream) -> (C, Recording) {
    let rec = Recording::new();
    let client = C::start(stream.clone(), Limits::default(), &rec)
        .await
        .unwrap();
    (client, rec)
}

/// [`start_stream`] over a new script.
pub async fn start<C: TestClient>(script: &str) -> (C, ScriptedStream, Recording) {
    let stream = ScriptedStream::from_transcript(script);
    let (client, rec) = start_stream(&stream).await;
    (client, stream, rec)
}

/// A session after `CAPA` and `USER a`/`PASS pw`.
pub async fn session_from<C: TestClient>(stream: &ScriptedStream) -> (C::Session, Recording) {
    let (mut client, rec) = start_stream::<C>(stream).await;
    client.capa().await.unwrap();
    let session = client
        .login("a", &Secret::new("pw"))
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    (session, rec)
}

/// [`session_from`] over a new script.
pub async fn session<C: TestClient>(script: &str) -> (C::Session, ScriptedStream, Recording) {
    let stream = ScriptedStream::from_transcript(script);
    let (session, rec) = session_from::<C>(&stream).await;
    (session, stream, rec)
}

/// The bytes a script's `S:` lines serve.
pub fn served(script: &str) -> usize {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("S: "))
        .map(|t| t.len() + 2)
        .sum()
}

/// Runs each named `async fn name<C: TestClient>()` against the blocking
/// client (`name::blocking`) and, with the `tokio` feature, the async one
/// (`name::tokio`).
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn blocking() {
                $crate::both::run(super::$name::<mail_pop3::Client<mail_wire::testing::ScriptedStream>>());
            }
            #[cfg(feature = "tokio")]
            #[test]
            fn tokio() {
                $crate::both::run(super::$name::<mail_pop3::tokio::Client<mail_wire::testing::ScriptedStream>>());
            }
        }
    )*};
}

/// Runs a test body on a current-thread runtime with a clock.
pub fn run(body: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(body);
}

mod blocking {
    use super::*;
    use mail_pop3::{Client, MessageSink, Session};
    use mail_wire::Connection;

    impl MessageSink for Memory {
        type Writer = Vec<u8>;
        fn open(&mut self, _: MsgNum) -> std::io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, size: u64) -> std::io::Result<()> {
            assert_eq!(writer.len() as u64, size);
            self.done.push((msg, writer));
            Ok(())
        }
        fn abandon(&mut self, msg: MsgNum, _: Vec<u8>) {
            self.abandoned.push(msg);
        }
    }

    impl TestClient for Client<ScriptedStream> {
        type Session = Session<ScriptedStream>;
        async fn start(
            stream: ScriptedStream,
            limits: Limits,
            rec: &Recording,
        ) -> Result<Self, Error> {
            let mut conn = Connection::new(stream, limits);
            conn.set_transcript(Some(Box::new(rec.clone())));
            Client::new(conn)
        }
        fn greeting(&self) -> &Greeting {
            Client::greeting(self)
        }
        fn capabilities(&self) -> Option<&Capabilities> {
            Client::capabilities(self)
        }
        fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error> {
            Client::choose_login(self, tls)
        }
        async fn capa(&mut self) -> Result<Capabilities, Error> {
            Client::capa(self).cloned()
        }
        async fn stls(self, stream: &ScriptedStream) -> Result<Self, Error> {
            self.stls_with(|_| {
                // Clones share the script's state: the stream now reports TLS.
                let _ = stream.clone().encrypted();
                Ok(())
            })
        }
        async fn login(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)> {
            Client::login(self, user, pass)
        }
        async fn apop(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)> {
            Client::apop(self, user, pass)
        }
        async fn auth(
            self,
            mechanism: Mechanism,
            user: &str,
            pass: &Secret,
        ) -> Result<Self::Session, (Error, Self)> {
            Client::auth(self, mechanism, user, pass)
        }
        async fn login_auto(
            self,
            user: &str,
            pass: &Secret,
        ) -> Result<Self::Session, (Error, Self)> {
            Client::login_auto(self, user, pass)
        }
        async fn quit(self) -> Result<(), Error> {
            Client::quit(self)
        }
    }

    impl TestSession for Session<ScriptedStream> {
        fn capabilities(&self) -> Option<&Capabilities> {
            Session::capabilities(self)
        }
        fn set_limits(&mut self, limits: Limits) {
            self.connection().set_limits(limits);
        }
        fn set_body_echo(&mut self, echo: bool) {
            Session::set_body_echo(self, echo);
        }
        async fn stat(&mut self) -> Result<Stat, Error> {
            Session::stat(self)
        }
        async fn list(&mut self) -> Result<Vec<ListEntry>, Error> {
            Session::list(self)
        }
        async fn list_one(&mut self, msg: MsgNum) -> Result<ListEntry, Error> {
            Session::list_one(self, msg)
        }
        async fn uidl(&mut self) -> Result<Vec<Uidl>, Error> {
            Session::uidl(self)
        }
        async fn uidl_one(&mut self, msg: MsgNum) -> Result<Uidl, Error> {
            Session::uidl_one(self, msg)
        }
        async fn retr(&mut self, msg: MsgNum, out: &mut Vec<u8>) -> Result<u64, Error> {
            Session::retr(self, msg, out)
        }
        async fn top(&mut self, msg: MsgNum, lines: u32, out: &mut Vec<u8>) -> Result<u64, Error> {
            Session::top(self, msg, lines, out)
        }
        async fn retr_many(
            &mut self,
            msgs: &[MsgNum],
            sink: &mut Memory,
        ) -> Result<Vec<(MsgNum, Reply)>, Error> {
            Session::retr_many(self, msgs, sink)
        }
        async fn dele(&mut self, msg: MsgNum) -> Result<(), Error> {
            Session::dele(self, msg)
        }
        async fn dele_many(&mut self, msgs: &[MsgNum]) -> Result<(), Error> {
            Session::dele_many(self, msgs)
        }
        async fn noop(&mut self) -> Result<(), Error> {
            Session::noop(self)
        }
        async fn rset(&mut self) -> Result<(), Error> {
            Session::rset(self)
        }
        async fn raw(&mut self, line: &str, out: &mut Vec<u8>) -> Result<RawReply, Error> {
            Session::raw(self, line, out)
        }
        async fn quit(self) -> Result<Reply, Error> {
            Session::quit(self)
        }
    }
}

#[cfg(feature = "tokio")]
mod asynchronous {
    use super::*;
    use mail_pop3::tokio::{Client, MessageSink, Session};
    use mail_wire::tokio::Connection;

    impl MessageSink for Memory {
        type Writer = Vec<u8>;
        async fn open(&mut self, _: MsgNum) -> std::io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        async fn finish(&mut self, msg: MsgNum, writer: Vec<u8>, size: u64) -> std::io::Result<()> {
            assert_eq!(writer.len() as u64, size);
            self.done.push((msg, writer));
            Ok(())
        }
        fn abandon(&mut self, msg: MsgNum, _: Vec<u8>) {
            self.abandoned.push(msg);
        }
    }

    impl TestClient for Client<ScriptedStream> {
        type Session = Session<ScriptedStream>;
        async fn start(
            stream: ScriptedStream,
            limits: Limits,
            rec: &Recording,
        ) -> Result<Self, Error> {
            let mut conn = Connection::new(stream, limits);
            conn.set_transcript(Some(Box::new(rec.clone())));
            conn.set_read_timeout(Some(STALL));
            conn.set_write_timeout(Some(STALL));
            Client::new(conn).await
        }
        fn greeting(&self) -> &Greeting {
            Client::greeting(self)
        }
        fn capabilities(&self) -> Option<&Capabilities> {
            Client::capabilities(self)
        }
        fn choose_login(&self, tls: bool) -> Result<LoginMethod, Error> {
            Client::choose_login(self, tls)
        }
        async fn capa(&mut self) -> Result<Capabilities, Error> {
            Client::capa(self).await.cloned()
        }
        async fn stls(self, stream: &ScriptedStream) -> Result<Self, Error> {
            self.stls_with(async |_: &mut Connection<ScriptedStream>| {
                // Clones share the script's state: the stream now reports TLS.
                let _ = stream.clone().encrypted();
                Ok(())
            })
            .await
        }
        async fn login(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)> {
            Client::login(self, user, pass).await
        }
        async fn apop(self, user: &str, pass: &Secret) -> Result<Self::Session, (Error, Self)> {
            Client::apop(self, user, pass).await
        }
        async fn auth(
            self,
            mechanism: Mechanism,
            user: &str,
            pass: &Secret,
        ) -> Result<Self::Session, (Error, Self)> {
            Client::auth(self, mechanism, user, pass).await
        }
        async fn login_auto(
            self,
            user: &str,
            pass: &Secret,
        ) -> Result<Self::Session, (Error, Self)> {
            Client::login_auto(self, user, pass).await
        }
        async fn quit(self) -> Result<(), Error> {
            Client::quit(self).await
        }
    }

    impl TestSession for Session<ScriptedStream> {
        fn capabilities(&self) -> Option<&Capabilities> {
            Session::capabilities(self)
        }
        fn set_limits(&mut self, limits: Limits) {
            self.connection().set_limits(limits);
        }
        fn set_body_echo(&mut self, echo: bool) {
            Session::set_body_echo(self, echo);
        }
        async fn stat(&mut self) -> Result<Stat, Error> {
            Session::stat(self).await
        }
        async fn list(&mut self) -> Result<Vec<ListEntry>, Error> {
            Session::list(self).await
        }
        async fn list_one(&mut self, msg: MsgNum) -> Result<ListEntry, Error> {
            Session::list_one(self, msg).await
        }
        async fn uidl(&mut self) -> Result<Vec<Uidl>, Error> {
            Session::uidl(self).await
        }
        async fn uidl_one(&mut self, msg: MsgNum) -> Result<Uidl, Error> {
            Session::uidl_one(self, msg).await
        }
        async fn retr(&mut self, msg: MsgNum, out: &mut Vec<u8>) -> Result<u64, Error> {
            Session::retr(self, msg, out).await
        }
        async fn top(&mut self, msg: MsgNum, lines: u32, out: &mut Vec<u8>) -> Result<u64, Error> {
            Session::top(self, msg, lines, out).await
        }
        async fn retr_many(
            &mut self,
            msgs: &[MsgNum],
            sink: &mut Memory,
        ) -> Result<Vec<(MsgNum, Reply)>, Error> {
            Session::retr_many(self, msgs, sink).await
        }
        async fn dele(&mut self, msg: MsgNum) -> Result<(), Error> {
            Session::dele(self, msg).await
        }
        async fn dele_many(&mut self, msgs: &[MsgNum]) -> Result<(), Error> {
            Session::dele_many(self, msgs).await
        }
        async fn noop(&mut self) -> Result<(), Error> {
            Session::noop(self).await
        }
        async fn rset(&mut self) -> Result<(), Error> {
            Session::rset(self).await
        }
        async fn raw(&mut self, line: &str, out: &mut Vec<u8>) -> Result<RawReply, Error> {
            Session::raw(self, line, out).await
        }
        async fn quit(self) -> Result<Reply, Error> {
            Session::quit(self).await
        }
    }
}
