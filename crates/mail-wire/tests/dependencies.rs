//! Without the `tokio` feature no tokio crate is compiled (issue 14):
//! `cargo tree -p mail-wire -e normal` lists none, with it they appear.

use mail_wire::testing::{assert_crates, assert_no_tokio_crate, normal_dependencies};

#[test]
fn without_the_feature_no_tokio_crate_is_compiled() {
    let plain = assert_no_tokio_crate("mail-wire", &[]);
    assert_crates(&plain, &["native-tls"], &[]);
    let with = normal_dependencies("mail-wire", &["tokio"]);
    assert_crates(&with, &["tokio", "tokio-native-tls"], &[]);
}
