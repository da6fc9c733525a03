//! `smtp-web [--listen 127.0.0.1:2345]`: serves the compose page.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use mail_cli::exit::{CONNECTION, USAGE};
use mail_cli::{CliError, NetArgs, TlsMode};
use smtp_web::{App, ComposeForm, Config, SendDefaults, SmtpMailer};

#[derive(Parser)]
#[command(
    version,
    about = "Serve a local web form that composes a mail and sends it through SMTP",
    after_help = after_help()
)]
struct Args {
    /// Address to listen on; anything but loopback makes the form reachable
    /// by others (warns).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:2345")]
    listen: SocketAddr,
    /// Largest form accepted, attachments included: bytes, or with a K, M or G suffix.
    #[arg(long, value_name = "SIZE", default_value = "25M", value_parser = parse_size)]
    max_upload: u64,
    /// --host/--port/--tls fill in the form's server; --ca-file, --insecure
    /// and --timeout apply to every send; -q hides the startup line.
    #[command(flatten)]
    net: NetArgs,
}

fn after_help() -> String {
    let text = mail_cli::help::after_help(
        "smtp-web                           then open http://127.0.0.1:2345/\n\
         smtp-web --listen 127.0.0.1:8080 --host smtp.example.test --port 587\n\
         smtp-web --ca-file ca.pem --max-upload 10M",
        None,
    );
    // A send that fails is reported on the page; the exit code is about the program itself.
    format!("{text}\n(smtp-web reports a failed send on the page; it exits with 2 when it cannot listen.)")
}

fn main() -> ExitCode {
    let args = Args::parse();
    args.net.init_logging("smtp-web");
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("smtp-web: {err}");
            ExitCode::from(err.code)
        }
    }
}

fn run(args: Args) -> Result<(), CliError> {
    let tls = args.net.tls_config()?;
    let initial = ComposeForm {
        host: args.net.host.clone().unwrap_or_default(),
        port: args.net.port.map(|p| p.to_string()).unwrap_or_default(),
        tls: match args.net.tls {
            Some(TlsMode::Implicit) => "implicit",
            Some(TlsMode::Starttls) => "starttls",
            Some(TlsMode::None) => "none",
            None => "auto",
        }
        .to_owned(),
        ..ComposeForm::default()
    };
    let server = smtp_web::server::bind(args.listen).map_err(|err| CliError::new(USAGE, err))?;
    // With `--listen 127.0.0.1:0` the system picks the port; the Host check needs the real one.
    let listen = server.server_addr().to_ip().unwrap_or(args.listen);
    let config = Config {
        listen,
        max_upload: args.max_upload,
        defaults: SendDefaults {
            timeout: Duration::from_secs(args.net.timeout.max(1)),
        },
        initial,
    };
    let app = App::new(config, Box::new(SmtpMailer::new(tls)))
        .map_err(|err| CliError::new(CONNECTION, format!("cannot make a CSRF token: {err}")))?;
    let url = format!("http://{listen}/");
    if !args.net.quiet {
        println!("smtp-web: compose page at {url}");
    }
    log::info!("listening on {url}");
    smtp_web::server::serve(Arc::new(server), Arc::new(app));
    Ok(())
}

/// `"25M"` -> 26214400; plain numbers are bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (text.get(..at), 10),
        Some((at, 'm' | 'M')) => (text.get(..at), 20),
        Some((at, 'g' | 'G')) => (text.get(..at), 30),
        _ => (Some(text), 0),
    };
    let number: u64 = digits
        .unwrap_or_default()
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 500K or 25M"))?;
    number
        .checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_suffixes() {
        assert_eq!(parse_size("25M"), Ok(25 << 20));
        assert_eq!(parse_size("500k"), Ok(500 << 10));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1234"), Ok(1234));
        assert!(
            parse_size("0").is_err()
                && parse_size("x").is_err()
                && parse_size("-1M").is_err()
                && parse_size("").is_err()
        );
    }
}
