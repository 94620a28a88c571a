//! The `cai-bridge` command.
#![deny(missing_docs)]

fn main() -> std::process::ExitCode {
    cai_bridge_gen::cli::run()
}
