//! What every network example needs: where to connect, as whom, and how to
//! trust the server, from flags or environment variables; and printing an
//! error with its causes.
//!
//! | flag | variable | meaning |
//! |---|---|---|
//! | `--host H` | `MAIL_HOST` | server name or address (required) |
//! | `--port P` | `MAIL_PORT` | TCP port (required) |
//! | `--user U` | `MAIL_USER` | account name (required) |
//! | | `MAIL_PASSWORD` | password or app password (required; never a flag, so it stays out of `ps`) |
//! | `--tls implicit\|starttls` | `MAIL_TLS` | default: implicit on 465, 993, 995, else STARTTLS |
//! | `--ca-file PEM` | `MAIL_CA_FILE` | an extra trusted root (a private CA) |
//! | `--tls-name N` | `MAIL_TLS_NAME` | the name the certificate must carry, when it is not `--host` |
//!
//! Certificates and host names are always verified.
#![allow(dead_code)]

use std::error::Error;
use std::path::Path;

use mail_pop3::{Secret, Security, Server, TlsConfig};

/// Connection settings and the arguments left over for the example itself.
pub struct Account {
    pub server: Server,
    pub security: Security,
    pub tls: TlsConfig,
    pub user: String,
    pub password: Secret,
    /// Arguments that are not connection flags, in order.
    pub args: Vec<String>,
}

impl Account {
    /// Reads the flags of the table above from the command line, each with
    /// its environment variable as fallback.
    pub fn from_args() -> Result<Account, String> {
        let mut flags = std::collections::HashMap::new();
        let mut args = Vec::new();
        let mut given = std::env::args().skip(1);
        while let Some(arg) = given.next() {
            match arg.as_str() {
                "--host" | "--port" | "--user" | "--tls" | "--ca-file" | "--tls-name" => {
                    let value = given.next().ok_or(format!("{arg} needs a value"))?;
                    flags.insert(arg, value);
                }
                _ => args.push(arg),
            }
        }
        let setting =
            |flag: &str, var: &str| flags.get(flag).cloned().or_else(|| std::env::var(var).ok());
        let required =
            |flag: &str, var: &str| setting(flag, var).ok_or(format!("give {flag} or set {var}"));
        let host = required("--host", "MAIL_HOST")?;
        let port = required("--port", "MAIL_PORT")?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{port:?} is not a port number"))?;
        let security = match setting("--tls", "MAIL_TLS").as_deref() {
            None => Security::for_port(port),
            Some("implicit") => Security::Implicit,
            Some("starttls") => Security::StartTls,
            Some(other) => return Err(format!("--tls {other:?}: say implicit or starttls")),
        };
        let mut tls = TlsConfig::new();
        if let Some(ca_file) = setting("--ca-file", "MAIL_CA_FILE") {
            tls.add_ca_file(Path::new(&ca_file))
                .map_err(|err| format!("CA file {ca_file}: {err}"))?;
        }
        let mut server = Server::new(host, port);
        server.tls_name = setting("--tls-name", "MAIL_TLS_NAME");
        let password = std::env::var("MAIL_PASSWORD")
            .map_err(|_| "set MAIL_PASSWORD to the account's password".to_owned())?;
        Ok(Account {
            server,
            security,
            tls,
            user: required("--user", "MAIL_USER")?,
            password: Secret::new(password),
            args,
        })
    }
}

/// Prints `error: ...` and each cause not already part of the message.
pub fn print_error(err: &dyn Error) {
    let mut text = err.to_string();
    eprintln!("error: {text}");
    let mut source = err.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            eprintln!("  caused by: {line}");
            text = line;
        }
        source = cause.source();
    }
}
