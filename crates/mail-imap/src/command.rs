//! Commands: values to bytes (RFC 3501 §6 and §9, RFC 7888 LITERAL+).
//!
//! Every string argument is written as an atom, a quoted string or a
//! literal, whichever its bytes allow; user text holding CR, LF or NUL is
//! refused with [`EncodeError`] before anything is sent.

use std::fmt;

use mail_wire::Secret;

/// Why a command cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// CR, LF or NUL in user text where the grammar has no room for it.
    LineBreak {
        /// Which argument.
        what: &'static str,
        /// Byte offset in it.
        at: usize,
    },
    /// An argument that must be an atom (a flag, a command name) is not one.
    NotAnAtom {
        /// Which argument.
        what: &'static str,
    },
    /// An empty argument where the grammar needs at least one byte.
    Empty {
        /// Which argument.
        what: &'static str,
    },
    /// A user name, password or token a SASL mechanism cannot carry
    /// (NUL in PLAIN, `\x01` in XOAUTH2).
    Sasl(mail_wire::sasl::SaslError),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::LineBreak { what, at } => {
                write!(f, "the {what} contains a CR, LF or NUL at byte {at}")
            }
            EncodeError::NotAnAtom { what } => write!(f, "the {what} is not an IMAP atom"),
            EncodeError::Empty { what } => write!(f, "the {what} is empty"),
            EncodeError::Sasl(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<mail_wire::sasl::SaslError> for EncodeError {
    fn from(err: mail_wire::sasl::SaslError) -> Self {
        EncodeError::Sasl(err)
    }
}

/// One piece of a command line.
#[derive(Debug)]
pub(crate) enum Part {
    /// Shown in the transcript as is.
    Text(Vec<u8>),
    /// Goes on the wire; shown as `********`. Always ends its line.
    Secret(Secret),
    /// A literal; its bytes never reach the transcript.
    Literal { bytes: Vec<u8>, secret: bool },
    /// A literal of `size` bytes that the driver copies from its caller's
    /// source (a streamed APPEND).
    Supplied { size: u64 },
}

/// A command without its tag, ready to send.
#[derive(Debug)]
pub struct Command {
    pub(crate) name: &'static str,
    pub(crate) parts: Vec<Part>,
}

/// Which form a string takes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Atom,
    Quoted,
    Literal,
}

fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// The form an `astring` takes; `utf8` when UTF8=ACCEPT is enabled (RFC 6855
/// allows UTF-8 in quoted strings then).
pub(crate) fn astring_form(bytes: &[u8], utf8: bool) -> Form {
    if !bytes.is_empty() && bytes.iter().all(|&b| is_atom_char(b) || b == b']') {
        Form::Atom
    } else if bytes
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) || (utf8 && b >= 0x80))
        && (!utf8 || std::str::from_utf8(bytes).is_ok())
    {
        Form::Quoted
    } else {
        Form::Literal
    }
}

fn check_text(bytes: &[u8], what: &'static str) -> Result<(), EncodeError> {
    match bytes.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(at) => Err(EncodeError::LineBreak { what, at }),
        None => Ok(()),
    }
}

fn quote(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'"');
    for &b in bytes {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

impl Command {
    /// A command named `name` (an atom such as `NOOP` or `UID FETCH`).
    pub fn new(name: &'static str) -> Self {
        Command {
            name,
            parts: vec![Part::Text(name.as_bytes().to_vec())],
        }
    }

    /// The command's verb, for errors (never the arguments).
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn text(&mut self, bytes: &[u8]) {
        if let Some(Part::Text(t)) = self.parts.last_mut() {
            t.extend_from_slice(bytes);
        } else {
            self.parts.push(Part::Text(bytes.to_vec()));
        }
    }

    /// Appends ` ` and an atom or other protocol token the caller built
    /// (a number, a sequence set, a fetch item list).
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL.
    pub fn raw(mut self, token: &str, what: &'static str) -> Result<Self, EncodeError> {
        check_text(token.as_bytes(), what)?;
        self.text(b" ");
        self.text(token.as_bytes());
        Ok(self)
    }

    /// Appends ` ` and a string as atom, quoted string or literal.
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL.
    pub fn astring(
        mut self,
        bytes: &[u8],
        utf8: bool,
        what: &'static str,
    ) -> Result<Self, EncodeError> {
        check_text(bytes, what)?;
        self.text(b" ");
        match astring_form(bytes, utf8) {
            Form::Atom => self.text(bytes),
            Form::Quoted => self.text(&quote(bytes)),
            Form::Literal => self.parts.push(Part::Literal {
                bytes: bytes.to_vec(),
                secret: false,
            }),
        }
        Ok(self)
    }

    /// Appends ` ` and a quoted string or literal (never an atom), for
    /// search strings.
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL.
    pub fn string(
        mut self,
        bytes: &[u8],
        utf8: bool,
        what: &'static str,
    ) -> Result<Self, EncodeError> {
        check_text(bytes, what)?;
        self.text(b" ");
        match astring_form(bytes, utf8) {
            Form::Atom | Form::Quoted => self.text(&quote(bytes)),
            Form::Literal => self.parts.push(Part::Literal {
                bytes: bytes.to_vec(),
                secret: false,
            }),
        }
        Ok(self)
    }

    /// Appends ` ` and search keys typed by the caller (`UNSEEN SUBJECT 안녕`,
    /// `OR (FROM "김") TO bob`). ASCII goes as typed; a word or quoted
    /// string holding non-ASCII goes as a string: a literal, or a quoted
    /// string when `utf8` (UTF8=ACCEPT or IMAP4rev2 enabled). Never modified
    /// UTF-7, which is for mailbox names only. With `charset`, such a string
    /// gets `CHARSET UTF-8` in front of the keys (RFC 3501 §6.4.4) unless
    /// they already start with CHARSET; pass false once UTF8=ACCEPT is
    /// enabled (RFC 6855 §3 forbids it then) and for SORT and THREAD,
    /// whose charset is a mandatory argument the caller writes.
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL; [`EncodeError::Empty`].
    pub fn search_keys(
        mut self,
        criteria: &str,
        utf8: bool,
        charset: bool,
    ) -> Result<Self, EncodeError> {
        check_search(criteria)?;
        let criteria = criteria.trim();
        let pieces = search_pieces(criteria);
        let has_string = pieces.iter().any(|p| matches!(p, SearchPiece::String(_)));
        let typed_charset = criteria
            .split(' ')
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("CHARSET"));
        if charset && has_string && !typed_charset {
            self.text(b" CHARSET UTF-8");
        }
        self.text(b" ");
        for piece in pieces {
            match piece {
                SearchPiece::Verbatim(text) => self.text(text.as_bytes()),
                SearchPiece::String(text) if utf8 => self.text(&quote(text.as_bytes())),
                SearchPiece::String(text) => self.parts.push(Part::Literal {
                    bytes: text.into_bytes(),
                    secret: false,
                }),
            }
        }
        Ok(self)
    }

    /// Appends ` ` and a mailbox name: modified UTF-7 unless `utf8`; `INBOX`
    /// in any case is sent as `INBOX` (RFC 3501 §5.1).
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL.
    pub fn mailbox(self, name: &str, utf8: bool) -> Result<Self, EncodeError> {
        check_text(name.as_bytes(), "mailbox name")?;
        if name.eq_ignore_ascii_case("INBOX") {
            return self.raw("INBOX", "mailbox name");
        }
        let wire = if utf8 {
            name.to_owned()
        } else {
            crate::utf7::encode(name)
        };
        self.astring(wire.as_bytes(), utf8, "mailbox name")
    }

    /// Appends ` ` and a secret as a quoted string (shown masked) or a literal.
    ///
    /// # Errors
    /// [`EncodeError::LineBreak`] for CR, LF or NUL.
    pub fn secret(mut self, secret: &Secret, utf8: bool) -> Result<Self, EncodeError> {
        let bytes = secret.expose().as_bytes();
        check_text(bytes, "password")?;
        if bytes.is_empty() {
            self.text(b" \"\"");
            return Ok(self);
        }
        self.text(b" ");
        match astring_form(bytes, utf8) {
            Form::Atom | Form::Quoted => {
                let quoted = String::from_utf8_lossy(&quote(bytes)).into_owned();
                self.parts.push(Part::Secret(Secret::new(quoted)));
            }
            Form::Literal => self.parts.push(Part::Literal {
                bytes: bytes.to_vec(),
                secret: true,
            }),
        }
        Ok(self)
    }

    /// Appends ` ` and a literal (an APPEND message).
    pub fn literal(mut self, bytes: Vec<u8>) -> Self {
        self.text(b" ");
        self.parts.push(Part::Literal {
            bytes,
            secret: false,
        });
        self
    }

    /// Appends ` ` and a literal of `size` bytes that are not held here:
    /// [`CommandSender`](crate::sans_io::CommandSender) asks for them with
    /// [`SendStep::Supply`](crate::sans_io::SendStep::Supply), and the
    /// driver copies them from its source (an APPEND from a reader).
    pub fn supplied_literal(mut self, size: u64) -> Self {
        self.text(b" ");
        self.parts.push(Part::Supplied { size });
        self
    }

    /// Appends ` (flag flag ...)`.
    ///
    /// # Errors
    /// [`EncodeError::NotAnAtom`] for a flag that is not `\atom` or an atom.
    pub fn flag_list(mut self, flags: &[&str]) -> Result<Self, EncodeError> {
        let mut out = b" (".to_vec();
        for (i, flag) in flags.iter().enumerate() {
            let body = flag.strip_prefix('\\').unwrap_or(flag);
            if body.is_empty() || !body.bytes().all(is_atom_char) {
                return Err(EncodeError::NotAnAtom { what: "flag" });
            }
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(flag.as_bytes());
        }
        out.push(b')');
        self.text(&out);
        Ok(self)
    }

    /// The command as one byte string with `tag`, each literal right after
    /// its announcement (`{n}` or `{n+}`), for tests and logs. A client
    /// sends through [`CommandSender`](crate::sans_io::CommandSender), which
    /// holds a synchronizing literal back until the server asks for it.
    pub fn to_bytes(&self, tag: &str, literal_plus: bool) -> Vec<u8> {
        let mode = if literal_plus {
            crate::sans_io::LiteralMode::NonSynchronizing
        } else {
            crate::sans_io::LiteralMode::Synchronizing
        };
        crate::sans_io::encode_all(tag, self, mode)
    }
}

/// A piece of typed search keys.
#[derive(Debug, PartialEq, Eq)]
enum SearchPiece<'a> {
    /// ASCII as typed: keys, spaces, parentheses, ASCII strings.
    Verbatim(&'a str),
    /// A non-ASCII word or quoted string, unquoted.
    String(String),
}

/// Splits typed search keys into verbatim ASCII and non-ASCII strings.
fn search_pieces(criteria: &str) -> Vec<SearchPiece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = criteria;
    while let Some(first) = rest.chars().next() {
        let (token, after) = if first == '"' {
            let end = quoted_end(rest).unwrap_or(rest.len());
            rest.split_at(end)
        } else if matches!(first, ' ' | '(' | ')') {
            rest.split_at(1)
        } else {
            rest.split_at(rest.find([' ', '(', ')', '"']).unwrap_or(rest.len()))
        };
        if token.is_ascii() {
            pieces.push(SearchPiece::Verbatim(token));
        } else if let Some(inner) = token
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|_| token.len() >= 2)
        {
            pieces.push(SearchPiece::String(unquote(inner)));
        } else {
            pieces.push(SearchPiece::String(token.to_owned()));
        }
        rest = after;
    }
    pieces
}

/// The byte after the closing quote of the quoted string `text` starts
/// with, honouring `\` escapes; `None` when it is not closed.
pub(crate) fn quoted_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The text of a quoted string's inside, escapes removed.
pub(crate) fn unquote(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// A search key list typed by the caller (`UNSEEN FROM "bob"`); checked for
/// line breaks only, since the search grammar is open-ended.
///
/// # Errors
/// [`EncodeError::LineBreak`].
pub fn check_search(criteria: &str) -> Result<(), EncodeError> {
    check_text(criteria.as_bytes(), "search criteria")?;
    if criteria.trim().is_empty() {
        return Err(EncodeError::Empty {
            what: "search criteria",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(cmd: Command) -> String {
        String::from_utf8(cmd.to_bytes("a1", false)).unwrap()
    }

    #[test]
    fn strings_take_the_lightest_form() {
        let table: &[(&[u8], &str)] = &[
            (b"alice", "a1 X alice\r\n"),
            (b"two words", "a1 X \"two words\"\r\n"),
            (b"q\"uo\\te", "a1 X \"q\\\"uo\\\\te\"\r\n"),
            (b"", "a1 X \"\"\r\n"),
            ("비밀".as_bytes(), "a1 X {6}\r\n비밀\r\n"),
            (b"a]b", "a1 X a]b\r\n"),
            (b"a*b", "a1 X \"a*b\"\r\n"),
            (b"{5}", "a1 X \"{5}\"\r\n"),
        ];
        for (arg, expected) in table {
            assert_eq!(
                wire(Command::new("X").astring(arg, false, "arg").unwrap()),
                *expected
            );
        }
    }

    #[test]
    fn utf8_accept_quotes_non_ascii() {
        let cmd = Command::new("X")
            .astring("비밀 번호".as_bytes(), true, "arg")
            .unwrap();
        assert_eq!(wire(cmd), "a1 X \"비밀 번호\"\r\n");
        let invalid = Command::new("X").astring(b"\xff", true, "arg").unwrap();
        assert_eq!(invalid.to_bytes("a1", false), b"a1 X {1}\r\n\xff\r\n");
    }

    #[test]
    fn line_breaks_in_user_text_are_refused() {
        for bad in [&b"a\r\nb"[..], b"x\ny", b"nul\0"] {
            assert!(matches!(
                Command::new("X").astring(bad, false, "arg"),
                Err(EncodeError::LineBreak { what: "arg", .. })
            ));
            assert!(matches!(
                Command::new("X").string(bad, true, "arg"),
                Err(EncodeError::LineBreak { .. })
            ));
        }
        let err = Command::new("SELECT")
            .mailbox("in\r\nA1 DELETE INBOX", false)
            .unwrap_err();
        assert_eq!(
            err,
            EncodeError::LineBreak {
                what: "mailbox name",
                at: 2
            }
        );
        assert!(Command::new("LOGIN")
            .secret(&Secret::new("pw\r\nx"), false)
            .is_err());
        assert!(check_search("ALL\r\nA2 LOGOUT").is_err());
        assert!(check_search("  ").is_err());
        assert!(Command::new("FETCH")
            .raw("1 (FLAGS)\n", "fetch items")
            .is_err());
    }

    #[test]
    fn mailboxes_are_modified_utf7_and_inbox_is_normalized() {
        assert_eq!(
            wire(
                Command::new("SELECT")
                    .mailbox("내게쓴메일함", false)
                    .unwrap()
            ),
            "a1 SELECT &sLSsjMT0ulTHfNVo-\r\n"
        );
        assert_eq!(
            wire(Command::new("SELECT").mailbox("inbox", false).unwrap()),
            "a1 SELECT INBOX\r\n"
        );
        assert_eq!(
            wire(Command::new("CREATE").mailbox("R&D dept", false).unwrap()),
            "a1 CREATE \"R&-D dept\"\r\n"
        );
        assert_eq!(
            wire(Command::new("CREATE").mailbox("내게", true).unwrap()),
            "a1 CREATE \"내게\"\r\n"
        );
    }

    #[test]
    fn secrets_are_quoted_or_literal_and_marked() {
        let cmd = Command::new("LOGIN")
            .astring(b"carol", false, "user")
            .unwrap()
            .secret(&Secret::new("c4rol pa\"ss\\word"), false)
            .unwrap();
        assert!(matches!(cmd.parts.last(), Some(Part::Secret(_))));
        assert_eq!(wire(cmd), "a1 LOGIN carol \"c4rol pa\\\"ss\\\\word\"\r\n");
        let cmd = Command::new("LOGIN")
            .astring(b"carol", false, "user")
            .unwrap()
            .secret(&Secret::new("비밀"), false)
            .unwrap();
        assert!(matches!(
            cmd.parts.last(),
            Some(Part::Literal { secret: true, .. })
        ));
        let plus = Command::new("LOGIN")
            .astring(b"u", false, "user")
            .unwrap()
            .secret(&Secret::new("é"), false)
            .unwrap();
        assert_eq!(
            plus.to_bytes("a1", true),
            "a1 LOGIN u {2+}\r\né\r\n".as_bytes()
        );
    }

    #[test]
    fn non_ascii_search_strings_are_literals_with_charset_never_utf7() {
        let table: &[(&str, bool, bool, &str)] = &[
            (
                "SUBJECT 안녕",
                false,
                true,
                "a1 SEARCH CHARSET UTF-8 SUBJECT {6}\r\n안녕\r\n",
            ),
            (
                "subject \"안녕 하세요\" UNSEEN",
                false,
                true,
                "a1 SEARCH CHARSET UTF-8 subject {16}\r\n안녕 하세요 UNSEEN\r\n",
            ),
            (
                "OR (FROM 김) TO bob",
                false,
                true,
                "a1 SEARCH CHARSET UTF-8 OR (FROM {3}\r\n김) TO bob\r\n",
            ),
            (
                "CHARSET UTF-8 BODY 안녕",
                false,
                true,
                "a1 SEARCH CHARSET UTF-8 BODY {6}\r\n안녕\r\n",
            ),
            (
                "SUBJECT \"a\\\"b\"",
                false,
                true,
                "a1 SEARCH SUBJECT \"a\\\"b\"\r\n",
            ),
            ("UNSEEN", false, true, "a1 SEARCH UNSEEN\r\n"),
            // UTF8=ACCEPT enabled: a quoted string, and no CHARSET (RFC 6855 §3).
            (
                "SUBJECT 안녕",
                true,
                false,
                "a1 SEARCH SUBJECT \"안녕\"\r\n",
            ),
            // IMAP4rev2 without UTF8=ACCEPT: quoted, CHARSET kept.
            (
                "SUBJECT 안녕",
                true,
                true,
                "a1 SEARCH CHARSET UTF-8 SUBJECT \"안녕\"\r\n",
            ),
        ];
        for (criteria, utf8, charset, expected) in table {
            let got = wire(
                Command::new("SEARCH")
                    .search_keys(criteria, *utf8, *charset)
                    .unwrap(),
            );
            assert_eq!(got, *expected, "{criteria}");
            assert!(!got.contains('&'), "never modified UTF-7: {got}");
        }
        assert!(Command::new("SEARCH")
            .search_keys("SUBJECT 안\r\n녕", false, true)
            .is_err());
        assert!(Command::new("SEARCH")
            .search_keys(" ", false, true)
            .is_err());
    }

    #[test]
    fn search_pieces_survive_unterminated_quotes() {
        assert_eq!(
            search_pieces("SUBJECT \"안녕"),
            [
                SearchPiece::Verbatim("SUBJECT"),
                SearchPiece::Verbatim(" "),
                SearchPiece::String("\"안녕".into())
            ]
        );
        assert_eq!(unquote(r#"a\"b\\c"#), r#"a"b\c"#);
    }

    #[test]
    fn flag_lists_accept_system_and_keyword_flags_only() {
        assert_eq!(
            wire(
                Command::new("STORE")
                    .raw("1", "set")
                    .unwrap()
                    .raw("+FLAGS", "item")
                    .unwrap()
                    .flag_list(&["\\Seen", "$Label1"])
                    .unwrap()
            ),
            "a1 STORE 1 +FLAGS (\\Seen $Label1)\r\n"
        );
        for bad in ["", "\\", "a b", "x)", "\\Seen\r\n"] {
            assert!(Command::new("STORE").flag_list(&[bad]).is_err(), "{bad:?}");
        }
    }
}
