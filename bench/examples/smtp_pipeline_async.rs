//! The async twin of `src/bin/smtp_pipeline.rs`: mail-smtp's async client
//! (`mail_smtp::tokio`, bench feature `tokio-smtp`) sends COUNT messages
//! of about SIZE bytes over ONE plain connection to Postfix's smtp-sink,
//! on a current-thread tokio runtime. Prints one JSON line in the blocking
//! program's format, so scripts/bench-async compares them line by line.
//!
//! usage: smtp_pipeline_async HOST PORT COUNT SIZE [send|send_all]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use mail_smtp::tokio::Client;
use mail_smtp::{Envelope, Options, Security, Server, TlsConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, count, size, rest @ ..] = args.as_slice() else {
        panic!("usage: smtp_pipeline_async HOST PORT COUNT SIZE [send|send_all]");
    };
    let port: u16 = port.parse().expect("port");
    let count: usize = count.parse().expect("count");
    let mode = rest.first().map_or("send_all", String::as_str);
    let msg = mail_bench::smtp_message(size.parse().expect("size"));
    let envelope = Envelope::new("alice@example.test", ["bob@example.test"]);
    let options = Options {
        helo_name: "bench.example.test".into(),
        ..Options::default()
    };
    let start = Instant::now();
    let server = Server::new(host.as_str(), port);
    let mut client = Client::connect(&server, Security::Plain, &TlsConfig::new(), options)
        .await
        .unwrap();
    match mode {
        "send" => {
            for _ in 0..count {
                client
                    .send(&envelope, &mut msg.as_slice(), Some(msg.len() as u64))
                    .await
                    .unwrap();
            }
        }
        "send_all" => {
            let results = client
                .send_all((0..count).map(|_| (&envelope, msg.as_slice())))
                .await
                .unwrap();
            if let Some(err) = results.into_iter().find_map(Result::err) {
                panic!("{err}");
            }
        }
        other => panic!("unknown mode {other}"),
    }
    client.quit().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"impl\": \"mail-smtp async {mode}\", \"msgs\": {count}, \"msg_bytes\": {}, \"secs\": {secs:.4}, \"msgs_per_s\": {:.1}}}",
        msg.len(),
        count as f64 / secs
    );
}
