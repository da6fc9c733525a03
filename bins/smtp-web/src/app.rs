//! The web application without the socket: a request in, a response out.
//! [`crate::server`] connects it to `tiny_http`; tests call it directly.
//!
//! Routes: `GET /` (the compose page), `GET /style.css`, `GET /compose.js`
//! and `GET /favicon.svg` (embedded in the binary), `POST /send`. Nothing else
//! exists: no path from a request ever reaches the file system, and a GET
//! can never send mail.

use std::io::{self, Read};
use std::net::SocketAddr;

use crate::compose::{ComposeForm, FieldError, SendDefaults};
use crate::csrf::{self, CsrfToken};
use crate::form::{human_size, FormData, FormError};
use crate::mailer::Mailer;
use crate::page::{self, ComposeView, Notice};

/// Headers sent with every response: scripts, styles and images only from
/// this server (no inline script), forms only to this server, no framing, no caching of
/// pages that may hold addresses, no referrer to other sites.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    // Not `no-referrer`: with it Chrome sends `Origin: null` on the form POST.
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
];

/// How the application is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address the server listens on (for the Host check).
    pub listen: SocketAddr,
    /// Largest request body accepted, attachments included, in bytes.
    pub max_upload: u64,
    /// Network settings for every send.
    pub defaults: SendDefaults,
    /// Fields the empty form starts with (from `--host`, `--port`, `--tls`).
    pub initial: ComposeForm,
}

/// One HTTP request, already parsed by the server crate.
pub struct Request<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The request target (`/send`, `/?x=1`).
    pub url: &'a str,
    /// Headers as `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// The body, read only by `POST /send`.
    pub body: &'a mut dyn Read,
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response to write back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` value.
    pub content_type: &'static str,
    /// `Allow` value for a 405.
    pub allow: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn html(status: u16, html: String) -> Response {
        Response {
            status,
            content_type: "text/html; charset=utf-8",
            allow: None,
            body: html.into_bytes(),
        }
    }
}

/// The application: configuration, the per-run CSRF token, and the mailer.
pub struct App {
    config: Config,
    token: CsrfToken,
    mailer: Box<dyn Mailer>,
}

impl App {
    /// An application with a fresh CSRF token.
    ///
    /// # Errors
    /// When the operating system's random source cannot be read.
    pub fn new(config: Config, mailer: Box<dyn Mailer>) -> Result<App, getrandom::Error> {
        Ok(App {
            config,
            token: CsrfToken::generate()?,
            mailer,
        })
    }

    /// Answers one request.
    pub fn handle(&self, request: Request<'_>) -> Response {
        let path = request.url.split(['?', '#']).next().unwrap_or_default();
        let method = request.method;
        let reading = matches!(method, "GET" | "HEAD");
        match path {
            "/" | "/style.css" | "/compose.js" | "/favicon.svg" | "/send" => {}
            _ => {
                return Response::html(
                    404,
                    page::message_page("Not found", "This server has only the compose page."),
                )
            }
        }
        if let Err(refusal) = csrf::check_origin(
            self.config.listen,
            request.header("Host"),
            request.header("Origin").filter(|_| !reading),
            request.header("Sec-Fetch-Site").filter(|_| !reading),
        ) {
            log::warn!(
                "refused a {method} request: {refusal} (Host {:?}, Origin {:?}, Sec-Fetch-Site {:?})",
                request.header("Host"),
                request.header("Origin"),
                request.header("Sec-Fetch-Site")
            );
            return Response::html(
                403,
                page::message_page("Refused", &format!("Refused: {refusal}.")),
            );
        }
        match (path, reading) {
            ("/", true) => self.compose(200, &self.config.initial, &[], None),
            ("/style.css", true) => Response {
                status: 200,
                content_type: "text/css; charset=utf-8",
                allow: None,
                body: page::STYLE_CSS.into(),
            },
            ("/compose.js", true) => Response {
                status: 200,
                content_type: "text/javascript; charset=utf-8",
                allow: None,
                body: page::COMPOSE_JS.into(),
            },
            ("/favicon.svg", true) => Response {
                status: 200,
                content_type: "image/svg+xml",
                allow: None,
                body: page::FAVICON_SVG.into(),
            },
            ("/send", _) if method == "POST" => self.send(request),
            ("/send", _) => Response {
                allow: Some("POST"),
                ..Response::html(
                    405,
                    page::message_page(
                        "Method not allowed",
                        "Mail is sent only by the form's Send button (POST).",
                    ),
                )
            },
            _ => Response {
                allow: Some("GET, HEAD"),
                ..Response::html(
                    405,
                    page::message_page("Method not allowed", "This page can only be read."),
                )
            },
        }
    }

    fn compose(
        &self,
        status: u16,
        form: &ComposeForm,
        errors: &[FieldError],
        notice: Option<&Notice>,
    ) -> Response {
        let view = ComposeView {
            form,
            errors,
            notice,
            token: self.token.as_str(),
            max_upload: self.config.max_upload,
        };
        Response::html(status, page::compose_page(&view))
    }

    /// A form over the upload limit: the compose page again with the text
    /// fields that arrived before the files (never the password), when the
    /// part read carries this run's CSRF token; otherwise a short page.
    fn too_large(&self, content_type: &str, prefix: &[u8]) -> Response {
        let err = FormError::TooLarge {
            limit: self.config.max_upload,
        };
        log::warn!("refused a form: {err}");
        let limit = human_size(self.config.max_upload);
        let form = FormData::text_fields_of_cut_body(content_type, prefix);
        if !self.token.verify(form.get("csrf")) {
            let message =
                format!("Not sent: {err}. Attach smaller files (up to {limit} in total).");
            return Response::html(413, page::message_page("Attachments too large", &message));
        }
        let (compose, _password, _uploads) = ComposeForm::from_form(&form);
        let notice = Notice::Failed {
            error: format!("Not sent: {err}. Choose smaller attachments (up to {limit} in total)."),
            transcript: Vec::new(),
        };
        self.compose(413, &compose, &[], Some(&notice))
    }

    fn send(&self, request: Request<'_>) -> Response {
        let content_type = request
            .header("Content-Type")
            .unwrap_or_default()
            .to_owned();
        let declared = request
            .header("Content-Length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = match read_bounded(request.body, declared, self.config.max_upload) {
            Ok(body) => body,
            Err(BodyError::TooLarge { prefix }) => return self.too_large(&content_type, &prefix),
            Err(BodyError::Io(err)) => {
                return Response::html(
                    400,
                    page::message_page(
                        "Bad request",
                        &format!("The form could not be read: {err}."),
                    ),
                )
            }
        };
        let form = match FormData::parse(&content_type, &body) {
            Ok(form) => form,
            Err(err) => {
                return Response::html(
                    400,
                    page::message_page("Bad request", &format!("Not sent: {err}.")),
                )
            }
        };
        if !self.token.verify(form.get("csrf")) {
            log::warn!("refused a form without this run's CSRF token");
            let message = "Not sent: the form did not come from this page (or the server was restarted). Reload the page and try again.";
            return Response::html(403, page::message_page("Refused", message));
        }
        let (compose, password, uploads) = ComposeForm::from_form(&form);
        let send_request = match compose.validate(&password, uploads, &self.config.defaults) {
            Ok(send_request) => send_request,
            Err(errors) => return self.compose(422, &compose, &errors, None),
        };
        log::info!(
            "sending for {} through {}:{} to {} recipient(s)",
            send_request.endpoint.user,
            send_request.endpoint.server.host,
            send_request.endpoint.server.port,
            send_request.to.len() + send_request.cc.len() + send_request.bcc.len()
        );
        let report = self.mailer.send(&send_request).redacted(&send_request);
        match report.result {
            Ok(accepted) => {
                log::info!("sent: {}", accepted.reply);
                let notice = Notice::Sent {
                    recipients: accepted.recipients,
                    reply: accepted.reply,
                    transcript: report.transcript,
                };
                self.compose(200, &ComposeForm::default(), &[], Some(&notice))
            }
            Err(error) => {
                log::warn!("not sent: {error}");
                let notice = Notice::Failed {
                    error,
                    transcript: report.transcript,
                };
                self.compose(502, &compose, &[], Some(&notice))
            }
        }
    }
}

enum BodyError {
    /// Over the limit; `prefix` holds the first bytes, up to the limit.
    TooLarge {
        prefix: Vec<u8>,
    },
    Io(io::Error),
}

/// Reads at most `limit` bytes. A body declared or found larger is refused
/// with its first `limit` bytes (where the text fields are, so the form can
/// come back filled in); up to four times the limit is still read and
/// dropped first, so the browser, which is still sending, gets to show the
/// refusal page instead of a reset connection.
fn read_bounded(
    body: &mut dyn Read,
    declared: Option<u64>,
    limit: u64,
) -> Result<Vec<u8>, BodyError> {
    let drain = |body: &mut dyn Read| {
        let _ = io::copy(&mut body.take(limit.saturating_mul(4)), &mut io::sink());
    };
    let mut buf =
        Vec::with_capacity(usize::try_from(declared.unwrap_or(0).min(limit)).unwrap_or(0));
    if declared.is_some_and(|len| len > limit) {
        // A read error here only shortens the prefix: the answer is 413 anyway.
        let _ = body.take(limit).read_to_end(&mut buf);
        drain(body);
        return Err(BodyError::TooLarge { prefix: buf });
    }
    body.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(BodyError::Io)?;
    if buf.len() as u64 > limit {
        buf.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        drain(body);
        return Err(BodyError::TooLarge { prefix: buf });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::SendRequest;
    use crate::mailer::{Accepted, SendReport};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    const TOKEN: &str = "0123456789abcdef";

    #[derive(Clone, Default)]
    struct FakeMailer {
        sent: Arc<Mutex<Vec<SendRequest>>>,
        refuse: Option<String>,
    }

    impl Mailer for FakeMailer {
        fn send(&self, request: &SendRequest) -> SendReport {
            self.sent.lock().unwrap().push(request.clone());
            let pw = request.password.expose();
            let transcript = vec!["S: 220 ready".to_owned(), format!("C: AUTH PLAIN {pw}")];
            match &self.refuse {
                Some(reply) => SendReport {
                    result: Err(reply.clone()),
                    transcript,
                },
                None => SendReport {
                    result: Ok(Accepted {
                        reply: "250 2.0.0 Ok: queued as X".into(),
                        recipients: 1,
                    }),
                    transcript,
                },
            }
        }
    }

    fn app(mailer: FakeMailer, max_upload: u64) -> App {
        let config = Config {
            listen: "127.0.0.1:2345".parse().unwrap(),
            max_upload,
            defaults: SendDefaults {
                timeout: Duration::from_secs(5),
            },
            initial: ComposeForm {
                host: "127.0.0.1".into(),
                ..ComposeForm::default()
            },
        };
        App {
            config,
            token: CsrfToken::fixed(TOKEN),
            mailer: Box::new(mailer),
        }
    }

    fn call(
        app: &App,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        if !headers.iter().any(|(n, _)| n == "Host") {
            headers.push(("Host".into(), "127.0.0.1:2345".into()));
        }
        let mut body = body;
        let response = app.handle(Request {
            method,
            url,
            headers,
            body: &mut body,
        });
        (response.status, String::from_utf8(response.body).unwrap())
    }

    fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in fields {
            out.extend_from_slice(
                format!(
                    "--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((filename, data)) = file {
            out.extend_from_slice(
                format!("--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--B--\r\n");
        out
    }

    const MP: (&str, &str) = ("Content-Type", "multipart/form-data; boundary=B");

    fn good_fields() -> Vec<(&'static str, &'static str)> {
        vec![
            ("csrf", TOKEN),
            ("account", "alice@example.test"),
            ("password", "pa55-word"),
            ("host", "127.0.0.1"),
            ("port", "10587"),
            ("to", "밥 <bob@example.test>"),
            ("subject", "안녕 <b>"),
            ("body", "본문"),
        ]
    }

    #[test]
    fn get_serves_the_page_and_embedded_assets_only() {
        let app = app(FakeMailer::default(), 1 << 20);
        let (status, html) = call(&app, "GET", "/?x=1", &[], b"");
        assert_eq!(status, 200);
        assert!(html.contains(&format!("name=\"csrf\" value=\"{TOKEN}\"")));
        assert!(html.contains("method=\"post\" action=\"/send\" enctype=\"multipart/form-data\""));
        assert_eq!(call(&app, "GET", "/style.css", &[], b"").0, 200);
        for path in [
            "/../../etc/passwd",
            "/etc/passwd",
            "/style.css/..",
            "/%2e%2e/Cargo.toml",
            "/src/main.rs",
            "//etc/passwd",
            "/favicon.ico",
        ] {
            let (status, html) = call(&app, "GET", path, &[], b"");
            assert_eq!(status, 404, "{path}");
            assert!(!html.contains("root:"), "{path}");
        }
    }

    #[test]
    fn get_never_sends_mail() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1 << 20);
        let (status, _) = call(
            &app,
            "GET",
            "/send?account=alice&password=pw&to=bob%40example.test",
            &[],
            b"",
        );
        assert_eq!(status, 405);
        assert!(mailer.sent.lock().unwrap().is_empty());
        assert_eq!(call(&app, "POST", "/", &[], b"").0, 405);
    }

    #[test]
    fn a_good_form_is_sent_and_the_page_shows_no_password() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1 << 20);
        let body = multipart(&good_fields(), Some(("메모.txt", b"file bytes")));
        let (status, html) = call(
            &app,
            "POST",
            "/send",
            &[MP, ("Origin", "http://127.0.0.1:2345")],
            &body,
        );
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Message sent") && html.contains("250 2.0.0 Ok: queued as X"));
        assert!(html.contains("C: AUTH PLAIN ********"));
        assert!(!html.contains("pa55-word"));
        let sent = mailer.sent.lock().unwrap();
        assert_eq!(sent[0].subject, "안녕 <b>");
        assert_eq!(sent[0].attachments[0].filename, "메모.txt");
        assert_eq!(sent[0].attachments[0].data, b"file bytes");
    }

    #[test]
    fn urlencoded_posts_work_too() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1 << 20);
        let body = format!("csrf={TOKEN}&account=alice%40example.test&password=a+b%26c&host=127.0.0.1&to=bob%40example.test&subject=%ED%95%9C+%2B1");
        let (status, _) = call(
            &app,
            "POST",
            "/send",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        );
        assert_eq!(status, 200);
        let sent = mailer.sent.lock().unwrap();
        assert_eq!(sent[0].password.expose(), "a b&c");
        assert_eq!(sent[0].subject, "한 +1");
    }

    #[test]
    fn refusals_keep_fields_but_not_the_password() {
        let mailer = FakeMailer {
            refuse: Some("server rejected AUTH: 535 5.7.8 Error: authentication failed".into()),
            ..Default::default()
        };
        let app = app(mailer, 1 << 20);
        let (status, html) = call(
            &app,
            "POST",
            "/send",
            &[MP],
            &multipart(&good_fields(), None),
        );
        assert_eq!(status, 502);
        assert!(html.contains("535 5.7.8 Error: authentication failed"));
        assert!(html.contains("value=\"안녕 &lt;b&gt;\""));
        assert!(html.contains("value=\"밥 &lt;bob@example.test&gt;\""));
        assert!(!html.contains("pa55-word"), "{html}");
    }

    #[test]
    fn validation_errors_are_shown_and_nothing_is_sent() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1 << 20);
        let mut fields = good_fields();
        fields.push(("subject", "ignored second value"));
        fields.retain(|(n, _)| *n != "subject");
        fields.push(("subject", "hi\r\nBcc: evil@x.test"));
        let (status, html) = call(&app, "POST", "/send", &[MP], &multipart(&fields, None));
        assert_eq!(status, 422);
        assert!(html.contains(
            "id=\"subject-error\">The subject must be one line of text: it contains a line break."
        ));
        assert!(mailer.sent.lock().unwrap().is_empty());
    }

    #[test]
    fn cross_site_and_tokenless_posts_are_refused() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1 << 20);
        let body = multipart(&good_fields(), None);
        let cases: &[&[(&str, &str)]] = &[
            &[MP, ("Origin", "http://evil.test")],
            &[MP, ("Sec-Fetch-Site", "cross-site")],
            &[MP, ("Host", "evil.test:2345")],
        ];
        for headers in cases {
            assert_eq!(
                call(&app, "POST", "/send", headers, &body).0,
                403,
                "{headers:?}"
            );
        }
        let mut fields = good_fields();
        fields.retain(|(n, _)| *n != "csrf");
        fields.push(("csrf", "0123456789abcdeX"));
        let (status, html) = call(&app, "POST", "/send", &[MP], &multipart(&fields, None));
        assert_eq!(status, 403);
        assert!(html.contains("did not come from this page"));
        assert!(mailer.sent.lock().unwrap().is_empty());
    }

    #[test]
    fn oversized_uploads_get_a_clear_message() {
        let mailer = FakeMailer::default();
        let app = app(mailer.clone(), 1024);
        let body = multipart(&good_fields(), Some(("big.bin", &[b'x'; 4096])));
        let (status, html) = call(&app, "POST", "/send", &[MP], &body);
        assert_eq!(status, 413);
        assert!(html.contains("larger than the limit of 1 KiB"), "{html}");
        // Issue 12.16: the fields sent before the file come back, not the password.
        assert!(html.contains("value=\"안녕 &lt;b&gt;\""), "{html}");
        assert!(
            html.contains("value=\"밥 &lt;bob@example.test&gt;\""),
            "{html}"
        );
        assert!(!html.contains("pa55-word"), "{html}");
        // Without this run's token in the part read, nothing is echoed.
        let mut fields = good_fields();
        fields.retain(|(n, _)| *n != "csrf");
        let body = multipart(&fields, Some(("big.bin", &[b'x'; 4096])));
        let (status, html) = call(&app, "POST", "/send", &[MP], &body);
        assert_eq!(status, 413);
        assert!(html.contains("larger than the limit of 1 KiB"), "{html}");
        assert!(!html.contains("bob@example.test"), "{html}");
        let len = body.len().to_string();
        let (status, _) = call(
            &app,
            "POST",
            "/send",
            &[MP, ("Content-Length", &len)],
            &body,
        );
        assert_eq!(status, 413);
        assert!(mailer.sent.lock().unwrap().is_empty());
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        let app = app(FakeMailer::default(), 1 << 20);
        let (status, html) = call(
            &app,
            "POST",
            "/send",
            &[MP],
            b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",
        );
        assert_eq!(status, 400);
        assert!(html.contains("malformed multipart form"));
        assert_eq!(
            call(
                &app,
                "POST",
                "/send",
                &[("Content-Type", "text/plain")],
                b"x"
            )
            .0,
            400
        );
    }
}
