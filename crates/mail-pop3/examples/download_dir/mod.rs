//! What `download` and `download_async` share: their arguments, where each
//! message goes, and the exit code. Only the client (blocking or async)
//! and the file I/O differ between the two.
#![allow(dead_code)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::common::{print_error, Account};

/// Reads `[connection flags] DIR`; on a problem prints it with `usage` and
/// gives the exit code for bad usage.
pub fn from_args(usage: &str) -> Result<(Account, PathBuf), ExitCode> {
    let account = Account::from_args().map_err(|problem| {
        eprintln!("{problem}\n{usage}");
        ExitCode::from(2)
    })?;
    let [dir] = account.args.as_slice() else {
        eprintln!("{usage}");
        return Err(ExitCode::from(2));
    };
    let dir = PathBuf::from(dir);
    Ok((account, dir))
}

/// Where the message with `uid` goes in `dir`, and the temporary name it is
/// written under until complete.
pub fn paths(dir: &Path, uid: &str) -> (PathBuf, PathBuf) {
    let path = dir.join(file_name(uid));
    let partial = path.with_extension("part");
    (path, partial)
}

/// A file name from a UIDL (printable ASCII, but `/` and `.` may occur):
/// letters, digits, `-` and `_` kept, anything else as `%XX`.
fn file_name(uid: &str) -> String {
    let mut name = String::new();
    for byte in uid.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    name + ".eml"
}

/// The exit code of a finished run, printing its error if any.
pub fn exit_code(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(err.as_ref());
            ExitCode::FAILURE
        }
    }
}
