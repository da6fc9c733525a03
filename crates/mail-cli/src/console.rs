//! Where console commands come from: `-c` arguments, a script on stdin, or a
//! person at a terminal (line editing and history).

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal, Write};

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

/// The prompt of the interactive consoles.
pub const PROMPT: &str = "C: ";

/// A source of command lines.
pub enum Input {
    /// `-c CMD` arguments, in order.
    Commands(VecDeque<String>),
    /// One command per line from a non-terminal stdin.
    Script(std::io::StdinLock<'static>),
    /// A person at a terminal.
    Editor(Box<DefaultEditor>),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Input::Commands(_) => "Input::Commands",
            Input::Script(_) => "Input::Script",
            Input::Editor(_) => "Input::Editor",
        })
    }
}

impl Input {
    /// `-c` commands when given; otherwise the line editor on a terminal, or
    /// stdin read line by line.
    pub fn new(commands: Vec<String>) -> Self {
        if !commands.is_empty() {
            return Input::Commands(commands.into());
        }
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            if let Ok(editor) = DefaultEditor::new() {
                return Input::Editor(Box::new(editor));
            }
        }
        Input::Script(stdin.lock())
    }

    /// True when a person types the commands.
    pub fn is_interactive(&self) -> bool {
        matches!(self, Input::Editor(_))
    }

    /// The next command, without its line end; `None` at the end of input
    /// (Ctrl-D at a terminal). Ctrl-C at the prompt gives an empty line.
    pub fn next_line(&mut self) -> Option<String> {
        match self {
            Input::Commands(commands) => commands.pop_front(),
            Input::Script(stdin) => {
                let mut line = String::new();
                match stdin.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
                }
            }
            Input::Editor(editor) => match editor.readline(PROMPT) {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    Some(line)
                }
                Err(ReadlineError::Interrupted) => Some(String::new()),
                Err(_) => None,
            },
        }
    }

    /// Takes the line just typed (`typed`, as [`next_line`](Self::next_line)
    /// returned it) off the terminal, so that the transcript's copy of what
    /// went on the wire (with its tag) is the only one shown. Does nothing
    /// unless a person types at a terminal.
    pub fn erase_typed(&mut self, typed: &str) {
        let Input::Editor(editor) = self else { return };
        let Some((columns, _)) = editor.dimensions() else {
            return;
        };
        let rows = typed_rows(typed, columns);
        // Up to the prompt's row, then clear from there to the end of the screen.
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\x1b[{rows}A\r\x1b[J");
        let _ = out.flush();
    }
}

/// Terminal rows the prompt and `typed` took on a screen `columns` wide
/// (a wide character that does not fit at the end of a row starts the next).
fn typed_rows(typed: &str, columns: usize) -> usize {
    let columns = columns.max(2);
    let (mut rows, mut column) = (1, 0);
    for c in PROMPT.chars().chain(typed.chars()) {
        let width = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if column + width > columns {
            rows += 1;
            column = 0;
        }
        column += width;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_wrap_by_display_width() {
        assert_eq!(typed_rows("capability", 80), 1);
        assert_eq!(typed_rows(&"x".repeat(77), 80), 1);
        assert_eq!(typed_rows(&"x".repeat(78), 80), 2);
        // Hangul takes two columns each.
        assert_eq!(typed_rows(&"한".repeat(38), 80), 1);
        assert_eq!(typed_rows(&"한".repeat(39), 80), 2);
        // 3 + 76 columns, then a wide character moves to the next row.
        assert_eq!(typed_rows(&format!("{}한", "x".repeat(76)), 80), 2);
        assert_eq!(typed_rows("", 80), 1);
    }
}
