//! Cross-site request defences for a form served on loopback.
//!
//! A page on any other site can make the browser POST to `127.0.0.1:2345`;
//! three checks stop it from sending mail that way:
//!
//! 1. The `Host` header must name this server as the browser reached it
//!    (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` or the listen
//!    address), which defeats DNS rebinding: a rebound `evil.test` name
//!    arrives with `Host: evil.test`.
//! 2. `Origin` (sent by browsers on every POST) and `Sec-Fetch-Site` must
//!    not name another site.
//! 3. The form carries a random token, made once per run from the operating
//!    system's random source, that another site cannot read (same-origin
//!    policy) and so cannot copy; it is compared in constant time.

use std::net::SocketAddr;

/// The per-run form token: 32 random bytes as 64 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfToken(String);

impl std::fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfToken(********)")
    }
}

impl CsrfToken {
    /// A fresh token from the operating system's random source.
    ///
    /// # Errors
    /// When the random source cannot be read.
    pub fn generate() -> Result<CsrfToken, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(CsrfToken(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }

    /// The token, for the hidden form field.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `given` is this token (constant time in the token's length).
    pub fn verify(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

#[cfg(test)]
impl CsrfToken {
    /// A fixed token for tests.
    pub(crate) fn fixed(text: &str) -> CsrfToken {
        CsrfToken(text.to_owned())
    }
}

/// Why a request is refused as cross-site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is missing or names another server.
    Host,
    /// `Origin` or `Sec-Fetch-Site` names another site.
    Origin,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::Host => "the request did not name this server in its Host header",
            Refusal::Origin => "the request came from another site",
        })
    }
}

/// Checks `Host` for every request, and `Origin` / `Sec-Fetch-Site` when present.
///
/// # Errors
/// The [`Refusal`] to report.
pub fn check_origin(
    listen: SocketAddr,
    host: Option<&str>,
    origin: Option<&str>,
    fetch_site: Option<&str>,
) -> Result<(), Refusal> {
    let host = host.map(str::trim).ok_or(Refusal::Host)?;
    let port = listen.port();
    let allowed = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        listen.to_string(),
    ];
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return Err(Refusal::Host);
    }
    if let Some(origin) = origin.map(str::trim) {
        if !origin.eq_ignore_ascii_case(&format!("http://{host}")) {
            return Err(Refusal::Origin);
        }
    }
    if fetch_site
        .map(str::trim)
        .is_some_and(|s| !matches!(s, "same-origin" | "none"))
    {
        return Err(Refusal::Origin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_verified_exactly() {
        let a = CsrfToken::generate().unwrap();
        let b = CsrfToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 64);
        assert!(a.verify(a.as_str()));
        assert!(!a.verify(b.as_str()));
        assert!(!a.verify(""));
        assert!(!a.verify(&a.as_str()[..63]));
        assert_eq!(format!("{a:?}"), "CsrfToken(********)");
    }

    #[test]
    fn host_origin_and_fetch_site_table() {
        let listen: SocketAddr = "127.0.0.1:2345".parse().unwrap();
        let ok = [
            (Some("127.0.0.1:2345"), None, None),
            (
                Some("localhost:2345"),
                Some("http://localhost:2345"),
                Some("same-origin"),
            ),
            (Some("127.0.0.1:2345"), Some("http://127.0.0.1:2345"), None),
            (Some("127.0.0.1:2345"), None, Some("none")),
        ];
        for (host, origin, site) in ok {
            assert_eq!(
                check_origin(listen, host, origin, site),
                Ok(()),
                "{host:?} {origin:?} {site:?}"
            );
        }
        let refused = [
            (None, None, None, Refusal::Host),
            (Some("evil.test:2345"), None, None, Refusal::Host),
            (Some("127.0.0.1:2346"), None, None, Refusal::Host),
            (Some("127.0.0.1"), None, None, Refusal::Host),
            (
                Some("127.0.0.1:2345"),
                Some("http://evil.test"),
                None,
                Refusal::Origin,
            ),
            (Some("127.0.0.1:2345"), Some("null"), None, Refusal::Origin),
            (
                Some("127.0.0.1:2345"),
                Some("http://localhost:2345"),
                None,
                Refusal::Origin,
            ),
            (
                Some("127.0.0.1:2345"),
                None,
                Some("cross-site"),
                Refusal::Origin,
            ),
            (
                Some("127.0.0.1:2345"),
                None,
                Some("same-site"),
                Refusal::Origin,
            ),
        ];
        for (host, origin, site, why) in refused {
            assert_eq!(
                check_origin(listen, host, origin, site),
                Err(why),
                "{host:?} {origin:?} {site:?}"
            );
        }
    }
}
