//! IDLE (RFC 2177): the command, the server's `+ idling`, updates while
//! idle, DONE, and the tagged completion.

use crate::error::Error;
use crate::response::{Response, Tag, Tagged, Untagged};
use crate::sans_io::sending::{completion, Received};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Starting,
    Idling,
    Ending,
    Completed,
}

/// What a response means to an IDLE under way.
#[derive(Debug, PartialEq)]
#[non_exhaustive]
pub enum IdleEvent {
    /// The server accepted IDLE (`+ idling`): wait for updates, then send
    /// [`Idle::DONE`].
    Idling,
    /// An update (EXISTS, EXPUNGE, FETCH flags, ...).
    Update(Untagged),
    /// The tagged completion: OK after DONE, or NO/BAD refusing IDLE.
    Completed(Tagged),
}

/// One IDLE command, with no I/O and no clock: the driver decides when to
/// stop (a time-out, a condition on the updates) and then sends DONE.
#[derive(Debug)]
pub struct Idle {
    tag: Tag,
    state: State,
}

impl Idle {
    /// The line that ends IDLE (send it followed by CRLF).
    pub const DONE: &'static [u8] = b"DONE";

    /// An IDLE under `tag`, not sent yet.
    pub fn new(tag: Tag) -> Self {
        Idle {
            tag,
            state: State::Starting,
        }
    }

    /// The command line to send first (followed by CRLF).
    pub fn command_line(&self) -> Vec<u8> {
        format!("{} IDLE", self.tag).into_bytes()
    }

    /// The command's tag.
    pub fn tag(&self) -> &Tag {
        &self.tag
    }

    /// True between `+ idling` and DONE.
    pub fn is_idling(&self) -> bool {
        self.state == State::Idling
    }

    /// Records that DONE is being sent; returns the line.
    pub fn done(&mut self) -> &'static [u8] {
        self.state = State::Ending;
        Self::DONE
    }

    /// Takes a response that arrived.
    ///
    /// # Errors
    /// A continuation request or tagged completion where none may come
    /// ([`Error::Unexpected`], [`Error::UnexpectedTag`]).
    pub fn receive(&mut self, response: Response) -> Result<IdleEvent, Error> {
        match (self.state, response) {
            (State::Starting, Response::Continuation(_)) => {
                self.state = State::Idling;
                Ok(IdleEvent::Idling)
            }
            (State::Idling, Response::Untagged(u)) => Ok(IdleEvent::Update(u)),
            (State::Idling, other) => Err(Error::Unexpected(format!(
                "{} during IDLE",
                other.describe()
            ))),
            (_, response) => match completion(&self.tag, "IDLE", response)? {
                Received::Completed(t) => {
                    self.state = State::Completed;
                    Ok(IdleEvent::Completed(t))
                }
                Received::Untagged(u) => Ok(IdleEvent::Update(u)),
                Received::Continued => Err(Error::Unexpected("a continuation during IDLE".into())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::parse_response;
    use crate::Status;

    fn response(bytes: &[u8]) -> Response {
        parse_response(bytes).unwrap().0
    }

    #[test]
    fn idle_starts_waits_for_the_go_ahead_and_ends_with_done() {
        let mut idle = Idle::new(Tag("a7".into()));
        assert_eq!(idle.command_line(), b"a7 IDLE");
        assert!(matches!(
            idle.receive(response(b"* 4 EXISTS\r\n")),
            Ok(IdleEvent::Update(_))
        ));
        assert!(!idle.is_idling());
        assert_eq!(
            idle.receive(response(b"+ idling\r\n")).unwrap(),
            IdleEvent::Idling
        );
        assert!(idle.is_idling());
        assert!(matches!(
            idle.receive(response(b"* 5 EXISTS\r\n")),
            Ok(IdleEvent::Update(Untagged::Exists(5)))
        ));
        assert_eq!(idle.done(), b"DONE");
        assert!(matches!(
            idle.receive(response(b"* 6 EXISTS\r\n")),
            Ok(IdleEvent::Update(_))
        ));
        let done = idle
            .receive(response(b"a7 OK IDLE terminated\r\n"))
            .unwrap();
        assert!(matches!(done, IdleEvent::Completed(t) if t.status == Status::Ok));
    }

    #[test]
    fn a_refused_idle_completes_at_once() {
        let mut idle = Idle::new(Tag("a1".into()));
        let done = idle.receive(response(b"a1 BAD no\r\n")).unwrap();
        assert!(matches!(done, IdleEvent::Completed(t) if t.status == Status::Bad));
    }

    #[test]
    fn a_completion_while_idling_is_an_error() {
        let mut idle = Idle::new(Tag("a1".into()));
        idle.receive(response(b"+ idling\r\n")).unwrap();
        assert!(idle.receive(response(b"a1 OK early\r\n")).is_err());
        let mut idle = Idle::new(Tag("a1".into()));
        idle.receive(response(b"+ idling\r\n")).unwrap();
        assert!(idle.receive(response(b"+ again\r\n")).is_err());
    }
}
