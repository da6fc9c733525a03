//! The `tokio` feature and the `mx` feature are independent (issue 14):
//! without both, `cargo tree -p mail-smtp -e normal` lists no tokio crate;
//! `tokio` brings the async connection (tokio-native-tls), `mx` only the
//! runtime its resolver runs on.

use mail_wire::testing::{assert_crates, assert_no_tokio_crate, normal_dependencies};

#[test]
fn tokio_comes_only_with_the_tokio_or_mx_feature() {
    let plain = assert_no_tokio_crate("mail-smtp", &[]);
    assert_crates(&plain, &["mail-wire"], &[]);
    let with_tokio = normal_dependencies("mail-smtp", &["tokio"]);
    assert_crates(
        &with_tokio,
        &["tokio", "tokio-native-tls"],
        &["hickory-resolver"],
    );
    let with_mx = normal_dependencies("mail-smtp", &["mx"]);
    assert_crates(&with_mx, &["tokio"], &["tokio-native-tls"]);
}
