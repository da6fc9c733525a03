//! The verdicts on a refused certificate that the blocking and async
//! connection tests both check.

use crate::{CertProblem, Error};

/// Asserts that `err` refuses a certificate no trusted root issued.
///
/// # Panics
/// With `err`, when it is another error.
pub fn assert_unknown_issuer(err: &Error) {
    assert!(
        matches!(
            err,
            Error::Certificate {
                problem: CertProblem::UnknownIssuer,
                ..
            }
        ),
        "{err}"
    );
}

/// Asserts that `err` refuses a certificate for a name it does not carry,
/// and names among the certificate's names every one of `names`.
///
/// # Panics
/// With `err`, when it is another error or a name is missing.
pub fn assert_name_mismatch(err: &Error, names: &[&str]) {
    let Error::Certificate {
        problem: CertProblem::NameMismatch(found),
        ..
    } = err
    else {
        panic!("{err}")
    };
    assert!(
        names.iter().all(|name| found.iter().any(|n| n == name)),
        "{err}"
    );
}
