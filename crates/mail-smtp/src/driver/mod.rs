//! The session logic over the sans-I/O [`Smtp`] core, written once for both
//! clients: the blocking [`Client`](crate::Client) and, with the `tokio`
//! feature, [`tokio::Client`](crate::tokio::Client).
//!
//! ```text
//! connect -> greeting (220) -> EHLO (HELO fallback) -> [STARTTLS -> EHLO] -> [AUTH]
//!         -> { MAIL -> RCPT+ -> DATA|BDAT+ -> final reply }* -> QUIT
//! ```
//!
//! The core decides every protocol question (what goes on the wire, which
//! reply is whose); [`Driver`] sequences the calls a method needs (the
//! envelope, then the body, then the final reply; a window of BDAT replies;
//! RSET after a failure) and maps events to results. Its methods are
//! `async` over a [`Link`] and a [`Body`] so that one text serves both
//! clients: the tokio client awaits them on its connection, and the
//! blocking client runs them with [`run_blocking`] over a connection whose
//! every operation completes before it returns, so no future ever waits.

mod auth;
mod content;
mod send;
mod send_all;
mod setup;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use mail_wire::{Direction, Secret};

use crate::command::Command;
use crate::core::{Event, ReplyReader, Smtp};
use crate::error::Error;
use crate::reply::{Reply, ReplyCode, DEFAULT_MAX_REPLY_LINES};
use crate::Options;

/// The connection a [`Driver`] talks through: a line reader and a byte
/// writer with a transcript, as `mail_wire`'s blocking and tokio
/// `Connection`s both are.
pub(crate) trait Link {
    /// One line without its line end, bounded by the connection's limits.
    async fn read_line(&mut self) -> Result<&[u8], mail_wire::Error>;
    /// Queues bytes for the server (written when the buffer fills or on flush).
    async fn write_raw(&mut self, bytes: &[u8]) -> Result<(), mail_wire::Error>;
    /// Writes everything queued.
    async fn flush(&mut self) -> Result<(), mail_wire::Error>;
    /// Bytes received and not yet read as a line.
    fn buffered(&self) -> &[u8];
    /// Shows a line in the transcript, if one is installed.
    fn note(&mut self, direction: Direction, text: &str);
    /// Shows raw bytes in the transcript, escaped.
    fn note_bytes(&mut self, direction: Direction, bytes: &[u8]);
    /// True when a transcript is installed.
    fn has_transcript(&self) -> bool;
}

/// Where a message body comes from: a blocking `Read` or a tokio `AsyncRead`.
pub(crate) trait Body {
    /// Reads some bytes into `buf`; 0 at the end.
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize>;
}

/// A body held in memory.
impl Body for &[u8] {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::io::Read::read(self, buf)
    }
}

/// Runs a driver future over a blocking [`Link`] and [`Body`]: each of
/// their operations completes before it returns, so the future is ready
/// at its first poll.
pub(crate) fn run_blocking<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        // Not reachable with blocking I/O; refuse rather than spin.
        Poll::Pending => Err(Error::Broken),
    }
}

/// A session's state beside its connection; see the [module](self).
pub(crate) struct Driver {
    core: Smtp,
    greeting: Reply,
    helo_name: String,
    tls: bool,
    allow_plaintext_auth: bool,
    chunking: bool,
    show_data: bool,
    /// With `show_data`: the start of a content line not yet shown.
    content_line: Vec<u8>,
    /// Replies to lines written by hand through the client's connection.
    reader: ReplyReader,
    /// One received line with its CRLF, as fed to the core.
    line: Vec<u8>,
    /// Set when a body could not be finished on the wire, or a reply could
    /// not be read whole: the session is unusable.
    broken: bool,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("greeting", &self.greeting)
            .field("capabilities", self.core.capabilities())
            .field("tls", &self.tls)
            .field("authenticated", &self.core.authenticated())
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A session not yet started; the HELO name is checked before a byte is
    /// read or sent. The transcript and limits are the connection's: the
    /// client installs them.
    pub(crate) fn new(options: &Options) -> Result<Self, Error> {
        Command::Ehlo(&options.helo_name).encode(&mut Vec::new())?;
        let mut core = Smtp::new(options.limits.max_line, DEFAULT_MAX_REPLY_LINES);
        core.set_pipelining(options.pipelining);
        Ok(Driver {
            core,
            greeting: Reply::new(ReplyCode::SERVICE_READY, Vec::new()),
            helo_name: options.helo_name.clone(),
            tls: false,
            allow_plaintext_auth: options.allow_plaintext_auth,
            chunking: options.chunking,
            show_data: options.show_data,
            content_line: Vec::new(),
            reader: ReplyReader::new(options.limits.max_line, DEFAULT_MAX_REPLY_LINES),
            line: Vec::new(),
            broken: false,
        })
    }

    pub(crate) fn greeting(&self) -> &Reply {
        &self.greeting
    }

    pub(crate) fn capabilities(&self) -> &crate::Capabilities {
        self.core.capabilities()
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    /// Marks the session as running over TLS set up outside the driver.
    pub(crate) fn set_tls(&mut self) {
        self.tls = true;
    }

    pub(crate) fn authenticated(&self) -> Option<mail_wire::sasl::Mechanism> {
        self.core.authenticated()
    }

    /// Marks the session unusable: later calls return [`Error::Broken`].
    pub(crate) fn set_broken(&mut self) {
        self.broken = true;
    }

    /// Reads one complete reply to a line written by hand through the
    /// client's connection (the session's own commands go through the core).
    /// After any error the session refuses further commands.
    pub(crate) async fn read_reply(&mut self, link: &mut impl Link) -> Result<Reply, Error> {
        let result = self.read_reply_inner(link).await;
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    async fn read_reply_inner(&mut self, link: &mut impl Link) -> Result<Reply, Error> {
        loop {
            self.read_line(link).await?;
            if let (_, Some(reply)) = self.reader.feed(&self.line)? {
                return Ok(reply);
            }
        }
    }

    /// Reads one line into `self.line`, CRLF restored.
    async fn read_line(&mut self, link: &mut impl Link) -> Result<(), Error> {
        let line = link.read_line().await?;
        self.line.clear();
        self.line.extend_from_slice(line);
        self.line.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Writes what the core queued (its command lines to the transcript as
    /// the core shows them, secrets masked), sends it, and reads until the
    /// core has an event; the core's own answers (HELO fallback, AUTH
    /// steps, commands held without PIPELINING) go out on the way.
    ///
    /// After an error the session refuses further commands ([`Error::Broken`]).
    async fn next_event(&mut self, link: &mut impl Link) -> Result<Event, Error> {
        let result = self.next_event_inner(link).await;
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    async fn next_event_inner(&mut self, link: &mut impl Link) -> Result<Event, Error> {
        loop {
            self.write_out(link).await?;
            link.flush().await?;
            self.read_line(link).await?;
            if let (_, Some(event)) = self.core.feed(&self.line)? {
                return Ok(event);
            }
        }
    }

    /// Queues the core's output on the connection (not flushed).
    async fn write_out(&mut self, link: &mut impl Link) -> Result<(), Error> {
        for shown in self.core.take_shown() {
            link.note(Direction::Client, &shown);
        }
        let out = self.core.take_output();
        link.write_raw(&out).await?;
        Ok(())
    }

    pub(crate) fn check_usable(&self) -> Result<(), Error> {
        if self.broken {
            return Err(Error::Broken);
        }
        Ok(())
    }

    /// Sends one command and reads its reply, whatever the code.
    pub(crate) async fn command(
        &mut self,
        link: &mut impl Link,
        command: &Command<'_>,
    ) -> Result<Reply, Error> {
        self.check_usable()?;
        self.core.command(command)?;
        Ok(into_reply(self.next_event(link).await?))
    }

    /// Sends a command that must succeed with 2yz.
    pub(crate) async fn command_ok(
        &mut self,
        link: &mut impl Link,
        command: &Command<'_>,
    ) -> Result<Reply, Error> {
        let reply = self.command(link, command).await?;
        if reply.is_positive() {
            Ok(reply)
        } else {
            Err(Error::Rejected {
                command: command.verb(),
                reply,
            })
        }
    }

    /// QUIT: the 221 reply, or the other reply as a rejection.
    pub(crate) async fn quit(&mut self, link: &mut impl Link) -> Result<Reply, Error> {
        let reply = self.command(link, &Command::Quit).await?;
        if reply.code() == ReplyCode::CLOSING {
            Ok(reply)
        } else {
            Err(Error::Rejected {
                command: "QUIT",
                reply,
            })
        }
    }

    /// Sends a line typed at a console (its secret part masked in the
    /// transcript) and reads the reply.
    pub(crate) async fn typed_line(
        &mut self,
        link: &mut impl Link,
        public: &str,
        secret: Option<&Secret>,
    ) -> Result<Reply, Error> {
        self.check_usable()?;
        self.core.raw_line(public, secret)?;
        Ok(into_reply(self.next_event(link).await?))
    }
}

/// The reply an event carries (the MAIL reply of an envelope group).
fn into_reply(event: Event) -> Reply {
    match event {
        Event::Greeting(reply)
        | Event::Hello(reply)
        | Event::TlsReady(reply)
        | Event::Authenticated { reply, .. }
        | Event::AuthCancelled { reply, .. }
        | Event::Message(reply)
        | Event::Reply { reply, .. } => reply,
        Event::Envelope(replies) => replies.mail,
        // `Event` is non-exhaustive; every variant is listed above.
        #[allow(unreachable_patterns)]
        _ => Reply::new(ReplyCode::OK, Vec::new()),
    }
}

fn unexpected(command: &'static str, event: Event) -> Error {
    Error::UnexpectedReply {
        command,
        reply: into_reply(event),
    }
}
