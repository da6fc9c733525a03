//! mail-smtp's send throughput: COUNT messages of about SIZE bytes over ONE
//! plain connection (to Postfix's smtp-sink), in the format of the peers in
//! `shared/mailserver/bench/` (one JSON line).
//!
//! usage: smtp_pipeline HOST PORT COUNT SIZE [send|send_all]
//!
//! `send` calls `Client::send` per message (envelope and DATA pipelined,
//! then the body: two round trips a message); `send_all` pipelines each
//! message's end-of-data dot with the next envelope (one round trip a
//! message). Time covers connect + EHLO + every message + QUIT.

use std::process::ExitCode;
use std::time::Instant;

use mail_smtp::{Client, ClientOptions, Envelope};
use mail_wire::{Security, Server, TlsConfig};

fn message(size: usize) -> Vec<u8> {
    let header = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n";
    let line = "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZyAwMTIzNDU2Nzg5YWJj\r\n";
    let body_len = size.saturating_sub(header.len()).max(2);
    let mut body: String = line.repeat(body_len / line.len() + 1).chars().take(body_len - 2).collect();
    body.push_str("\r\n");
    format!("{header}{body}").into_bytes()
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, count, size, rest @ ..] = args.as_slice() else {
        return Err("usage: smtp_pipeline HOST PORT COUNT SIZE [send|send_all]".into());
    };
    let port: u16 = port.parse().map_err(|_| "bad port")?;
    let count: usize = count.parse().map_err(|_| "bad count")?;
    let size: usize = size.parse().map_err(|_| "bad size")?;
    let mode = rest.first().map(String::as_str).unwrap_or("send_all");
    let msg = message(size);
    let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
    let options = ClientOptions { helo_name: "bench.example.test".into(), ..ClientOptions::default() };

    let start = Instant::now();
    let server = Server::new(host.as_str(), port);
    let mut client =
        Client::connect(&server, Security::Plain, &TlsConfig::new(), options).map_err(|e| e.to_string())?;
    match mode {
        "send" => {
            for _ in 0..count {
                client.send(&envelope, &mut msg.as_slice(), Some(msg.len() as u64)).map_err(|e| e.to_string())?;
            }
        }
        "send_all" => {
            let results = client
                .send_all(std::iter::repeat((&envelope, msg.as_slice())).take(count))
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
