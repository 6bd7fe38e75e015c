//! The `jpki-mock` binary: parse the command line, run it, exit with its code.

fn main() -> std::process::ExitCode {
    jpki_mock::run_cli()
}
