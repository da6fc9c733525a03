//! What a line typed at the console means: a command to tag, a command
//! with the user's own tag, or something not to send (a typo).
//!
//! In order: a first word that is a known command gets a tag (`select
//! inbox`); a tag-like first word before a known command is the user's tag
//! (`x1 select inbox`); a first word close to a known command is a typo
//! (`selct inbox` → did you mean select?); a first word typed in capitals
//! is an extension command and gets a tag (`XAPPLEPUSHSERVICE`); a tag-like
//! word before such a word is the user's tag (`t1 XFOO`); anything else is
//! unknown. `:raw LINE` bypasses all this.

use mail_cli::typo::{closest, looks_like_extension, unknown_command};
use mail_imap::raw::COMMANDS;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Typed<'a> {
    /// Send with a new tag.
    Command { command: &'a str, rest: &'a str },
    /// Send with the tag the user typed.
    Tagged {
        tag: &'a str,
        command: &'a str,
        rest: &'a str,
    },
    /// Not sent; the sentence says why.
    Unknown(String),
}

fn first_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    text.split_once(char::is_whitespace)
        .map_or((text, ""), |(word, rest)| (word, rest.trim_start()))
}

fn is_known(word: &str) -> bool {
    COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(word))
}

/// RFC 9051's tag: ASTRING-CHARs except `+`.
fn looks_like_tag(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(&b))
}

pub(crate) fn classify(line: &str) -> Typed<'_> {
    let (first, after) = first_word(line);
    let (second, rest) = first_word(after);
    if is_known(first) {
        return Typed::Command {
            command: first,
            rest: after,
        };
    }
    if looks_like_tag(first) && is_known(second) {
        return Typed::Tagged {
            tag: first,
            command: second,
            rest,
        };
    }
    if closest(first, COMMANDS).is_none() {
        if looks_like_extension(first) {
            return Typed::Command {
                command: first,
                rest: after,
            };
        }
        if looks_like_tag(first)
            && looks_like_extension(second)
            && closest(second, COMMANDS).is_none()
        {
            return Typed::Tagged {
                tag: first,
                command: second,
                rest,
            };
        }
    }
    Typed::Unknown(unknown_command(
        first,
        COMMANDS,
        "and :raw TAG COMMAND ... sends a line as typed",
    ))
}

/// `:raw` lines: the first word is the tag, sent as typed.
pub(crate) fn raw(line: &str) -> Typed<'_> {
    let (tag, after) = first_word(line);
    let (command, rest) = first_word(after);
    if looks_like_tag(tag) && !command.is_empty() {
        Typed::Tagged { tag, command, rest }
    } else {
        Typed::Unknown("give a tag and a command, e.g. :raw t1 XFOO arg".into())
    }
}

/// The words of a local command: split at spaces, `"..."` one word
/// (`\\"` and `\\\\` inside); `None` for an unbalanced quote.
pub(crate) fn words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => word.push(chars.next()?),
                    other => word.push(other),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_command_words_may_be_quoted() {
        assert_eq!(
            words(r#"append "보낸편지함" msg.eml"#).unwrap(),
            ["append", "보낸편지함", "msg.eml"]
        );
        assert_eq!(
            words(r#"append "a \"b\" c" "my file.eml""#).unwrap(),
            ["append", "a \"b\" c", "my file.eml"]
        );
        assert_eq!(words("  show   1 ").unwrap(), ["show", "1"]);
        assert_eq!(words(r#"append "open"#), None);
    }

    fn unknown(line: &str) -> String {
        match classify(line) {
            Typed::Unknown(why) => why,
            other => panic!("{line:?} taken for {other:?}"),
        }
    }

    #[test]
    fn known_commands_get_a_tag() {
        assert_eq!(
            classify("select inbox"),
            Typed::Command {
                command: "select",
                rest: "inbox"
            }
        );
        assert_eq!(
            classify("  list \"\" \"*\""),
            Typed::Command {
                command: "list",
                rest: "\"\" \"*\""
            }
        );
        assert_eq!(
            classify("UID fetch 1:* flags"),
            Typed::Command {
                command: "UID",
                rest: "fetch 1:* flags"
            }
        );
        assert_eq!(
            classify("XLIST \"\" *"),
            Typed::Command {
                command: "XLIST",
                rest: "\"\" *"
            }
        );
    }

    #[test]
    fn a_tag_is_kept_before_a_known_command() {
        assert_eq!(
            classify("x9 SELECT no-such-box"),
            Typed::Tagged {
                tag: "x9",
                command: "SELECT",
                rest: "no-such-box"
            }
        );
        assert_eq!(
            classify("A001 login a b"),
            Typed::Tagged {
                tag: "A001",
                command: "login",
                rest: "a b"
            }
        );
        assert_eq!(
            classify("t1 XFOO 1 2"),
            Typed::Tagged {
                tag: "t1",
                command: "XFOO",
                rest: "1 2"
            }
        );
    }

    #[test]
    fn typos_are_reported_with_the_likely_command() {
        assert!(
            unknown("selct inbox").contains("did you mean select?"),
            "{}",
            unknown("selct inbox")
        );
        assert!(unknown("selct INBOX").contains("did you mean select?"));
        assert!(unknown("SELCT INBOX").contains("did you mean select?"));
        assert!(unknown("fecth 1 body[]").contains("did you mean fetch?"));
        assert!(unknown("lgout").contains("did you mean logout?"));
        assert!(unknown("hello world").contains(":help lists the known ones"));
        assert!(unknown("x1 selct inbox").contains(":help"));
        assert!(unknown("xfoo").contains(":raw"));
    }

    #[test]
    fn capitals_mark_an_extension_command() {
        assert_eq!(
            classify("XAPPLEPUSHSERVICE aps-version 2"),
            Typed::Command {
                command: "XAPPLEPUSHSERVICE",
                rest: "aps-version 2"
            }
        );
        assert_eq!(
            classify("X-FOO"),
            Typed::Command {
                command: "X-FOO",
                rest: ""
            }
        );
    }

    #[test]
    fn raw_lines_take_the_first_word_as_the_tag() {
        assert_eq!(
            raw("t1 frob a b"),
            Typed::Tagged {
                tag: "t1",
                command: "frob",
                rest: "a b"
            }
        );
        assert!(matches!(raw("frob"), Typed::Unknown(_)));
    }
}
