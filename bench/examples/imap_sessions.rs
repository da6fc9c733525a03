//! Many IMAP sessions from one process, the case async exists for: each
//! session connects over IMAPS (certificate verified), logs in, SELECTs
//! INBOX, asks `UID SEARCH UNSEEN` and fetches the headers of those new
//! messages (`UID FETCH ... BODY.PEEK[HEADER]`, so they stay new), then
//! logs out. All sessions start at once.
//!
//! usage: imap_sessions MODE SESSIONS [USER_KEY]   (servers from MAILTEST_ENV_FILE)
//!
//! MODE:
//! - `threads`: the blocking mail-imap client, one OS thread per session;
//! - `tokio`: mail-imap's async client on a 2-thread tokio runtime (built
//!   with the bench feature `tokio-imap`, once mail-imap has its `tokio`
//!   feature);
//! - `async-imap`: the async-imap crate (0.12, tokio, async-native-tls) on
//!   the same 2-thread runtime, written after its documentation.
//!
//! Prints one JSON line: sessions finished, headers and header bytes
//! fetched, seconds from the first connect to the last logout. Peak RSS
//! is measured from outside (`/usr/bin/time`, scripts/bench-async).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use mail_wire::testing::TestEnv;
use mail_wire::{Secret, Server, TlsConfig};

/// Where every session goes: one server, one TLS configuration (its
/// connector shared, as an application would share it), one account.
#[derive(Clone)]
struct Target {
    server: Server,
    tls: TlsConfig,
    ca_file: String,
    user: String,
    pass: Secret,
}

/// What one session fetched: new messages and their header bytes.
#[derive(Debug, Default, Clone, Copy)]
struct Fetched {
    headers: u64,
    bytes: u64,
}

impl std::ops::Add for Fetched {
    type Output = Fetched;
    fn add(self, other: Fetched) -> Fetched {
        Fetched {
            headers: self.headers + other.headers,
            bytes: self.bytes + other.bytes,
        }
    }
}

fn blocking_session(target: &Target) -> Result<Fetched, String> {
    use mail_imap::{Client, Options, Security, SequenceSet};
    let client = Client::connect(
        &target.server,
        Security::Implicit,
        &target.tls,
        Options::default(),
    )
    .map_err(|e| e.to_string())?;
    let session = client
        .login(&target.user, &target.pass)
        .map_err(|(e, _)| e.to_string())?;
    let mut inbox = session.select("INBOX").map_err(|(e, _)| e.to_string())?;
    let uids = inbox.uid_search("UNSEEN").map_err(|e| e.to_string())?;
    let mut fetched = Fetched::default();
    if let Some(set) = SequenceSet::from_numbers(uids.iter().map(|uid| uid.0)) {
        for message in inbox
            .uid_fetch(&set, "BODY.PEEK[HEADER]")
            .map_err(|e| e.to_string())?
        {
            let header = message.body().and_then(|b| b.bytes()).unwrap_or_default();
            fetched.headers += 1;
            fetched.bytes += header.len() as u64;
        }
    }
    inbox.logout().map_err(|e| e.to_string())?;
    Ok(fetched)
}

fn threads(target: &Target, sessions: usize) -> Vec<Result<Fetched, String>> {
    let handles: Vec<_> = (0..sessions)
        .map(|_| {
            let target = target.clone();
            std::thread::spawn(move || blocking_session(&target))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
        .collect()
}

#[cfg(feature = "tokio-imap")]
async fn tokio_session(target: Target) -> Result<Fetched, String> {
    use mail_imap::tokio::Client;
    use mail_imap::{Options, Security, SequenceSet};
    let client = Client::connect(
        &target.server,
        Security::Implicit,
        &target.tls,
        Options::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let session = client
        .login(&target.user, &target.pass)
        .await
        .map_err(|(e, _)| e.to_string())?;
    let mut inbox = session
        .select("INBOX")
        .await
        .map_err(|(e, _)| e.to_string())?;
    let uids = inbox
        .uid_search("UNSEEN")
        .await
        .map_err(|e| e.to_string())?;
    let mut fetched = Fetched::default();
    if let Some(set) = SequenceSet::from_numbers(uids.iter().map(|uid| uid.0)) {
        for message in inbox
            .uid_fetch(&set, "BODY.PEEK[HEADER]")
            .await
            .map_err(|e| e.to_string())?
        {
            let header = message.body().and_then(|b| b.bytes()).unwrap_or_default();
            fetched.headers += 1;
            fetched.bytes += header.len() as u64;
        }
    }
    inbox.logout().await.map_err(|e| e.to_string())?;
    Ok(fetched)
}

async fn async_imap_session(target: Target) -> Result<Fetched, String> {
    use futures_util::TryStreamExt;
    let (user, pass, server) = (&target.user, &target.pass, &target.server);
    let ca = std::fs::read(&target.ca_file).map_err(|e| e.to_string())?;
    let ca = async_native_tls::Certificate::from_pem(&ca).map_err(|e| e.to_string())?;
    let tcp = tokio::net::TcpStream::connect((server.host.as_str(), server.port))
        .await
        .map_err(|e| e.to_string())?;
    let tls = async_native_tls::TlsConnector::new()
        .add_root_certificate(ca)
        .connect(server.tls_name(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no greeting")?;
    let mut session = client
        .login(user, pass.expose())
        .await
        .map_err(|(e, _)| e.to_string())?;
    session.select("INBOX").await.map_err(|e| e.to_string())?;
    let uids = session
        .uid_search("UNSEEN")
        .await
        .map_err(|e| e.to_string())?;
    let mut fetched = Fetched::default();
    if !uids.is_empty() {
        let mut sorted: Vec<u32> = uids.into_iter().collect();
        sorted.sort_unstable();
        let set = sorted
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let messages: Vec<_> = session
            .uid_fetch(set, "BODY.PEEK[HEADER]")
            .await
            .map_err(|e| e.to_string())?
            .try_collect()
            .await
            .map_err(|e| e.to_string())?;
        for message in &messages {
            fetched.headers += 1;
            fetched.bytes += message.header().map_or(0, |h| h.len() as u64);
        }
    }
    session.logout().await.map_err(|e| e.to_string())?;
    Ok(fetched)
}

fn on_runtime<F, Fut>(target: &Target, sessions: usize, session: F) -> Vec<Result<Fetched, String>>
where
    F: Fn(Target) -> Fut,
    Fut: std::future::Future<Output = Result<Fetched, String>> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..sessions)
            .map(|_| tokio::spawn(session(target.clone())))
            .collect();
        let mut results = Vec::with_capacity(sessions);
        for task in tasks {
            results.push(task.await.unwrap_or_else(|_| Err("task panicked".into())));
        }
        results
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, sessions) = match args.as_slice() {
        [mode, n, ..] => (
            mode.as_str(),
            n.parse::<usize>().expect("SESSIONS is a number"),
        ),
        _ => panic!("usage: imap_sessions threads|tokio|async-imap SESSIONS [USER_KEY]"),
    };
    let who = args.get(2).map_or("BOB", String::as_str);
    let env = TestEnv::load().expect("set MAILTEST_ENV_FILE");
    let (user, pass) = env.account(who);
    let target = Target {
        server: env.server("MAILTEST_IMAPS_PORT"),
        tls: env.tls(),
        ca_file: env.var("MAILTEST_CA_FILE"),
        user,
        pass,
    };
    let started = Instant::now();
    let results = match mode {
        "threads" => threads(&target, sessions),
        #[cfg(feature = "tokio-imap")]
        "tokio" => on_runtime(&target, sessions, tokio_session),
        #[cfg(not(feature = "tokio-imap"))]
        "tokio" => panic!("mail-imap's async client is not built: --features tokio-imap"),
        "async-imap" => on_runtime(&target, sessions, async_imap_session),
        other => panic!("unknown mode {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    let mut total = Fetched::default();
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(fetched) => total = total + fetched,
            Err(err) => failures.push(err),
        }
    }
    if let Some(first) = failures.first() {
        eprintln!(
            "imap_sessions: {} sessions failed; first: {first}",
            failures.len()
        );
    }
    println!(
        "{{\"mode\":\"{mode}\",\"sessions\":{sessions},\"ok\":{},\"headers\":{},\"header_bytes\":{},\"secs\":{secs:.4}}}",
        sessions - failures.len(),
        total.headers,
        total.bytes
    );
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
