//! The test support's mailbox helpers against every real server: what the
//! end-to-end suites of the other crates rest on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use mail_wire::testing::{Protocol, TestEnv};

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}-{}-{nanos}", std::process::id())
}

fn maildir_count(env: &TestEnv, who: &str) -> usize {
    let maildir = env.maildir(who).unwrap();
    ["new", "cur"]
        .iter()
        .map(|sub| std::fs::read_dir(maildir.join(sub)).unwrap().count())
        .sum()
}

#[test]
fn mail_handed_to_each_smtp_server_lands_in_the_maildir_and_is_emptied() {
    TestEnv::for_each_server(Protocol::Smtp, |env| {
        env.empty_mailbox("BOB");
        assert_eq!(maildir_count(env, "BOB"), 0);
        let marker = unique("raw");
        let message = format!(
            "From: alice@example.test\r\nSubject: {marker}\r\n\r\n.leading dot\r\n..two\r\nend\r\n"
        );
        env.deliver_raw(
            &env.var("MAILTEST_ALICE_USER"),
            &env.var("MAILTEST_BOB_USER"),
            message.as_bytes(),
        );
        let got = env.wait_for_mail("BOB", &marker, Duration::from_secs(20));
        let text = String::from_utf8_lossy(&got);
        assert!(
            text.contains("\n.leading dot\r\n..two\r\nend\r\n")
                || text.contains("\n.leading dot\n..two\nend\n"),
            "{text}"
        );
        env.empty_mailbox("BOB");
        assert_eq!(maildir_count(env, "BOB"), 0);
    });
}

#[test]
fn mail_saved_on_each_imap_server_is_counted_and_emptied() {
    TestEnv::for_each_server(Protocol::Imap, |env| {
        // Carol's password has a quote and a backslash: the IMAP helper quotes them.
        env.empty_mailbox("CAROL");
        assert_eq!(env.inbox_count("CAROL"), 0);
        for n in 0..2 {
            env.save(
                "CAROL",
                format!("From: bob@example.test\r\nSubject: saved {n}\r\n\r\nbody {n}\r\n")
                    .as_bytes(),
            );
        }
        assert_eq!(env.inbox_count("CAROL"), 2);
        env.empty_mailbox("CAROL");
        assert_eq!(env.inbox_count("CAROL"), 0);
    });
}
