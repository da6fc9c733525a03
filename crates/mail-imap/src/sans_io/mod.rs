//! The sans-I/O core of the IMAP client: state machines that take the bytes
//! received and hand back typed events and the bytes to send, with no
//! `Read`, `Write`, socket or clock inside. The blocking client drives them
//! over a [`mail_wire::Connection`]; any other I/O (async, a test buffer)
//! can drive them the same way.
//!
//! Framing responses from a byte buffer, in chunks of any size, with a
//! FETCH body streamed out rather than held:
//!
//! ```
//! use mail_imap::sans_io::{FrameEvent, FrameLimits, ResponseFramer};
//! use mail_imap::{Response, Untagged};
//!
//! let received: &[u8] = b"* 1 FETCH (UID 5 BODY[] {4}\r\nhi\r\n)\r\na3 OK done\r\n";
//! let mut framer = ResponseFramer::new(FrameLimits { max_line: 8192, max_literal: 1 << 20 });
//! framer.set_stream_bodies(true);
//! let (mut body, mut responses) = (Vec::new(), Vec::new());
//! for chunk in received.chunks(3) {
//!     framer.feed(chunk);
//!     loop {
//!         match framer.next()? {
//!             FrameEvent::NeedMore => break,
//!             FrameEvent::BodyStart(ctx) => assert_eq!(ctx.uid.map(|u| u.0), Some(5)),
//!             FrameEvent::BodyChunk(piece) => body.extend_from_slice(piece),
//!             FrameEvent::Response(r) => responses.push(r),
//!             _ => {}
//!         }
//!     }
//! }
//! framer.end_of_input()?;
//! assert_eq!(body, b"hi\r\n");
//! assert!(matches!(responses[0], Response::Untagged(Untagged::Fetch(_))));
//! assert!(matches!(&responses[1], Response::Tagged(t) if t.tag.0 == "a3"));
//! # Ok::<(), mail_imap::Error>(())
//! ```
//!
//! Sending an APPEND whose literal waits for the server's `+`:
//!
//! ```
//! use mail_imap::sans_io::{CommandSender, LiteralMode, Received, ResponseFramer, SendStep};
//! use mail_imap::{Command, Tag};
//!
//! let cmd = Command::new("APPEND").raw("INBOX", "mailbox")?.literal(b"Hi\r\n".to_vec());
//! let mut sender = CommandSender::new(Tag("a1".into()), &cmd, LiteralMode::Synchronizing);
//! let mut framer = ResponseFramer::new(mail_wire::Limits::default().into());
//! let mut server = b"+ ready\r\na1 OK [APPENDUID 7 9] done\r\n".as_slice();
//! let mut wire = Vec::new();
//! let completion = loop {
//!     match sender.next() {
//!         SendStep::AwaitContinuation | SendStep::Sent => {
//!             // Read (here: one line from the buffer) and frame a response.
//!             let end = server.iter().position(|&b| b == b'\n').unwrap() + 1;
//!             framer.feed(&server[..end]);
//!             server = &server[end..];
//!             let mail_imap::FrameEvent::Response(response) = framer.next()? else { continue };
//!             if let Received::Completed(tagged) = sender.receive(response)? {
//!                 break tagged;
//!             }
//!         }
//!         step => step.encode(&mut wire),
//!     }
//! };
//! assert_eq!(wire, b"a1 APPEND INBOX {4}\r\nHi\r\n\r\n");
//! assert_eq!(completion.status, mail_imap::Status::Ok);
//! # Ok::<(), mail_imap::Error>(())
//! ```

mod authenticate;
mod framing;
mod idle;
mod sending;

pub use authenticate::{AuthEvent, Authenticate};
pub use framing::{BodyContext, FrameEvent, FrameLimits, ResponseFramer, Wants};
pub use idle::{Idle, IdleEvent};
pub(crate) use sending::encode_all;
pub use sending::{completion, CommandSender, LiteralMode, Received, SendStep};
