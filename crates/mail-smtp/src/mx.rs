//! Direct delivery through the recipients' MX hosts, the way mail travels
//! between providers: look up each recipient domain's MX records
//! (`nslookup -type=mx naver.com`) and speak SMTP to those hosts on port 25.
//!
//! In scope: MX resolution with the system's or a given DNS server
//! ([`Resolver`]): MX records by preference, equal preferences shuffled,
//! the implicit MX of a domain without MX records, the RFC 7505 null MX,
//! address literals; delivery ([`deliver`]) grouping recipients by domain,
//! trying each host and each of its addresses in order, with opportunistic
//! or required STARTTLS, and a report per recipient ([`MxReport`]). No AUTH
//! is ever sent to an MX host. Out of scope: a queue and later retries,
//! bounce messages (DSN generation), DANE (RFC 7672) and MTA-STS (RFC 8461).
//!
//! RFCs: [5321 §5.1](https://www.rfc-editor.org/rfc/rfc5321#section-5.1)
//! locating the target host, [§4.2.5](https://www.rfc-editor.org/rfc/rfc5321#section-4.2.5)
//! and [§4.5.4.1](https://www.rfc-editor.org/rfc/rfc5321#section-4.5.4.1)
//! (4yz: try later or elsewhere; 5yz: do not), [7505](https://www.rfc-editor.org/rfc/rfc7505)
//! null MX, [3207](https://www.rfc-editor.org/rfc/rfc3207) STARTTLS,
//! [7435](https://www.rfc-editor.org/rfc/rfc7435) opportunistic security.
//!
//! Offline: a domain with a null MX is refused without any connection.
//!
//! ```
//! use mail_smtp::mx::{deliver, DomainPlan, Failure, MxOptions, MxPlan, Outcome};
//! use mail_smtp::MailOptions;
//!
//! let plans = [DomainPlan {
//!     domain: "nomail.example".into(),
//!     recipients: vec!["bob@nomail.example".into()],
//!     plan: Ok(MxPlan::NullMx),
//! }];
//! let message = b"Subject: hi\r\n\r\nHello\r\n";
//! let mut options = MxOptions::new("client.example.com");
//! let report = deliver(&plans, "alice@example.com", &MailOptions::default(), || Ok(&message[..]), None, &mut options);
//! let outcome = report.outcome("bob@nomail.example").unwrap();
//! assert!(matches!(outcome, Outcome::Refused(Failure::NullMx { .. })));
//! assert_eq!(outcome.to_string(), "refused: domain nomail.example accepts no mail (null MX)");
//! assert!(report.domains[0].attempts.is_empty());
//! ```
//!
//! Against real DNS and real MX hosts (`no_run`): what `smtp-send --mx` does.
//!
//! ```no_run
//! use mail_smtp::mx::{deliver, MxOptions, Resolver, TlsPolicy};
//! use mail_smtp::MailOptions;
//!
//! let resolver = Resolver::system()?; // or Resolver::with_server("127.0.0.1:5353".parse()?)?
//! let plans = resolver.plan_recipients(&["bob@naver.com", "carol@gmail.com"]);
//! for plan in &plans {
//!     println!("{plan}"); // --dry-run --mx stops here
//! }
//! let message = b"From: alice@example.com\r\nSubject: hi\r\n\r\nHello\r\n";
//! let mut options = MxOptions::new("mail.example.com");
//! options.tls = TlsPolicy::Opportunistic;
//! let report = deliver(&plans, "alice@example.com", &MailOptions::default(), || Ok(&message[..]), Some(message.len() as u64), &mut options);
//! for recipient in report.recipients() {
//!     println!("{}: {}", recipient.recipient, recipient.outcome);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Resolver`] runs its lookups on a private single-thread tokio runtime
//! and blocks; do not call it from inside an async runtime.

mod deliver;
mod plan;
mod report;
mod resolve;

#[cfg(feature = "mime")]
pub use crate::message::deliver_message;
pub use deliver::{deliver, MxOptions, TlsPolicy, TranscriptFactory};
pub use plan::{DomainPlan, MxHost, MxPlan};
pub use report::{Attempt, DomainReport, Failure, MxReport, Outcome, RecipientReport, TlsUse};
pub use resolve::{ResolveError, Resolver};
