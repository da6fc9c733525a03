//! Without the `tokio` feature no tokio crate is compiled (issue 14):
//! `cargo tree -p mail-pop3 -e normal` lists none; with it, tokio and
//! tokio-native-tls (through mail-wire) appear.

use mail_wire::testing::{assert_crates, assert_no_tokio_crate, normal_dependencies};

#[test]
fn without_the_feature_no_tokio_crate_is_compiled() {
    let plain = assert_no_tokio_crate("mail-pop3", &[]);
    assert_crates(&plain, &["native-tls"], &[]);
    let with = normal_dependencies("mail-pop3", &["tokio"]);
    assert_crates(&with, &["tokio", "tokio-native-tls"], &[]);
}
