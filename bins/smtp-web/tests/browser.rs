//! End to end in a real headless browser (Debian's chromium through
//! chromedriver): fill the compose page with Korean text and an attachment,
//! send through the real Postfix over verified STARTTLS, read the message
//! back from Dovecot's maildir and compare; then a wrong password shows the
//! server's refusal on the page; then an attachment over the limit is
//! refused by the page's own size check before any upload.
//!
//! Under CI=true a missing browser or missing servers fail the test; locally
//! they skip it with a note. `SMTP_WEB_SCREENSHOT=docs/smtp-web.png` also
//! saves a screenshot of the filled-in form (`SMTP_WEB_SCREENSHOT_RESULT`
//! and `SMTP_WEB_SCREENSHOT_FAILURE`: of the two result pages).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mail_wire::testing::TestEnv;
use support::mail::{self, Message};
use support::webdriver::{find_browser, Browser};
use support::WebServer;

fn browser_paths() -> Option<(String, String)> {
    match find_browser() {
        Ok(paths) => Some(paths),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("the browser test must run in CI: {why}")
        }
        Err(why) => {
            eprintln!("NOTE: browser test skipped: {why}");
            None
        }
    }
}

struct Fill<'a> {
    password: &'a str,
    port: &'a str,
    from: &'a str,
    to: &'a str,
    cc: &'a str,
    bcc: &'a str,
    subject: &'a str,
    body: &'a str,
    attachment: Option<&'a str>,
}

fn fill_form(browser: &Browser, fill: &Fill<'_>) {
    browser.type_into(&browser.find("#account"), "alice@example.test");
    browser.type_into(&browser.find("#password"), fill.password);
    browser.type_into(&browser.find("#host"), "127.0.0.1");
    browser.type_into(&browser.find("#port"), fill.port);
    browser.click(&browser.find("#tls option[value=starttls]"));
    for (id, text) in [
        ("#from", fill.from),
        ("#to", fill.to),
        ("#cc", fill.cc),
        ("#bcc", fill.bcc),
        ("#subject", fill.subject),
    ] {
        browser.type_into(&browser.find(id), text);
    }
    browser.type_into(&browser.find("#body"), fill.body);
    if let Some(path) = fill.attachment {
        browser.type_into(&browser.find("#attachments"), path);
    }
}

#[test]
fn browser_sends_korean_mail_and_shows_a_refusal() {
    let Some(env) = TestEnv::load() else { return };
    let Some((chromium, chromedriver)) = browser_paths() else {
        return;
    };
    let web = WebServer::start(&["--ca-file", &env.var("MAILTEST_CA_FILE"), "--timeout", "20"]);
    let browser = Browser::start(&chromium, &chromedriver);
    let (_, alice_pw) = env.account("ALICE");
    let port = env.var("MAILTEST_SUBMISSION_PORT");

    // --- 1. A Korean message with an attachment arrives intact.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let tag = format!("web-{}-{nanos}", std::process::id());
    let subject = format!("주간 회의 자료 — 검토 부탁드립니다 {tag}");
    let body = "밥에게,\n\n첨부한 보고서를 확인해 주세요.\n감사합니다.\n— 앨리스";
    let files = tempfile::tempdir().unwrap();
    let attachment_name = "분기 보고서 (최종).bin";
    let attachment_path: PathBuf = files.path().join(attachment_name);
    let mut attachment: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    attachment.extend_from_slice("\r\n.\r\n끝\n".as_bytes());
    std::fs::write(&attachment_path, &attachment).unwrap();

    browser.goto(&web.url);
    assert_eq!(browser.title(), "Compose · smtp-web");
    fill_form(
        &browser,
        &Fill {
            password: alice_pw.expose(),
            port: &port,
            from: "김앨리스 <alice@example.test>",
            to: "박밥 <bob@example.test>",
            cc: "\"최, 캐롤\" <carol@example.test>",
            bcc: "alice@example.test",
            subject: &subject,
            body,
            attachment: Some(attachment_path.to_str().unwrap()),
        },
    );
    if let Ok(path) = std::env::var("SMTP_WEB_SCREENSHOT") {
        std::fs::write(&path, browser.screenshot_png()).unwrap();
    }
    browser.click(&browser.find("#send"));

    if let Ok(path) = std::env::var("SMTP_WEB_SCREENSHOT_RESULT") {
        std::fs::write(&path, browser.screenshot_png()).unwrap();
    }
    let result = browser.find("#result");
    assert_eq!(
        browser.property(&result, "className"),
        "notice ok",
        "page: {}\nlog: {}",
        browser.source(),
        web.stderr()
    );
    assert!(browser.text(&result).contains("Message sent"));
    let reply = browser.text(&browser.find("#reply"));
    assert!(
        reply.starts_with("250 2.0.0 Ok") && reply.contains("queued as "),
        "{reply}"
    );
    let transcript = browser.text(&browser.find("#transcript"));
    assert!(
        transcript.contains("C: STARTTLS") && transcript.contains("C: AUTH "),
        "{transcript}"
    );
    assert!(transcript.contains("********"), "{transcript}");
    assert!(!browser.source().contains(alice_pw.expose()));

    let maildir = PathBuf::from(env.var("MAILTEST_BOB_MAILDIR"));
    let pick = |m: &Message| m.decoded("Subject").is_some_and(|s| s.contains(&tag));
    let message = mail::wait_for(&maildir, Duration::from_secs(20), pick);
    let raw_head = &message.raw[..message
        .raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.raw.len())];
    assert!(
        raw_head.is_ascii(),
        "non-ASCII header bytes: {}",
        String::from_utf8_lossy(raw_head)
    );
    assert!(
        message.header("Subject").unwrap().contains("=?"),
        "subject not an encoded-word"
    );
    assert_eq!(message.decoded("Subject").unwrap(), subject);
    assert!(
        message.decoded("From").unwrap().contains("김앨리스"),
        "{:?}",
        message.decoded("From")
    );
    assert!(message.decoded("To").unwrap().contains("박밥"));
    assert!(message.decoded("Cc").unwrap().contains("최, 캐롤"));
    assert!(
        message.header("Bcc").is_none(),
        "Bcc must not be in the delivered message"
    );
    let text = message.text_body().expect("a text/plain part");
    assert_eq!(text.replace("\r\n", "\n").trim_end(), body);
    let attachments = message.attachments();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].filename.as_deref(), Some(attachment_name));
    assert_eq!(attachments[0].body, attachment, "attachment bytes differ");
    // mail-mime's own parser reads the same message the same way.
    let parsed = mail_mime::ParsedMessage::parse(&message.raw);
    assert_eq!(parsed.subject().as_deref(), Some(subject.as_str()));
    assert_eq!(
        parsed
            .from()
            .first()
            .and_then(|m| m.name().map(str::to_owned))
            .as_deref(),
        Some("김앨리스")
    );
    assert_eq!(
        parsed.text_body().unwrap().replace("\r\n", "\n").trim_end(),
        body
    );
    let parsed_files: Vec<_> = parsed.attachments().collect();
    assert_eq!(parsed_files.len(), 1);
    assert_eq!(parsed_files[0].filename(), Some(attachment_name));
    assert_eq!(&*parsed_files[0].decoded(), attachment.as_slice());
    let carol = PathBuf::from(env.var("MAILTEST_CAROL_MAILDIR"));
    mail::wait_for(&carol, Duration::from_secs(20), pick);

    // --- 2. A wrong password: the server's refusal, fields kept, no password anywhere.
    browser.click(&browser.find("#again"));
    let wrong = format!("wrong-{tag}");
    let evil_subject = "틀린 비밀번호 <b>&amp;</b> \"q\"";
    fill_form(
        &browser,
        &Fill {
            password: &wrong,
            port: &port,
            from: "",
            to: "bob@example.test",
            cc: "",
            bcc: "",
            subject: evil_subject,
            body: "본문",
            attachment: None,
        },
    );
    browser.click(&browser.find("#send"));
    if let Ok(path) = std::env::var("SMTP_WEB_SCREENSHOT_FAILURE") {
        std::fs::write(&path, browser.screenshot_png()).unwrap();
    }
    let result = browser.find("#result");
    assert_eq!(
        browser.property(&result, "className"),
        "notice fail",
        "page: {}",
        browser.source()
    );
    let error = browser.text(&browser.find("#error"));
    assert!(
        error.contains("535 5.7.8"),
        "the page should show Postfix's refusal: {error}"
    );
    assert_eq!(
        browser.property(&browser.find("#subject"), "value"),
        evil_subject
    );
    assert_eq!(
        browser.property(&browser.find("#to"), "value"),
        "bob@example.test"
    );
    assert_eq!(browser.property(&browser.find("#port"), "value"), port);
    assert_eq!(browser.property(&browser.find("#password"), "value"), "");
    assert_eq!(browser.count("b"), 0, "an echoed value became markup");
    assert!(!browser.source().contains(&wrong));
    let log = web.stderr();
    assert!(
        !log.contains(&wrong) && !log.contains(alice_pw.expose()),
        "password in the server's log: {log}"
    );
    assert!(log.contains("not sent"), "{log}");

    // --- 3. Attachments over the limit (issue 12.16): the browser says so
    // before uploading a byte, and the form stays as it is.
    let small = WebServer::start(&[
        "--ca-file",
        &env.var("MAILTEST_CA_FILE"),
        "--max-upload",
        "64K",
    ]);
    let big = files.path().join("큰 파일.bin");
    std::fs::write(&big, vec![7u8; 200_000]).unwrap();
    browser.goto(&small.url);
    let warning = browser.find("#attachments-error");
    assert_eq!(
        browser.text(&warning),
        "",
        "a warning before a file is chosen"
    );
    fill_form(
        &browser,
        &Fill {
            password: alice_pw.expose(),
            port: &port,
            from: "",
            to: "bob@example.test",
            cc: "",
            bcc: "",
            subject: "너무 큰 첨부",
            body: "x",
            attachment: Some(big.to_str().unwrap()),
        },
    );
    let shown = browser.text(&warning);
    assert_eq!(
        shown,
        "The attachments are 195.3 KiB in total, over the limit of 64 KiB: choose smaller files."
    );
    browser.click(&browser.find("#send"));
    assert_eq!(browser.title(), "Compose · smtp-web");
    assert_eq!(
        browser.property(&browser.find("#subject"), "value"),
        "너무 큰 첨부"
    );
    let log = small.stderr();
    assert!(
        !log.contains("refused a form") && !log.contains("sending for"),
        "the form reached the server: {log}"
    );

    // A file within the limit clears the warning and the form goes.
    let fits = files.path().join("작은 파일.txt");
    std::fs::write(&fits, b"small").unwrap();
    let input = browser.find("#attachments");
    browser.clear(&input);
    browser.type_into(&input, fits.to_str().unwrap());
    assert_eq!(browser.text(&browser.find("#attachments-error")), "");
    browser.click(&browser.find("#send"));
    let result = browser.find("#result");
    assert_eq!(
        browser.property(&result, "className"),
        "notice ok",
        "page: {}\nlog: {}",
        browser.source(),
        small.stderr()
    );
}

#[test]
fn mail_helper_decodes_words_params_and_multipart() {
    support::mail::self_test();
}
