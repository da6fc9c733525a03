//! The HTML: the compose page, the result shown above it, and the small
//! error pages. Every value that came from a request or a server passes
//! through [`escape`]; the password is never written into a page.

use std::fmt::Write as _;

use mail_cli::preset::PRESETS;

use crate::compose::{ComposeForm, FieldError};
use crate::form::human_size;

/// The stylesheet, served at `/style.css`.
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// The attachment size check run in the browser, served at `/compose.js`.
pub const COMPOSE_JS: &str = include_str!("assets/compose.js");
/// The icon, served at `/favicon.svg`.
pub const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// What happened to the last submission, shown above the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The server accepted the message.
    Sent {
        /// Who it went to.
        recipients: usize,
        /// The server's reply to the end of DATA.
        reply: String,
        /// The session, secrets masked.
        transcript: Vec<String>,
    },
    /// The message was not sent.
    Failed {
        /// One sentence: the server's exact refusal or what went wrong.
        error: String,
        /// The session so far, secrets masked (may be empty).
        transcript: Vec<String>,
    },
}

/// Everything the compose page shows.
#[derive(Debug, Clone, Copy)]
pub struct ComposeView<'a> {
    /// The fields to fill in (never the password).
    pub form: &'a ComposeForm,
    /// Problems to show beside fields.
    pub errors: &'a [FieldError],
    /// The result of the last submission, if any.
    pub notice: Option<&'a Notice>,
    /// The CSRF token for the hidden field.
    pub token: &'a str,
    /// The upload limit, for the hint under the attachments.
    pub max_upload: u64,
}

/// The compose page, with a notice above it when there is one. After a
/// success only the notice and a link to a fresh form are shown.
pub fn compose_page(view: &ComposeView<'_>) -> String {
    let mut body = String::new();
    if let Some(notice) = view.notice {
        body.push_str(&notice_html(notice));
    }
    if !matches!(view.notice, Some(Notice::Sent { .. })) {
        body.push_str(&form_html(view));
    }
    let title = match view.notice {
        Some(Notice::Sent { .. }) => "Sent",
        Some(Notice::Failed { .. }) => "Not sent",
        None => "Compose",
    };
    layout(title, &body)
}

/// A short page for a refused request (bad origin, too large, not found).
pub fn message_page(title: &str, message: &str) -> String {
    let body = format!(
        "<section class=\"notice fail\" id=\"result\"><h2>{}</h2><p id=\"error\">{}</p>\
         <p><a href=\"/\">Back to the compose form</a></p></section>",
        escape(title),
        escape(message)
    );
    layout(title, &body)
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · smtp-web</title>\n<link rel=\"stylesheet\" href=\"/style.css\">\n\
         <link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n\
         <script src=\"/compose.js\" defer></script>\n</head>\n<body>\n\
         <header class=\"bar\"><img src=\"/favicon.svg\" alt=\"\"> smtp-web <span class=\"muted\">local compose</span></header>\n\
         <main>\n{body}</main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn notice_html(notice: &Notice) -> String {
    let mut out = String::new();
    let transcript = match notice {
        Notice::Sent {
            recipients,
            reply,
            transcript,
        } => {
            let plural = if *recipients == 1 { "" } else { "s" };
            let _ = write!(
                out,
                "<section class=\"notice ok\" id=\"result\" data-result=\"sent\">\n<h2>Message sent</h2>\n\
                 <p>The server accepted the message for {recipients} recipient{plural}:</p>\n\
                 <p class=\"reply\" id=\"reply\">{}</p>\n",
                escape(reply)
            );
            transcript
        }
        Notice::Failed { error, transcript } => {
            let _ = write!(
                out,
                "<section class=\"notice fail\" id=\"result\" data-result=\"failed\">\n<h2>Not sent</h2>\n\
                 <p class=\"reply\" id=\"error\">{}</p>\n\
                 <p class=\"muted\" id=\"kept\">Your fields are kept below. Enter the password again \
                 (it is never written back into a page) and choose any attachments again: \
                 a browser cannot fill in files by itself.</p>\n",
                escape(error)
            );
            transcript
        }
    };
    if !transcript.is_empty() {
        let lines: Vec<String> = transcript.iter().map(|l| escape(l)).collect();
        let _ = write!(
            out,
            "<details open><summary>Transcript (passwords shown as ********)</summary>\n\
             <pre class=\"transcript\" id=\"transcript\">{}</pre></details>\n",
            lines.join("\n")
        );
    }
    if matches!(notice, Notice::Sent { .. }) {
        out.push_str("<p><a href=\"/\" id=\"again\">Write another message</a></p>\n");
    }
    out.push_str("</section>\n");
    out
}

fn form_html(view: &ComposeView<'_>) -> String {
    let f = view.form;
    let err = |name: &str| {
        view.errors
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.as_str())
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<form class=\"card\" method=\"post\" action=\"/send\" enctype=\"multipart/form-data\" accept-charset=\"utf-8\" data-max-upload=\"{}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <fieldset><legend>Account</legend><div class=\"grid\">\n",
        view.max_upload,
        escape(view.token)
    );
    out.push_str(&grid_input(
        "w3",
        "account",
        "Account id",
        "text",
        &f.account,
        "name or name@domain",
        "username",
        err("account"),
    ));
    out.push_str(&grid_input(
        "w3",
        "password",
        "Password",
        "password",
        "",
        "",
        "current-password",
        err("password"),
    ));

    let mut options = String::from("<option value=\"auto\">From the account's domain</option>");
    for preset in PRESETS {
        let domain = preset.domains.first().copied().unwrap_or_default();
        let selected = if f.preset == domain { " selected" } else { "" };
        let _ = write!(
            options,
            "<option value=\"{d}\"{selected}>{d} ({h}:{p})</option>",
            d = escape(domain),
            h = escape(preset.smtp.0),
            p = preset.smtp.1
        );
    }
    out.push_str(&grid_select(
        "w2",
        "preset",
        "Server",
        &options,
        err("preset"),
    ));
    out.push_str(&grid_input(
        "w2",
        "host",
        "or host",
        "text",
        &f.host,
        "overrides the server",
        "off",
        err("host"),
    ));
    out.push_str(&grid_input(
        "w1",
        "port",
        "Port",
        "text",
        &f.port,
        "auto",
        "off",
        err("port"),
    ));
    let mut tls_options = String::new();
    for (value, label) in [
        ("auto", "Auto"),
        ("implicit", "TLS"),
        ("starttls", "STARTTLS"),
        ("none", "None"),
    ] {
        let selected = if f.tls == value { " selected" } else { "" };
        let _ = write!(
            tls_options,
            "<option value=\"{value}\"{selected}>{label}</option>"
        );
    }
    out.push_str(&grid_select(
        "w1",
        "tls",
        "Security",
        &tls_options,
        err("tls"),
    ));
    out.push_str("</div></fieldset>\n<fieldset><legend>Message</legend>\n");

    for (name, label, value, hint) in [
        (
            "from",
            "From",
            &f.from,
            "Name <you@example.com> (default: the account)",
        ),
        ("to", "To", &f.to, "several, separated by commas"),
        ("cc", "Cc", &f.cc, ""),
        ("bcc", "Bcc", &f.bcc, ""),
        ("subject", "Subject", &f.subject, ""),
    ] {
        let class = if err(name).is_some() {
            "row has-error"
        } else {
            "row"
        };
        let _ = write!(
            out,
            "<div class=\"{class}\"><label for=\"{name}\">{label}</label>\
             <input type=\"text\" id=\"{name}\" name=\"{name}\" value=\"{}\" placeholder=\"{}\" autocomplete=\"off\">",
            escape(value),
            escape(hint)
        );
        if let Some(message) = err(name) {
            let _ = write!(
                out,
                "<p class=\"error\" id=\"{name}-error\">{}</p>",
                escape(message)
            );
        }
        out.push_str("</div>\n");
    }
    // HTML drops one newline right after <textarea>: write one, so a body
    // that starts with a blank line comes back intact.
    let _ = writeln!(
        out,
        "<textarea id=\"body\" name=\"body\" aria-label=\"Message body\" placeholder=\"Write your message\">\n{}</textarea>",
        escape(&f.body)
    );
    if let Some(message) = err("body") {
        let _ = write!(
            out,
            "<p class=\"error\" id=\"body-error\">{}</p>",
            escape(message)
        );
    }
    let _ = write!(
        out,
        "<div class=\"attach\"><label for=\"attachments\">Attachments</label>\
         <input type=\"file\" id=\"attachments\" name=\"attachments\" multiple>\
         <span class=\"muted\">up to {} in total</span>\
         <p class=\"error\" id=\"attachments-error\" role=\"alert\" hidden></p></div>\n</fieldset>\n\
         <div class=\"actions\"><button type=\"submit\" id=\"send\">Send</button>\
         <span class=\"muted\">The server's TLS certificate is checked; the password is used for this send only.</span></div>\n</form>\n",
        escape(&human_size(view.max_upload))
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn grid_input(
    width: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    placeholder: &str,
    autocomplete: &str,
    error: Option<&str>,
) -> String {
    let class = if error.is_some() {
        format!("{width} has-error")
    } else {
        width.to_owned()
    };
    let mut out = format!(
        "<label class=\"{class}\"><span>{label}</span><input type=\"{kind}\" id=\"{name}\" name=\"{name}\" \
         value=\"{}\" placeholder=\"{}\" autocomplete=\"{autocomplete}\">",
        escape(value),
        escape(placeholder)
    );
    if let Some(message) = error {
        let _ = write!(
            out,
            "<p class=\"error\" id=\"{name}-error\">{}</p>",
            escape(message)
        );
    }
    out.push_str("</label>\n");
    out
}

fn grid_select(width: &str, name: &str, label: &str, options: &str, error: Option<&str>) -> String {
    let class = if error.is_some() {
        format!("{width} has-error")
    } else {
        width.to_owned()
    };
    let mut out = format!("<label class=\"{class}\"><span>{label}</span><select id=\"{name}\" name=\"{name}\">{options}</select>");
    if let Some(message) = error {
        let _ = write!(
            out,
            "<p class=\"error\" id=\"{name}-error\">{}</p>",
            escape(message)
        );
    }
    out.push_str("</label>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        form: &'a ComposeForm,
        errors: &'a [FieldError],
        notice: Option<&'a Notice>,
    ) -> ComposeView<'a> {
        ComposeView {
            form,
            errors,
            notice,
            token: "tok\"en",
            max_upload: 25 * 1024 * 1024,
        }
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape("<a href=\"x\" onclick='y'>&amp;</a>"),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("한글 plain"), "한글 plain");
    }

    #[test]
    fn every_echoed_value_is_escaped() {
        let evil = "\"><script>alert(1)</script>";
        let form = ComposeForm {
            account: evil.into(),
            host: evil.into(),
            port: evil.into(),
            from: evil.into(),
            to: evil.into(),
            cc: evil.into(),
            bcc: evil.into(),
            subject: evil.into(),
            body: format!("</textarea>{evil}"),
            preset: evil.into(),
            tls: evil.into(),
        };
        let errors = [FieldError {
            field: "to",
            message: evil.into(),
        }];
        let notice = Notice::Failed {
            error: evil.into(),
            transcript: vec![format!("S: 550 {evil}")],
        };
        let html = compose_page(&view(&form, &errors, Some(&notice)));
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("</textarea><"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("value=\"tok&quot;en\""));
        let page = message_page(evil, evil);
        assert!(!page.contains("<script>"));
    }

    #[test]
    fn failure_keeps_the_fields_but_never_a_password() {
        let form = ComposeForm {
            subject: "회의 자료".into(),
            to: "bob@x.test".into(),
            ..ComposeForm::default()
        };
        let notice = Notice::Failed {
            error: "server rejected AUTH: 535 5.7.8 Error: authentication failed".into(),
            transcript: vec![],
        };
        let html = compose_page(&view(&form, &[], Some(&notice)));
        assert!(html.contains("value=\"회의 자료\""));
        assert!(html.contains("535 5.7.8 Error: authentication failed"));
        assert!(html.contains("type=\"password\" id=\"password\" name=\"password\" value=\"\""));
        assert!(html.contains("data-result=\"failed\""));
    }

    #[test]
    fn success_shows_reply_and_transcript_without_the_form() {
        let notice = Notice::Sent {
            recipients: 2,
            reply: "250 2.0.0 Ok: queued as 4Xy".into(),
            transcript: vec![
                "C: AUTH PLAIN ********".into(),
                "S: 235 2.7.0 Authentication successful".into(),
            ],
        };
        let html = compose_page(&view(&ComposeForm::default(), &[], Some(&notice)));
        assert!(html.contains("for 2 recipients"));
        assert!(html.contains(
            "<pre class=\"transcript\" id=\"transcript\">C: AUTH PLAIN ********\nS: 235"
        ));
        assert!(!html.contains("<form"));
    }

    #[test]
    fn field_errors_appear_beside_their_fields() {
        let errors = [FieldError {
            field: "subject",
            message: "The subject must be one line of text: it contains a line break.".into(),
        }];
        let html = compose_page(&view(&ComposeForm::default(), &errors, None));
        assert!(
            html.contains("<p class=\"error\" id=\"subject-error\">The subject must be one line")
        );
        assert!(html.contains("<div class=\"row has-error\"><label for=\"subject\">"));
    }
}
