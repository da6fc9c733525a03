//! IDLE (RFC 2177) for the blocking client: until a condition or a time limit.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::requests;
use crate::response::Untagged;
use crate::sans_io::{Idle, IdleEvent};
use crate::{IdleOutcome, Selected, Session};

impl<S: Read + Write> Session<S> {
    /// IDLE (RFC 2177) until an update makes `stop` true, `stop_now` says so
    /// between reads, or `limit` passes; then DONE. Updates also change the
    /// mailbox state. `stop_now` and `limit` are checked whenever a read
    /// times out, so their resolution is the socket time-out
    /// ([`Server::timeout`](crate::Server::timeout); see [`Client::set_patience`](crate::Client::set_patience) for a short one).
    ///
    /// # Errors
    /// [`Error::Unsupported`] without IDLE; rejection; the connection.
    pub fn idle(
        &mut self,
        limit: Duration,
        mut stop: impl FnMut(&Untagged) -> bool,
        mut stop_now: impl FnMut() -> bool,
    ) -> Result<IdleOutcome, Error> {
        requests::check_idle(&self.core)?;
        let mut idle = Idle::new(self.core.next_tag());
        self.core
            .conn
            .send(mail_wire::Line::public(&idle.command_line()))?;
        let mut outcome = IdleOutcome {
            updates: Vec::new(),
            timed_out: false,
        };
        // An update may arrive before the `+` (RFC 2177 lets the server
        // send untagged data at any time); it counts like any other.
        let mut done = false;
        while !idle.is_idling() {
            let response = self.core.read_response()?;
            match idle.receive(response)? {
                IdleEvent::Update(u) => {
                    self.core.absorb(&u);
                    done |= stop(&u);
                    outcome.updates.push(u);
                }
                IdleEvent::Completed(t) => return Err(crate::error::rejection("IDLE", t)),
                _ => {}
            }
        }
        let deadline = Instant::now() + limit;
        while !done {
            if Instant::now() >= deadline {
                outcome.timed_out = true;
                break;
            }
            if stop_now() {
                break;
            }
            let Some(response) = self.core.poll_response()? else {
                continue;
            };
            if let IdleEvent::Update(u) = idle.receive(response)? {
                self.core.absorb(&u);
                done = stop(&u);
                outcome.updates.push(u);
            }
        }
        self.core.conn.send(mail_wire::Line::public(idle.done()))?;
        self.core.finish(idle.tag(), "IDLE", &mut outcome.updates)?;
        Ok(outcome)
    }
}

impl<S: Read + Write> Selected<S> {
    /// IDLE: see [`Session::idle`].
    ///
    /// # Errors
    /// As [`Session::idle`].
    pub fn idle(
        &mut self,
        limit: Duration,
        stop: impl FnMut(&Untagged) -> bool,
        stop_now: impl FnMut() -> bool,
    ) -> Result<IdleOutcome, Error> {
        self.session.idle(limit, stop, stop_now)
    }
}
