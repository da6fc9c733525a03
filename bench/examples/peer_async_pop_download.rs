//! POP3 download of every message to files, with async-pop (tokio,
//! async-native-tls), written after its documentation: the same task as
//! `ours_pop3.rs` (see `bench/peers/README.md`). The `pop3` crate, the
//! other POP3 client on crates.io, does not build against OpenSSL 3.
//!
//! usage: peer_async_pop_download DIR   (server from MAIL_* variables; POP3S)

use std::env::var;
use std::path::Path;

use async_native_tls::{Certificate, TlsConnector};
use async_pop::response::types::DataType;
use async_pop::response::uidl::UidlResponse;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: peer_async_pop_download DIR")?;
    let ca = Certificate::from_pem(&std::fs::read(var("MAIL_CA_FILE")?)?)?;
    let tls = TlsConnector::new().add_root_certificate(ca);
    let host = var("MAIL_HOST")?;
    let tls_name = var("MAIL_TLS_NAME").unwrap_or_else(|_| host.clone());
    let port: u16 = var("MAIL_PORT")?.parse()?;
    let mut client = async_pop::connect((host.as_str(), port), tls_name, &tls).await?;
    client
        .login(var("MAIL_USER")?, var("MAIL_PASSWORD")?)
        .await?;
    let UidlResponse::Multiple(uidl) = client.uidl(None).await? else {
        return Err("UIDL without a list".into());
    };
    for entry in uidl.items() {
        let bytes = client.retr(entry.index().value()?).await?;
        let uid = entry.id().to_string();
        let name: String = uid.chars().filter(char::is_ascii_alphanumeric).collect();
        tokio::fs::write(Path::new(&dir).join(name + ".eml"), &bytes).await?;
        println!("{uid} ({} bytes)", bytes.len());
    }
    client.quit().await?;
    Ok(())
}
