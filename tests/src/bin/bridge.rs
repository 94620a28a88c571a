//! The CAI bridge's command line (generated-example's `main`, with the mock and the
//! demo), built inside the tests crate so that its tests can run the bridge as a
//! process of its own, to kill it or to run two at once.

fn main() -> std::process::ExitCode {
    cai_bridge::cli::run_with::<cai_bridge_mock::cli::Commands>(
        cai_logs_bridge::artifacts(),
        "cai-logs-bridge",
    )
}
