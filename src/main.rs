use std::process::ExitCode;

fn main() -> ExitCode {
    wa_cloud::run(std::env::args_os())
}
