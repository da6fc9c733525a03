fn main() {
    eprintln!("imap-cli: not built yet");
    std::process::exit(2);
}
