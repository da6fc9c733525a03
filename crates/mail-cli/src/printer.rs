//! The `C:` / `S:` transcript on stdout, as the original scripts printed it.

use std::io::Write;

use mail_wire::{Direction, Transcript};

/// Prints each line as `C: ...` or `S: ...` on stdout.
#[derive(Debug, Default)]
pub struct Printer;

impl Transcript for Printer {
    fn line(&mut self, direction: Direction, shown: &str) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (e.g. `| head`) must not kill the session mid-protocol.
        let _ = writeln!(out, "{}: {shown}", direction.label());
        let _ = out.flush();
    }
}

impl crate::NetArgs {
    /// The transcript to install: the printer, or none with `-q`.
    pub fn transcript(&self) -> Option<Box<dyn Transcript + Send>> {
        (!self.quiet).then(|| Box::new(Printer) as Box<dyn Transcript + Send>)
    }
}
