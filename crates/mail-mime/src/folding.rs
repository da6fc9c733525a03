//! Header field folding for the builder (RFC 5322 §2.2.3): lines of about
//! 78 characters, broken only before existing white space, never over 998.

use crate::BuildError;

/// Preferred line length (RFC 5322 §2.1.1).
const FOLD_AT: usize = 78;
/// Hard limit on a line, without its CRLF.
const MAX_LINE: usize = 998;

/// Appends `Name: value` folded, ended by CRLF. `value` must hold no CR/LF.
pub(crate) fn fold_header(
    name: &str,
    value: &str,
    what: &'static str,
    out: &mut Vec<u8>,
) -> Result<(), BuildError> {
    let start = out.len();
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b":");
    if !value.is_empty() && !value.starts_with([' ', '\t']) {
        out.push(b' ');
    }
    let mut line_len = out.len() - start;
    let bytes = value.as_bytes();
    // Split into segments each starting at a white-space run (except the first).
    let mut seg_start = 0;
    let mut i = 0;
    let push_segment =
        |seg: &[u8], out: &mut Vec<u8>, line_len: &mut usize| -> Result<(), BuildError> {
            let starts_ws = seg.first().is_some_and(|b| *b == b' ' || *b == b'\t');
            let has_word = seg.iter().any(|b| *b != b' ' && *b != b'\t');
            if starts_ws && has_word && *line_len + seg.len() > FOLD_AT && *line_len > 1 {
                out.extend_from_slice(b"\r\n");
                *line_len = 0;
            }
            out.extend_from_slice(seg);
            *line_len += seg.len();
            if *line_len > MAX_LINE {
                return Err(BuildError::LineTooLong { what });
            }
            Ok(())
        };
    while i < bytes.len() {
        let ws_here = matches!(bytes.get(i), Some(b' ' | b'\t'));
        let prev_ws = i > 0 && matches!(bytes.get(i - 1), Some(b' ' | b'\t'));
        if ws_here && !prev_ws && i > seg_start {
            push_segment(
                bytes.get(seg_start..i).unwrap_or_default(),
                out,
                &mut line_len,
            )?;
            seg_start = i;
        }
        i += 1;
    }
    push_segment(
        bytes.get(seg_start..).unwrap_or_default(),
        out,
        &mut line_len,
    )?;
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(name: &str, value: &str) -> String {
        let mut out = Vec::new();
        fold_header(name, value, "test", &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn short_value_stays_on_one_line() {
        assert_eq!(fold("Subject", "hello world"), "Subject: hello world\r\n");
        assert_eq!(fold("Subject", ""), "Subject:\r\n");
    }

    #[test]
    fn long_value_folds_before_white_space_and_unfolds_back() {
        let value = (0..40)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let folded = fold("Subject", &value);
        assert!(folded.ends_with("\r\n"));
        for line in folded.trim_end().split("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        let unfolded = folded.trim_end().replace("\r\n", "");
        assert_eq!(unfolded, format!("Subject: {value}"));
    }

    #[test]
    fn multiple_spaces_survive_folding() {
        let value = format!("{}   {}", "a".repeat(70), "b".repeat(20));
        let folded = fold("X", &value);
        assert_eq!(folded.trim_end().replace("\r\n", ""), format!("X: {value}"));
    }

    #[test]
    fn overlong_word_is_refused() {
        let mut out = Vec::new();
        let err = fold_header("X", &"a".repeat(1200), "header value", &mut out).unwrap_err();
        assert!(matches!(err, BuildError::LineTooLong { .. }));
    }

    #[test]
    fn trailing_white_space_does_not_make_an_empty_line() {
        let value = format!("{} {}   ", "a".repeat(60), "b".repeat(30));
        let folded = fold("X", &value);
        assert!(!folded.contains("\r\n \r\n") && !folded.contains("\r\n  \r\n"));
        assert_eq!(
            folded.trim_end_matches("\r\n").replace("\r\n", ""),
            format!("X: {value}")
        );
    }
}
