//! Issue 12.1: `smtp-web` sending to a port of the real Postfix with the
//! wrong TLS mode in the form finds the right one within seconds, sends,
//! and logs which mode the server wants.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::{Duration, Instant};

use mail_wire::testing::TestEnv;
use support::{http, WebServer};

fn csrf_token(web: &WebServer) -> String {
    let html = http()
        .get(&web.url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let start = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[start..start + 64].to_owned()
}

/// Posts the form for `port_var` with `tls`; returns the status, the page and the time taken.
fn send(env: &TestEnv, web: &WebServer, port_var: &str, tls: &str) -> (u16, String, Duration) {
    let (user, pass) = env.account("ALICE");
    let form = [
        ("csrf", csrf_token(web)),
        ("account", user),
        ("password", pass.expose().to_owned()),
        ("host", env.var("MAILTEST_HOST")),
        ("port", env.var(port_var)),
        ("tls", tls.to_owned()),
        ("to", "bob@example.test".to_owned()),
        ("subject", format!("tls mode {tls}")),
        ("body", "hello".to_owned()),
    ];
    let started = Instant::now();
    let mut response = http()
        .post(&format!("{}send", web.url))
        .send_form(form)
        .unwrap();
    let status = response.status().as_u16();
    let page = response.body_mut().read_to_string().unwrap();
    assert!(!page.contains(pass.expose()));
    (status, page, started.elapsed())
}

#[test]
fn issue_12_a_wrong_tls_mode_in_the_form_is_detected() {
    let Some(env) = TestEnv::load() else { return };
    let web = WebServer::start(&["--ca-file", &env.var("MAILTEST_CA_FILE"), "--timeout", "20"]);
    let (status, page, elapsed) = send(&env, &web, "MAILTEST_SMTPS_PORT", "starttls");
    assert_eq!(status, 200, "{page}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let (status, page, elapsed) = send(&env, &web, "MAILTEST_SUBMISSION_PORT", "implicit");
    assert_eq!(status, 200, "{page}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    let log = web.stderr();
    assert!(
        log.contains("speaks TLS from the first byte") && log.contains("--tls implicit"),
        "{log}"
    );
    assert!(
        log.contains("answered in plain text") && log.contains("--tls starttls"),
        "{log}"
    );
}
