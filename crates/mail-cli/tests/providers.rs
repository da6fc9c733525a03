//! Provider replays: every transcript in `fixtures/providers/` is what a
//! provider says, and each preset is checked against it offline. For each
//! file the account id resolves through the same preset lookup the programs
//! use (host, port and TLS mode must be the file's `# server:`); then the
//! protocol client does what the program does after connecting, over a
//! scripted stream that serves the `S:` lines and insists on every `C:` line.
//! The result is what the user gets: the message sent, the login accepted,
//! the messages read, or the failure class that picks the exit code.
//!
//! Assertions are on commands and result kinds, never on error sentences.
//! The programs themselves meet the same files in `bins/*/tests/providers.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use clap::Parser;
use mail_cli::{Endpoint, NetArgs, Protocol};
use mail_wire::sasl::Mechanism;
use mail_wire::testing::ScriptedStream;
use mail_wire::{Connection, Limits, Recording, Secret, Security};

/// The password (or, for XOAUTH2, the access token) the replays log in with;
/// the transcripts show it as `********`.
const PASSWORD: &str = "app-pass 0123";
/// The EHLO name the replays use (smtp-send takes the host name or `--helo`).
const HELO: &str = "client.example";
/// Where the SMTP replays send their message.
const RECIPIENT: &str = "friend@example.com";

/// What the user gets from a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The message was accepted for every recipient (exit 0).
    Sent,
    /// Logged in and every command succeeded (exit 0).
    Done,
    /// The server refused the credentials (exit 4).
    AuthRejected,
    /// As `AuthRejected`, with an `[ALERT]` the user must see (exit 4).
    AuthRejectedWithAlert,
    /// The server refused the message or a recipient (exit 5).
    Rejected,
}

/// What the program does after connecting.
#[derive(Debug, Clone, Copy)]
enum Session {
    /// `smtp-send` with `--auth` (or the best mechanism offered): AUTH, one message, QUIT.
    Smtp { auth: Option<Mechanism> },
    /// `pop3-cli -c ...`: CAPA, USER/PASS (or `--auth`), the commands, QUIT.
    Pop3 {
        auth: Option<Mechanism>,
        commands: &'static [&'static str],
    },
    /// `imap-cli -c ...`: LOGIN, the commands, LOGOUT; or the library's
    /// AUTHENTICATE XOAUTH2 (imap-cli has no `--auth` yet).
    Imap {
        xoauth2: bool,
        commands: &'static [&'static str],
    },
}

struct Case {
    file: &'static str,
    session: Session,
    outcome: Outcome,
    /// Capabilities the client must have learnt from the server.
    learnt: &'static [&'static str],
}

const NAVER_POP3: &[&str] = &["STAT", "LIST", "RETR 1"];
const NAVER_IMAP: &[&str] = &[
    "list \"\" \"*\"",
    "select inbox",
    "fetch 1:* flags",
    "fetch 1 body[]",
];
const GMAIL_IMAP: &[&str] = &[
    "select INBOX",
    "fetch 1 (X-GM-MSGID X-GM-THRID X-GM-LABELS FLAGS)",
];

const CASES: &[Case] = &[
    // Naver: the original scripts' provider (bare ids are Naver accounts).
    Case {
        file: "naver-smtp.txt",
        session: Session::Smtp {
            auth: Some(Mechanism::Login),
        },
        outcome: Outcome::Sent,
        learnt: &["PIPELINING", "SIZE"],
    },
    Case {
        file: "naver-smtp-auth-failure.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "naver-pop3.txt",
        session: Session::Pop3 {
            auth: None,
            commands: NAVER_POP3,
        },
        outcome: Outcome::Done,
        learnt: &[],
    },
    Case {
        file: "naver-pop3-wrong-password.txt",
        session: Session::Pop3 {
            auth: None,
            commands: NAVER_POP3,
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "naver-imap.txt",
        session: Session::Imap {
            xoauth2: false,
            commands: NAVER_IMAP,
        },
        outcome: Outcome::Done,
        learnt: &["IDLE", "UIDPLUS"],
    },
    Case {
        file: "naver-imap-wrong-password.txt",
        session: Session::Imap {
            xoauth2: false,
            commands: NAVER_IMAP,
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    // 163.com (NetEase Coremail).
    Case {
        file: "163-smtp.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::Sent,
        learnt: &["PIPELINING"],
    },
    Case {
        file: "163-smtp-wrong-password.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "163-smtp-spam-rejected.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::Rejected,
        learnt: &[],
    },
    // QQ Mail.
    Case {
        file: "qq-smtp.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::Sent,
        learnt: &["SIZE"],
    },
    Case {
        file: "qq-smtp-authorization-code.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    // Gmail.
    Case {
        file: "gmail-smtp.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::Sent,
        learnt: &["SMTPUTF8", "CHUNKING", "ENHANCEDSTATUSCODES"],
    },
    Case {
        file: "gmail-smtp-xoauth2-failure.txt",
        session: Session::Smtp {
            auth: Some(Mechanism::XOAuth2),
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "gmail-smtp-app-password-required.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "gmail-imap.txt",
        session: Session::Imap {
            xoauth2: false,
            commands: GMAIL_IMAP,
        },
        outcome: Outcome::Done,
        learnt: &["X-GM-EXT-1", "UTF8=ACCEPT"],
    },
    Case {
        file: "gmail-imap-xoauth2-failure.txt",
        session: Session::Imap {
            xoauth2: true,
            commands: GMAIL_IMAP,
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "gmail-imap-alert.txt",
        session: Session::Imap {
            xoauth2: false,
            commands: GMAIL_IMAP,
        },
        outcome: Outcome::AuthRejectedWithAlert,
        learnt: &[],
    },
    Case {
        file: "gmail-pop3-xoauth2-failure.txt",
        session: Session::Pop3 {
            auth: Some(Mechanism::XOAuth2),
            commands: &["STAT"],
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    // Outlook.com (Microsoft 365).
    Case {
        file: "outlook-smtp.txt",
        session: Session::Smtp {
            auth: Some(Mechanism::XOAuth2),
        },
        outcome: Outcome::Sent,
        learnt: &["AUTH", "CHUNKING"],
    },
    Case {
        file: "outlook-smtp-basic-auth-disabled.txt",
        session: Session::Smtp { auth: None },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
    Case {
        file: "outlook-imap.txt",
        session: Session::Imap {
            xoauth2: true,
            commands: &["select INBOX"],
        },
        outcome: Outcome::Done,
        learnt: &["AUTH=XOAUTH2", "MOVE"],
    },
    Case {
        file: "outlook-imap-xoauth2-failure.txt",
        session: Session::Imap {
            xoauth2: true,
            commands: &["select INBOX"],
        },
        outcome: Outcome::AuthRejected,
        learnt: &[],
    },
];

/// A transcript file with its header: `# account: ID` and `# server: HOST PORT MODE`.
struct Transcript {
    script: String,
    account: String,
    server: (String, u16, Security),
}

fn load(file: &str) -> Transcript {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/providers/").to_owned() + file;
    let script = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let header = |key: &str| {
        script
            .lines()
            .find_map(|l| {
                l.strip_prefix("# ")?
                    .strip_prefix(key)?
                    .strip_prefix(": ")
                    .map(str::trim)
            })
            .unwrap_or_else(|| panic!("{file}: no `# {key}:` line"))
            .to_owned()
    };
    let account = header("account");
    let server = header("server");
    let words: Vec<&str> = server.split_whitespace().collect();
    let [host, port, mode] = words[..] else {
        panic!("{file}: `# server: HOST PORT implicit|starttls`")
    };
    let security = match mode {
        "implicit" => Security::Implicit,
        "starttls" => Security::StartTls,
        other => panic!("{file}: TLS mode {other}"),
    };
    Transcript {
        script,
        account,
        server: (host.to_owned(), port.parse().unwrap(), security),
    }
}

#[derive(Parser)]
struct NoFlags {
    #[command(flatten)]
    net: NetArgs,
}

/// The account resolved as the programs resolve it with no flags: the
/// preset must name the transcript's server.
fn preset_endpoint(t: &Transcript, protocol: Protocol, file: &str) -> Endpoint {
    let endpoint = NoFlags::parse_from(["prog"])
        .net
        .resolve(&t.account, protocol)
        .unwrap();
    let got = (
        endpoint.server.host.clone(),
        endpoint.server.port,
        endpoint.security,
    );
    assert_eq!(
        got, t.server,
        "{file}: the preset for {} disagrees with the provider",
        t.account
    );
    endpoint
}

fn protocol_of(session: Session) -> Protocol {
    match session {
        Session::Smtp { .. } => Protocol::Smtp,
        Session::Pop3 { .. } => Protocol::Pop3,
        Session::Imap { .. } => Protocol::Imap,
    }
}

fn replay(case: &Case, one_byte_reads: bool) {
    let t = load(case.file);
    let endpoint = preset_endpoint(&t, protocol_of(case.session), case.file);
    let mut stream = ScriptedStream::from_transcript(&t.script);
    if endpoint.security == Security::Implicit {
        stream = stream.encrypted();
    }
    if one_byte_reads {
        stream = stream.one_byte_reads();
    }
    let rec = Recording::new();
    let mut conn = Connection::new(stream.clone(), Limits::default());
    conn.set_transcript(Some(Box::new(rec.clone())));
    let secret = Secret::new(PASSWORD);
    let outcome = match case.session {
        Session::Smtp { auth } => smtp(conn, &endpoint, auth, &secret, case),
        Session::Pop3 { auth, commands } => pop3(conn, &endpoint, auth, commands, &secret),
        Session::Imap { xoauth2, commands } => {
            imap(conn, &endpoint, xoauth2, commands, &secret, case)
        }
    };
    assert_eq!(outcome, case.outcome, "{}", case.file);
    stream.assert_done();
    // `********` in the script matches any secret: check that the real one went.
    assert!(
        credentials_sent(&stream.written(), &endpoint.user),
        "{}: the credentials did not go out",
        case.file
    );
    for line in rec.lines() {
        assert!(
            !line.contains(PASSWORD),
            "{}: the password reached the transcript: {line}",
            case.file
        );
    }
}

/// True when some line the client wrote carries the user and the password,
/// as typed (POP3 `PASS`, IMAP `LOGIN`) or inside a base64 SASL response.
fn credentials_sent(written: &[u8], user: &str) -> bool {
    use base64::Engine as _;
    let lines: Vec<String> = String::from_utf8_lossy(written)
        .split("\r\n")
        .map(str::to_owned)
        .collect();
    let decoded: Vec<String> = lines
        .iter()
        .filter_map(|line| line.rsplit(' ').next())
        .filter_map(|word| base64::engine::general_purpose::STANDARD.decode(word).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
    let all: Vec<&String> = lines.iter().chain(&decoded).collect();
    all.iter().any(|l| l.contains(PASSWORD)) && all.iter().any(|l| l.contains(user))
}

fn smtp(
    conn: Connection<ScriptedStream>,
    e: &Endpoint,
    auth: Option<Mechanism>,
    secret: &Secret,
    case: &Case,
) -> Outcome {
    use mail_smtp::{Client, Envelope, Options};
    let options = Options {
        helo_name: HELO.into(),
        ..Options::default()
    };
    let mut client = Client::new(conn, options).unwrap();
    match e.security {
        Security::Implicit => client = client.assume_tls(),
        // The scripted peer needs no handshake; the client still must ask
        // for STARTTLS, forget the old capabilities and say EHLO again.
        Security::StartTls => client.starttls_with(|_| Ok(())).unwrap(),
        Security::Plain => {}
    }
    if let Err(err) = client.auth(&e.user, secret, auth) {
        assert!(err.is_auth_failure(), "{}: {err}", case.file);
        return Outcome::AuthRejected;
    }
    for cap in case.learnt {
        assert!(
            client.capabilities().has(cap),
            "{}: {cap} not learnt",
            case.file
        );
    }
    let message = format!(
        "From: <{}>\r\nTo: <{RECIPIENT}>\r\nSubject: provider replay\r\nMessage-ID: <replay@client.example>\r\n\r\nHello from mailkit.\r\n",
        e.address
    );
    let envelope = Envelope::new(e.address.clone(), [RECIPIENT]);
    let delivery = match client.send(
        &envelope,
        &mut message.as_bytes(),
        Some(message.len() as u64),
    ) {
        Ok(delivery) => delivery,
        Err(err) => {
            assert!(err.is_rejected(), "{}: {err}", case.file);
            return Outcome::Rejected;
        }
    };
    client.quit().unwrap();
    if delivery.rejected().next().is_some() {
        Outcome::Rejected
    } else {
        Outcome::Sent
    }
}

fn pop3(
    conn: Connection<ScriptedStream>,
    e: &Endpoint,
    auth: Option<Mechanism>,
    commands: &[&str],
    secret: &Secret,
) -> Outcome {
    use mail_pop3::Client;
    let mut client = Client::new(conn).unwrap();
    client.capa().unwrap();
    // As pop3-cli does: the login chosen from CAPA.
    let login = match auth {
        None => client.login_auto(&e.user, secret),
        Some(mechanism) => client.auth(mechanism, &e.user, secret),
    };
    let mut session = match login {
        Ok(session) => session,
        Err((err, client)) => {
            assert!(err.is_auth_failure(), "{err}");
            // pop3-cli says goodbye before reporting the failure.
            client.quit().unwrap();
            return Outcome::AuthRejected;
        }
    };
    for command in commands {
        let mut out = Vec::new();
        let reply = session.raw(command, &mut out).unwrap();
        assert!(reply.reply.is_ok(), "{command}: {:?}", reply.reply);
        if let Some(size) = reply.body_size {
            assert_eq!(size, out.len() as u64, "{command}: body size");
        }
    }
    session.quit().unwrap();
    Outcome::Done
}

fn imap(
    conn: Connection<ScriptedStream>,
    e: &Endpoint,
    xoauth2: bool,
    commands: &[&str],
    secret: &Secret,
    case: &Case,
) -> Outcome {
    use mail_imap::{Client, Code};
    let client = Client::new(conn).unwrap();
    // As imap-cli does: the login chosen from the capabilities.
    let login = if xoauth2 {
        client.authenticate_xoauth2(&e.user, secret)
    } else {
        client.login_auto(&e.user, secret)
    };
    let session = match login {
        Ok(session) => session,
        Err((err, _)) => {
            assert!(err.is_auth_failure(), "{}: {err}", case.file);
            let alert = err
                .reply()
                .is_some_and(|t| t.text.code == Some(Code::Alert));
            return if alert {
                Outcome::AuthRejectedWithAlert
            } else {
                Outcome::AuthRejected
            };
        }
    };
    let mut console = session.into_console();
    for cap in case.learnt {
        assert!(
            console.has_capability(cap),
            "{}: {cap} not learnt",
            case.file
        );
    }
    for command in commands {
        let reply = console.execute(command).unwrap();
        assert!(reply.is_ok(), "{}: {command}: {reply:?}", case.file);
    }
    console.logout().unwrap();
    Outcome::Done
}

/// Replays every case and names each one that failed (its panic message is
/// printed above).
fn replay_all(one_byte_reads: bool) {
    let failed: Vec<&str> = CASES
        .iter()
        .filter(|case| std::panic::catch_unwind(|| replay(case, one_byte_reads)).is_err())
        .map(|case| case.file)
        .collect();
    assert!(
        failed.is_empty(),
        "these provider replays failed: {failed:?}"
    );
}

#[test]
fn every_provider_transcript_replays() {
    replay_all(false);
}

#[test]
fn every_provider_transcript_replays_one_byte_at_a_time() {
    replay_all(true);
}

#[test]
fn every_transcript_is_in_the_table() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/providers");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".txt"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| c.file.to_owned()).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "every transcript must be replayed, and every case must have its transcript"
    );
}
