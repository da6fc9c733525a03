//! The test API over the blocking client.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mail_imap::{
    default_limits, Code, Error, Fetch, FetchEvent, Limits, Mailbox, Recording, Secret,
    SequenceSet, Uid, Untagged,
};
use mail_wire::testing::ScriptedStream;
use mail_wire::Connection;

use super::Streamed;

pub const CLIENT: &str = "blocking";

pub struct Client(mail_imap::Client<ScriptedStream>);
pub struct Session(mail_imap::Session<ScriptedStream>);
pub struct Selected(mail_imap::Selected<ScriptedStream>);

pub async fn open(stream: ScriptedStream) -> Result<Client, Error> {
    open_with(stream, default_limits(), None).await
}

pub async fn open_with(
    stream: ScriptedStream,
    limits: Limits,
    transcript: Option<Recording>,
) -> Result<Client, Error> {
    let mut conn = Connection::new(stream, limits);
    if let Some(rec) = transcript {
        conn.set_transcript(Some(Box::new(rec)));
    }
    mail_imap::Client::new(conn).map(Client)
}

fn back<T>(r: Result<T, (Error, mail_imap::Client<ScriptedStream>)>) -> Result<T, (Error, Client)> {
    r.map_err(|(e, c)| (e, Client(c)))
}

impl Client {
    pub fn capabilities(&self) -> Vec<String> {
        self.0.capabilities().to_vec()
    }
    pub async fn noop(&mut self) -> Result<(), Error> {
        self.0.noop()
    }
    pub async fn starttls(self, upgraded: Arc<AtomicBool>) -> Result<Client, Error> {
        self.0
            .starttls_with(|_| {
                upgraded.store(true, Ordering::SeqCst);
                Ok(())
            })
            .map(Client)
    }
    pub async fn login(self, user: &str, pw: &Secret) -> Result<Session, (Error, Client)> {
        back(self.0.login(user, pw).map(Session))
    }
    pub async fn login_auto(self, user: &str, pw: &Secret) -> Result<Session, (Error, Client)> {
        back(self.0.login_auto(user, pw).map(Session))
    }
    pub async fn authenticate_plain(
        self,
        user: &str,
        pw: &Secret,
    ) -> Result<Session, (Error, Client)> {
        back(self.0.authenticate_plain(user, pw).map(Session))
    }
    pub async fn authenticate_xoauth2(
        self,
        user: &str,
        pw: &Secret,
    ) -> Result<Session, (Error, Client)> {
        back(self.0.authenticate_xoauth2(user, pw).map(Session))
    }
    pub async fn authenticate(
        self,
        mechanism: mail_imap::Mechanism,
        user: &str,
        pw: &Secret,
    ) -> Result<Session, (Error, Client)> {
        back(self.0.authenticate(mechanism, user, pw).map(Session))
    }
    pub fn auth_mechanisms(&self) -> Vec<String> {
        self.0
            .auth_mechanisms()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }
    pub async fn logout(self) -> Result<(), Error> {
        self.0.logout()
    }
}

impl Session {
    pub fn enabled(&self) -> Vec<String> {
        self.0.enabled().to_vec()
    }
    pub fn set_limits(&mut self, limits: Limits) {
        self.0.connection().set_limits(limits);
    }
    pub async fn create(&mut self, name: &str) -> Result<(), Error> {
        self.0.create(name)
    }
    pub async fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.0.noop()
    }
    pub async fn list(&mut self, r: &str, p: &str) -> Result<Vec<mail_imap::ListItem>, Error> {
        self.0.list(r, p)
    }
    pub async fn status(
        &mut self,
        m: &str,
        items: &[&str],
    ) -> Result<mail_imap::MailboxStatus, Error> {
        self.0.status(m, items)
    }
    pub async fn append(
        &mut self,
        m: &str,
        flags: &[&str],
        message: Vec<u8>,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        self.0.append(m, flags, message)
    }
    pub async fn append_from(
        &mut self,
        m: &str,
        flags: &[&str],
        message: &[u8],
        size: u64,
    ) -> Result<Option<(u32, SequenceSet)>, Error> {
        self.0.append_from(m, flags, message, size)
    }
    pub async fn select(self, m: &str) -> Result<Selected, (Error, Session)> {
        self.0
            .select(m)
            .map(Selected)
            .map_err(|(e, s)| (e, Session(s)))
    }
    pub async fn examine(self, m: &str) -> Result<Selected, (Error, Session)> {
        self.0
            .examine(m)
            .map(Selected)
            .map_err(|(e, s)| (e, Session(s)))
    }
    pub async fn logout(self) -> Result<(), Error> {
        self.0.logout()
    }
}

impl Selected {
    pub fn mailbox(&self) -> &Mailbox {
        self.0.mailbox()
    }
    pub fn take_alerts(&mut self) -> Vec<String> {
        self.0.session().take_alerts()
    }
    pub fn set_limits(&mut self, limits: Limits) {
        self.0.connection().set_limits(limits);
    }
    pub async fn noop(&mut self) -> Result<Vec<Untagged>, Error> {
        self.0.noop()
    }
    pub async fn fetch(&mut self, set: &SequenceSet, items: &str) -> Result<Vec<Fetch>, Error> {
        self.0.fetch(set, items)
    }
    pub async fn fetch_streamed(
        &mut self,
        uid: bool,
        sets: &[SequenceSet],
        items: &str,
        keep: fn(&mail_imap::BodyContext) -> bool,
    ) -> Result<Streamed, Error> {
        let mut events = if uid {
            self.0.uid_fetch_stream(sets, items)?
        } else {
            self.0.fetch_stream(&sets[0], items)?
        };
        let (mut bodies, mut fetches) = (Vec::new(), Vec::new());
        while let Some(event) = events.next()? {
            match event {
                FetchEvent::Body(reader) if keep(&reader.context) => {
                    let context = reader.context.clone();
                    let mut body = Vec::new();
                    let copied = reader.copy_to(&mut body);
                    bodies.push((context, body));
                    copied?;
                }
                FetchEvent::Body(_) => {}
                FetchEvent::Fetch(f) => fetches.push(f),
            }
        }
        Ok((bodies, fetches))
    }
    /// The body of one streamed section, or the error with what came first.
    pub async fn fetch_one_body(
        &mut self,
        set: &SequenceSet,
        items: &str,
    ) -> (Vec<u8>, Result<(), Error>) {
        let mut events = match self.0.fetch_stream(set, items) {
            Ok(e) => e,
            Err(e) => return (Vec::new(), Err(e)),
        };
        let mut body = Vec::new();
        loop {
            match events.next() {
                Ok(Some(FetchEvent::Body(reader))) => {
                    if let Err(e) = reader.copy_to(&mut body) {
                        return (body, Err(e));
                    }
                }
                Ok(Some(FetchEvent::Fetch(_))) => {}
                Ok(None) => return (body, Ok(())),
                Err(e) => return (body, Err(e)),
            }
        }
    }
    pub async fn search(&mut self, criteria: &str) -> Result<Vec<u32>, Error> {
        self.0.search(criteria)
    }
    pub async fn uid_search(&mut self, criteria: &str) -> Result<Vec<Uid>, Error> {
        self.0.uid_search(criteria)
    }
    pub async fn store(
        &mut self,
        set: &SequenceSet,
        action: &str,
        flags: &[&str],
    ) -> Result<Vec<Fetch>, Error> {
        self.0.store(set, action, flags)
    }
    pub async fn uid_copy(&mut self, set: &SequenceSet, m: &str) -> Result<Option<Code>, Error> {
        self.0.uid_copy(set, m)
    }
    pub async fn uid_move(&mut self, set: &SequenceSet, m: &str) -> Result<Option<Code>, Error> {
        self.0.uid_move(set, m)
    }
    pub async fn expunge(&mut self) -> Result<Vec<mail_imap::SeqNum>, Error> {
        self.0.expunge()
    }
    /// IDLE until `n` updates came, then DONE; the updates.
    pub async fn idle_for(mut self, n: usize) -> Result<(Vec<Untagged>, Selected), Error> {
        let mut seen = 0;
        let out = self.0.idle(
            Duration::from_secs(30),
            |_| {
                seen += 1;
                seen >= n
            },
            || false,
        )?;
        Ok((out.updates, self))
    }
    pub async fn logout(self) -> Result<(), Error> {
        self.0.logout()
    }
}

pub struct Console(mail_imap::raw::Console<ScriptedStream>);

impl Client {
    pub fn into_console(self) -> Console {
        Console(self.0.into_console())
    }
}

impl Session {
    pub fn into_console(self) -> Console {
        Console(self.0.into_console())
    }
}

impl Console {
    pub fn mailbox(&self) -> &Mailbox {
        self.0.mailbox()
    }
    pub async fn execute(&mut self, line: &str) -> Result<mail_imap::raw::Reply, Error> {
        self.0.execute(line)
    }
    /// The reply, and the FETCH body sections written out.
    pub async fn execute_parts(
        &mut self,
        tag: Option<&str>,
        command: &str,
        rest: &str,
    ) -> Result<(mail_imap::raw::Reply, Vec<u8>), Error> {
        let mut fetched = Vec::new();
        let reply = self.0.execute_parts(tag, command, rest, &mut fetched)?;
        Ok((reply, fetched))
    }
    pub async fn logout(self) -> Result<(), Error> {
        self.0.logout()
    }
}
