//! Issue 12.2: a refused certificate is explained in one sentence with the
//! reason and what to do. A TLS server in a thread presents certificates
//! made with the `openssl` command: an expired one, and a self-signed one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use mail_wire::{CertProblem, Connection, Error, Security, Server, TlsConfig};
use native_tls::{Identity, TlsAcceptor};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate for `localhost` it signed, valid only on 1 January 2020.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=expired test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "req.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "req.csr",
            "-out",
            "cert.pem",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-notext",
        ],
    );
}

/// Serves `connections` TLS handshakes with this certificate and key; returns the port.
fn tls_server(cert: &[u8], key: &[u8], connections: usize) -> u16 {
    let acceptor = TlsAcceptor::new(Identity::from_pkcs8(cert, key).unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(connections) {
            if let Ok(mut tls) = acceptor.accept(tcp.unwrap()) {
                let _ = tls.read(&mut [0u8; 16]);
            }
        }
    });
    port
}

fn refusal(port: u16, tls: &TlsConfig) -> Error {
    let mut server = Server::new("127.0.0.1", port);
    server.tls_name = Some("localhost".into());
    Connection::connect(&server, Security::Implicit, tls).unwrap_err()
}

#[test]
fn issue_12_expired_and_self_signed_certificates_are_explained() {
    let dir = std::env::temp_dir().join(format!("mail-wire-certificates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_certificates(&dir);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();

    let mut trusting = TlsConfig::new();
    trusting.add_ca_pem(&read("ca.pem")).unwrap();
    // Two connections: the refused handshake, then one to read the dates.
    let err = refusal(
        tls_server(&read("cert.pem"), &read("key.pem"), 2),
        &trusting,
    );
    assert!(
        matches!(&err, Error::Certificate { problem: CertProblem::Expired(Some(date)), .. } if date == "2020-01-02"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "cannot trust the certificate of localhost: it is expired since 2020-01-02; "
        ),
        "{text}"
    );
    assert!(
        text.contains("--insecure") && !text.contains(".c:"),
        "{text}"
    );

    // The CA's own certificate, presented by the server: self-signed.
    let err = refusal(
        tls_server(&read("ca.pem"), &read("ca.key"), 1),
        &TlsConfig::new(),
    );
    assert!(
        matches!(
            &err,
            Error::Certificate {
                problem: CertProblem::SelfSigned,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("--ca-file PEM"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
