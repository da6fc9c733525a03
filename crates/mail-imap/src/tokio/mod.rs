//! The async client for tokio (feature `tokio`): [`Client`] → [`Session`]
//! → [`Selected`], the same states, methods, [`Options`](crate::Options),
//! [`Error`](crate::Error) and results as the blocking client, each I/O
//! method `async`, over [`mail_wire::tokio::Connection`] for any
//! `AsyncRead + AsyncWrite + Unpin + Send` stream.
//!
//! Both clients drive the same sans-I/O code ([`crate::sans_io`]: response
//! framing, literals and their `+` continuation, AUTHENTICATE, IDLE) and
//! send the same commands, built and read by the same functions; only the
//! loop that moves bytes is written twice. Every read and write is bounded
//! by the connection's time-out ([`Server::timeout`](crate::Server::timeout)
//! with [`Client::connect`]), every line and literal by its
//! [`Limits`](crate::Limits). Bodies stream: [`FetchStream`] copies a
//! section into any `AsyncWrite`, [`Session::append_from`] sends a message
//! from any `AsyncRead`, and neither holds a whole message. [`Console`]
//! is the console mode of [`crate::raw`] (one typed line, one complete
//! reply) on the async client.
//!
//! # Cancellation
//!
//! [`Idle::next`] is cancel-safe, and so is any method that fails before
//! sending anything. Every other method follows one rule: if its future is
//! dropped before it completes, the connection is left mid-exchange, so the
//! client marks itself broken and every later call on it returns at once
//! an error for which [`is_wire`](crate::Error::is_wire) is true
//! ([`WireError::Abandoned`](crate::WireError::Abandoned)). Nothing more is
//! sent on such a connection; dropping the client closes the socket.
//! Methods that consume the client (login, SELECT, LOGOUT, [`Selected::idle`],
//! [`Idle::done`]) drop it with their future. A [`FetchStream`] dropped
//! before its last event leaves the client broken the same way.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mail_imap::Error> {
//! use mail_imap::tokio::{Client, FetchEvent};
//! use mail_imap::{Secret, SequenceSet};
//! use mail_wire::testing::ScriptedStream;
//! use mail_wire::tokio::Connection;
//!
//! let server = ScriptedStream::from_transcript(
//!     "S: * OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\n\
//!      C: a1 LOGIN carol \"secret\"\n\
//!      S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] logged in\n\
//!      C: a2 SELECT INBOX\n\
//!      S: * 1 EXISTS\n\
//!      S: a2 OK [READ-WRITE] selected\n\
//!      C: a3 UID FETCH 1:* BODY.PEEK[]\n\
//!      S: * 1 FETCH (UID 5 BODY[] {4}\n\
//!      S: hi\n\
//!      S: )\n\
//!      S: a3 OK done\n",
//! );
//! let client = Client::new(Connection::new(server, mail_imap::default_limits())).await?;
//! let session = client.login("carol", &Secret::new("secret")).await.map_err(|(e, _)| e)?;
//! let mut inbox = session.select("INBOX").await.map_err(|(e, _)| e)?;
//! let mut body = Vec::new();
//! let mut stream = inbox.uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]").await?;
//! while let Some(event) = stream.next().await? {
//!     if let FetchEvent::Body(reader) = event {
//!         reader.copy_to(&mut body).await?;
//!     }
//! }
//! assert_eq!(body, b"hi\r\n");
//! # Ok(()) }
//! ```

mod client;
mod exchange;
mod fetch;
mod idle;
mod login;
mod raw;
mod selected;
mod session;

pub use client::{Client, UpgradeFuture};
pub use fetch::{BodyReader, FetchEvent, FetchStream};
pub use idle::Idle;
pub use mail_wire::tokio::{Connection, NetStream};
pub use raw::{Console, Reply};
pub use selected::Selected;
pub use session::Session;
