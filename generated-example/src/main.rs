//! `cai-logs-bridge`: sync GET /logs/v2/conversations into SQLite, serve it as OData V4, purge; with the
//! `demo` feature (default) also `mock-cai` and `demo`.

fn main() -> std::process::ExitCode {
    #[cfg(feature = "demo")]
    return cai_bridge::cli::run_with::<cai_bridge_mock::cli::Commands>(
        cai_logs_bridge::artifacts(),
        "cai-logs-bridge",
    );
    #[cfg(not(feature = "demo"))]
    return cai_bridge::cli::run(cai_logs_bridge::artifacts(), "cai-logs-bridge");
}
