//! Address lists of parsed mail (RFC 5322 §3.4, obsolete forms of §4.4):
//! display names (atoms, quoted strings, encoded-words), groups flattened,
//! comments removed, routes dropped.

use crate::{encoded_word, Mailbox};

#[derive(Debug)]
enum Token {
    /// An atom or dotted run of atoms, or a lone special we do not act on.
    Word(String),
    /// A quoted string's content, escapes removed.
    Quoted(String),
    /// `<...>` content, white space and comments removed.
    Angle(String),
    Comma,
    Colon,
    Semicolon,
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = s.chars();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => flush(&mut word, &mut tokens),
            '(' => {
                flush(&mut word, &mut tokens);
                skip_comment(&mut chars);
            }
            '"' => {
                flush(&mut word, &mut tokens);
                let mut q = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => q.extend(chars.next()),
                        '\r' | '\n' => {}
                        c => q.push(c),
                    }
                }
                tokens.push(Token::Quoted(q));
            }
            '<' => {
                flush(&mut word, &mut tokens);
                let mut a = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '>' => break,
                        '(' => skip_comment(&mut chars),
                        ' ' | '\t' | '\r' | '\n' => {}
                        '"' => {
                            a.push('"');
                            while let Some(c) = chars.next() {
                                match c {
                                    '"' => break,
                                    '\\' => {
                                        a.push('\\');
                                        a.extend(chars.next());
                                    }
                                    c => a.push(c),
                                }
                            }
                            a.push('"');
                        }
                        c => a.push(c),
                    }
                }
                tokens.push(Token::Angle(a));
            }
            ',' => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Comma);
            }
            ':' => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Colon);
            }
            ';' => {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Semicolon);
            }
            c => {
                // The rest of the run at once (the delimiters are ASCII).
                word.push(c);
                let rest = chars.as_str();
                let run = rest
                    .bytes()
                    .position(|b| {
                        matches!(
                            b,
                            b' ' | b'\t' | b'\r' | b'\n' | b'(' | b'"' | b'<' | b',' | b':' | b';'
                        )
                    })
                    .unwrap_or(rest.len());
                let (run, rest) = rest.split_at(run);
                word.push_str(run);
                chars = rest.chars();
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn skip_comment(chars: &mut std::str::Chars<'_>) {
    let mut depth = 1u32;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            _ => {}
        }
    }
}

/// Drops an obsolete source route: `@a,@b:user@host` -> `user@host`.
fn strip_route(addr: &str) -> &str {
    if addr.starts_with('@') {
        if let Some((_, rest)) = addr.split_once(':') {
            return rest;
        }
    }
    addr
}

#[derive(Default)]
struct Pending {
    words: Vec<(String, bool)>,
    angle: Option<String>,
}

impl Pending {
    fn finish(&mut self, out: &mut Vec<Mailbox>) {
        let words = std::mem::take(&mut self.words);
        match self.angle.take() {
            Some(addr) => {
                let phrase = words
                    .iter()
                    .map(|(w, _)| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                let name = encoded_word::decode_text(phrase.as_bytes(), None)
                    .trim()
                    .to_string();
                let addr = strip_route(&addr).to_string();
                out.push(Mailbox::from_parts(
                    (!name.is_empty()).then_some(name),
                    addr,
                ));
            }
            None if !words.is_empty() => {
                // addr-spec: words glued together (`a . b @ c` is `a.b@c`).
                let addr: String = words
                    .iter()
                    .map(|(w, quoted)| {
                        if *quoted {
                            format!("\"{w}\"")
                        } else {
                            w.clone()
                        }
                    })
                    .collect();
                out.push(Mailbox::from_parts(None, addr));
            }
            None => {}
        }
    }
}

/// Parses an address list (unfolded, raw 8-bit bytes already read, RFC 2047
/// encoded-words not yet decoded: they are decoded per display name, also
/// inside quoted strings as real mail has them); group names and empty
/// entries are dropped, members kept in order.
pub(crate) fn parse_list(value: &str) -> Vec<Mailbox> {
    let mut out = Vec::new();
    let mut cur = Pending::default();
    for token in tokenize(value) {
        match token {
            Token::Word(w) => {
                if cur.angle.is_some() {
                    // Text after `<...>` (junk): ignore it.
                    continue;
                }
                cur.words.push((w, false));
            }
            Token::Quoted(q) => {
                if cur.angle.is_none() {
                    cur.words.push((q, true));
                }
            }
            Token::Angle(a) => {
                if cur.angle.is_none() {
                    cur.angle = Some(a);
                }
            }
            Token::Colon if cur.angle.is_none() => {
                // Group start: its display name is not an address.
                cur.words.clear();
            }
            Token::Colon => {}
            Token::Comma | Token::Semicolon => cur.finish(&mut out),
        }
    }
    cur.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<(Option<String>, String)> {
        parse_list(s)
            .into_iter()
            .map(|m| (m.name().map(str::to_string), m.address().to_string()))
            .collect()
    }

    fn n(name: &str, addr: &str) -> (Option<String>, String) {
        (Some(name.to_string()), addr.to_string())
    }

    fn a(addr: &str) -> (Option<String>, String) {
        (None, addr.to_string())
    }

    #[test]
    fn rfc5322_appendix_a_addresses() {
        // A.1.1
        assert_eq!(
            p("John Doe <jdoe@machine.example>"),
            [n("John Doe", "jdoe@machine.example")]
        );
        // A.1.2
        assert_eq!(
            p("\"Joe Q. Public\" <john.q.public@example.com>"),
            [n("Joe Q. Public", "john.q.public@example.com")]
        );
        assert_eq!(
            p("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
            [
                n("Mary Smith", "mary@x.test"),
                a("jdoe@example.org"),
                n("Who?", "one@y.test")
            ]
        );
        assert_eq!(
            p("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
            [
                a("boss@nil.test"),
                n("Giant; \"Big\" Box", "sysservices@example.net")
            ]
        );
        // A.1.3 groups
        assert_eq!(
            p("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
            [
                n("Ed Jones", "c@a.test"),
                a("joe@where.test"),
                n("John", "jdoe@one.test")
            ]
        );
        assert_eq!(p("Undisclosed recipients:;"), []);
        // A.5 white space and comments
        assert_eq!(
            p("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            [n("Pete", "pete@silly.test")]
        );
        assert_eq!(
            p("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)"),
            [n("Chris Jones", "c@public.example"), a("joe@example.org"), n("John", "jdoe@one.test")]
        );
        // A.6.1 obsolete route and list with empty members
        assert_eq!(
            p("<@machine.tld:mary@example.net>, , jdoe@test   . example"),
            [a("mary@example.net"), a("jdoe@test.example")]
        );
        assert_eq!(
            p("Joe Q. Public <john.q.public@example.com>"),
            [n("Joe Q. Public", "john.q.public@example.com")]
        );
    }

    #[test]
    fn encoded_names_and_comments() {
        assert_eq!(
            p("=?utf-8?B?7ZmN6ri464+Z?= <hong@example.com>"),
            [n("홍길동", "hong@example.com")]
        );
        assert_eq!(
            p("\"=?utf-8?B?7ZmN6ri464+Z?=\" <hong@example.com>"),
            [n("홍길동", "hong@example.com")]
        );
        assert_eq!(
            p("=?utf-8?Q?a?= =?utf-8?Q?b?= plain <x@y>"),
            [n("ab plain", "x@y")]
        );
        assert_eq!(p("jdoe@example.org (John Doe)"), [a("jdoe@example.org")]);
        // Decoded text is never syntax: a comma, quote or bracket inside an
        // encoded-word belongs to the name.
        assert_eq!(
            p("=?utf-8?Q?Doe=2C_John?= <j@x.org>, b@x.org"),
            [n("Doe, John", "j@x.org"), a("b@x.org")]
        );
        assert_eq!(
            p("=?utf-8?B?PGV2aWxAeC5vcmc+?= <j@x.org>"),
            [n("<evil@x.org>", "j@x.org")]
        );
        // Split inside a character, in a quoted string, and beside a comment.
        assert_eq!(
            p("\"=?utf-8?Q?=ED=95?= =?utf-8?Q?=9C?=\" (c =?utf-8?Q?x?=) <h@x.kr>"),
            [n("한", "h@x.kr")]
        );
        assert_eq!(
            p("홍길동 <hong@example.com>"),
            [n("홍길동", "hong@example.com")]
        );
        assert_eq!(p(""), []);
        assert_eq!(p("<unterminated@x"), [a("unterminated@x")]);
    }
}
