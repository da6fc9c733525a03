//! The blocking client, one type per protocol state (RFC 3501 §3):
//! [`Client`] (not authenticated) → [`Session`] (authenticated) →
//! [`Selected`] (a mailbox is selected). LOGOUT consumes any of them.
//!
//! One module per state (`client`, `session`, `selected`), and one per
//! concern that spans them: `login` (LOGIN, AUTHENTICATE and the choice
//! between them), `fetch` (FETCH in memory or streamed) and `idle`.

mod client;
mod fetch;
mod idle;
mod login;
mod selected;
mod session;

pub use client::Client;
pub use fetch::{BodyReader, FetchEvent, FetchStream};
pub use selected::Selected;
pub use session::Session;
