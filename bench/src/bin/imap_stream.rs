//! `imap_stream USER_KEY [MAILBOX]`: the library's streaming fetch of a whole
//! mailbox over IMAPS (connect, login, EXAMINE, one `UID FETCH 1:*
//! BODY.PEEK[]`, LOGOUT), bodies counted and dropped like imaplib's
//! in-memory run. Servers from `MAILTEST_ENV_FILE`. Prints one JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{self, Write};
use std::time::Instant;

use mail_imap::{Client, FetchEvent, SequenceSet};
use mail_wire::testing::TestEnv;
use mail_wire::Security;

struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let who = args.next().unwrap_or_else(|| "ALICE".into());
    let mailbox = args.next().unwrap_or_else(|| "INBOX".into());
    let env = TestEnv::load().expect("set MAILTEST_ENV_FILE");
    let (user, pass) = env.account(&who);
    let started = Instant::now();
    let client = Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap();
    let session = client.login(&user, &pass).map_err(|(e, _)| e).unwrap();
    let mut sel = session.examine(&mailbox).map_err(|(e, _)| e).unwrap();
    let mut count = Count(0);
    let mut messages = 0u64;
    {
        let mut events = sel
            .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
            .unwrap();
        while let Some(event) = events.next().unwrap() {
            if let FetchEvent::Body(body) = event {
                body.copy_to(&mut count).unwrap();
                messages += 1;
            }
        }
    }
    sel.logout().unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"mail-imap uid_fetch_stream\",\"secs\":{secs:.4},\"bytes\":{},\"messages\":{messages},\"mb_s\":{:.1}}}",
        count.0,
        count.0 as f64 / 1e6 / secs
    );
}
