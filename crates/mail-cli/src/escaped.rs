//! Server bytes shown on a terminal: written line by line with control
//! characters escaped, so a message cannot send escape sequences to the
//! terminal. A file or pipe gets the bytes as they are instead.

use std::io::{self, Write};

/// Escapes each complete line into `out`; [`finish`](Self::finish) writes
/// a last line that had no line end.
pub struct EscapedLines<W: Write> {
    out: W,
    partial: Vec<u8>,
}

impl<W: Write> EscapedLines<W> {
    /// Wraps `out`.
    pub fn new(out: W) -> Self {
        EscapedLines {
            out,
            partial: Vec::new(),
        }
    }

    /// Writes the unfinished last line, if any.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            let _ = writeln!(self.out, "{}", mail_wire::escape_for_display(&line));
        }
    }
}

impl<W: Write> Write for EscapedLines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = std::mem::take(&mut self.partial);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                writeln!(self.out, "{}", mail_wire::escape_for_display(line))?;
            } else {
                self.partial.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_bytes_reach_a_terminal_escaped_line_by_line() {
        let mut screen = Vec::new();
        let mut escaped = EscapedLines::new(&mut screen);
        escaped
            .write_all(b"Subject: \x1b]0;owned\x07\r\nbo")
            .unwrap();
        escaped.write_all(b"dy\r\nno line end").unwrap();
        escaped.finish();
        assert_eq!(
            String::from_utf8(screen).unwrap(),
            "Subject: \\x1b]0;owned\\x07\nbody\nno line end\n"
        );
    }
}
