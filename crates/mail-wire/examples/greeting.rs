//! Connects to a mail server (implicit TLS, STARTTLS-capable plain, or
//! plain), verifies its certificate, and prints the greeting line, escaped.
//! What a protocol crate does first, with nothing protocol-specific.
//!
//! ```text
//! cargo run -p mail-wire --example greeting -- imap.gmail.com 993
//! cargo run -p mail-wire --example greeting -- 127.0.0.1 1993 --ca-file ca.pem --tls-name localhost
//! ```

use std::path::Path;
use std::process::ExitCode;

use mail_wire::{escape_for_display, Connection, Security, Server, TlsConfig};

const USAGE: &str =
    "usage: greeting HOST PORT [--implicit | --plain] [--ca-file PEM] [--tls-name NAME]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [host, port, options @ ..] = args else {
        return Err(USAGE.into());
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("{port:?} is not a port\n{USAGE}"))?;
    let mut server = Server::new(host.as_str(), port);
    let mut tls = TlsConfig::new();
    // Implicit TLS on 465/993/995; elsewhere the greeting comes before any
    // STARTTLS, so the connection starts plain.
    let mut security = match Security::for_port(port) {
        Security::Implicit => Security::Implicit,
        _ => Security::Plain,
    };
    let mut options = options.iter();
    while let Some(option) = options.next() {
        match option.as_str() {
            "--plain" => security = Security::Plain,
            "--implicit" => security = Security::Implicit,
            "--ca-file" => {
                let file = options.next().ok_or(USAGE)?;
                tls.add_ca_file(Path::new(file))?;
            }
            "--tls-name" => server.tls_name = Some(options.next().ok_or(USAGE)?.clone()),
            _ => return Err(format!("unknown option {option:?}\n{USAGE}").into()),
        }
    }
    let mut conn = Connection::connect(&server, security, &tls)?;
    let line = conn.read_line()?;
    // Server bytes are escaped before any terminal sees them.
    println!("{}", escape_for_display(line));
    Ok(())
}
