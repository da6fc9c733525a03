//! Built-in providers: the account id's domain picks the servers.

/// Which protocol a program speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Sending (submission).
    Smtp,
    /// POP3.
    Pop3,
    /// IMAP.
    Imap,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Imap => "IMAP",
        })
    }
}

impl Protocol {
    /// The conventional port for a TLS mode: implicit TLS, STARTTLS, or plain.
    pub fn default_port(self, security: mail_wire::Security) -> u16 {
        use mail_wire::Security::{Implicit, Plain, StartTls};
        match (self, security) {
            (Protocol::Smtp, Implicit) => 465,
            (Protocol::Smtp, StartTls) => 587,
            (Protocol::Smtp, Plain) => 25,
            (Protocol::Pop3, Implicit) => 995,
            (Protocol::Pop3, StartTls | Plain) => 110,
            (Protocol::Imap, Implicit) => 993,
            (Protocol::Imap, StartTls | Plain) => 143,
        }
    }
}

/// A provider's servers, each with its port (the TLS mode follows from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Domains that use these servers.
    pub domains: &'static [&'static str],
    /// Submission server and port.
    pub smtp: (&'static str, u16),
    /// POP3 server and port (`None`: the provider has no POP3).
    pub pop3: Option<(&'static str, u16)>,
    /// IMAP server and port.
    pub imap: (&'static str, u16),
}

/// The domain a bare account id (no `@`) belongs to, as in the original scripts.
pub const DEFAULT_DOMAIN: &str = "naver.com";

/// Providers the programs know by domain.
pub const PRESETS: &[Preset] = &[
    Preset {
        domains: &["naver.com"],
        smtp: ("smtp.naver.com", 465),
        pop3: Some(("pop.naver.com", 995)),
        imap: ("imap.naver.com", 993),
    },
    Preset {
        domains: &["gmail.com", "googlemail.com"],
        smtp: ("smtp.gmail.com", 465),
        pop3: Some(("pop.gmail.com", 995)),
        imap: ("imap.gmail.com", 993),
    },
    Preset {
        domains: &["163.com"],
        smtp: ("smtp.163.com", 465),
        pop3: Some(("pop.163.com", 995)),
        imap: ("imap.163.com", 993),
    },
    Preset {
        domains: &["126.com"],
        smtp: ("smtp.126.com", 465),
        pop3: Some(("pop.126.com", 995)),
        imap: ("imap.126.com", 993),
    },
    Preset {
        domains: &["qq.com", "foxmail.com"],
        smtp: ("smtp.qq.com", 465),
        pop3: Some(("pop.qq.com", 995)),
        imap: ("imap.qq.com", 993),
    },
    Preset {
        domains: &["daum.net", "hanmail.net"],
        smtp: ("smtp.daum.net", 465),
        pop3: Some(("pop.daum.net", 995)),
        imap: ("imap.daum.net", 993),
    },
    Preset {
        domains: &["kakao.com"],
        smtp: ("smtp.kakao.com", 465),
        pop3: Some(("pop.kakao.com", 995)),
        imap: ("imap.kakao.com", 993),
    },
    Preset {
        domains: &["outlook.com", "hotmail.com", "live.com", "msn.com"],
        smtp: ("smtp-mail.outlook.com", 587),
        pop3: Some(("outlook.office365.com", 995)),
        imap: ("outlook.office365.com", 993),
    },
    Preset {
        domains: &["yahoo.com"],
        smtp: ("smtp.mail.yahoo.com", 465),
        pop3: Some(("pop.mail.yahoo.com", 995)),
        imap: ("imap.mail.yahoo.com", 993),
    },
    Preset {
        domains: &["icloud.com", "me.com", "mac.com"],
        smtp: ("smtp.mail.me.com", 587),
        pop3: None,
        imap: ("imap.mail.me.com", 993),
    },
];

/// The preset for a domain, ignoring case.
pub fn find(domain: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)))
}

impl Preset {
    /// Host and port for a protocol.
    pub fn endpoint(&self, protocol: Protocol) -> Option<(&'static str, u16)> {
        match protocol {
            Protocol::Smtp => Some(self.smtp),
            Protocol::Pop3 => self.pop3,
            Protocol::Imap => Some(self.imap),
        }
    }
}
