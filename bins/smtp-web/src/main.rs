fn main() {
    eprintln!("smtp-web: not built yet");
    std::process::exit(2);
}
