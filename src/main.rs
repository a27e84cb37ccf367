fn main() {
    std::process::exit(sparkc::run(std::env::args_os()));
}
