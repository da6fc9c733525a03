//! The clients against scripted in-memory servers: split reads, disconnects,
//! hostile replies, rejections, and the STARTTLS defences over a local fake.
//!
//! Each test body is written once, generic over [`Scripted`] (or
//! [`Networked`]), and runs against the blocking `Client` and, with the
//! `tokio` feature, against `mail_smtp::tokio::Client`: the
//! `on_both_clients!` wrapper makes a `blocking` and a `tokio` test of it.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{Context, Poll};

use mail_smtp::{Capabilities, Client, Delivery, Envelope, Error, Mechanism, Options, Reply};
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Recording, Secret, Security, Server, TlsConfig};
use tokio::io::{AsyncRead, ReadBuf};

const EHLO_PIPELINING: &str = "
S: 220 mail.example.test ESMTP
C: EHLO client.example.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250-SIZE 1000000
S: 250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2
S: 250-ENHANCEDSTATUSCODES
S: 250 8BITMIME
";

const EHLO_PLAIN: &str = "
S: 220 mail.example.test ESMTP
C: EHLO client.example.test
S: 250-mail.example.test
S: 250 AUTH PLAIN LOGIN
";

const EHLO_CHUNKING: &str = "
S: 220 mail.example.test ESMTP
C: EHLO client.example.test
S: 250-mail.example.test
S: 250-PIPELINING
S: 250 CHUNKING
";

/// A body both clients can read: a blocking `Read` and a tokio `AsyncRead`.
trait TestBody: Read + AsyncRead + Unpin + Send {}
impl<T: Read + AsyncRead + Unpin + Send> TestBody for T {}

/// What the tests do with a session, for either client.
trait Session: Sized + std::fmt::Debug {
    fn capabilities(&self) -> &Capabilities;
    fn greeting(&self) -> &Reply;
    fn is_tls(&self) -> bool;
    async fn send(
        &mut self,
        envelope: &Envelope,
        body: &mut impl TestBody,
        size: Option<u64>,
    ) -> Result<Delivery, Error>;
    async fn send_all<'a>(
        &mut self,
        messages: impl IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    ) -> Result<Vec<Result<Delivery, Error>>, Error>;
    async fn auth(
        &mut self,
        user: &str,
        secret: &Secret,
        mechanism: Option<Mechanism>,
    ) -> Result<Mechanism, Error>;
    async fn noop(&mut self) -> Result<Reply, Error>;
    async fn vrfy(&mut self, what: &str) -> Result<Reply, Error>;
    async fn raw_command(&mut self, line: &str) -> Result<Reply, Error>;
    /// STARTTLS with a handshake that only calls `handshake`.
    async fn starttls_with(&mut self, handshake: impl FnOnce()) -> Result<(), Error>;
    async fn quit(self) -> Result<Reply, Error>;
}

/// A client over a scripted stream.
trait Scripted: Session {
    async fn start_on(stream: &ScriptedStream, options: Options) -> Result<Self, Error>;
}

/// A client over the network.
trait Networked: Session {
    async fn connect(server: &Server, security: Security, options: Options) -> Result<Self, Error>;
}

impl<S: Read + Write> Session for Client<S> {
    fn capabilities(&self) -> &Capabilities {
        Client::capabilities(self)
    }
    fn greeting(&self) -> &Reply {
        Client::greeting(self)
    }
    fn is_tls(&self) -> bool {
        Client::is_tls(self)
    }
    async fn send(
        &mut self,
        envelope: &Envelope,
        body: &mut impl TestBody,
        size: Option<u64>,
    ) -> Result<Delivery, Error> {
        Client::send(self, envelope, body, size)
    }
    async fn send_all<'a>(
        &mut self,
        messages: impl IntoIterator<Item = (&'a Envelope, &'a [u8])>,
    ) -> Result<Vec<Result<Delivery, Error>>, Error> {
        Client::send_all(self, messages)
    }
    async fn auth(
        &mut self,
        user: &str,
        secret: &Secret,
        mechanism: Option<Mechanism>,
    ) -> Result<Mechanism, Error> {
        Client::auth(self, user, secret, mechanism)
    }
    async fn noop(&mut self) -> Result<Reply, Error> {
        Client::noop(self)
    }
    async fn vrfy(&mut self, what: &str) -> Result<Reply, Error> {
        Client::vrfy(self, what)
    }
    async fn raw_command(&mut self, line: &str) -> Result<Reply, Error> {
        Client::raw_command(self, line)
    }
    async fn starttls_with(&mut self, handshake: impl FnOnce()) -> Result<(), Error> {
        Client::starttls_with(self, |_| {
            handshake();
            Ok(())
        })
    }
    async fn quit(self) -> Result<Reply, Error> {
        Client::quit(self)
    }
}

impl Scripted for Client<ScriptedStream> {
    async fn start_on(stream: &ScriptedStream, options: Options) -> Result<Self, Error> {
        Client::new(Connection::new(stream.clone(), Limits::default()), options)
    }
}

impl Networked for Client<mail_wire::NetStream> {
    async fn connect(server: &Server, security: Security, options: Options) -> Result<Self, Error> {
        Client::connect(server, security, &TlsConfig::new(), options)
    }
}

#[cfg(feature = "tokio")]
mod async_client {
    use super::*;
    use mail_smtp::tokio::Client as AsyncClient;
    use tokio::io::AsyncWrite;

    /// Long enough for any script, short enough for the stall test.
    const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

    impl<S: AsyncRead + AsyncWrite + Unpin + Send> Session for AsyncClient<S> {
        fn capabilities(&self) -> &Capabilities {
            AsyncClient::capabilities(self)
        }
        fn greeting(&self) -> &Reply {
            AsyncClient::greeting(self)
        }
        fn is_tls(&self) -> bool {
            AsyncClient::is_tls(self)
        }
        async fn send(
            &mut self,
            envelope: &Envelope,
            body: &mut impl TestBody,
            size: Option<u64>,
        ) -> Result<Delivery, Error> {
            AsyncClient::send(self, envelope, body, size).await
        }
        async fn send_all<'a>(
            &mut self,
            messages: impl IntoIterator<Item = (&'a Envelope, &'a [u8])>,
        ) -> Result<Vec<Result<Delivery, Error>>, Error> {
            AsyncClient::send_all(self, messages).await
        }
        async fn auth(
            &mut self,
            user: &str,
            secret: &Secret,
            mechanism: Option<Mechanism>,
        ) -> Result<Mechanism, Error> {
            AsyncClient::auth(self, user, secret, mechanism).await
        }
        async fn noop(&mut self) -> Result<Reply, Error> {
            AsyncClient::noop(self).await
        }
        async fn vrfy(&mut self, what: &str) -> Result<Reply, Error> {
            AsyncClient::vrfy(self, what).await
        }
        async fn raw_command(&mut self, line: &str) -> Result<Reply, Error> {
            AsyncClient::raw_command(self, line).await
        }
        async fn starttls_with(&mut self, handshake: impl FnOnce()) -> Result<(), Error> {
            AsyncClient::starttls_with(self, async |_| {
                handshake();
                Ok(())
            })
            .await
        }
        async fn quit(self) -> Result<Reply, Error> {
            AsyncClient::quit(self).await
        }
    }

    impl Scripted for AsyncClient<ScriptedStream> {
        async fn start_on(stream: &ScriptedStream, options: Options) -> Result<Self, Error> {
            let mut conn = mail_wire::tokio::Connection::new(stream.clone(), Limits::default());
            conn.set_read_timeout(Some(READ_TIMEOUT));
            AsyncClient::new(conn, options).await
        }
    }

    impl Networked for AsyncClient<mail_wire::tokio::NetStream> {
        async fn connect(
            server: &Server,
            security: Security,
            options: Options,
        ) -> Result<Self, Error> {
            AsyncClient::connect(server, security, &TlsConfig::new(), options).await
        }
    }
}

/// Serves a blocking test body to the async client: one `read` a poll.
fn poll_from_read(reader: &mut impl Read, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
    let n = reader.read(buf.initialize_unfilled())?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}

/// Runs a test body on a fresh single-thread runtime.
fn run(test: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

/// Turns `async fn name<C: Scripted>() { .. }` (or `C: Networked`) into a
/// module `name` with a `blocking` test and, with the `tokio` feature, a
/// `tokio` test, both running the one body.
macro_rules! on_both_clients {
    (async fn $name:ident<C: Scripted>() $body:block) => {
        on_both_clients!(@emit $name, Scripted, Client<ScriptedStream>,
            mail_smtp::tokio::Client<ScriptedStream>, $body);
    };
    (async fn $name:ident<C: Networked>() $body:block) => {
        on_both_clients!(@emit $name, Networked, Client<mail_wire::NetStream>,
            mail_smtp::tokio::Client<mail_wire::tokio::NetStream>, $body);
    };
    (@emit $name:ident, $bound:ident, $blocking:ty, $async:ty, $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body<C: $bound>() $body

            #[test]
            fn blocking() {
                run(body::<$blocking>());
            }

            #[cfg(feature = "tokio")]
            #[test]
            fn tokio() {
                run(body::<$async>());
            }
        }
    };
}

/// The bytes the `S:` lines of a script put on the wire.
fn server_bytes(script: &str) -> usize {
    script
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("S: "))
        .map(|text| text.len() + 2)
        .sum()
}

fn options(transcript: &Recording) -> Options {
    Options {
        helo_name: "client.example.test".into(),
        transcript: Some(Box::new(transcript.clone())),
        allow_plaintext_auth: true,
        ..Options::default()
    }
}

async fn start<C: Scripted>(stream: &ScriptedStream) -> (C, Recording) {
    let transcript = Recording::new();
    let client = C::start_on(stream, options(&transcript)).await.unwrap();
    (client, transcript)
}

async fn start_with<C: Scripted>(
    stream: &ScriptedStream,
    tweak: impl FnOnce(&mut Options),
) -> (C, Recording) {
    let transcript = Recording::new();
    let mut options = options(&transcript);
    tweak(&mut options);
    let client = C::start_on(stream, options).await.unwrap();
    (client, transcript)
}

fn script(parts: &[&str]) -> ScriptedStream {
    ScriptedStream::from_transcript(&parts.concat())
}

fn bob() -> Envelope {
    Envelope::new("alice@example.test", ["bob@example.test"])
}

on_both_clients! {
    async fn replies_split_into_one_byte_reads_work<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test> SIZE=6
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         S: 354 go
         C: hello
         C: .
         S: 250-2.0.0 Ok:
         S: 250 2.0.0 queued as ABC
         C: QUIT
         S: 221 2.0.0 Bye",
    ])
    .one_byte_reads();
    let (mut client, _) = start::<C>(&stream).await;
    assert!(client.capabilities().pipelining());
    let delivery = client.send(&bob(), &mut &b"hello\n"[..], Some(6)).await.unwrap();
    assert_eq!(delivery.reply.lines().len(), 2);
    client.quit().await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn multi_line_greeting_is_read_whole<C: Scripted>() {
    let stream = ScriptedStream::from_transcript(
        "S: 220-mail.example.test ESMTP
         S: 220-no UCE
         S: 220 welcome
         C: EHLO client.example.test
         S: 250 mail.example.test",
    );
    let (client, _) = start::<C>(&stream).await;
    assert_eq!(
        client.greeting().lines(),
        ["mail.example.test ESMTP", "no UCE", "welcome"]
    );
    stream.assert_done();
    }
}

on_both_clients! {
    async fn greeting_554_is_a_rejection<C: Scripted>() {
    let stream = ScriptedStream::from_transcript("S: 554 5.7.1 go away\nC: QUIT\nS: 221 bye");
    let err = C::start_on(&stream, Options::default()).await
    .unwrap_err();
    stream.assert_done();
    assert!(err.is_rejected(), "{err}");
    assert_eq!(
        err.to_string(),
        "server rejected the connection: 554 5.7.1 go away"
    );
    }
}

on_both_clients! {
    async fn ehlo_refused_falls_back_to_helo<C: Scripted>() {
    let stream = ScriptedStream::from_transcript(
        "S: 220 old.example.test SMTP
         C: EHLO client.example.test
         S: 502 5.5.2 command not recognized
         C: HELO client.example.test
         S: 250 old.example.test
         C: MAIL FROM:<alice@example.test>
         S: 250 ok
         C: RCPT TO:<bob@example.test>
         S: 250 ok
         C: DATA
         S: 354 go
         C: x
         C: .
         S: 250 ok",
    );
    let (mut client, _) = start::<C>(&stream).await;
    assert!(!client.capabilities().is_esmtp());
    // No SIZE announced and no pipelining without EHLO.
    client.send(&bob(), &mut &b"x"[..], Some(1)).await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn reply_421_mid_session_is_a_transient_rejection<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 421 4.3.2 Service shutting down",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rejected {
                command: "MAIL",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.is_transient());
    stream.assert_done();
    }
}

on_both_clients! {
    async fn one_of_two_recipients_rejected_pipelined<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<nobody@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 2.1.0 Ok
         S: 550 5.1.1 <nobody@example.test>: Recipient address rejected
         S: 250 2.1.5 Ok
         S: 354 go
         C: x
         C: .
         S: 250 2.0.0 Ok: queued as 1234",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let envelope = Envelope::new(
        "alice@example.test",
        ["nobody@example.test", "bob@example.test"],
    );
    let delivery = client.send(&envelope, &mut &b"x\r\n"[..], None).await.unwrap();
    assert_eq!(delivery.recipients[0].reply.code().get(), 550);
    assert!(delivery.recipients[1].is_accepted());
    assert_eq!(delivery.queue_id(), Some("1234"));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn one_of_two_recipients_rejected_without_pipelining<C: Scripted>() {
    let stream = script(&[
        EHLO_PLAIN,
        "C: MAIL FROM:<alice@example.test>
         S: 250 Ok
         C: RCPT TO:<bob@example.test>
         S: 250 Ok
         C: RCPT TO:<nobody@example.test>
         S: 550 5.1.1 unknown
         C: DATA
         S: 354 go
         C: x
         C: .
         S: 250 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let envelope = Envelope::new(
        "alice@example.test",
        ["bob@example.test", "nobody@example.test"],
    );
    let delivery = client.send(&envelope, &mut &b"x"[..], None).await.unwrap();
    assert_eq!(delivery.rejected().count(), 1);
    stream.assert_done();
    }
}

on_both_clients! {
    async fn all_recipients_rejected_resets_and_errs<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 2.1.0 Ok
         S: 550 5.1.1 unknown
         S: 554 5.5.1 Error: no valid recipients
         C: RSET
         S: 250 2.0.0 Ok
         C: NOOP
         S: 250 2.0.0 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert!(
        matches!(&err, Error::AllRecipientsRejected { rejected } if rejected.len() == 1),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "server rejected RCPT for every recipient: bob@example.test (550 5.1.1 unknown)"
    );
    client.noop().await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn data_go_ahead_without_recipients_sends_no_body<C: Scripted>() {
    // RFC 2920 §3.1: the server should refuse DATA; if it says 354 anyway
    // the client ends the empty message at once and resets.
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 550 no
         S: 354 go
         C: .
         S: 554 no valid recipients
         C: RSET
         S: 250 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .send(&bob(), &mut &b"secret body"[..], None).await
        .unwrap_err();
    assert!(
        matches!(err, Error::AllRecipientsRejected { .. }),
        "{err:?}"
    );
    assert!(!String::from_utf8_lossy(&stream.written()).contains("secret body"));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn mail_rejected_pipelined_is_reported_with_its_reply<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 553 5.7.1 <alice@example.test>: Sender address rejected
         S: 503 5.5.1 Error: need MAIL command
         S: 503 5.5.1 Error: need RCPT command",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "server rejected MAIL: 553 5.7.1 <alice@example.test>: Sender address rejected"
    );
    stream.assert_done();
    }
}

on_both_clients! {
    async fn message_refused_after_data_is_a_rejection_and_the_session_goes_on<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: spam
         C: .
         S: 554 5.7.1 looks like spam
         C: NOOP
         S: 250 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"spam"[..], None).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Rejected {
                command: "DATA",
                ..
            }
        ) && err.is_rejected()
    );
    client.noop().await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn connection_closed_mid_reply_is_a_wire_error<C: Scripted>() {
    let text =
        "S: 220 hi\nC: EHLO client.example.test\nS: 250-mail.example.test\nS: 250 PIPELINING\n";
    // 30 bytes: inside the first line of the EHLO reply; 31: right after it,
    // between the lines of the multi-line reply.
    for cut in [30, 31] {
        let stream = ScriptedStream::from_transcript(text).eof_after(cut);
        let err = C::start_on(&stream, options(&Recording::new())).await
        .unwrap_err();
        assert!(
            matches!(err, Error::Wire(mail_wire::Error::Closed)),
            "{cut}: {err}"
        );
        assert!(err.is_wire() && err.is_transient());
    }
    }
}

on_both_clients! {
    async fn ten_megabyte_line_without_crlf_is_a_protocol_violation<C: Scripted>() {
    let mut flood = b"220 ".to_vec();
    flood.resize(10 * 1024 * 1024, b'a');
    let stream = ScriptedStream::raw(&flood);
    let err = C::start_on(&stream, Options::default()).await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Wire(mail_wire::Error::LineTooLong { limit: 8192 })
        ),
        "{err}"
    );
    assert!(err.is_protocol_violation());
    }
}

on_both_clients! {
    async fn endless_multi_line_reply_is_a_protocol_violation<C: Scripted>() {
    let mut flood = b"220 hi\r\n".to_vec();
    for _ in 0..10_000 {
        flood.extend_from_slice(b"250-more\r\n");
    }
    let stream = ScriptedStream::raw(&flood);
    let err = C::start_on(&stream, Options::default()).await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol(mail_smtp::ParseError::TooManyLines { .. })
        ),
        "{err}"
    );
    assert!(err.is_protocol_violation());
    }
}

on_both_clients! {
    async fn malformed_reply_is_a_protocol_error<C: Scripted>() {
    let stream = ScriptedStream::from_transcript("S: HTTP/1.1 400 Bad Request");
    let err = C::start_on(&stream, Options::default()).await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "server broke the SMTP protocol: expected a reply line like `250 text`, got `HTTP/1.1 400 Bad Request`"
    );
    }
}

on_both_clients! {
    async fn line_breaks_in_addresses_are_refused_before_a_byte_is_sent<C: Scripted>() {
    let stream = script(&[EHLO_PIPELINING]);
    let (mut client, _) = start::<C>(&stream).await;
    let sent = stream.written().len();
    for envelope in [
        Envelope::new(
            "alice@example.test",
            ["bob@example.test>\r\nRCPT TO:<eve@example.test"],
        ),
        Envelope::new("alice@example.test\n", ["bob@example.test"]),
        Envelope::new(
            "alice@example.test",
            ["ok@example.test", "bad\0@example.test"],
        ),
    ] {
        let err = client.send(&envelope, &mut &b"x"[..], None).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Invalid(mail_smtp::EncodeError::LineBreak { .. })
            ),
            "{err}"
        );
    }
    assert!(matches!(client.vrfy("a\r\nQUIT").await, Err(Error::Invalid(_))));
    assert_eq!(stream.written().len(), sent);
    stream.assert_done();
    }
}

on_both_clients! {
    async fn size_over_the_servers_limit_is_refused_before_sending<C: Scripted>() {
    let stream = script(&[EHLO_PIPELINING]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .send(&bob(), &mut &b"x"[..], Some(2_000_000)).await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::TooLarge {
            size: 2_000_000,
            limit: 1_000_000
        }
    ));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn utf8_address_without_smtputf8_is_unsupported<C: Scripted>() {
    let stream = script(&[EHLO_PIPELINING]);
    let (mut client, _) = start::<C>(&stream).await;
    let envelope = Envelope::new("alice@example.test", ["김철수@example.test"]);
    assert!(matches!(
        client.send(&envelope, &mut &b"x"[..], None).await,
        Err(Error::Unsupported("SMTPUTF8"))
    ));
    let mut dsn = bob();
    dsn.options.dsn = Some(mail_smtp::Dsn::default());
    assert!(matches!(
        client.send(&dsn, &mut &b"x"[..], None).await,
        Err(Error::Unsupported("DSN"))
    ));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn auth_plain_and_login_are_masked_in_the_transcript<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: AUTH PLAIN ********
         S: 235 2.7.0 Authentication successful",
    ]);
    let (mut client, transcript) = start::<C>(&stream).await;
    client
        .auth("alice", &Secret::new("hunter2"), Some(Mechanism::Plain)).await
        .unwrap();
    assert!(transcript
        .lines()
        .contains(&"C: AUTH PLAIN ********".to_owned()));
    assert!(String::from_utf8_lossy(&stream.written()).contains("AGFsaWNlAGh1bnRlcjI="));

    let stream = script(&[
        EHLO_PIPELINING,
        "C: AUTH LOGIN
         S: 334 VXNlcm5hbWU6
         C: ********
         S: 334 UGFzc3dvcmQ6
         C: ********
         S: 235 2.7.0 ok",
    ]);
    let (mut client, transcript) = start::<C>(&stream).await;
    client
        .auth("alice", &Secret::new("hunter2"), Some(Mechanism::Login)).await
        .unwrap();
    let lines = transcript.lines();
    assert_eq!(lines.iter().filter(|l| *l == "C: ********").count(), 2);
    assert!(lines
        .iter()
        .all(|l| !l.contains("YWxpY2U=") && !l.contains("aHVudGVyMg==")));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn auth_without_tls_is_refused_unless_allowed<C: Scripted>() {
    let stream = script(&[EHLO_PIPELINING]);
    let opts = Options {
        helo_name: "client.example.test".into(),
        ..Options::default()
    };
    let mut client = C::start_on(&stream, opts).await.unwrap();
    let err = client.auth("alice", &Secret::new("pw"), None).await.unwrap_err();
    assert!(matches!(err, Error::PlaintextAuth));
    // The best mechanism without TLS is CRAM-MD5, once allowed.
    stream.assert_done();
    }
}

on_both_clients! {
    async fn cram_md5_answers_the_challenge<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        // RFC 2195's example challenge.
        "C: AUTH CRAM-MD5
         S: 334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+
         C: dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw
         S: 235 ok",
    ]);
    let (mut client, transcript) = start::<C>(&stream).await;
    assert_eq!(
        client
            .auth("tim", &Secret::new("tanstaaftanstaaf"), None).await
            .unwrap(),
        Mechanism::CramMd5
    );
    assert!(transcript.lines().contains(&"C: ********".to_owned()));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn xoauth2_failure_gets_an_empty_line_then_the_error<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: AUTH XOAUTH2 ********
         S: 334 eyJzdGF0dXMiOiI0MDEifQ==
         C:
         S: 535 5.7.8 Username and Password not accepted",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .auth(
            "alice@example.test",
            &Secret::new("token"),
            Some(Mechanism::XOAuth2),
        ).await
        .unwrap_err();
    assert!(err.is_auth_failure(), "{err}");
    stream.assert_done();
    }
}

on_both_clients! {
    async fn mechanism_not_offered_is_unsupported<C: Scripted>() {
    let stream = script(&[EHLO_PLAIN]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .auth("a", &Secret::new("b"), Some(Mechanism::CramMd5)).await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported("AUTH CRAM-MD5")));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn bdat_carries_the_body_in_counted_chunks_after_the_envelope<C: Scripted>() {
    let body = b".dot\nline\r\n";
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         C: BDAT 12 LAST
         C: .dot
         C: line
         S: 250 2.0.0 Ok: queued as B",
    ]);
    let (mut client, transcript) = start::<C>(&stream).await;
    let delivery = client.send(&bob(), &mut &body[..], None).await.unwrap();
    assert_eq!(delivery.queue_id(), Some("B"));
    assert!(transcript
        .lines()
        .contains(&"C: <message body: 12 bytes>".to_owned()));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn bdat_splits_a_large_body_and_pipelines_the_chunks<C: Scripted>() {
    let line = "x".repeat(98) + "\r\n";
    let body = line.repeat(1500); // 150 000 bytes: 64 KiB + 64 KiB + rest
    let mut text = String::from(EHLO_CHUNKING);
    text.push_str(
        "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nS: 250 Ok\nS: 250 Ok\n",
    );
    text.push_str("C: BDAT 65536\n");
    let stream = ScriptedStream::from_transcript(&text);
    let chunk = |range: std::ops::Range<usize>| body.as_bytes()[range].to_vec();
    // The three chunks go without waiting; the replies are read at the end.
    let stream = stream
        .then_expect(&chunk(0..65536))
        .then_expect(b"BDAT 65536\r\n")
        .then_expect(&chunk(65536..131072))
        .then_expect(format!("BDAT {} LAST\r\n", 150_000 - 131_072).as_bytes())
        .then_expect(&chunk(131072..150_000))
        .then_serve(
            b"250 2.0.0 65536 octets received\r\n250 2.0.0 ok\r\n250 2.0.0 Ok: queued as BIG\r\n",
        );
    let (mut client, _) = start::<C>(&stream).await;
    let delivery = client.send(&bob(), &mut body.as_bytes(), None).await.unwrap();
    assert_eq!(delivery.queue_id(), Some("BIG"));
    assert_eq!(delivery.size, 150_000);
    stream.assert_done();
    }
}

on_both_clients! {
    async fn bdat_with_every_recipient_rejected_sends_no_chunk_and_resets<C: Scripted>() {
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 Ok
         S: 550 5.1.1 no such user
         C: RSET
         S: 250 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert!(matches!(err, Error::AllRecipientsRejected { .. }), "{err}");
    stream.assert_done();
    }
}

struct FailingBody {
    served: bool,
}

impl Read for FailingBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.served {
            return Err(io::Error::other("disk on fire"));
        }
        self.served = true;
        buf[..3].copy_from_slice(b"abc");
        Ok(3)
    }
}

impl AsyncRead for FailingBody {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_from_read(self.get_mut(), buf)
    }
}

on_both_clients! {
    async fn body_read_error_during_data_never_ends_the_message<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 250 Ok
         S: 354 go",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .send(&bob(), &mut FailingBody { served: false }, None).await
        .unwrap_err();
    assert!(matches!(err, Error::Body(_)), "{err}");
    assert!(!stream.written().ends_with(b".\r\n"));
    // The session is unusable: no further command is sent.
    assert!(matches!(client.noop().await, Err(Error::Broken)));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn send_all_pipelines_the_next_envelope_behind_the_dot<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test> SIZE=3
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: one
         C: .
         C: MAIL FROM:<alice@example.test> SIZE=3
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok: queued as 1
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: two
         C: .
         C: MAIL FROM:<alice@example.test> SIZE=5
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 554 5.7.1 rejected
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: three
         C: .
         S: 250 Ok: queued as 3",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let envelope = bob();
    let bodies: [&[u8]; 3] = [b"one", b"two", b"three"];
    let results = client
        .send_all(bodies.iter().map(|b| (&envelope, *b))).await
        .unwrap();
    assert_eq!(results[0].as_ref().unwrap().queue_id(), Some("1"));
    assert!(matches!(
        results[1],
        Err(Error::Rejected {
            command: "DATA",
            ..
        })
    ));
    assert_eq!(results[2].as_ref().unwrap().queue_id(), Some("3"));
    stream.assert_done();
    }
}

/// A fake server on loopback: plays `script` (lines to send, `<` lines to
/// receive) and returns what it received.
fn fake_server(
    replies: Vec<(&'static str, &'static [u8])>,
) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(socket.try_clone().unwrap());
        socket
            .write_all(b"220 fake.example.test ESMTP\r\n")
            .unwrap();
        let mut received = Vec::new();
        for (expect, reply) in replies {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            assert!(line.starts_with(expect), "expected {expect}, got {line:?}");
            received.push(line.trim_end().to_owned());
            socket.write_all(reply).unwrap();
        }
        // Record anything else the client sends until it hangs up.
        let mut rest = String::new();
        let _ = reader.read_to_string(&mut rest);
        received.extend(rest.lines().map(str::to_owned));
        received
    });
    (port, handle)
}

on_both_clients! {
    async fn starttls_with_injected_bytes_is_refused<C: Networked>() {
        let (port, fake) = fake_server(vec![
            (
                "EHLO",
                b"250-fake.example.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n",
            ),
            (
                "STARTTLS",
                b"220 2.0.0 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n",
            ),
        ]);
        let server = Server::new("127.0.0.1", port);
        let err = C::connect(&server, Security::StartTls, Options::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Wire(mail_wire::Error::BufferedAfterStartTls { .. })
            ),
            "{err}"
        );
        assert!(err.is_protocol_violation());
        let received = fake.join().unwrap();
        assert_eq!(received, ["EHLO localhost", "STARTTLS"]);
    }
}

on_both_clients! {
    async fn starttls_missing_from_ehlo_fails_before_auth<C: Networked>() {
        let (port, fake) = fake_server(vec![(
            "EHLO",
            b"250-fake.example.test\r\n250 AUTH PLAIN LOGIN\r\n",
        )]);
        let server = Server::new("127.0.0.1", port);
        let err = C::connect(&server, Security::StartTls, Options::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported("STARTTLS")), "{err}");
        assert_eq!(err.to_string(), "server does not offer STARTTLS");
        let received = fake.join().unwrap();
        assert_eq!(
            received,
            ["EHLO localhost"],
            "nothing after EHLO, no AUTH above all"
        );
    }
}

on_both_clients! {
    async fn send_all_with_bdat_pipelines_each_chunk_with_the_next_envelope_behind_rset<C: Scripted>() {
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         C: BDAT 5 LAST
         C: one
         C: RSET
         C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<nobody@example.test>
         S: 250 2.0.0 Ok: queued as 1
         S: 250 2.0.0 Ok
         S: 250 2.1.0 Ok
         S: 550 5.1.1 unknown
         C: RSET
         S: 250 2.0.0 Ok
         C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         C: BDAT 7 LAST
         C: three
         S: 250 2.0.0 Ok: queued as 3",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let ok = bob();
    let bad = Envelope::new("alice@example.test", ["nobody@example.test"]);
    let messages: [(&Envelope, &[u8]); 3] = [(&ok, b"one"), (&bad, b"two"), (&ok, b"three")];
    let results = client.send_all(messages).await.unwrap();
    assert_eq!(results[0].as_ref().unwrap().queue_id(), Some("1"));
    assert!(matches!(
        results[1],
        Err(Error::AllRecipientsRejected { .. })
    ));
    assert_eq!(results[2].as_ref().unwrap().queue_id(), Some("3"));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn send_all_resets_after_a_refused_last_chunk<C: Scripted>() {
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         C: BDAT 6 LAST
         C: spam
         S: 554 5.7.1 looks like spam
         C: RSET
         S: 250 2.0.0 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let results = client.send_all([(&bob(), &b"spam"[..])]).await.unwrap();
    assert!(matches!(
        results[0],
        Err(Error::Rejected {
            command: "BDAT",
            ..
        })
    ));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn chunk_data_never_follows_a_refused_envelope<C: Scripted>() {
    // Postfix's submission port before STARTTLS answers 530 to everything
    // and does not read a BDAT chunk: data sent blindly would be commands.
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 530 5.7.0 Must issue a STARTTLS command first
         S: 530 5.7.0 Must issue a STARTTLS command first
         C: NOOP
         S: 250 2.0.0 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .send(&bob(), &mut &b"RCPT TO:<eve@example.test>\r\n"[..], None).await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { command: "MAIL", reply } if reply.code().get() == 530),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&stream.written()).contains("eve@"));
    client.noop().await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn send_all_reports_invalid_envelopes_in_place<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test> SIZE=2
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: ok
         C: .
         S: 250 Ok: queued as 2",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let bad = Envelope::new("alice@example.test", ["bob@example.test\r\nRSET"]);
    let ok = bob();
    let results = client
        .send_all([(&bad, &b"no"[..]), (&ok, &b"ok"[..])]).await
        .unwrap();
    assert!(matches!(results[0], Err(Error::Invalid(_))));
    assert_eq!(results[1].as_ref().unwrap().queue_id(), Some("2"));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn raw_mode_reads_whole_replies_and_masks_auth<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: HELP
         S: 214-2.0.0 commands:
         S: 214 2.0.0 HELO EHLO MAIL
         C: AUTH PLAIN ********
         S: 235 2.7.0 ok",
    ]);
    let (mut client, transcript) = start::<C>(&stream).await;
    let help = client.raw_command("HELP").await.unwrap();
    assert_eq!(help.lines().len(), 2);
    client
        .raw_command("AUTH PLAIN AGFsaWNlAGh1bnRlcjI=").await
        .unwrap();
    assert!(transcript
        .lines()
        .contains(&"C: AUTH PLAIN ********".to_owned()));
    assert!(!transcript.lines().iter().any(|l| l.contains("AGFsaWNl")));
    let err = client.raw_command("NOOP\r\nQUIT").await.unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::LineBreak { .. })),
        "{err}"
    );
    stream.assert_done();
    }
}

on_both_clients! {
    async fn opportunistic_starttls_is_possible_after_a_plain_connect<C: Networked>() {
        // --mx delivery: connect plain, upgrade only when offered.
        let (port, fake) = fake_server(vec![
            ("EHLO", b"250-fake.example.test\r\n250 PIPELINING\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ]);
        let server = Server::new("127.0.0.1", port);
        let client = C::connect(&server, Security::Plain, Options::default())
            .await
            .unwrap();
        assert!(!client.capabilities().starttls() && !client.is_tls());
        client.quit().await.unwrap();
        assert_eq!(fake.join().unwrap(), ["EHLO localhost", "QUIT"]);
    }
}

on_both_clients! {
    async fn random_servers_never_make_the_client_panic_or_hang<C: Scripted>() {
    let pieces: [&[u8]; 16] = [
        b"220 hi\r\n",
        b"250-mail.example.test\r\n",
        b"250-PIPELINING\r\n",
        b"250-CHUNKING\r\n",
        b"250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2\r\n",
        b"250-SIZE 10\r\n",
        b"250 ok\r\n",
        b"354 go\r\n",
        b"334 VXNlcm5hbWU6\r\n",
        b"334 !!notbase64\r\n",
        b"235 ok\r\n",
        b"550 5.1.1 no\r\n",
        b"421 4.3.2 bye\r\n",
        b"250-\xff\x00\x1b\r\n",
        b"25",
        b"\r\n",
    ];
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut sent_ok = 0;
    for round in 0..3000 {
        let mut server = b"220 hi\r\n250-x\r\n250-PIPELINING\r\n".to_vec();
        if round % 2 == 0 {
            server.extend_from_slice(b"250-CHUNKING\r\n");
        }
        server.extend_from_slice(b"250 AUTH PLAIN LOGIN CRAM-MD5\r\n");
        for _ in 0..(next() % 14) {
            server.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let stream = ScriptedStream::raw(&server);
        let opts = Options {
            allow_plaintext_auth: true,
            ..Options::default()
        };
        let Ok(mut client) = C::start_on(&stream, opts).await else {
            continue;
        };
        let mechanism = [None, Some(Mechanism::Login), Some(Mechanism::CramMd5)][round % 3];
        let _ = client.auth("alice", &Secret::new("pw"), mechanism).await;
        let envelope = Envelope::new("a@b.test", ["c@d.test", "e@f.test"]);
        if client
            .send(&envelope, &mut &b".x\r\ny"[..], Some(5)).await
            .is_ok()
        {
            sent_ok += 1;
        }
        let messages = [(&envelope, &b"one"[..]), (&envelope, &b"two"[..])];
        let _ = client.send_all(messages).await;
        let _ = client.quit().await;
    }
    // The generator does reach the message path now and then.
    assert!(sent_ok > 0);
    }
}

on_both_clients! {
    async fn a_malformed_reply_mid_session_stops_the_session<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: NOOP
         S: 250-2.0.0 fine
         S: oops",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    assert!(matches!(client.noop().await, Err(Error::Protocol(_))));
    let written = stream.written().len();
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert!(matches!(err, Error::Broken) && err.is_wire(), "{err}");
    assert_eq!(
        stream.written().len(),
        written,
        "nothing sent after the broken reply"
    );
    stream.assert_done();
    }
}

#[test]
fn a_network_client_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Client<mail_wire::NetStream>>();
    assert_send::<Error>();
}

/// The async client's futures can be spawned on a multi-thread runtime.
#[cfg(feature = "tokio")]
#[test]
fn async_futures_are_send() {
    use mail_smtp::tokio::Client as AsyncClient;
    fn assert_send<T: Send>(_: &T) {}
    // Type-checked, never run.
    let _ = |client: &mut AsyncClient<mail_wire::tokio::NetStream>, envelope: &Envelope| {
        assert_send(&client.send(envelope, &mut &b""[..], None));
        assert_send(&client.send_all([(envelope, &b""[..])]));
        assert_send(&client.auth("a", &Secret::new("b"), None));
        assert_send(&client.noop());
    };
}

on_both_clients! {
    async fn cram_md5_challenge_that_is_not_base64_is_cancelled<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: AUTH CRAM-MD5
         S: 334 !!! not base64
         C: *
         S: 501 5.7.0 Authentication aborted
         C: NOOP
         S: 250 2.0.0 Ok",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .auth("tim", &Secret::new("pw"), Some(Mechanism::CramMd5)).await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "server sent an unexpected reply to AUTH: 334 !!! not base64"
    );
    assert!(err.is_protocol_violation());
    client.noop().await.unwrap();
    stream.assert_done();
    }
}

on_both_clients! {
    async fn an_endless_challenge_is_cancelled_not_answered_with_the_password_again<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: AUTH PLAIN ********
         S: 334 more?
         C: *
         S: 501 5.7.0 Authentication aborted",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client
        .auth("alice", &Secret::new("pw"), Some(Mechanism::Plain)).await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnexpectedReply {
                command: "AUTH",
                ..
            }
        ),
        "{err}"
    );
    stream.assert_done();
    }
}

on_both_clients! {
    async fn a_refused_rset_does_not_hide_the_real_error<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 550 5.1.1 unknown
         S: 554 5.5.1 no valid recipients
         C: RSET
         S: 502 5.5.2 RSET not implemented",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
    assert!(matches!(err, Error::AllRecipientsRejected { .. }), "{err}");
    stream.assert_done();
    }
}

/// Hands out one byte per `read`, like a slow pipe.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

impl AsyncRead for Trickle<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        poll_from_read(self.get_mut(), buf)
    }
}

on_both_clients! {
    async fn a_body_read_one_byte_at_a_time_is_sent_the_same<C: Scripted>() {
    for chunking in [false, true] {
        let (ehlo, data) = if chunking {
            (EHLO_CHUNKING, "S: 250 Ok\nS: 250 Ok\nC: BDAT 14 LAST\nC: ..a\nC: b\nC: .\nC: c\nS: 250 Ok: queued as T\n")
        } else {
            (EHLO_PIPELINING, "C: DATA\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nC: ...a\nC: b\nC: ..\nC: c\nC: .\nS: 250 Ok: queued as T\n")
        };
        let stream = script(&[
            ehlo,
            "C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\n",
            data,
        ]);
        let (mut client, _) = start::<C>(&stream).await;
        let delivery = client
            .send(&bob(), &mut Trickle(b"..a\rb\n.\r\nc"), None).await
            .unwrap();
        assert_eq!(delivery.queue_id(), Some("T"));
        stream.assert_done();
    }
    }
}

on_both_clients! {
    async fn a_body_of_exactly_one_chunk_ends_with_an_empty_last_chunk<C: Scripted>() {
    let body = vec![b'x'; 65534]
        .into_iter()
        .chain(*b"\r\n")
        .collect::<Vec<u8>>();
    let text = format!("{EHLO_CHUNKING}C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nS: 250 Ok\nS: 250 Ok\nC: BDAT 65536\n");
    let stream = ScriptedStream::from_transcript(&text)
        .then_expect(&body)
        .then_expect(b"BDAT 0 LAST\r\n")
        .then_serve(b"250 2.0.0 65536 octets\r\n250 2.0.0 Ok: queued as E\r\n");
    let (mut client, _) = start::<C>(&stream).await;
    let delivery = client.send(&bob(), &mut body.as_slice(), None).await.unwrap();
    assert_eq!(delivery.queue_id(), Some("E"));
    stream.assert_done();
    }
}

on_both_clients! {
    async fn a_silent_server_is_a_timeout<C: Scripted>() {
    let text = "S: 220 hi\nC: EHLO client.example.test\nS: 250 ok\n";
    let stream =
        ScriptedStream::from_transcript(text).error_kind_after(9, io::ErrorKind::WouldBlock);
    let err = C::start_on(&stream, options(&Recording::new())).await
    .unwrap_err();
    assert!(
        matches!(err, Error::Wire(mail_wire::Error::Timeout)),
        "{err}"
    );
    assert!(err.is_wire() && err.is_transient() && !err.is_protocol_violation());
    }
}

on_both_clients! {
    async fn a_server_that_stalls_mid_reply_is_a_timeout_and_the_session_ends<C: Scripted>() {
        // The server hangs inside the multi-line reply to the envelope: the
        // blocking read times out as the socket option would, the async one
        // by the connection's read time-out.
        let text = format!(
            "{EHLO_PIPELINING}C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\nS: 250 Ok\n"
        );
        // Three bytes into the reply to MAIL.
        let stream =
            ScriptedStream::from_transcript(&text).stall_after(server_bytes(EHLO_PIPELINING) + 3);
        let (mut client, _) = start::<C>(&stream).await;
        let err = client.send(&bob(), &mut &b"x"[..], None).await.unwrap_err();
        assert!(
            matches!(err, Error::Wire(mail_wire::Error::Timeout)),
            "{err}"
        );
        assert!(err.is_wire() && err.is_transient());
        let written = stream.written().len();
        assert!(matches!(client.noop().await, Err(Error::Broken)));
        assert_eq!(stream.written().len(), written, "nothing sent after the time-out");
    }
}

/// Cancellation: a `send` future dropped mid-exchange leaves the client
/// refusing every later call with `Abandoned`, and nothing more is sent.
#[cfg(feature = "tokio")]
#[test]
fn a_dropped_send_future_leaves_the_client_abandoned() {
    run(async {
        let text = format!(
            "{EHLO_PIPELINING}C: MAIL FROM:<alice@example.test>\nC: RCPT TO:<bob@example.test>\nC: DATA\nS: 250 Ok\n"
        );
        // The server goes silent after EHLO: the envelope is sent, its
        // replies never come.
        let stream =
            ScriptedStream::from_transcript(&text).stall_after(server_bytes(EHLO_PIPELINING));
        let mut conn = mail_wire::tokio::Connection::new(stream.clone(), Limits::default());
        conn.set_read_timeout(Some(std::time::Duration::from_secs(30)));
        let mut client = mail_smtp::tokio::Client::new(conn, options(&Recording::new()))
            .await
            .unwrap();
        let cut_short = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            client.send(&bob(), &mut &b"x"[..], None),
        )
        .await;
        assert!(cut_short.is_err(), "the send future was dropped");
        let written = stream.written().len();
        let err = client.noop().await.unwrap_err();
        assert!(
            matches!(err, Error::Wire(mail_wire::Error::Abandoned)),
            "{err}"
        );
        assert!(err.is_wire());
        assert_eq!(
            stream.written().len(),
            written,
            "nothing sent after the drop"
        );
    });
}

on_both_clients! {
    async fn send_all_adds_8bitmime_for_8bit_bodies_and_refuses_utf8_headers_without_smtputf8<C: Scripted>() {
    let stream = script(&[
        EHLO_PIPELINING,
        "C: MAIL FROM:<alice@example.test> SIZE=22 BODY=8BITMIME
         C: RCPT TO:<bob@example.test>
         C: DATA
         S: 250 Ok
         S: 250 Ok
         S: 354 go
         C: Subject: x
         C: 
         C: 본문
         C: .
         S: 250 Ok: queued as K",
    ]);
    let (mut client, _) = start::<C>(&stream).await;
    let envelope = bob();
    let eight_bit = "Subject: x\r\n\r\n본문\r\n";
    let utf8_header = "Subject: 제목\r\n\r\nx\r\n";
    let results = client
        .send_all([
            (&envelope, eight_bit.as_bytes()),
            (&envelope, utf8_header.as_bytes()),
        ]).await
        .unwrap();
    assert_eq!(results[0].as_ref().unwrap().queue_id(), Some("K"));
    assert!(
        matches!(results[1], Err(Error::Unsupported("SMTPUTF8"))),
        "{:?}",
        results[1]
    );
    stream.assert_done();
    }
}

on_both_clients! {
    async fn starttls_with_forgets_the_plain_text_capabilities<C: Scripted>() {
        let stream = ScriptedStream::from_transcript(
            "S: 220 mail.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mail.example.test\nS: 250-STARTTLS\nS: 250 SIZE 10\n\
             C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\n\
             C: EHLO client.example.test\nS: 250-mail.example.test\nS: 250 AUTH PLAIN\n",
        );
        let (mut client, _) = start::<C>(&stream).await;
        let mut upgraded = false;
        client.starttls_with(|| upgraded = true).await.unwrap();
        assert!(upgraded && client.is_tls());
        assert!(client.capabilities().has("AUTH") && !client.capabilities().has("SIZE"));
        stream.assert_done();
    }
}

on_both_clients! {
    async fn starttls_with_refuses_bytes_injected_after_the_go_ahead<C: Scripted>() {
        // The injected line arrives with the go-ahead, as in one TCP segment.
        let stream = ScriptedStream::from_transcript(
            "S: 220 mail.example.test ESMTP\nC: EHLO client.example.test\nS: 250-mail.example.test\nS: 250 STARTTLS\nC: STARTTLS\n",
        )
        .then_serve(b"220 2.0.0 Ready to start TLS\r\n250-injected\r\n");
        let (mut client, _) = start::<C>(&stream).await;
        let err = client
            .starttls_with(|| panic!("no handshake after injected bytes"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::Wire(mail_wire::Error::BufferedAfterStartTls { .. })
            ),
            "{err}"
        );
        assert!(!client.is_tls());
        assert!(
            matches!(client.noop().await, Err(Error::Broken)),
            "the session is unusable"
        );
    }
}

on_both_clients! {
    async fn show_data_puts_the_stuffed_content_lines_in_the_transcript<C: Scripted>() {
    let stream = script(&[
        EHLO_PLAIN,
        "C: MAIL FROM:<alice@example.test>
         S: 250 2.1.0 Ok
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.5 Ok
         C: DATA
         S: 354 go
         C: Subject: x
         C: 
         C: ..dot line
         C: tab\there \x1b[31m
         C: .
         S: 250 2.0.0 Ok: queued as D",
    ]);
    let (mut client, transcript) = start_with::<C>(&stream, |o| o.show_data = true).await;
    let body = b"Subject: x\n\n.dot line\ntab\there \x1b[31m\n";
    client.send(&bob(), &mut &body[..], None).await.unwrap();
    stream.assert_done();
    let lines = transcript.lines();
    let data = lines.iter().position(|l| l == "C: DATA").unwrap();
    assert_eq!(
        lines[data + 2..data + 7],
        [
            "C: Subject: x",
            "C: ",
            "C: ..dot line",
            "C: tab\there \\x1b[31m",
            "C: .",
        ]
    );
    assert!(
        !lines.iter().any(|l| l.contains("<message body")),
        "{lines:?}"
    );
    }
}

on_both_clients! {
    async fn show_data_shows_each_bdat_chunk_after_its_command<C: Scripted>() {
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.0 Ok
         S: 250 2.1.5 Ok
         C: BDAT 12 LAST
         C: .dot
         C: line
         S: 250 2.0.0 Ok: queued as B",
    ]);
    let (mut client, transcript) = start_with::<C>(&stream, |o| o.show_data = true).await;
    client
        .send(&bob(), &mut &b".dot\nline\r\n"[..], None).await
        .unwrap();
    stream.assert_done();
    let lines = transcript.lines();
    let bdat = lines.iter().position(|l| l == "C: BDAT 12 LAST").unwrap();
    assert_eq!(lines[bdat + 1..bdat + 3], ["C: .dot", "C: line"]);
    }
}

on_both_clients! {
    async fn no_pipelining_and_no_chunking_wait_for_each_reply_and_use_data<C: Scripted>() {
    // The server offers both; the options turn them off, so the script
    // (which asserts the order of bytes) sees one command, one reply.
    let stream = script(&[
        EHLO_CHUNKING,
        "C: MAIL FROM:<alice@example.test>
         S: 250 2.1.0 Ok
         C: RCPT TO:<bob@example.test>
         S: 250 2.1.5 Ok
         C: DATA
         S: 354 go
         C: hello
         C: .
         S: 250 2.0.0 Ok: queued as N",
    ]);
    let (mut client, _) = start_with::<C>(&stream, |o| {
        o.pipelining = false;
        o.chunking = false;
    }).await;
    client.send(&bob(), &mut &b"hello\n"[..], None).await.unwrap();
    stream.assert_done();
    }
}
