//! The typed methods' commands and the reading of their answers, with no
//! I/O: each function checks what the capabilities allow, builds the
//! command from the arguments and the session state, and says how to read
//! the untagged responses and completion into the method's result. The
//! blocking and the async client both send these and nothing else.

use std::collections::VecDeque;

use mail_wire::sasl::Mechanism;
use mail_wire::Secret;

use crate::command::Command;
use crate::error::{rejection, Error};
use crate::response::Untagged;
use crate::response::{
    Code, Esearch, Fetch, ListItem, Namespace, Response, Status, Tag, Tagged, Text,
};
use crate::results::{Greeting, MailboxStatus};
use crate::sans_io::{completion, Received};
use crate::sequence::{SeqNum, SequenceSet};
use crate::state::State;

/// A command and how its answer becomes the method's result.
pub(crate) struct Request<T> {
    pub(crate) command: Command,
    pub(crate) outcome: fn(Vec<Untagged>, Tagged) -> Result<T, Error>,
}

impl<T> Request<T> {
    fn new(command: Command, outcome: fn(Vec<Untagged>, Tagged) -> Result<T, Error>) -> Self {
        Request { command, outcome }
    }
}

fn nothing(_: Vec<Untagged>, _: Tagged) -> Result<(), Error> {
    Ok(())
}

fn untagged(seen: Vec<Untagged>, _: Tagged) -> Result<Vec<Untagged>, Error> {
    Ok(seen)
}

fn require(state: &State, any_of: &[&str], feature: &'static str) -> Result<(), Error> {
    if any_of.iter().any(|c| state.has_capability(c)) {
        Ok(())
    } else {
        Err(Error::Unsupported(feature))
    }
}

/// The greeting, folded into the state (RFC 3501 §7.1.1, §7.1.4, §7.1.5).
pub(crate) fn greeting(state: &mut State, response: Response) -> Result<Greeting, Error> {
    let greeting = match response {
        Response::Untagged(u @ Untagged::Status { .. }) => {
            state.absorb(&u);
            match u {
                Untagged::Status {
                    status: Status::Bye,
                    text,
                } => {
                    return Err(Error::Bye {
                        text: text.to_string(),
                    })
                }
                Untagged::Status {
                    status: status @ (Status::Ok | Status::Preauth),
                    text,
                } => Greeting { status, text },
                other => {
                    return Err(Error::Unexpected(format!(
                        "greeting {}",
                        Response::Untagged(other).describe()
                    )))
                }
            }
        }
        other => {
            return Err(Error::Unexpected(format!(
                "a greeting that is not OK/PREAUTH/BYE: {}",
                other.describe()
            )))
        }
    };
    log::debug!("greeting: {} {}", greeting.status, greeting.text);
    Ok(greeting)
}

/// Why STARTTLS may not be sent: after PREAUTH (RFC 3501 §6.2.1), or when
/// the capabilities (asked first when none are known) do not offer it.
pub(crate) fn starttls_refusal(greeting: &Greeting, state: &State) -> Option<Error> {
    if greeting.status == Status::Preauth {
        return Some(Error::PreauthWithoutTls);
    }
    (!state.has_capability("STARTTLS")).then_some(Error::Unsupported("STARTTLS"))
}

/// Bytes received before the TLS handshake are an injection (RFC 3501 §6.2.1).
pub(crate) fn check_nothing_buffered(buffered: usize) -> Result<(), Error> {
    if buffered > 0 {
        return Err(Error::Wire(mail_wire::Error::BufferedAfterStartTls {
            bytes: buffered,
        }));
    }
    Ok(())
}

pub(crate) fn capability() -> Command {
    Command::new("CAPABILITY")
}

pub(crate) fn noop() -> Request<Vec<Untagged>> {
    Request::new(Command::new("NOOP"), untagged)
}

/// LOGOUT's answer: BYE, or the connection closing after BYE, is success.
pub(crate) fn logout_outcome(state: &State, result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Ok(()) | Err(Error::Bye { .. }) => Ok(()),
        Err(Error::Wire(mail_wire::Error::Closed)) if state.bye.is_some() => Ok(()),
        Err(err) => Err(err),
    }
}

pub(crate) fn logout() -> Request<()> {
    Request::new(Command::new("LOGOUT"), nothing)
}

/// ID (RFC 2971).
/// ID's answer: the server's fields.
pub(crate) type IdFields = Vec<(String, Option<String>)>;

pub(crate) fn id(fields: &[(&str, &str)]) -> Result<Request<IdFields>, Error> {
    let mut cmd = Command::new("ID");
    if fields.is_empty() {
        cmd = cmd.raw("NIL", "id")?;
    } else {
        let mut list = Command::new("X");
        for (k, v) in fields {
            list = list.string(k.as_bytes(), false, "ID field")?.string(
                v.as_bytes(),
                false,
                "ID value",
            )?;
        }
        let text = String::from_utf8_lossy(&list.to_bytes("t", false)).into_owned();
        let inner = text
            .trim_end()
            .strip_prefix("t X ")
            .unwrap_or_default()
            .to_owned();
        cmd = cmd.raw(&format!("({inner})"), "id")?;
    }
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .find_map(|u| match u {
                Untagged::Id(fields) => Some(fields),
                _ => None,
            })
            .unwrap_or_default())
    }))
}

/// LOGIN (RFC 3501 §6.2.3), refused under LOGINDISABLED before a byte is sent.
pub(crate) fn login(state: &State, user: &str, password: &Secret) -> Result<Command, Error> {
    if state.has_capability("LOGINDISABLED") {
        return Err(Error::Unsupported("LOGIN (LOGINDISABLED)"));
    }
    let utf8 = state.utf8();
    Ok(Command::new("LOGIN")
        .astring(user.as_bytes(), utf8, "user name")
        .and_then(|c| c.secret(password, utf8))?)
}

/// `AUTH=PLAIN AUTH=LOGIN` → `["PLAIN", "LOGIN"]` (RFC 3501 §6.2.2).
pub(crate) fn auth_mechanisms(capabilities: &[String]) -> Vec<&str> {
    capabilities
        .iter()
        .filter_map(|c| {
            c.get(..5)
                .filter(|p| p.eq_ignore_ascii_case("AUTH="))
                .and_then(|_| c.get(5..))
        })
        .collect()
}

/// AUTHENTICATE needs `AUTH=<mechanism>` listed.
pub(crate) fn check_mechanism(state: &State, mechanism: Mechanism) -> Result<(), Error> {
    let name = mechanism.name();
    if auth_mechanisms(&state.capabilities)
        .iter()
        .any(|m| m.eq_ignore_ascii_case(name))
    {
        Ok(())
    } else {
        Err(Error::Unsupported(name))
    }
}

/// How [`Client::login_auto`](crate::Client::login_auto) logs in.
pub(crate) enum LoginChoice {
    Login,
    Authenticate(Mechanism),
}

/// LOGIN unless `LOGINDISABLED`; then AUTHENTICATE with the best listed
/// mechanism, and only over TLS.
pub(crate) fn choose_login(state: &State, encrypted: bool) -> Result<LoginChoice, Error> {
    if !state.has_capability("LOGINDISABLED") {
        return Ok(LoginChoice::Login);
    }
    if !encrypted {
        return Err(Error::TlsRequired);
    }
    let offered: Vec<Mechanism> = auth_mechanisms(&state.capabilities)
        .into_iter()
        .filter_map(Mechanism::from_name)
        .collect();
    match Mechanism::best(&offered, true) {
        Some(mechanism) => {
            log::debug!("LOGINDISABLED; logging in with AUTHENTICATE {mechanism}");
            Ok(LoginChoice::Authenticate(mechanism))
        }
        None => Err(Error::Unsupported(
            "AUTHENTICATE PLAIN, LOGIN or CRAM-MD5 (LOGIN is disabled)",
        )),
    }
}

/// The capabilities an AUTHENTICATE completion carries.
pub(crate) fn capabilities_from_completion(state: &mut State, done: &Tagged) {
    if let Some(Code::Capability(c)) = &done.text.code {
        state.capabilities = c.clone();
    }
}

/// Capabilities may change after login (RFC 3501 §6.2.3 / §7.2.1): true
/// when the completion did not carry them, so CAPABILITY is asked again.
pub(crate) fn capabilities_stale_after_auth(done: &Tagged) -> bool {
    !matches!(done.text.code, Some(Code::Capability(_)))
}

/// ENABLE for IMAP4rev2 and UTF8=ACCEPT when offered (RFC 9051, RFC 6855).
pub(crate) fn enable_after_auth(state: &State) -> Result<Option<Command>, Error> {
    let enable: Vec<&str> = ["IMAP4rev2", "UTF8=ACCEPT"]
        .into_iter()
        .filter(|c| state.has_capability(c))
        .collect();
    if enable.is_empty() || !(state.has_capability("ENABLE") || state.has_capability("IMAP4rev2")) {
        return Ok(None);
    }
    let mut cmd = Command::new("ENABLE");
    for cap in enable {
        cmd = cmd.raw(cap, "capability")?;
    }
    Ok(Some(cmd))
}

/// ENABLE (RFC 5161); the result is what the server enabled.
pub(crate) fn enable(state: &State, capabilities: &[&str]) -> Result<Request<Vec<String>>, Error> {
    require(state, &["ENABLE", "IMAP4rev2"], "ENABLE")?;
    let mut cmd = Command::new("ENABLE");
    for c in capabilities {
        cmd = cmd.raw(c, "capability")?;
    }
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .flat_map(|u| match u {
                Untagged::Enabled(c) => c,
                _ => Vec::new(),
            })
            .collect())
    }))
}

/// NAMESPACE (RFC 2342).
pub(crate) fn namespace(state: &State) -> Result<Request<[Vec<Namespace>; 3]>, Error> {
    require(state, &["NAMESPACE", "IMAP4rev2"], "NAMESPACE")?;
    Ok(Request::new(Command::new("NAMESPACE"), |seen, _| {
        seen.into_iter()
            .find_map(|u| match u {
                Untagged::Namespace(n) => Some(n),
                _ => None,
            })
            .ok_or_else(|| {
                Error::Unexpected("NAMESPACE completed without a NAMESPACE response".into())
            })
    }))
}

/// LIST or LSUB (RFC 3501 §6.3.8, §6.3.9).
pub(crate) fn list(
    state: &State,
    verb: &'static str,
    reference: &str,
    pattern: &str,
) -> Result<Request<Vec<ListItem>>, Error> {
    let utf8 = state.utf8();
    let pattern = if utf8 {
        pattern.to_owned()
    } else {
        crate::utf7::encode(pattern)
    };
    let cmd = Command::new(verb).astring(reference.as_bytes(), utf8, "reference")?;
    // Wildcards `*` and `%` are list-mailbox characters, not atom ones.
    let cmd = if !pattern.is_empty()
        && pattern
            .bytes()
            .all(|b| b > 0x20 && b < 0x7f && !matches!(b, b'(' | b')' | b'{' | b'"' | b'\\'))
    {
        cmd.raw(&pattern, "pattern")?
    } else {
        cmd.string(pattern.as_bytes(), utf8, "pattern")?
    };
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .filter_map(|u| match u {
                Untagged::List(item) | Untagged::Lsub(item) => Some(item),
                _ => None,
            })
            .collect())
    }))
}

/// STATUS (RFC 3501 §6.3.10).
pub(crate) fn status(
    state: &State,
    mailbox: &str,
    items: &[&str],
) -> Result<Request<MailboxStatus>, Error> {
    let cmd = Command::new("STATUS")
        .mailbox(mailbox, state.utf8())?
        .raw(&format!("({})", items.join(" ")), "status items")?;
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .find_map(|u| match u {
                Untagged::MailboxStatus { mailbox, items } => {
                    Some(MailboxStatus { mailbox, items })
                }
                _ => None,
            })
            .unwrap_or_default())
    }))
}

/// CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE: a verb and one mailbox.
pub(crate) fn mailbox(state: &State, verb: &'static str, name: &str) -> Result<Request<()>, Error> {
    let cmd = Command::new(verb).mailbox(name, state.utf8())?;
    Ok(Request::new(cmd, nothing))
}

/// RENAME.
pub(crate) fn rename(state: &State, from: &str, to: &str) -> Result<Request<()>, Error> {
    let utf8 = state.utf8();
    let cmd = Command::new("RENAME")
        .mailbox(from, utf8)?
        .mailbox(to, utf8)?;
    Ok(Request::new(cmd, nothing))
}

/// APPEND's command up to its literal (RFC 3501 §6.3.11); the result is
/// APPENDUID's `(uidvalidity, uid)` (RFC 4315).
pub(crate) fn append_head(state: &State, mailbox: &str, flags: &[&str]) -> Result<Command, Error> {
    let mut cmd = Command::new("APPEND").mailbox(mailbox, state.utf8())?;
    if !flags.is_empty() {
        cmd = cmd.flag_list(flags)?;
    }
    Ok(cmd)
}

/// A supplied literal's source ran dry `left` bytes early; the command is
/// cut short on the wire.
pub(crate) fn ended_early(left: u64) -> Error {
    Error::Wire(mail_wire::Error::Io(std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("the message ended {left} bytes before its announced size"),
    )))
}

/// What APPEND's completion says about the new message.
pub(crate) fn append_uid(
    _: Vec<Untagged>,
    done: Tagged,
) -> Result<Option<(u32, SequenceSet)>, Error> {
    Ok(match done.text.code {
        Some(Code::AppendUid { validity, uids }) => Some((validity, uids)),
        _ => None,
    })
}

/// APPEND with the message in memory.
pub(crate) fn append(
    state: &State,
    mailbox: &str,
    flags: &[&str],
    message: Vec<u8>,
) -> Result<Request<Option<(u32, SequenceSet)>>, Error> {
    let cmd = append_head(state, mailbox, flags)?.literal(message);
    Ok(Request::new(cmd, append_uid))
}

/// SELECT or EXAMINE (RFC 3501 §6.3.1, §6.3.2): the state starts a fresh
/// mailbox that the responses fill in.
pub(crate) fn open(state: &mut State, verb: &'static str, mailbox: &str) -> Result<Command, Error> {
    let cmd = Command::new(verb).mailbox(mailbox, state.utf8())?;
    state.mailbox = crate::Mailbox {
        name: mailbox.to_owned(),
        read_only: verb == "EXAMINE",
        ..crate::Mailbox::default()
    };
    Ok(cmd)
}

/// Leaving a mailbox (CLOSE, UNSELECT, a failed SELECT).
pub(crate) fn leave(state: &mut State) {
    state.mailbox = crate::Mailbox::default();
}

/// CHECK.
pub(crate) fn check() -> Request<()> {
    Request::new(Command::new("CHECK"), nothing)
}

/// CLOSE.
pub(crate) fn close() -> Command {
    Command::new("CLOSE")
}

/// UNSELECT (RFC 3691).
pub(crate) fn unselect(state: &State) -> Result<Command, Error> {
    require(state, &["UNSELECT", "IMAP4rev2"], "UNSELECT")?;
    Ok(Command::new("UNSELECT"))
}

/// EXPUNGE; the result is the expunged sequence numbers in order.
pub(crate) fn expunge() -> Request<Vec<SeqNum>> {
    Request::new(Command::new("EXPUNGE"), |seen, _| {
        Ok(seen
            .into_iter()
            .filter_map(|u| match u {
                Untagged::Expunge(s) => Some(s),
                _ => None,
            })
            .collect())
    })
}

/// UID EXPUNGE (UIDPLUS, RFC 4315).
pub(crate) fn uid_expunge(state: &State, uids: &SequenceSet) -> Result<Request<()>, Error> {
    require(state, &["UIDPLUS"], "UID EXPUNGE")?;
    let cmd = Command::new("UID EXPUNGE").raw(&uids.to_string(), "uid set")?;
    Ok(Request::new(cmd, nothing))
}

/// SEARCH or UID SEARCH with criteria as written.
pub(crate) fn search(
    state: &State,
    verb: &'static str,
    criteria: &str,
) -> Result<Request<Vec<u32>>, Error> {
    let cmd = Command::new(verb).search_keys(criteria, state.utf8(), !state.utf8_accept())?;
    // Only `* SEARCH` answers a plain SEARCH; an ESEARCH set is never
    // expanded here (see `uid_esearch`).
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .flat_map(|u| match u {
                Untagged::Search { numbers, .. } => numbers,
                _ => Vec::new(),
            })
            .collect())
    }))
}

/// UID SEARCH RETURN (MIN MAX COUNT ALL) (ESEARCH, RFC 4731).
pub(crate) fn uid_esearch(state: &State, criteria: &str) -> Result<Request<Esearch>, Error> {
    require(state, &["ESEARCH", "IMAP4rev2"], "ESEARCH")?;
    let cmd = Command::new("UID SEARCH")
        .raw("RETURN (MIN MAX COUNT ALL)", "return options")?
        .search_keys(criteria, state.utf8(), !state.utf8_accept())?;
    Ok(Request::new(cmd, |seen, _| {
        Ok(seen
            .into_iter()
            .find_map(|u| match u {
                Untagged::Esearch(e) => Some(e),
                _ => None,
            })
            .unwrap_or(Esearch {
                tag: None,
                uid: true,
                items: Vec::new(),
            }))
    }))
}

/// The FETCH responses among the untagged ones.
pub(crate) fn fetches(seen: Vec<Untagged>) -> Vec<Fetch> {
    seen.into_iter()
        .filter_map(|u| match u {
            Untagged::Fetch(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// FETCH or UID FETCH with items as written.
pub(crate) fn fetch_command(
    verb: &'static str,
    set: &SequenceSet,
    items: &str,
) -> Result<Command, Error> {
    Ok(Command::new(verb)
        .raw(&set.to_string(), "sequence set")?
        .raw(items, "fetch items")?)
}

/// FETCH or UID FETCH, all in memory.
pub(crate) fn fetch(
    verb: &'static str,
    set: &SequenceSet,
    items: &str,
) -> Result<Request<Vec<Fetch>>, Error> {
    Ok(Request::new(fetch_command(verb, set, items)?, |seen, _| {
        Ok(fetches(seen))
    }))
}

/// One response to pipelined FETCH commands (`tags` in the order sent):
/// a FETCH for the caller, or `None` once it is folded into the state (an
/// OK completion retires the front tag).
///
/// # Errors
/// A NO/BAD completion (every tag is then dropped), another tag, a
/// continuation request.
pub(crate) fn fetch_response(
    state: &mut State,
    tags: &mut VecDeque<Tag>,
    command: &'static str,
    response: Response,
) -> Result<Option<Fetch>, Error> {
    let Some(tag) = tags.front().cloned() else {
        return Ok(None);
    };
    match completion(&tag, command, response)? {
        Received::Untagged(Untagged::Fetch(fetch)) => return Ok(Some(fetch)),
        Received::Untagged(u) => {
            state.absorb(&u);
            state.unsolicited.push(u);
        }
        Received::Completed(t) => {
            tags.pop_front();
            if t.status != Status::Ok {
                tags.clear();
                return Err(rejection(command, t));
            }
        }
        Received::Continued => {}
    }
    Ok(None)
}

/// STORE or UID STORE; the result is the FETCH responses.
pub(crate) fn store(
    verb: &'static str,
    set: &SequenceSet,
    action: &str,
    flags: &[&str],
) -> Result<Request<Vec<Fetch>>, Error> {
    let action_ok = [
        "FLAGS",
        "+FLAGS",
        "-FLAGS",
        "FLAGS.SILENT",
        "+FLAGS.SILENT",
        "-FLAGS.SILENT",
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(action));
    if !action_ok {
        return Err(Error::Invalid(crate::EncodeError::NotAnAtom {
            what: "store action",
        }));
    }
    let cmd = Command::new(verb)
        .raw(&set.to_string(), "sequence set")?
        .raw(action, "store action")?
        .flag_list(flags)?;
    Ok(Request::new(cmd, |seen, _| Ok(fetches(seen))))
}

/// COPY, UID COPY, MOVE, UID MOVE (RFC 3501 §6.4.7, RFC 6851); the result
/// is COPYUID when sent.
pub(crate) fn transfer(
    state: &State,
    verb: &'static str,
    set: &SequenceSet,
    mailbox: &str,
) -> Result<Request<Option<Code>>, Error> {
    if verb.ends_with("MOVE") {
        require(state, &["MOVE", "IMAP4rev2"], "MOVE")?;
    }
    let cmd = Command::new(verb)
        .raw(&set.to_string(), "sequence set")?
        .mailbox(mailbox, state.utf8())?;
    Ok(Request::new(cmd, |seen, done| {
        // MOVE sends COPYUID in an untagged OK (RFC 6851 §4.3).
        let untagged_code = seen.into_iter().find_map(|u| match u {
            Untagged::Status {
                text:
                    Text {
                        code: Some(c @ Code::CopyUid { .. }),
                        ..
                    },
                ..
            } => Some(c),
            _ => None,
        });
        Ok(done
            .text
            .code
            .filter(|c| matches!(c, Code::CopyUid { .. }))
            .or(untagged_code))
    }))
}

/// IDLE needs IDLE (RFC 2177) or IMAP4rev2.
pub(crate) fn check_idle(state: &State) -> Result<(), Error> {
    require(state, &["IDLE", "IMAP4rev2"], "IDLE")
}
