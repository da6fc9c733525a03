//! Ctrl-C and SIGTERM during a download: the first one sets a flag that the
//! download checks between messages and while a body arrives, so it stops,
//! commits every complete message and says what it saved; a second one ends
//! the process at once (for a server that stopped sending).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};

/// The signals a download reacts to, once [`Interrupt::install`]ed.
#[derive(Debug, Clone)]
pub struct Interrupt {
    raised: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on.
    ///
    /// # Errors
    /// When a handler cannot be installed.
    pub fn install() -> io::Result<Interrupt> {
        let interrupt = Interrupt::never();
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag still clear on the first
            // signal and set on the second.
            signal_hook::flag::register_conditional_shutdown(
                signal,
                exit_code(signal),
                Arc::clone(&interrupt.raised),
            )?;
            signal_hook::flag::register_usize(
                signal,
                Arc::clone(&interrupt.signal),
                usize::try_from(signal).unwrap_or(0),
            )?;
            signal_hook::flag::register(signal, Arc::clone(&interrupt.raised))?;
        }
        Ok(interrupt)
    }

    /// A flag no signal sets (tests, library use).
    pub fn never() -> Interrupt {
        Interrupt {
            raised: Arc::new(AtomicBool::new(false)),
            signal: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// True once a signal arrived.
    pub fn raised(&self) -> bool {
        self.raised.load(Ordering::SeqCst)
    }

    /// Sets the flag as a signal would (`SIGINT`, `SIGTERM`).
    pub fn raise(&self, signal: i32) {
        self.signal
            .store(usize::try_from(signal).unwrap_or(0), Ordering::SeqCst);
        self.raised.store(true, Ordering::SeqCst);
    }

    /// An error once a signal arrived: what a writer returns to stop a
    /// transfer. Not of kind [`io::ErrorKind::Interrupted`], which
    /// `write_all` would retry.
    ///
    /// # Errors
    /// Once a signal arrived.
    pub fn check(&self) -> io::Result<()> {
        if self.raised() {
            Err(io::Error::other(self.describe()))
        } else {
            Ok(())
        }
    }

    /// `interrupted by SIGINT` (or SIGTERM).
    pub fn describe(&self) -> String {
        let name = match i32::try_from(self.signal.load(Ordering::SeqCst)) {
            Ok(SIGTERM) => "SIGTERM",
            _ => "SIGINT",
        };
        format!("interrupted by {name}")
    }

    /// The shell's convention, 128 + the signal: 130 for SIGINT, 143 for SIGTERM.
    pub fn exit_code(&self) -> u8 {
        let signal = i32::try_from(self.signal.load(Ordering::SeqCst)).unwrap_or(SIGINT);
        u8::try_from(exit_code(if signal == 0 { SIGINT } else { signal })).unwrap_or(130)
    }
}

fn exit_code(signal: i32) -> i32 {
    128 + signal
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    struct Stopping<'a>(&'a Interrupt, &'a mut Vec<u8>);

    impl Write for Stopping<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.check()?;
            self.1.write(buf)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_raised_flag_stops_writers_and_names_the_signal() {
        let interrupt = Interrupt::never();
        assert!(interrupt.check().is_ok());
        interrupt.raise(SIGTERM);
        let err = interrupt.check().unwrap_err();
        let mut sink: Vec<u8> = Vec::new();
        let mut stopped = Stopping(&interrupt, &mut sink);
        assert!(stopped.write_all(b"x").is_err(), "write_all gives up");
        assert_eq!(err.to_string(), "interrupted by SIGTERM");
        assert_eq!(interrupt.exit_code(), 143);
        let interrupt = Interrupt::never();
        interrupt.raise(SIGINT);
        assert_eq!(interrupt.exit_code(), 130);
        assert_eq!(interrupt.describe(), "interrupted by SIGINT");
    }
}
