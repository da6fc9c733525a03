//! Prints the modified UTF-7 form of each argument.
fn main() {
    for arg in std::env::args().skip(1) {
        println!("{arg}\t{}", mail_imap::utf7::encode(&arg));
    }
}
