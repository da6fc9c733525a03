//! Raw mode for consoles: one line typed by a person, one complete reply.

use std::io::{Read, Write};

use mail_wire::Secret;

use crate::{Client, Error, Reply};

impl<S: Read + Write> Client<S> {
    /// Sends one line as typed and reads the complete (multi-line) reply.
    /// The line is checked for CR, LF and NUL before a byte is sent. The
    /// initial response of `AUTH <mechanism> <response>` is masked in the
    /// transcript. Capabilities are not updated; call [`Client::ehlo`] for that.
    ///
    /// # Errors
    /// [`Error::Wire`] with `LineBreak` for CR, LF or NUL; wire and protocol errors.
    pub fn raw_command(&mut self, line: &str) -> Result<Reply, Error> {
        check_line(line)?;
        let (public, secret) = split_secret(line);
        self.typed_line(public, secret.as_ref())
    }

    /// Sends a line whose whole content is secret (an AUTH continuation
    /// typed at a 334 prompt) and reads the reply.
    ///
    /// # Errors
    /// As [`raw_command`](Self::raw_command).
    pub fn raw_secret(&mut self, secret: &Secret) -> Result<Reply, Error> {
        check_line(secret.expose())?;
        self.typed_line("", Some(secret))
    }
}

/// CR, LF or NUL would end the line early: refused before a byte is sent.
pub(crate) fn check_line(line: &str) -> Result<(), Error> {
    match line.bytes().position(|b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(at) => Err(Error::Wire(mail_wire::Error::LineBreak { at })),
        None => Ok(()),
    }
}

/// `AUTH PLAIN dGVzdA==` -> (`AUTH PLAIN `, secret `dGVzdA==`).
pub(crate) fn split_secret(line: &str) -> (&str, Option<Secret>) {
    let mut words = line.splitn(3, ' ');
    let (Some(verb), Some(mechanism), Some(rest)) = (words.next(), words.next(), words.next())
    else {
        return (line, None);
    };
    if !verb.eq_ignore_ascii_case("AUTH") || rest.is_empty() {
        return (line, None);
    }
    let public_len = verb.len() + 1 + mechanism.len() + 1;
    (
        line.get(..public_len).unwrap_or(line),
        Some(Secret::new(rest)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_initial_responses_are_split_off() {
        let (public, secret) = split_secret("AUTH PLAIN dGVzdA==");
        assert_eq!(public, "AUTH PLAIN ");
        assert_eq!(secret.unwrap().expose(), "dGVzdA==");
        assert!(split_secret("AUTH LOGIN").1.is_none());
        assert!(split_secret("MAIL FROM:<a@b> SIZE=1").1.is_none());
        assert_eq!(split_secret("auth xoauth2 abc").0, "auth xoauth2 ");
    }
}
