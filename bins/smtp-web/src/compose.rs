//! The compose form: what the user typed ([`ComposeForm`], shown again on
//! failure, never with the password) and its validation into a
//! [`SendRequest`] that can go to the SMTP server.
//!
//! Every field but the body is one line: a CR or LF (or another control
//! character) in the account, server, addresses or subject is refused with a
//! message under that field, so user text can never add a header or an SMTP
//! command.

use std::time::Duration;

use mail_cli::preset::{self, Protocol};
use mail_cli::{Endpoint, NetArgs, TlsMode};
use mail_wire::Secret;

use crate::address;
use crate::form::{FormData, Upload};

/// The text fields of the page, as typed (the password is not kept here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeForm {
    /// Account id: `name` (Naver) or `name@domain`.
    pub account: String,
    /// `auto` (from the account's domain) or a preset's domain.
    pub preset: String,
    /// Host that overrides the preset, or empty.
    pub host: String,
    /// Port, or empty for the default.
    pub port: String,
    /// `""` (from the port), `implicit`, `starttls` or `none`.
    pub tls: String,
    /// From: `Name <addr>`; empty means the account's address.
    pub from: String,
    /// To: comma-separated mailboxes.
    pub to: String,
    /// Cc: comma-separated mailboxes.
    pub cc: String,
    /// Bcc: comma-separated mailboxes (envelope only).
    pub bcc: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// A problem with one field, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's form name (`subject`, `to`, ...).
    pub field: &'static str,
    /// One sentence for the user.
    pub message: String,
}

/// A validated message and where to send it.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// Server, login name and account address.
    pub endpoint: Endpoint,
    /// The account's password.
    pub password: Secret,
    /// The From mailbox (`Name <addr>` or `addr`).
    pub from: String,
    /// To mailboxes.
    pub to: Vec<String>,
    /// Cc mailboxes.
    pub cc: Vec<String>,
    /// Bcc mailboxes.
    pub bcc: Vec<String>,
    /// The subject, one line.
    pub subject: String,
    /// The body text.
    pub body: String,
    /// Attached files, names made safe.
    pub attachments: Vec<Upload>,
}

/// Defaults from the command line that apply to every send.
#[derive(Debug, Clone)]
pub struct SendDefaults {
    /// Network time limit per operation.
    pub timeout: Duration,
}

impl ComposeForm {
    /// Takes the fields, the password and the files out of a decoded form.
    pub fn from_form(form: &FormData) -> (ComposeForm, Secret, Vec<Upload>) {
        let compose = ComposeForm {
            account: form.get("account").trim().to_owned(),
            preset: form.get("preset").trim().to_owned(),
            host: form.get("host").trim().to_owned(),
            port: form.get("port").trim().to_owned(),
            tls: form.get("tls").trim().to_owned(),
            from: form.get("from").trim().to_owned(),
            to: form.get("to").trim().to_owned(),
            cc: form.get("cc").trim().to_owned(),
            bcc: form.get("bcc").trim().to_owned(),
            subject: form.get("subject").to_owned(),
            body: form.get("body").to_owned(),
        };
        let password = Secret::new(form.get("password"));
        let files = form
            .files
            .iter()
            .filter(|(name, _)| name == "attachments")
            .map(|(_, f)| f.clone())
            .collect();
        (compose, password, files)
    }

    /// Checks every field and resolves the server.
    ///
    /// # Errors
    /// Every problem found, one per field, in page order.
    pub fn validate(
        &self,
        password: &Secret,
        attachments: Vec<Upload>,
        defaults: &SendDefaults,
    ) -> Result<SendRequest, Vec<FieldError>> {
        let mut errors: Vec<FieldError> = Vec::new();
        let fail = |errors: &mut Vec<FieldError>, field: &'static str, message: String| {
            errors.push(FieldError { field, message })
        };

        for (field, label, value) in [
            ("account", "account", &self.account),
            ("host", "host", &self.host),
            ("port", "port", &self.port),
            ("from", "From", &self.from),
            ("to", "To", &self.to),
            ("cc", "Cc", &self.cc),
            ("bcc", "Bcc", &self.bcc),
            ("subject", "subject", &self.subject),
        ] {
            if let Some(problem) = one_line_problem(value) {
                fail(
                    &mut errors,
                    field,
                    format!("The {label} must be one line of text: it contains {problem}."),
                );
            }
        }
        if self.body.contains('\0') {
            fail(
                &mut errors,
                "body",
                "The body contains a NUL character, which mail cannot carry.".to_owned(),
            );
        }
        if self.account.is_empty() {
            fail(
                &mut errors,
                "account",
                "Enter the account id (name, or name@domain).".to_owned(),
            );
        }
        if password.expose().is_empty() {
            fail(&mut errors, "password", "Enter the password.".to_owned());
        }
        let port = match self.port.as_str() {
            "" => None,
            text => match text.parse::<u16>() {
                Ok(port) if port > 0 => Some(port),
                _ => {
                    fail(
                        &mut errors,
                        "port",
                        "The port must be a number from 1 to 65535.".to_owned(),
                    );
                    None
                }
            },
        };
        let tls = match self.tls.as_str() {
            "" | "auto" => None,
            "implicit" => Some(TlsMode::Implicit),
            "starttls" => Some(TlsMode::Starttls),
            "none" => Some(TlsMode::None),
            _ => {
                fail(
                    &mut errors,
                    "tls",
                    "Choose a TLS mode from the list.".to_owned(),
                );
                None
            }
        };
        let preset_host = match self.preset.as_str() {
            "" | "auto" => None,
            domain => match preset::find(domain) {
                Some(p) => Some(p.smtp),
                None => {
                    fail(
                        &mut errors,
                        "preset",
                        "Choose a server from the list.".to_owned(),
                    );
                    None
                }
            },
        };
        let mut lists = [
            ("to", &self.to, Vec::new()),
            ("cc", &self.cc, Vec::new()),
            ("bcc", &self.bcc, Vec::new()),
        ];
        for (field, text, parsed) in &mut lists {
            if one_line_problem(text).is_some() {
                continue; // already reported
            }
            match address::parse_list(text) {
                Ok(list) => *parsed = list,
                Err(err) => fail(&mut errors, field, format!("{err}.")),
            }
        }
        let [(_, _, to), (_, _, cc), (_, _, bcc)] = lists;
        let list_failed = errors
            .iter()
            .any(|e| matches!(e.field, "to" | "cc" | "bcc"));
        if to.is_empty() && cc.is_empty() && bcc.is_empty() && !list_failed {
            fail(
                &mut errors,
                "to",
                "Enter at least one recipient.".to_owned(),
            );
        }
        let from = if self.from.is_empty() || one_line_problem(&self.from).is_some() {
            None
        } else {
            match address::parse_mailbox(&self.from) {
                Ok(from) => Some(from),
                Err(err) => {
                    fail(&mut errors, "from", format!("{err}."));
                    None
                }
            }
        };

        let endpoint = if self.account.is_empty() || !errors.is_empty() {
            None
        } else {
            let (host, preset_port) = match (self.host.as_str(), preset_host) {
                ("", Some((host, port))) => (Some(host.to_owned()), Some(port)),
                ("", None) => (None, None),
                (host, _) => (Some(host.to_owned()), None),
            };
            let tls_matches =
                |p: u16| tls.is_none_or(|t| mail_wire::Security::for_port(p) == t.into());
            let net = NetArgs {
                host,
                port: port.or(preset_port.filter(|&p| tls_matches(p))),
                tls,
                ca_files: Vec::new(),
                no_system_ca: false,
                insecure: false,
                timeout: defaults.timeout.as_secs(),
                quiet: true,
                verbose: false,
            };
            match net.resolve(&self.account, Protocol::Smtp) {
                Ok(endpoint) => Some(endpoint),
                Err(err) => {
                    let field = if err.message.contains("--host") {
                        "host"
                    } else {
                        "account"
                    };
                    let message = err
                        .message
                        .replace("give --host (and --port)", "enter a host (and port)");
                    fail(
                        &mut errors,
                        field,
                        format!(
                            "{}{}.",
                            message.get(..1).unwrap_or_default().to_uppercase(),
                            message.get(1..).unwrap_or_default()
                        ),
                    );
                    None
                }
            }
        };

        match endpoint {
            Some(endpoint) if errors.is_empty() => Ok(SendRequest {
                from: from.unwrap_or_else(|| endpoint.address.clone()),
                endpoint,
                password: password.clone(),
                to,
                cc,
                bcc,
                subject: self.subject.clone(),
                body: self.body.clone(),
                attachments: attachments.into_iter().map(safe_upload).collect(),
            }),
            _ => Err(errors),
        }
    }
}

/// Why a value cannot be one header line, if it cannot.
fn one_line_problem(value: &str) -> Option<&'static str> {
    if value.contains(['\r', '\n']) {
        Some("a line break")
    } else if value.chars().any(|c| c.is_control() && c != '\t') {
        Some("a control character")
    } else {
        None
    }
}

/// Keeps an uploaded file's own name only: no directories (old browsers sent
/// `C:\dir\name`), no control characters, at most 200 characters.
fn safe_upload(mut upload: Upload) -> Upload {
    let base = upload
        .filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let mut name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim_matches(['.', ' ']).is_empty() {
        name = "attachment".to_owned();
    }
    upload.filename = name;
    let valid_type = upload.content_type.as_deref().is_some_and(|t| {
        let mime = t.split(';').next().unwrap_or_default().trim();
        mime.split_once('/').is_some_and(|(a, b)| {
            let token = |s: &str| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
            };
            token(a) && token(b)
        })
    });
    if !valid_type {
        upload.content_type = Some("application/octet-stream".to_owned());
    }
    upload
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_wire::Security;

    fn defaults() -> SendDefaults {
        SendDefaults {
            timeout: Duration::from_secs(7),
        }
    }

    fn filled() -> ComposeForm {
        ComposeForm {
            account: "alice@example.test".into(),
            host: "127.0.0.1".into(),
            port: "10587".into(),
            from: "앨리스 <alice@example.test>".into(),
            to: "밥 <bob@example.test>, carol@example.test".into(),
            subject: "안녕하세요 — 회의 자료".into(),
            body: "첫 줄\r\n둘째 줄\r\n".into(),
            ..ComposeForm::default()
        }
    }

    fn errors_of(form: &ComposeForm) -> Vec<(&'static str, String)> {
        match form.validate(&Secret::new("pw"), Vec::new(), &defaults()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    #[test]
    fn a_filled_form_becomes_a_request() {
        let upload = Upload {
            filename: "C:\\Users\\홍\\보고서.pdf".into(),
            content_type: Some("application/pdf".into()),
            data: vec![1, 2],
        };
        let req = filled()
            .validate(&Secret::new("pw"), vec![upload], &defaults())
            .unwrap();
        assert_eq!(
            (req.endpoint.server.host.as_str(), req.endpoint.server.port),
            ("127.0.0.1", 10587)
        );
        assert_eq!(req.endpoint.security, Security::StartTls);
        assert_eq!(req.endpoint.server.timeout, Duration::from_secs(7));
        assert_eq!(req.endpoint.user, "alice@example.test");
        assert_eq!(req.from, "앨리스 <alice@example.test>");
        assert_eq!(req.to, ["밥 <bob@example.test>", "carol@example.test"]);
        assert!(req.cc.is_empty() && req.bcc.is_empty());
        assert_eq!(req.subject, "안녕하세요 — 회의 자료");
        assert_eq!(req.attachments[0].filename, "보고서.pdf");
        assert_eq!(req.attachments[0].data, [1, 2]);
    }

    #[test]
    fn presets_and_defaults_pick_the_server() {
        let mut form = ComposeForm {
            account: "hong".into(),
            to: "a@b.test".into(),
            ..ComposeForm::default()
        };
        let req = form
            .validate(&Secret::new("pw"), Vec::new(), &defaults())
            .unwrap();
        assert_eq!(
            (req.endpoint.server.host.as_str(), req.endpoint.server.port),
            ("smtp.naver.com", 465)
        );
        assert_eq!(req.from, "hong@naver.com");
        form.preset = "gmail.com".into();
        form.tls = "starttls".into();
        let req = form
            .validate(&Secret::new("pw"), Vec::new(), &defaults())
            .unwrap();
        assert_eq!(
            (req.endpoint.server.host.as_str(), req.endpoint.server.port),
            ("smtp.gmail.com", 587)
        );
        assert_eq!(req.endpoint.security, Security::StartTls);
        form.account = "a@unknown.test".into();
        form.preset = "auto".into();
        assert_eq!(errors_of(&form)[0].0, "host");
    }

    #[test]
    fn cr_and_lf_are_refused_in_every_one_line_field() {
        for field in ["account", "host", "from", "to", "cc", "bcc", "subject"] {
            for evil in [
                "x\r\nRCPT TO:<evil@x.test>",
                "x\nBcc: evil@x.test",
                "x\rX",
                "x\u{0}y",
            ] {
                let mut form = filled();
                let slot = match field {
                    "account" => &mut form.account,
                    "host" => &mut form.host,
                    "from" => &mut form.from,
                    "to" => &mut form.to,
                    "cc" => &mut form.cc,
                    "bcc" => &mut form.bcc,
                    _ => &mut form.subject,
                };
                *slot = format!("{slot}{evil}");
                let errors = errors_of(&form);
                assert!(
                    errors
                        .iter()
                        .any(|(f, m)| *f == field && m.contains("must be one line")),
                    "{field} with {evil:?}: {errors:?}"
                );
            }
        }
        let mut form = filled();
        form.body = "nul \0 byte".into();
        assert_eq!(
            errors_of(&form),
            [(
                "body",
                "The body contains a NUL character, which mail cannot carry.".to_owned()
            )]
        );
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let form = ComposeForm::default();
        let errors = form
            .validate(&Secret::new(""), Vec::new(), &defaults())
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["account", "password", "to"]);

        let table = [
            ("port", "0", "The port must be a number from 1 to 65535."),
            (
                "port",
                "70000",
                "The port must be a number from 1 to 65535.",
            ),
            ("tls", "ssl3", "Choose a TLS mode from the list."),
            ("preset", "evil.test", "Choose a server from the list."),
        ];
        for (field, value, message) in table {
            let mut form = filled();
            match field {
                "port" => form.port = value.into(),
                "tls" => form.tls = value.into(),
                _ => form.preset = value.into(),
            }
            assert_eq!(
                errors_of(&form),
                [(field, message.to_owned())],
                "{field}={value}"
            );
        }
        let mut form = filled();
        form.to = "bob@example.test, not an address".into();
        assert_eq!(errors_of(&form)[0].0, "to");
    }

    #[test]
    fn upload_names_lose_directories_and_controls() {
        let table = [
            ("../../etc/passwd", "passwd"),
            ("C:\\dir\\사진.jpg", "사진.jpg"),
            ("a\u{7}b.txt", "ab.txt"),
            ("..", "attachment"),
            ("", "attachment"),
        ];
        for (given, expected) in table {
            let up = safe_upload(Upload {
                filename: given.into(),
                content_type: Some("bad type\r\n".into()),
                data: Vec::new(),
            });
            assert_eq!(up.filename, expected);
            assert_eq!(up.content_type.as_deref(), Some("application/octet-stream"));
        }
    }
}
