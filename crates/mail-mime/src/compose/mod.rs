//! Composing mail to send: [`MessageBuilder`] -> [`OutgoingMessage`], an
//! RFC 5322 / MIME message ready for SMTP, streamed from memory and from
//! attachment files chunk by chunk. Received mail is
//! [`ParsedMessage`](crate::ParsedMessage), a different type.

mod builder;
mod header_fields;
mod outgoing;
mod reader;
mod text_body;

pub use builder::MessageBuilder;
pub use outgoing::OutgoingMessage;

#[cfg(test)]
mod tests;
