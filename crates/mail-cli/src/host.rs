//! The name this machine gives itself in EHLO.

/// This machine's host name for EHLO, or `localhost` when it is not a usable
/// domain (RFC 5321 §4.1.1.1 asks for the client's fully-qualified name).
pub fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| usable(name))
        .unwrap_or_else(|| "localhost".to_owned())
}

fn usable(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_domain_characters_make_a_usable_name() {
        assert!(usable("mail-1.example.test"));
        assert!(!usable(""));
        assert!(!usable("bad name"));
        assert!(!usable("evil\r\nMAIL FROM:<x>"));
        assert!(!usable(&"a".repeat(256)));
    }

    #[test]
    fn local_name_is_usable() {
        assert!(usable(&local_host_name()));
    }
}
