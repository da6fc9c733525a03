//! The text `--help` ends with: examples, exit codes and, for the consoles,
//! the `:` commands (clap's `after_help`).

/// DESIGN.md's exit codes, as `--help` lists them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  ok
  2  usage: a bad flag, argument or local command
  3  connection, TLS or time-out failure
  4  authentication rejected by the server
  5  a command rejected by the server (non-interactive use)
  6  the server broke the protocol or a limit";

/// `Examples:` with `examples` (one command a line), the console's help
/// text when there is one, then [`EXIT_CODES`].
pub fn after_help(examples: &str, console: Option<&str>) -> String {
    let mut text = String::from("Examples:\n");
    for line in examples.lines() {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    if let Some(console) = console {
        text.push_str("\nConsole (also shown by :help):\n");
        for line in console.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text.push('\n');
    text.push_str(EXIT_CODES);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_help_has_examples_console_and_exit_codes_in_order() {
        let text = after_help("prog a\nprog b", Some(":help   this text"));
        let examples = text.find("Examples:\n  prog a\n  prog b\n").unwrap();
        let console = text.find("  :help   this text").unwrap();
        let codes = text.find("Exit codes:").unwrap();
        assert!(examples < console && console < codes, "{text}");
        assert!(text.ends_with("6  the server broke the protocol or a limit"));
        assert!(!after_help("prog", None).contains("Console"));
    }
}
