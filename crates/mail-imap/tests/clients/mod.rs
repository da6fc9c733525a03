//! One test body, two clients: the same small API over the blocking client
//! (`blocking`) and over the async one (`asynchronous`, feature `tokio`),
//! every operation `async`, so a test written once as an `async` block runs
//! against both. [`both!`] writes each test out once per client.
#![allow(dead_code, clippy::unwrap_used, clippy::result_large_err)]

use std::future::Future;
use std::time::Duration;

use mail_imap::{BodyContext, Fetch};

#[cfg(feature = "tokio")]
pub mod asynchronous;
pub mod blocking;

/// A streamed FETCH read to the end: each body section kept (when `keep`
/// says so) with where it belongs, and each FETCH response.
pub type Streamed = (Vec<(BodyContext, Vec<u8>)>, Vec<Fetch>);

/// How long the async client waits for a stalled server; the blocking
/// scripted stream fails a stalled read at once, as a socket time-out does.
pub const STALL: Duration = Duration::from_millis(300);

/// Runs a test body on a current-thread runtime with a clock.
pub fn run<F: Future>(body: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(body)
}

/// `both! { items }`: the items (tests written as `#[test] fn name() {
/// run(async { ... }) }`, and their helpers) once in a module that uses the
/// blocking client and once in one that uses the async client.
#[macro_export]
macro_rules! both {
    ($($item:item)*) => {
        mod blocking_client {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::clients::blocking::{open, open_with, Client, Console, Selected, Session, CLIENT};
            #[allow(unused_imports)]
            use $crate::clients::run;
            $($item)*
        }
        #[cfg(feature = "tokio")]
        mod async_client {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::clients::asynchronous::{open, open_with, Client, Console, Selected, Session, CLIENT};
            #[allow(unused_imports)]
            use $crate::clients::run;
            $($item)*
        }
    };
}
