//! mail-smtp (under construction).
#![deny(missing_docs)]

pub mod mx;
