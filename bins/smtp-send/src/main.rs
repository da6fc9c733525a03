fn main() {
    eprintln!("smtp-send: not built yet");
    std::process::exit(2);
}
