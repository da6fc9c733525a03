//! mail-smtp's send throughput: COUNT messages of about SIZE bytes over ONE
//! plain connection (to Postfix's smtp-sink), in the format of the peers in
//! `shared/mailserver/bench/` (one JSON line).
//!
//! usage: smtp_pipeline HOST PORT COUNT SIZE [send|send_all|send_all_data]
//!        [--starttls CA_FILE USER PASS] [--rcpt ADDR]
//!
//! `send_all_data` is `send_all` with CHUNKING switched off (DATA even when
//! BDAT is offered). With `--starttls` the session runs STARTTLS (verified
//! against CA_FILE) and AUTH, as for the real Postfix submission port; the
//! password may be given as `env:VAR` to read it from the environment.
//!
//! `send` calls `Client::send` per message (envelope and DATA pipelined,
//! then the body: two round trips a message); `send_all` pipelines each
//! message's end-of-data dot with the next envelope (one round trip a
//! message). Time covers connect + EHLO + every message + QUIT.

use std::process::ExitCode;
use std::time::Instant;

use mail_smtp::{Client, Envelope, Options};
use mail_wire::{Secret, Security, Server, TlsConfig};

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, count, size, rest @ ..] = args.as_slice() else {
        return Err("usage: smtp_pipeline HOST PORT COUNT SIZE [send|send_all|send_all_data] [--starttls CA USER PASS] [--rcpt ADDR]".into());
    };
    let port: u16 = port.parse().map_err(|_| "bad port")?;
    let count: usize = count.parse().map_err(|_| "bad count")?;
    let size: usize = size.parse().map_err(|_| "bad size")?;
    let mut mode = "send_all";
    let mut starttls: Option<(&str, &str, Secret)> = None;
    let mut rcpt = "bob@example.test";
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        match arg.as_str() {
            "--starttls" => {
                let (Some(ca), Some(user), Some(pass)) =
                    (rest.get(i + 1), rest.get(i + 2), rest.get(i + 3))
                else {
                    return Err("--starttls needs CA_FILE USER PASS".into());
                };
                let pass = match pass.strip_prefix("env:") {
                    Some(var) => std::env::var(var).map_err(|_| format!("{var} is not set"))?,
                    None => pass.clone(),
                };
                starttls = Some((ca.as_str(), user.as_str(), Secret::new(pass)));
                i += 4;
            }
            "--rcpt" => {
                rcpt = rest.get(i + 1).ok_or("--rcpt needs an address")?;
                i += 2;
            }
            other => {
                mode = other;
                i += 1;
            }
        }
    }
    let msg = mail_bench::smtp_message(size);
    let envelope = Envelope::new("alice@example.test", [rcpt]);
    let options = Options {
        helo_name: "bench.example.test".into(),
        chunking: mode != "send_all_data",
        ..Options::default()
    };

    let start = Instant::now();
    let mut server = Server::new(host.as_str(), port);
    let mut tls = TlsConfig::new();
    let security = if starttls.is_some() {
        Security::StartTls
    } else {
        Security::Plain
    };
    if let Some((ca, _, _)) = &starttls {
        tls.add_ca_file(std::path::Path::new(ca))
            .map_err(|e| e.to_string())?;
        server.tls_name = Some("localhost".into());
    }
    let mut client =
        Client::connect(&server, security, &tls, options).map_err(|e| e.to_string())?;
    if let Some((_, user, pass)) = &starttls {
        client.auth(user, pass, None).map_err(|e| e.to_string())?;
    }
    match mode {
        "send" => {
            for _ in 0..count {
                client
                    .send(&envelope, &mut msg.as_slice(), Some(msg.len() as u64))
                    .map_err(|e| e.to_string())?;
            }
        }
        "send_all" | "send_all_data" => {
            let results = client
                .send_all((0..count).map(|_| (&envelope, msg.as_slice())))
                .map_err(|e| e.to_string())?;
            if let Some(err) = results.into_iter().find_map(Result::err) {
                return Err(err.to_string());
            }
        }
        other => return Err(format!("unknown mode {other}")),
    }
    client.quit().map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    Ok(format!(
        "{{\"impl\": \"mail-smtp {mode}\", \"msgs\": {count}, \"msg_bytes\": {}, \"secs\": {:.4}, \"msgs_per_s\": {:.1}}}",
        msg.len(),
        secs,
        count as f64 / secs
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("smtp_pipeline: {err}");
            ExitCode::FAILURE
        }
    }
}
