fn main() -> std::process::ExitCode {
    keyward_cli::main()
}
