//! Direct delivery through the recipients' MX hosts (RFC 5321 §5.1), the
//! way mail travels between providers: look up each recipient domain's MX
//! records and speak SMTP to those hosts on port 25.
//!
//! In scope: MX resolution with a system or given DNS server (MX records
//! by preference, equal preferences shuffled, the implicit MX of a domain
//! without MX records, RFC 7505 null MX, address literals). Out of scope:
//! queueing and retrying later, DSN bounces, DANE and MTA-STS.
//!
//! ```no_run
//! use mail_smtp::mx::{MxPlan, Resolver};
//!
//! let resolver = Resolver::with_server("127.0.0.1:5353".parse()?)?;
//! match resolver.mx_hosts("example.com")? {
//!     MxPlan::Hosts(hosts) => for host in hosts { println!("{host}") },
//!     MxPlan::NullMx => println!("example.com accepts no mail"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod deliver;
mod plan;
mod report;
mod resolve;

pub use deliver::{deliver, MxOptions, TlsPolicy, TranscriptFactory};
pub use plan::{DomainPlan, MxHost, MxPlan};
pub use report::{Attempt, DomainReport, Failure, MxReport, Outcome, RecipientReport, TlsUse};
pub use resolve::{ResolveError, Resolver};
