//! The built `smtp-web` over real HTTP, with requests no browser would
//! send: paths that try to reach files, GET sends, forged origins, missing
//! tokens, oversized and malformed bodies. None of these needs a mail server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use support::{http, WebServer};

fn get(web: &WebServer, path: &str) -> (u16, String) {
    let mut response = http()
        .get(&format!("http://127.0.0.1:{}{path}", web.port))
        .call()
        .unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

fn csrf_token(web: &WebServer) -> String {
    let (_, html) = get(web, "/");
    let start = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[start..start + 64].to_owned()
}

fn post(web: &WebServer, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut request = http().post(&format!("http://127.0.0.1:{}/send", web.port));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body).unwrap();
    (
        response.status().as_u16(),
        response.body_mut().read_to_string().unwrap(),
    )
}

/// Sends raw bytes and returns the raw response (for request lines a client
/// library would refuse to write).
fn raw(web: &WebServer, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", web.port)).unwrap();
    stream.write_all(request).unwrap();
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

#[test]
fn serves_the_page_with_security_headers_and_nothing_from_disk() {
    let web = WebServer::start(&[]);
    let response = http().get(&web.url).call().unwrap();
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(response.headers().get("x-frame-options").unwrap(), "DENY");
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let (status, css) = get(&web, "/style.css");
    assert_eq!((status, css.contains("font")), (200, true));
    // The attachment size check: a script from this server only.
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let (status, js) = get(&web, "/compose.js");
    assert_eq!((status, js.contains("data-max-upload")), (200, true));
    let (_, page) = get(&web, "/");
    assert!(page.contains("<script src=\"/compose.js\" defer></script>"));
    assert!(!page.contains("<script>"), "no inline script");
    for path in [
        "/Cargo.toml",
        "/src/main.rs",
        "/style.css/../Cargo.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/.git/config",
        "/assets/style.css",
    ] {
        let (status, body) = get(&web, path);
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains("[package]") && !body.contains("root:"),
            "{path}"
        );
    }
    let response = raw(
        &web,
        b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert!(!response.contains("root:"));
}

#[test]
fn the_old_get_url_never_sends() {
    let web = WebServer::start(&[]);
    let (status, body) = get(
        &web,
        "/send?account=alice&password=secret-in-url&to=bob%40example.test&subject=x",
    );
    assert_eq!(status, 405);
    assert!(body.contains("only by the form"));
    assert!(!body.contains("secret-in-url"));
    assert!(!web.stderr().contains("secret-in-url"), "{}", web.stderr());
}

#[test]
fn forged_and_tokenless_posts_are_refused() {
    let web = WebServer::start(&[]);
    let token = csrf_token(&web);
    let form = format!(
        "csrf={token}&account=alice&password=pw&host=127.0.0.1&port=1&to=bob%40example.test"
    );
    let urlencoded = ("Content-Type", "application/x-www-form-urlencoded");
    let evil_host = format!("evil.test:{}", web.port);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![urlencoded, ("Origin", "http://evil.test")],
        vec![urlencoded, ("Origin", "null")],
        vec![urlencoded, ("Sec-Fetch-Site", "cross-site")],
        vec![urlencoded, ("Host", &evil_host)],
    ];
    for headers in &cases {
        let (status, body) = post(&web, headers, form.as_bytes());
        assert_eq!(status, 403, "{headers:?}: {body}");
    }
    let (status, body) = post(
        &web,
        &[urlencoded],
        b"account=alice&password=pw&to=bob%40example.test",
    );
    assert_eq!(status, 403);
    assert!(body.contains("did not come from this page"));
    let (status, _) = post(
        &web,
        &[urlencoded],
        format!("csrf={}&to=x", "0".repeat(64)).as_bytes(),
    );
    assert_eq!(status, 403);
}

#[test]
fn validation_errors_come_back_escaped_with_fields_kept() {
    let web = WebServer::start(&[]);
    let token = csrf_token(&web);
    let form = format!(
        "csrf={token}&account=alice%40example.test&password=hunter2-pw&host=127.0.0.1&to=%3Cscript%3E&subject=%ED%95%9C%0D%0ABcc%3A+x%40y"
    );
    let (status, body) = post(
        &web,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    );
    assert_eq!(status, 422);
    assert!(
        body.contains("The subject must be one line of text: it contains a line break."),
        "{body}"
    );
    assert!(body.contains("value=\"&lt;script&gt;\""));
    assert!(!body.contains("<script>"));
    assert!(!body.contains("hunter2-pw"));
    assert!(body.contains("value=\"alice@example.test\""));
}

#[test]
fn oversized_forms_get_a_clear_page() {
    let web = WebServer::start(&["--max-upload", "64K"]);
    let token = csrf_token(&web);
    let mut body =
        format!("--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n")
            .into_bytes();
    body.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.bin\"\r\n\r\n");
    body.extend(std::iter::repeat_n(b'x', 200 * 1024));
    body.extend_from_slice(b"\r\n--B--\r\n");
    let (status, page) = post(
        &web,
        &[("Content-Type", "multipart/form-data; boundary=B")],
        &body,
    );
    assert_eq!(status, 413);
    assert!(page.contains("larger than the limit of 64 KiB"), "{page}");
    assert!(web.stderr().contains("larger than the limit"));
}

/// A multipart form as a browser sends it: the text fields in page order,
/// then the attachment.
fn compose_form(fields: &[(&str, &str)], attachment: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some(data) = attachment {
        body.extend_from_slice(b"--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--B--\r\n");
    body
}

const MULTIPART: (&str, &str) = ("Content-Type", "multipart/form-data; boundary=B");

/// The page shows the draft: every field as sent, the password empty, and
/// the sentence about choosing attachments again.
fn assert_draft_kept(page: &str, fields: &[(&str, &str)], password: &str) {
    for (name, value) in fields {
        match *name {
            "csrf" | "password" | "tls" | "preset" => {}
            "body" => assert!(
                page.contains(&format!("name=\"body\" aria-label=\"Message body\" placeholder=\"Write your message\">\n{value}</textarea>")),
                "body not kept: {page}"
            ),
            _ => assert!(
                page.contains(&format!("name=\"{name}\" value=\"{value}\"")),
                "{name} not kept: {page}"
            ),
        }
    }
    assert!(
        page.contains("type=\"password\" id=\"password\" name=\"password\" value=\"\""),
        "{page}"
    );
    assert!(!page.contains(password), "password echoed: {page}");
    assert!(
        page.contains("choose any attachments again: a browser cannot fill in files by itself"),
        "{page}"
    );
    assert!(page.contains("data-result=\"failed\""), "{page}");
}

/// Issue 12.16: attachments over the limit and an unreachable server both
/// give the form back filled in, with a clear message.
#[test]
fn the_draft_comes_back_when_too_large_or_the_server_is_unreachable() {
    let web = WebServer::start(&["--max-upload", "64K", "--timeout", "5"]);
    let token = csrf_token(&web);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port().to_string();
    drop(closed);
    let fields = [
        ("csrf", token.as_str()),
        ("account", "alice@example.test"),
        ("password", "draft-secret-pw"),
        ("host", "127.0.0.1"),
        ("port", closed_port.as_str()),
        ("tls", "starttls"),
        ("from", "앨리스 &lt;alice@example.test&gt;"),
        (
            "to",
            "bob@example.test, &quot;Kim, Chul&quot; &lt;k@example.test&gt;",
        ),
        ("cc", "carol@example.test"),
        ("bcc", "dave@example.test"),
        ("subject", "초안 제목"),
        ("body", "첫 줄\r\n둘째 줄"),
    ];
    // The values as typed; `fields` holds them as the page escapes them.
    let unescape = |v: &str| {
        v.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
    };
    let typed: Vec<(&str, String)> = fields.iter().map(|(n, v)| (*n, unescape(v))).collect();
    let typed: Vec<(&str, &str)> = typed.iter().map(|(n, v)| (*n, v.as_str())).collect();

    let big = vec![b'x'; 200 * 1024];
    let (status, page) = post(&web, &[MULTIPART], &compose_form(&typed, Some(&big)));
    assert_eq!(status, 413, "{page}");
    assert!(page.contains("larger than the limit of 64 KiB"), "{page}");
    assert_draft_kept(&page, &fields, "draft-secret-pw");

    let (status, page) = post(&web, &[MULTIPART], &compose_form(&typed, Some(b"small")));
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("id=\"error\">"), "{page}");
    assert_draft_kept(&page, &fields, "draft-secret-pw");
    assert!(
        !web.stderr().contains("draft-secret-pw"),
        "{}",
        web.stderr()
    );
}

/// Issue 12.16 against Postfix: a wrong password gives the form back filled in.
#[test]
fn the_draft_comes_back_after_a_wrong_password() {
    let Some(env) = mail_wire::testing::TestEnv::load() else {
        return;
    };
    let web = WebServer::start(&["--ca-file", &env.var("MAILTEST_CA_FILE"), "--timeout", "20"]);
    let token = csrf_token(&web);
    let port = env.var("MAILTEST_SUBMISSION_PORT");
    let fields = [
        ("csrf", token.as_str()),
        ("account", "alice@example.test"),
        ("password", "wrong-draft-pw"),
        ("host", "127.0.0.1"),
        ("port", port.as_str()),
        ("tls", "starttls"),
        ("to", "bob@example.test"),
        ("subject", "비밀번호 틀림"),
        ("body", "본문"),
    ];
    let (status, page) = post(&web, &[MULTIPART], &compose_form(&fields, Some(b"file")));
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("535 5.7.8"), "{page}");
    assert_draft_kept(&page, &fields, "wrong-draft-pw");
}

#[test]
fn malformed_multipart_is_a_bad_request() {
    let web = WebServer::start(&[]);
    let (status, page) = post(
        &web,
        &[("Content-Type", "multipart/form-data; boundary=B")],
        b"--B\r\nno headers\r\n",
    );
    assert_eq!(status, 400);
    assert!(page.contains("malformed multipart form"), "{page}");
    let (status, _) = post(&web, &[("Content-Type", "multipart/form-data")], b"x");
    assert_eq!(status, 400);
}

#[test]
fn a_bad_listen_address_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-web"))
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smtp-web"))
        .args(["--max-upload", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("500K or 25M"));
}
