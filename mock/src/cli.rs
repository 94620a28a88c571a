//! `mock-cai` and `demo`, the subcommands this crate adds to a bridge's command line
//! (behind the bridge's `demo` feature): `cai_bridge::cli::run_with::<Commands>`.

use std::net::SocketAddr;
use std::path::PathBuf;

use cai_bridge::cli::{Context, Extension, Failure, DEFAULT_ADDR};
use clap::{Args, Subcommand};

use crate::demo::{self, Demo};
use crate::MockArgs;

/// The mock's and the demo's subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the mock CAI server (OAuth2 token endpoint + Logs v2), with faults on demand.
    #[command(
        after_help = "Examples:\n  cai-logs-bridge mock-cai --conversations 500\n  cai-logs-bridge mock-cai --addr 127.0.0.1:8080 --fault reset:0.2 --fault rate-limit:0.1"
    )]
    MockCai(MockArgs),
    /// The demo: a mock CAI API on a free loopback port, synced into SQLite, served as
    /// OData V4 on localhost.
    Demo(DemoArgs),
}

/// The demo's options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the SQLite database.
    #[arg(long, value_name = "FILE", default_value = "cai-demo.db")]
    db: PathBuf,
    /// How many synthetic conversations the mock holds.
    #[arg(long, default_value_t = 300)]
    conversations: usize,
    /// The mock's data seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to serve OData (port 0 picks a free one).
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Read one page over HTTP, print it and stop, instead of serving until Ctrl-C.
    #[arg(long)]
    once: bool,
}

impl Extension for Commands {
    fn run(self, cx: &Context<'_>) -> Result<(), Failure> {
        match self {
            Commands::MockCai(args) => cx
                .runtime
                .block_on(crate::run(args))
                .map_err(|e| Failure::new(2, e.to_string())),
            Commands::Demo(args) => demo::run(
                cx,
                &Demo {
                    db: args.db,
                    conversations: args.conversations,
                    seed: args.seed,
                    addr: args.addr,
                    once: args.once,
                },
            ),
        }
    }
}
