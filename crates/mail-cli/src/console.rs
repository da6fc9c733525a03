//! Where console commands come from: `-c` arguments, a script on stdin, or a
//! person at a terminal (line editing and history).

use std::collections::VecDeque;
use std::io::{BufRead, IsTerminal};

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
}
