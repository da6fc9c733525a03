//! The async client for tokio (feature `tokio`): [`Client`] (AUTHORIZATION)
//! and [`Session`] (TRANSACTION) with the blocking client's methods and
//! results, each `async`, driving the same sans-I/O [`core`](crate::core)
//! over [`mail_wire::tokio::Connection`]. Message bodies stream into any
//! [`AsyncWrite`](::tokio::io::AsyncWrite) ([`Session::retr`]) or out as
//! an [`AsyncRead`](::tokio::io::AsyncRead) ([`Session::retr_reader`]),
//! never whole in memory.
//!
//! Time-outs: [`Server`](crate::Server)'s time-out bounds every read and
//! write (set by [`Client::connect`]; for [`Client::new`], set it on the
//! connection). Limits are the same [`Limits`](crate::Limits).
//!
//! # Cancellation
//!
//! A method that has not yet put a byte on the wire can be dropped
//! freely. Every other method's future, if dropped before it completes
//! (a lost `select!` branch, an outer `timeout`), leaves the connection
//! mid-exchange: the client marks itself broken, and every later call on
//! it returns at once an error for which `is_wire()` is true
//! ([`WireError::Abandoned`](crate::WireError::Abandoned)). Nothing more
//! is sent on such a connection; dropping the client or session closes
//! the socket. The same holds for a [`BodyReader`] dropped before the end
//! of its body; [`BodyReader::finish`] skips the rest cleanly instead.
//!
//! ```no_run
//! # async fn run() -> Result<(), mail_pop3::Error> {
//! use mail_pop3::tokio::Client;
//! use mail_pop3::{MsgNum, Options, Secret, Security, Server, TlsConfig};
//!
//! let server = Server::new("pop.example.com", 995);
//! let client = Client::connect(&server, Security::Implicit, &TlsConfig::new(), Options::default()).await?;
//! let mut session = client.login("me", &Secret::new("app-password")).await.map_err(|(err, _)| err)?;
//! let mut file = tokio::fs::File::create("1.eml").await.map_err(mail_pop3::Error::Output)?;
//! session.retr(MsgNum(1), &mut file).await?;
//! session.quit().await?;
//! # Ok(())
//! # }
//! ```

mod body;
mod client;
mod link;
mod session;

pub use body::BodyReader;
pub use client::Client;
pub use session::{MessageSink, Session};
