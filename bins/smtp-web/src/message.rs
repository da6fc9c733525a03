//! Turning a [`SendRequest`] into a message with the mail-mime builder:
//! non-ASCII subjects and display names become RFC 2047 encoded-words, file
//! names RFC 2231 parameters, Bcc stays out of the header, and uploads are
//! attached from memory (`attach_bytes`), so no name from a request ever
//! reaches the file system. The envelope and the streamed content come from
//! mail-smtp's `send_message`, the path smtp-send takes too.

use mail_mime::{Mailbox, MessageBuilder, OutgoingMessage};

use crate::compose::SendRequest;

/// Builds the message.
///
/// # Errors
/// The builder's sentence when an address, the subject or an attachment
/// cannot be put into the message.
pub fn build(request: &SendRequest) -> Result<OutgoingMessage, String> {
    let mailbox = |text: &str| Mailbox::parse(text).map_err(|err| err.to_string());
    let mut builder = MessageBuilder::new().from(mailbox(&request.from)?);
    for to in &request.to {
        builder = builder.to(mailbox(to)?);
    }
    for cc in &request.cc {
        builder = builder.cc(mailbox(cc)?);
    }
    for bcc in &request.bcc {
        builder = builder.bcc(mailbox(bcc)?);
    }
    builder = builder
        .subject(request.subject.as_str())
        .text(request.body.as_str());
    for upload in &request.attachments {
        builder = builder
            .attach_bytes(
                &upload.filename,
                upload.content_type.as_deref(),
                upload.data.clone(),
            )
            .map_err(|err| err.to_string())?;
    }
    builder.build().map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{ComposeForm, SendDefaults};
    use crate::form::Upload;
    use mail_smtp::Envelope;
    use mail_wire::Secret;
    use std::time::Duration;

    fn request(form: ComposeForm, attachments: Vec<Upload>) -> SendRequest {
        form.validate(
            &Secret::new("pw"),
            attachments,
            &SendDefaults {
                timeout: Duration::from_secs(5),
            },
        )
        .unwrap()
    }

    fn text(message: &OutgoingMessage) -> String {
        let mut bytes = Vec::new();
        message.write_to(&mut bytes).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn head(message: &OutgoingMessage) -> String {
        text(message).split("\r\n\r\n").next().unwrap().to_owned()
    }

    #[test]
    fn korean_subject_and_names_go_out_as_encoded_words() {
        let form = ComposeForm {
            account: "alice@example.test".into(),
            host: "127.0.0.1".into(),
            from: "김앨리스 <alice@example.test>".into(),
            to: "박밥 <bob@example.test>".into(),
            cc: "\"최, 캐롤\" <carol@example.test>".into(),
            bcc: "audit@example.test".into(),
            subject: "주간 회의 자료".into(),
            body: "안녕하세요\n본문입니다".into(),
            ..ComposeForm::default()
        };
        let built = build(&request(form, Vec::new())).unwrap();
        let head = head(&built);
        let envelope = Envelope::from_message(&built);
        assert!(head.is_ascii(), "{head}");
        let subject = head.lines().find(|l| l.starts_with("Subject: ")).unwrap();
        assert!(
            subject.starts_with("Subject: =?utf-8?") || subject.starts_with("Subject: =?UTF-8?"),
            "{subject}"
        );
        assert!(!head.contains("주간"));
        assert!(head.lines().any(|l| l.starts_with("From: =?")), "{head}");
        assert!(
            !head.contains("audit@"),
            "Bcc leaked into the header: {head}"
        );
        assert_eq!(envelope.from, "alice@example.test");
        assert_eq!(
            envelope.recipients,
            [
                "bob@example.test",
                "carol@example.test",
                "audit@example.test"
            ]
        );
        assert!(!envelope.options.smtputf8 && !envelope.options.eight_bit_mime);
        assert!(built.message_id().starts_with('<'));
    }

    #[test]
    fn uploads_are_attached_from_memory_with_their_names() {
        let form = ComposeForm {
            account: "alice@example.test".into(),
            host: "127.0.0.1".into(),
            to: "bob@example.test".into(),
            subject: "files".into(),
            ..ComposeForm::default()
        };
        let upload = Upload {
            filename: "../보고서.pdf".into(),
            content_type: Some("application/pdf".into()),
            data: vec![0, 255, 1],
        };
        let built = build(&request(form, vec![upload])).unwrap();
        let text = text(&built);
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        assert!(
            text.contains("filename*=utf-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf")
                || text.contains("filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf"),
            "{text}"
        );
        assert!(text.contains("AP8B"), "base64 of the bytes: {text}");
    }
}
