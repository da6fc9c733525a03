fn main() {
    eprintln!("pop3-cli: not built yet");
    std::process::exit(2);
}
