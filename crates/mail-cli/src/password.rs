//! Where the password comes from: the argument, `$MAIL_PASSWORD`, or a prompt.

use std::io::IsTerminal;

use mail_wire::Secret;

use crate::exit::CliError;

/// The environment variable read when no password argument is given.
pub const PASSWORD_ENV: &str = "MAIL_PASSWORD";

/// The password from the argument, else `$MAIL_PASSWORD`, else a no-echo
/// prompt when a terminal is attached.
///
/// # Errors
/// A usage error when there is no source, or a control character in it.
pub fn password(arg: Option<String>, user: &str) -> Result<Secret, CliError> {
    let value = match arg.or_else(|| std::env::var(PASSWORD_ENV).ok()) {
        Some(value) => value,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("password for {user}: "))
                .map_err(|err| CliError::usage(format!("cannot read the password: {err}")))?
        }
        None => {
            return Err(CliError::usage(format!(
                "no password: give it as the second argument, in ${PASSWORD_ENV}, or on a terminal"
            )))
        }
    };
    if value.chars().any(|c| matches!(c, '\r' | '\n' | '\0')) {
        return Err(CliError::usage("the password contains CR, LF or NUL"));
    }
    Ok(Secret::new(value))
}
