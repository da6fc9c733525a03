//! Against the real Dovecot from `scripts/servers`, over TLS verified
//! against the throwaway CA (IMAPS and STARTTLS).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use mail_imap::{
    Client, Code, Error, FetchEvent, FetchItem, NString, SequenceSet, Session, Untagged,
};
use mail_wire::testing::TestEnv;
use mail_wire::{Limits, NetStream, Secret, Security};

fn imaps(env: &TestEnv) -> Client<NetStream> {
    Client::connect(
        &env.server("MAILTEST_IMAPS_PORT"),
        Security::Implicit,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap()
}

fn login(env: &TestEnv, who: &str) -> Session<NetStream> {
    let (user, pass) = env.account(who);
    imaps(env).login(&user, &pass).map_err(|(e, _)| e).unwrap()
}

/// A mailbox name no other test uses.
fn unique(base: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{base}-{}-{nanos}", std::process::id())
}

fn message(subject: &str, body_lines: usize) -> Vec<u8> {
    let mut m = format!(
        "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.test>\r\n\r\n"
    )
    .into_bytes();
    for i in 0..body_lines {
        m.extend_from_slice(
            format!("line {i} with some text \u{d55c}\u{ae00} and \"quotes\" \\ {{5}}\r\n")
                .as_bytes(),
        );
    }
    m
}

#[test]
fn carol_logs_in_over_imaps_with_spaces_quotes_and_backslash() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    assert_eq!(pass.expose(), "c4rol pa\"ss\\word");
    let session = imaps(&env).login(&user, &pass).map_err(|(e, _)| e).unwrap();
    assert!(session.has_capability("IMAP4rev1"));
    session.logout().unwrap();
}

#[test]
fn carol_logs_in_over_starttls_and_capabilities_are_fresh() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    let client = Client::connect(
        &env.server("MAILTEST_IMAP_PORT"),
        Security::StartTls,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap();
    assert!(
        !client.capabilities().iter().any(|c| c == "STARTTLS"),
        "asked again over TLS: {:?}",
        client.capabilities()
    );
    assert!(!client.capabilities().iter().any(|c| c == "LOGINDISABLED"));
    let session = client.login(&user, &pass).map_err(|(e, _)| e).unwrap();
    session.logout().unwrap();
}

#[test]
fn non_ascii_password_goes_as_a_literal_and_is_rejected_cleanly() {
    let Some(env) = TestEnv::load() else { return };
    let (user, _) = env.account("CAROL");
    let (err, client) = imaps(&env)
        .login(&user, &Secret::new("비밀 번호 \"x\""))
        .err()
        .unwrap();
    assert!(
        err.is_auth_failure(),
        "Dovecot must read the literal and answer NO: {err}"
    );
    assert!(!err.to_string().contains("비밀"));
    client.logout().unwrap();
}

#[test]
fn authenticate_plain_works() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    let session = imaps(&env)
        .authenticate_plain(&user, &pass)
        .map_err(|(e, _)| e)
        .unwrap();
    session.logout().unwrap();
}

#[test]
fn korean_mailbox_create_list_rename_delete() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "ALICE");
    let name = unique("내게쓴메일함");
    let renamed = format!("{name}-보관");
    s.create(&name).unwrap();
    let listed = s.list("", "*").unwrap();
    let item = listed
        .iter()
        .find(|i| i.decoded_name() == name)
        .expect("created mailbox is listed");
    assert!(
        item.name.starts_with("&sLSsjMT0ulTHfNVo-"),
        "sent as modified UTF-7: {}",
        item.name
    );
    assert_eq!(item.delimiter, Some('.'));
    assert!(
        s.list("", &name).unwrap().len() == 1,
        "pattern is encoded too"
    );
    s.rename(&name, &renamed).unwrap();
    let names: Vec<String> = s
        .list("", "*")
        .unwrap()
        .iter()
        .map(|i| i.decoded_name())
        .collect();
    assert!(
        names.contains(&renamed) && !names.contains(&name),
        "{names:?}"
    );
    s.subscribe(&renamed).unwrap();
    assert!(s
        .lsub("", "*")
        .unwrap()
        .iter()
        .any(|i| i.decoded_name() == renamed));
    s.unsubscribe(&renamed).unwrap();
    let status = s.status(&renamed, &["MESSAGES", "UIDNEXT"]).unwrap();
    assert_eq!(status.get("MESSAGES"), Some(0));
    s.delete(&renamed).unwrap();
    let err = s.delete(&renamed).unwrap_err();
    assert!(
        err.to_string().starts_with("server rejected DELETE: NO"),
        "{err}"
    );
    s.logout().unwrap();
}

#[test]
fn append_then_fetch_is_byte_exact() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "BOB");
    let mbox = unique("append");
    s.create(&mbox).unwrap();
    let msg = message("byte-exact", 2000);
    let appended = s.append(&mbox, &["\\Seen"], msg.clone()).unwrap();
    let (validity, uids) = appended.expect("Dovecot has UIDPLUS");
    let mut sel = s.select(&mbox).map_err(|(e, _)| e).unwrap();
    assert_eq!(sel.mailbox().uid_validity, Some(validity));
    assert_eq!(sel.mailbox().exists, 1);
    let uid = uids.iter(0).next().unwrap();
    // In memory.
    let fetched = sel
        .uid_fetch(
            &SequenceSet::single(uid),
            "(UID FLAGS RFC822.SIZE BODY.PEEK[])",
        )
        .unwrap();
    assert_eq!(fetched[0].body(), Some(&NString::Bytes(msg.clone())));
    assert!(fetched[0]
        .items
        .contains(&FetchItem::Size(msg.len() as u64)));
    assert!(fetched[0].flags().unwrap().iter().any(|f| f.is("\\Seen")));
    // Streamed.
    let mut streamed = Vec::new();
    let mut events = sel
        .uid_fetch_stream(&[SequenceSet::all()], "BODY.PEEK[]")
        .unwrap();
    while let Some(event) = events.next().unwrap() {
        if let FetchEvent::Body(body) = event {
            assert_eq!(body.context.uid.map(|u| u.0), Some(uid));
            body.copy_to(&mut streamed).unwrap();
        }
    }
    assert_eq!(streamed, msg);
    let mut s = sel.close().unwrap();
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

#[test]
fn store_search_copy_move_expunge() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "CAROL");
    let (a, b) = (unique("work"), unique("archive"));
    s.create(&a).unwrap();
    s.create(&b).unwrap();
    for i in 0..5 {
        s.append(&a, &[], message(&format!("msg{i}"), 3)).unwrap();
    }
    let mut sel = s.select(&a).map_err(|(e, _)| e).unwrap();
    assert_eq!(sel.mailbox().exists, 5);
    let fetched = sel
        .store(
            &SequenceSet::parse("1:2").unwrap(),
            "+FLAGS",
            &["\\Flagged", "$Work"],
        )
        .unwrap();
    assert_eq!(fetched.len(), 2);
    assert_eq!(sel.search("FLAGGED").unwrap(), [1, 2]);
    assert_eq!(sel.search("SUBJECT \"msg3\"").unwrap(), [4]);
    assert_eq!(sel.search("KEYWORD $Work").unwrap(), [1, 2]);
    let uids = sel.uid_search("ALL").unwrap();
    assert_eq!(uids.len(), 5);
    let esearch = sel.uid_esearch("ALL").unwrap();
    assert_eq!(esearch.count(), Some(5));
    assert_eq!(
        esearch.all().unwrap().ranges().len(),
        1,
        "one range, not five numbers"
    );
    let copied = sel.copy(&SequenceSet::single(3), &b).unwrap();
    assert!(matches!(copied, Some(Code::CopyUid { .. })), "{copied:?}");
    let moved = sel.uid_move(&SequenceSet::single(uids[4].0), &b).unwrap();
    assert!(matches!(moved, Some(Code::CopyUid { .. })), "{moved:?}");
    assert_eq!(sel.mailbox().exists, 4);
    sel.store(&SequenceSet::single(1), "+FLAGS.SILENT", &["\\Deleted"])
        .unwrap();
    assert_eq!(sel.expunge().unwrap(), [mail_imap::SeqNum(1)]);
    assert_eq!(sel.mailbox().exists, 3);
    let err = sel
        .store(&SequenceSet::single(1), "+FLAGS", &["bad flag"])
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)));
    let mut s = sel.unselect().unwrap();
    assert_eq!(
        s.status(&b, &["MESSAGES"]).unwrap().get("MESSAGES"),
        Some(2)
    );
    let ns = s.namespace().unwrap();
    assert_eq!(ns[0][0].delimiter, Some('.'));
    let id = s.id(&[("name", "mail-imap")]).unwrap();
    assert!(id.iter().any(|(k, _)| k == "name"), "{id:?}");
    s.delete(&a).unwrap();
    s.delete(&b).unwrap();
    s.logout().unwrap();
}

#[test]
fn idle_is_woken_by_an_append_from_a_second_connection() {
    let Some(env) = TestEnv::load() else { return };
    let mbox = unique("idle");
    let mut s = login(&env, "ALICE");
    s.create(&mbox).unwrap();
    let mut sel = s.select(&mbox).map_err(|(e, _)| e).unwrap();
    let other = {
        let env_mbox = mbox.clone();
        let mut second = login(&env, "ALICE");
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            second
                .append(&env_mbox, &[], message("wake-up", 1))
                .unwrap();
            second.logout().unwrap();
        })
    };
    let started = Instant::now();
    let out = sel
        .idle(
            Duration::from_secs(20),
            |u| matches!(u, Untagged::Exists(n) if *n > 0),
            || false,
        )
        .unwrap();
    other.join().unwrap();
    assert!(!out.timed_out, "woken, not timed out");
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(sel.mailbox().exists, 1);
    let mut s = sel.close().unwrap();
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

#[test]
fn a_message_sent_through_smtp_is_found_and_fetched() {
    let Some(env) = TestEnv::load() else { return };
    let subject = unique("via-smtp");
    env.deliver_raw(
        "alice@example.test",
        "bob@example.test",
        &message(&subject, 5),
    );

    let s = login(&env, "BOB");
    let mut inbox = s.examine("INBOX").map_err(|(e, _)| e).unwrap();
    assert!(inbox.mailbox().read_only);
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let hits = inbox
            .uid_search(&format!("HEADER Subject \"{subject}\""))
            .unwrap();
        if let Some(uid) = hits.first() {
            break *uid;
        }
        assert!(Instant::now() < deadline, "delivery did not arrive");
        std::thread::sleep(Duration::from_millis(200));
        inbox.noop().unwrap();
    };
    let fetched = inbox
        .uid_fetch(&SequenceSet::single(found.0), "(ENVELOPE BODY.PEEK[TEXT])")
        .unwrap();
    let envelope = fetched[0]
        .items
        .iter()
        .find_map(|i| {
            if let FetchItem::Envelope(e) = i {
                Some(e.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(envelope.subject.as_deref(), Some(subject.as_bytes()));
    assert_eq!(envelope.from[0].host.as_deref(), Some(&b"example.test"[..]));
    let text = fetched[0].body().and_then(NString::text).unwrap();
    assert!(text.contains("line 4 with some text"), "{text}");
    inbox.logout().unwrap();
}

#[test]
fn a_large_message_streams_within_a_small_limit_of_memory() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "ALICE");
    let mbox = unique("large");
    s.create(&mbox).unwrap();
    let msg = message("large", 60_000); // about 4 MB
    s.append(&mbox, &[], msg.clone()).unwrap();
    let mut sel = s.select(&mbox).map_err(|(e, _)| e).unwrap();
    // In memory the limit refuses it ...
    sel.session().connection().set_limits(Limits {
        max_line: 64 * 1024,
        max_literal: 1024 * 1024,
    });
    let err = sel
        .fetch(&SequenceSet::single(1), "BODY.PEEK[]")
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    drop(sel); // the refused literal is still on the wire: this connection is done
               // ... streamed, only the literal limit applies.
    let mut sel = login(&env, "ALICE")
        .select(&mbox)
        .map_err(|(e, _)| e)
        .unwrap();
    let mut hasher = Vec::new();
    let mut events = sel
        .fetch_stream(&SequenceSet::single(1), "BODY.PEEK[]")
        .unwrap();
    while let Some(event) = events.next().unwrap() {
        if let FetchEvent::Body(b) = event {
            b.copy_to(&mut hasher).unwrap();
        }
    }
    assert!(hasher == msg);
    let mut s = sel.close().unwrap();
    s.delete(&mbox).unwrap();
    s.logout().unwrap();
}

/// Issue 10: every SASL mechanism Dovecot offers that the client speaks logs
/// in, and the login chosen from the capabilities works over STARTTLS.
#[test]
fn issue_10_authenticate_login_and_cram_md5_and_login_auto() {
    let Some(env) = TestEnv::load() else { return };
    let (user, pass) = env.account("CAROL");
    for mechanism in [
        mail_wire::sasl::Mechanism::Login,
        mail_wire::sasl::Mechanism::CramMd5,
    ] {
        let session = imaps(&env)
            .authenticate(mechanism, &user, &pass)
            .map_err(|(e, _)| e)
            .unwrap();
        session.logout().unwrap();
    }
    let client = Client::connect(
        &env.server("MAILTEST_IMAP_PORT"),
        Security::StartTls,
        &env.tls(),
        mail_imap::Options::default(),
    )
    .unwrap();
    client
        .login_auto(&user, &pass)
        .map_err(|(e, _)| e)
        .unwrap()
        .logout()
        .unwrap();
    let (err, client) = imaps(&env)
        .authenticate_xoauth2(&user, &pass)
        .err()
        .unwrap();
    assert!(matches!(err, Error::Unsupported("XOAUTH2")), "{err}");
    client.logout().unwrap();
}

/// Issue 10: Korean search text reaches Dovecot as a literal with CHARSET
/// UTF-8 and finds the message whose subject is an encoded-word.
#[test]
fn issue_10_search_with_korean_text_finds_the_message() {
    let Some(env) = TestEnv::load() else { return };
    let mut s = login(&env, "ALICE");
    let name = unique("search");
    s.create(&name).unwrap();
    s.append(
        &name,
        &[],
        b"From: bob@example.test\r\nSubject: =?UTF-8?B?7JWI64WV7ZWY7IS47JqU?=\r\n\r\nhi\r\n"
            .to_vec(),
    )
    .unwrap();
    s.append(&name, &[], message("plain-ascii", 1)).unwrap();
    let mut selected = s.select(&name).map_err(|(e, _)| e).unwrap();
    assert_eq!(selected.search("SUBJECT 안녕").unwrap(), [1]);
    assert_eq!(
        selected
            .search("OR SUBJECT \"하세요\" SUBJECT plain-ascii")
            .unwrap(),
        [1, 2]
    );
    assert!(selected.uid_search("SUBJECT 없는말").unwrap().is_empty());
    let mut s = selected.close().unwrap();
    s.delete(&name).unwrap();
    s.logout().unwrap();
}
