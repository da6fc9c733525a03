//! `smtp-web`: a local web form that composes one mail and sends it through
//! an SMTP server with `mail-smtp`, built with the `mail-mime` builder.
//!
//! In scope: one compose page (account and password, server preset or
//! host/port/TLS, From, To, Cc, Bcc, subject, body, attachments), sending it
//! by POST only, and a result page with the server's reply or exact refusal
//! and the session transcript with secrets masked. Out of scope: reading
//! mail, drafts, address books, sessions or logins of its own.
//!
//! How it is kept safe, point by point against the original script (which
//! took the password in a GET URL, decoded only `%40`, and served any file
//! the URL named):
//!
//! - HTTP is parsed by `tiny_http`; forms by [`FormData::parse`]
//!   (urlencoded with every escape and `+`, or multipart with a bounded
//!   parser), text must be UTF-8.
//! - Only `POST /send` sends; the password travels in the body, is held as a
//!   [`mail_wire::Secret`], and is never logged, echoed or put in a page;
//!   transcripts are masked by mail-smtp and once more here.
//! - A per-run CSRF token plus Host/Origin checks ([`csrf`]); every echoed
//!   value is HTML-escaped ([`page::escape`]); a strict Content-Security-Policy.
//! - The only files served are the page's own assets, compiled into the
//!   binary; a request path never reaches the file system.
//! - The request body is limited ([`Config::max_upload`]) with a clear page
//!   when it is exceeded; the server binds loopback by default and warns
//!   otherwise.
//! - CR or LF in any one-line field is refused before anything is built, and
//!   non-ASCII subjects and names go out as RFC 2047 encoded-words.
//!
//! Decoding a browser's form offline:
//!
//! ```
//! use smtp_web::{ComposeForm, FormData, SendDefaults};
//! use mail_wire::Secret;
//!
//! let body = "--B\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\n안녕하세요\r\n\
//!             --B\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n밥 <bob@example.test>\r\n\
//!             --B\r\nContent-Disposition: form-data; name=\"account\"\r\n\r\nalice@example.test\r\n\
//!             --B\r\nContent-Disposition: form-data; name=\"host\"\r\n\r\n127.0.0.1\r\n--B--\r\n";
//! let form = FormData::parse("multipart/form-data; boundary=B", body.as_bytes())?;
//! let (compose, _password, files) = ComposeForm::from_form(&form);
//! assert_eq!(compose.subject, "안녕하세요");
//!
//! let defaults = SendDefaults { timeout: std::time::Duration::from_secs(30) };
//! let request = compose.validate(&Secret::new("pw"), files, &defaults).expect("valid");
//! assert_eq!(request.to, ["밥 <bob@example.test>"]);
//! assert_eq!(request.endpoint.server.port, 465);
//!
//! let mut evil = compose.clone();
//! evil.subject = "hi\r\nBcc: everyone@example.test".into();
//! let errors = evil.validate(&Secret::new("pw"), Vec::new(), &defaults).unwrap_err();
//! assert_eq!(errors[0].field, "subject");
//! # Ok::<(), smtp_web::FormError>(())
//! ```
//!
//! Serving the page (`no_run`):
//!
//! ```no_run
//! use std::sync::Arc;
//! use smtp_web::{App, ComposeForm, Config, SendDefaults, SmtpMailer};
//!
//! let listen = "127.0.0.1:2345".parse()?;
//! let config = Config {
//!     listen,
//!     max_upload: 25 << 20,
//!     defaults: SendDefaults { timeout: std::time::Duration::from_secs(30) },
//!     initial: ComposeForm::default(),
//! };
//! let app = App::new(config, Box::new(SmtpMailer::new(mail_wire::TlsConfig::new())))?;
//! let server = smtp_web::server::bind(listen)?;
//! smtp_web::server::serve(Arc::new(server), Arc::new(app));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod address;
mod app;
mod compose;
pub mod csrf;
mod form;
mod mailer;
mod message;
mod multipart;
pub mod page;
pub mod server;
mod smtp_mailer;
mod urlencoded;

pub use address::{parse_list, parse_mailbox, AddressError};
pub use app::{App, Config, Request, Response, SECURITY_HEADERS};
pub use compose::{ComposeForm, FieldError, SendDefaults, SendRequest};
pub use form::{human_size, FormData, FormError, Upload};
pub use mailer::{Accepted, Mailer, SendReport};
pub use multipart::{boundary, parse_multipart, Part, MAX_HEADER_BYTES, MAX_PARTS};
pub use smtp_mailer::SmtpMailer;
pub use urlencoded::{parse_urlencoded, percent_decode};
