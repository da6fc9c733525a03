//! How many pipelined commands are in flight (RFC 2449 §6.6): a window
//! of commands goes out at once and is refilled when half of it has been
//! answered. No I/O; both drivers follow it.

use std::ops::Range;

/// Commands in flight at once when the server offers PIPELINING. Small
/// enough that our commands always fit the socket buffers (no deadlock
/// while we write and the server waits for us to read), large enough to
/// keep the server busy.
const PIPELINE_WINDOW: usize = 128;

/// The schedule of `total` commands answered in order.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    total: usize,
    size: usize,
    sent: usize,
}

impl Window {
    /// With `pipelining` off, one command at a time (lock step).
    pub(crate) fn new(total: usize, pipelining: bool) -> Self {
        let size = if pipelining { PIPELINE_WINDOW } else { 1 };
        Window {
            total,
            size,
            sent: 0,
        }
    }

    /// Before reading the reply to command number `done` (counted from
    /// 0): the commands to send now, then flush; empty when none is due.
    pub(crate) fn refill(&mut self, done: usize) -> Range<usize> {
        let from = self.sent;
        if from == done || (from < self.total && from - done <= self.size / 2) {
            self.sent = self.total.min(done + self.size);
        }
        from..self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_step_without_pipelining() {
        let mut w = Window::new(3, false);
        assert_eq!([w.refill(0), w.refill(1), w.refill(2)], [0..1, 1..2, 2..3]);
    }

    #[test]
    fn the_window_is_refilled_at_half() {
        let mut w = Window::new(300, true);
        assert_eq!(w.refill(0), 0..128);
        assert!(w.refill(63).is_empty());
        assert_eq!(w.refill(64), 128..192);
        assert!(w.refill(65).is_empty());
        assert_eq!(w.refill(128), 192..256);
        assert_eq!(w.refill(192), 256..300);
        assert!(w.refill(299).is_empty());
    }
}
