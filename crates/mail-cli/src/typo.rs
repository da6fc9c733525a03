//! Typed command words checked against the commands a console knows: the
//! closest known one for a typo, and what counts as a deliberate extension
//! command (sent although unknown).

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to
/// `b`, letters compared case-insensitively (optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    // rows[i][j]: distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i;
        }
    }
    if let Some(top) = rows.first_mut() {
        for (j, cell) in top.iter_mut().enumerate() {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let at = |r: &Vec<Vec<usize>>, i: usize, j: usize| {
                r.get(i)
                    .and_then(|row| row.get(j))
                    .copied()
                    .unwrap_or(usize::MAX / 2)
            };
            let cost = usize::from(a.get(i - 1) != b.get(j - 1));
            let mut best = (at(&rows, i - 1, j) + 1)
                .min(at(&rows, i, j - 1) + 1)
                .min(at(&rows, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                best = best.min(at(&rows, i - 2, j - 2) + 1);
            }
            if let Some(cell) = rows.get_mut(i).and_then(|row| row.get_mut(j)) {
                *cell = best;
            }
        }
    }
    rows.get(a.len())
        .and_then(|row| row.get(b.len()))
        .copied()
        .unwrap_or(usize::MAX)
}

/// The known command `word` most likely stands for: at most one edit away
/// for words of up to four letters, two for longer ones; none when nothing
/// is that close.
pub fn closest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (distance(word, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// True for a word typed as a deliberate extension command: `X`-prefixed
/// (`XLIST`, `X-FOO`) or written in capitals (`GETJMAPACCESS`): a
/// capital letter first, at least three letters (so tags such as `A001`
/// are not taken for one), then letters, digits, `-`, `_` and `.` only.
pub fn looks_like_extension(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().filter(char::is_ascii_alphabetic).count() >= 3
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// The sentence for an unknown command: the likely one, or where the list is.
pub fn unknown_command(word: &str, known: &[&str], forced_send: &str) -> String {
    match closest(word, known) {
        Some(guess) => format!(
            "unknown command {word:?} (did you mean {}?); :help lists the known ones",
            guess.to_ascii_lowercase()
        ),
        None => format!("unknown command {word:?}; :help lists the known ones, {forced_send}"),
    }
}

/// The known commands for `:help`, lower case, in lines of at most 78
/// columns, each indented by two spaces.
pub fn command_list(known: &[&str]) -> String {
    let mut out = String::new();
    let mut line = String::from(" ");
    for word in known {
        if line.len() + 1 + word.len() > 78 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(&word.to_ascii_lowercase());
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_list_wraps() {
        let list = command_list(&["STAT"; 30]);
        assert!(list.starts_with("  stat stat"));
        assert!(
            list.lines()
                .all(|l| l.len() <= 78 && l.starts_with("  stat")),
            "{list}"
        );
        assert_eq!(list.matches("stat").count(), 30);
    }

    #[test]
    fn distances_count_swaps_as_one_edit() {
        assert_eq!(distance("selct", "SELECT"), 1);
        assert_eq!(distance("fecth", "fetch"), 1);
        assert_eq!(distance("lgout", "LOGOUT"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", "abc"), 0);
        assert_eq!(distance("a1", "ID"), 2);
    }

    #[test]
    fn the_closest_command_within_reach() {
        let known = ["SELECT", "EXAMINE", "FETCH", "LIST", "LSUB", "ID", "UID"];
        assert_eq!(closest("selct", &known), Some("SELECT"));
        assert_eq!(closest("exmaine", &known), Some("EXAMINE"));
        assert_eq!(closest("lst", &known), Some("LIST"));
        assert_eq!(closest("a1", &known), None);
        assert_eq!(closest("frobnicate", &known), None);
    }

    #[test]
    fn extensions_are_typed_in_capitals() {
        assert!(looks_like_extension("XLIST"));
        assert!(looks_like_extension("X-FOO"));
        assert!(looks_like_extension("GETJMAPACCESS"));
        assert!(!looks_like_extension("xfoo"));
        assert!(!looks_like_extension("Select"));
        assert!(!looks_like_extension("A1"));
        assert!(!looks_like_extension("A001"));
        assert!(!looks_like_extension("12"));
        assert!(looks_like_extension("X2FA"));
    }
}
