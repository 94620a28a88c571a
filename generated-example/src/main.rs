//! `cai-logs-bridge`: sync CAI Logs v2 into SQLite, purge, mock CAI, demo.

fn main() -> std::process::ExitCode {
    cai_bridge::cli::run(cai_logs_bridge::model(), "cai-logs-bridge")
}
