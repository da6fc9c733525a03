//! Without the `tokio` feature no tokio crate is compiled (issue 14):
//! `cargo tree -p mail-imap -e normal` lists none; with it tokio and
//! tokio-native-tls appear (through `mail-wire/tokio`).

use mail_wire::testing::{assert_crates, assert_no_tokio_crate, normal_dependencies};

#[test]
fn without_the_feature_no_tokio_crate_is_compiled() {
    let plain = assert_no_tokio_crate("mail-imap", &[]);
    assert_crates(&plain, &["native-tls"], &[]);
    let with = normal_dependencies("mail-imap", &["tokio"]);
    assert_crates(&with, &["tokio", "tokio-native-tls"], &[]);
}
