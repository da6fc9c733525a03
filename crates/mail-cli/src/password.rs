//! Where the password comes from: the argument, `$MAIL_PASSWORD`, or a
//! prompt; and asking again at the prompt when the server rejects it.

use std::io::IsTerminal;

use mail_wire::Secret;

use crate::exit::CliError;

/// The environment variable read when no password argument is given.
pub const PASSWORD_ENV: &str = "MAIL_PASSWORD";

/// How many passwords a person may type at the prompt before the login
/// fails (mutt asks three times too).
pub const PROMPT_TRIES: usize = 3;

/// The password from the argument, else `$MAIL_PASSWORD`, else a no-echo
/// prompt when a terminal is attached.
///
/// # Errors
/// A usage error when there is no source, or a control character in it.
pub fn password(arg: Option<String>, user: &str) -> Result<Secret, CliError> {
    Password::obtain(arg, user).map(|password| password.secret)
}

/// A password and whether a person typed it, so that a rejected one can be
/// asked for again ([`Password::log_in`]).
#[derive(Debug)]
pub struct Password {
    secret: Secret,
    user: String,
    typed: bool,
}

impl Password {
    /// The password from the argument, else `$MAIL_PASSWORD`, else a no-echo
    /// prompt when a terminal is attached.
    ///
    /// # Errors
    /// A usage error when there is no source, or a control character in it.
    pub fn obtain(arg: Option<String>, user: &str) -> Result<Password, CliError> {
        let (secret, typed) = match arg.or_else(|| std::env::var(PASSWORD_ENV).ok()) {
            Some(value) => (checked(value)?, false),
            None if std::io::stdin().is_terminal() => (prompt(user)?, true),
            None => {
                return Err(CliError::usage(format!(
                "no password: give it as the second argument, in ${PASSWORD_ENV}, or on a terminal"
            )))
            }
        };
        Ok(Password {
            secret,
            user: user.to_owned(),
            typed,
        })
    }

    /// The password.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Runs `attempt` with the password; when it was typed at the prompt
    /// and the server `rejected` it, says so on stderr and asks again, up to
    /// [`PROMPT_TRIES`] passwords in all. A password from the argument or
    /// the environment gets one attempt. `client` travels through each
    /// attempt and comes back with the last error (STYLE §3).
    ///
    /// # Errors
    /// The last attempt's error with the client.
    pub fn log_in<C, T, E: std::fmt::Display>(
        &mut self,
        mut client: C,
        mut attempt: impl FnMut(C, &Secret) -> Result<T, (E, C)>,
        rejected: impl Fn(&E) -> bool,
    ) -> Result<T, (E, C)> {
        let mut tries = 1;
        loop {
            let (err, back) = match attempt(client, &self.secret) {
                Ok(done) => return Ok(done),
                Err(failed) => failed,
            };
            if !self.typed || tries >= PROMPT_TRIES || !rejected(&err) {
                return Err((err, back));
            }
            log::warn!(
                "login failed, try again ({} of {PROMPT_TRIES}): {err}",
                tries + 1
            );
            match prompt(&self.user) {
                Ok(secret) => self.secret = secret,
                Err(_) => return Err((err, back)),
            }
            client = back;
            tries += 1;
        }
    }
}

fn prompt(user: &str) -> Result<Secret, CliError> {
    let value = rpassword::prompt_password(format!("password for {user}: "))
        .map_err(|err| CliError::usage(format!("cannot read the password: {err}")))?;
    checked(value)
}

fn checked(value: String) -> Result<Secret, CliError> {
    if value.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(CliError::usage("the password contains CR, LF or NUL"));
    }
    Ok(Secret::new(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(typed: bool) -> Password {
        Password {
            secret: Secret::new("first"),
            user: "bob".into(),
            typed,
        }
    }

    #[test]
    fn a_password_from_the_argument_or_environment_gets_one_attempt() {
        let mut calls = 0;
        let result: Result<(), (String, u8)> = given(false).log_in(
            7u8,
            |client, _| {
                calls += 1;
                Err(("rejected".to_owned(), client))
            },
            |_| true,
        );
        assert_eq!(result, Err(("rejected".to_owned(), 7)));
        assert_eq!(calls, 1);
    }

    #[test]
    fn an_error_that_is_no_rejection_is_not_asked_again() {
        let mut calls = 0;
        let result: Result<(), (String, ())> = given(true).log_in(
            (),
            |(), _| {
                calls += 1;
                Err(("timeout".to_owned(), ()))
            },
            |err| err == "rejected",
        );
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn success_at_the_first_attempt_sees_the_password() {
        let result: Result<String, (String, ())> =
            given(true).log_in((), |(), secret| Ok(secret.expose().to_owned()), |_| true);
        assert_eq!(result, Ok("first".to_owned()));
    }
}
