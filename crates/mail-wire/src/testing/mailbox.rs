//! Putting mail into a test server's mailboxes and taking it out again,
//! whatever the server: through the tool its scripts name (`doveadm`, Cyrus's
//! `deliver`), through its maildir, or through its own IMAP.

use std::path::{Path, PathBuf};

use super::TestEnv;

impl TestEnv {
    /// The maildir of `who` (`"ALICE"`, ...), when the server keeps one that
    /// tests may read and write.
    pub fn maildir(&self, who: &str) -> Option<PathBuf> {
        self.var_opt(&format!("MAILTEST_{who}_MAILDIR"))
            .map(PathBuf::from)
    }

    /// Stores `message` in the INBOX of `who` directly (no SMTP): with
    /// `doveadm save` (Dovecot), Cyrus's `deliver` over LMTP, or as a file
    /// in the maildir (Courier, Exim, OpenSMTPD).
    ///
    /// # Panics
    /// When the tool fails or the server offers no way in.
    pub fn save(&self, who: &str, message: &[u8]) {
        let (user, _) = self.account(who);
        if self.var_opt("MAILTEST_DOVEADM").is_some() {
            self.doveadm(&["save", "-u", &user, "-m", "INBOX"], Some(message));
        } else if let Some(deliver) = self.var_opt("MAILTEST_DELIVER") {
            run(&deliver, &[&user], Some(message));
        } else if let Some(maildir) = self.maildir(who) {
            save_to_maildir(&maildir, message);
        } else {
            panic!(
                "{}: no doveadm, deliver or maildir to store mail with",
                self.name()
            );
        }
    }

    /// Removes every message from the INBOX of `who`: `doveadm expunge`, the
    /// maildir's `new` and `cur`, or IMAP (`STORE \Deleted` + `EXPUNGE` over
    /// implicit TLS) on servers with neither.
    ///
    /// # Panics
    /// When that fails.
    pub fn empty_mailbox(&self, who: &str) {
        let (user, _) = self.account(who);
        if self.var_opt("MAILTEST_DOVEADM").is_some() {
            self.doveadm(&["expunge", "-u", &user, "mailbox", "INBOX", "all"], None);
        } else if let Some(maildir) = self.maildir(who) {
            for sub in ["new", "cur"] {
                let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    std::fs::remove_file(entry.path()).unwrap_or_else(|err| {
                        panic!("cannot remove {}: {err}", entry.path().display())
                    });
                }
            }
        } else {
            self.imap_expunge_inbox(who);
        }
    }

    /// The number of messages in the INBOX of `who`, from `SELECT` over IMAPS.
    ///
    /// # Panics
    /// When the server does not answer as IMAP should.
    pub fn inbox_count(&self, who: &str) -> usize {
        let lines = self.imap_inbox(who, &[]);
        lines
            .iter()
            .rev()
            .find_map(|line| {
                line.strip_prefix("* ")?
                    .strip_suffix(" EXISTS")?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{}: no EXISTS after SELECT: {lines:?}", self.name()))
    }

    /// Empties the INBOX of `who` and appends `messages` to it, in order.
    pub fn fill(&self, who: &str, messages: &[Vec<u8>]) {
        self.empty_mailbox(who);
        for m in messages {
            self.append(who, "INBOX", m);
        }
    }

    /// Stores `message` (CRLF line ends) unchanged in `mailbox` of `who`
    /// with IMAP `APPEND` over implicit TLS: every IMAP server keeps an
    /// appended message byte for byte, unlike delivery, which adds headers.
    /// `mailbox` is sent as an IMAP quoted string, so it must be ASCII (a
    /// modified UTF-7 name for others).
    ///
    /// # Panics
    /// When the server refuses the login or the APPEND.
    pub fn append(&self, who: &str, mailbox: &str, message: &[u8]) {
        let (mut conn, mut lines) = self.imap_login(who);
        let command = format!("a1 APPEND {} {{{}}}", quoted(mailbox), message.len());
        conn.send(crate::Line::public(command.as_bytes())).unwrap();
        let go_ahead = String::from_utf8_lossy(conn.read_line().unwrap()).into_owned();
        assert!(
            go_ahead.starts_with('+'),
            "{}: APPEND to {mailbox}: {go_ahead}",
            self.name()
        );
        conn.write_raw(message).unwrap();
        conn.send(crate::Line::public(b"")).unwrap();
        let reply = imap_tagged(&mut conn, "a1", &mut lines);
        assert!(
            reply.starts_with("OK"),
            "{}: APPEND to {mailbox}: {reply}",
            self.name()
        );
        conn.send(crate::Line::public(b"z LOGOUT")).unwrap();
    }

    fn imap_expunge_inbox(&self, who: &str) {
        self.imap_inbox(who, &["STORE 1:* +FLAGS.SILENT (\\Deleted)", "EXPUNGE"]);
    }

    /// Logs `who` in over IMAPS; returns the connection and the lines so far.
    fn imap_login(&self, who: &str) -> (crate::Connection<crate::NetStream>, Vec<String>) {
        let (user, password) = self.account(who);
        let server = self.server("MAILTEST_IMAPS_PORT");
        let mut conn = crate::Connection::connect(&server, crate::Security::Implicit, &self.tls())
            .unwrap_or_else(|err| panic!("{}: IMAPS connect: {err}", self.name()));
        let mut lines = vec![String::from_utf8_lossy(conn.read_line().unwrap()).into_owned()];
        assert!(
            lines[0].starts_with("* OK"),
            "{}: IMAP greeting {lines:?}",
            self.name()
        );
        let login = format!("a LOGIN {} ", quoted(&user));
        let secret = crate::Secret::new(quoted(password.expose()));
        conn.send(crate::Line::with_secret(login.as_bytes(), &secret))
            .unwrap();
        let reply = imap_tagged(&mut conn, "a", &mut lines);
        assert!(
            reply.starts_with("OK"),
            "{}: LOGIN {user}: {reply}",
            self.name()
        );
        (conn, lines)
    }

    /// Logs `who` in over IMAPS, selects INBOX, runs `commands` and returns
    /// every line received. Only `STORE` may be refused (it is, on an empty
    /// mailbox, by some servers).
    fn imap_inbox(&self, who: &str, commands: &[&str]) -> Vec<String> {
        let (mut conn, mut lines) = self.imap_login(who);
        for (n, command) in std::iter::once(&"SELECT INBOX").chain(commands).enumerate() {
            let tag = format!("t{n}");
            conn.send(crate::Line::public(format!("{tag} {command}").as_bytes()))
                .unwrap();
            let reply = imap_tagged(&mut conn, &tag, &mut lines);
            assert!(
                reply.starts_with("OK") || command.starts_with("STORE"),
                "{}: {command}: {reply}",
                self.name()
            );
        }
        conn.send(crate::Line::public(b"z LOGOUT")).unwrap();
        lines
    }
}

/// An IMAP quoted string (RFC 3501 §4.3): `"` and `\` escaped.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Reads up to the reply tagged `tag`, keeping every line in `lines`, and
/// returns the text after the tag.
fn imap_tagged(
    conn: &mut crate::Connection<crate::NetStream>,
    tag: &str,
    lines: &mut Vec<String>,
) -> String {
    let prefix = format!("{tag} ");
    loop {
        let line = String::from_utf8_lossy(conn.read_line().unwrap()).into_owned();
        lines.push(line.clone());
        if let Some(rest) = line.strip_prefix(&prefix) {
            return rest.to_owned();
        }
    }
}

/// Writes `message` into `maildir/tmp`, then moves it into `new` (the
/// maildir protocol), owned like the maildir so the server can change it.
/// Maildir files end lines with LF: servers add the CR when they serve
/// them (a CRLF file would come out with CR CR LF).
fn save_to_maildir(maildir: &Path, message: &[u8]) {
    use std::os::unix::fs::MetadataExt;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("{nanos}.P{}Q{n}.mailkit-test", std::process::id());
    let (tmp, new) = (
        maildir.join("tmp").join(&name),
        maildir.join("new").join(&name),
    );
    std::fs::write(&tmp, lf_line_ends(message))
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", tmp.display()));
    if let Ok(meta) = std::fs::metadata(maildir) {
        // Only root may hand a file to another owner; as that owner it already is.
        let _ = std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()));
    }
    std::fs::rename(&tmp, &new)
        .unwrap_or_else(|err| panic!("cannot move into {}: {err}", new.display()));
}

/// `message` with every CRLF turned into LF.
fn lf_line_ends(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    for (i, &b) in message.iter().enumerate() {
        if !(b == b'\r' && message.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

/// Runs `program args`, feeding it `stdin`.
pub(super) fn run(program: &str, args: &[&str], stdin: Option<&[u8]>) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {program}: {err}"));
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes).unwrap();
    }
    assert!(child.wait().unwrap().success(), "{program} {args:?} failed");
}

#[cfg(test)]
mod tests {
    #[test]
    fn maildir_files_end_lines_with_lf() {
        assert_eq!(
            super::lf_line_ends(b"A: b\r\n\r\nbody\r\nbare\rcr\n"),
            b"A: b\n\nbody\nbare\rcr\n"
        );
    }
}
