//! `cai-bridge`, the generator's command line: `generate`, `infer` and `new`.
//! (`cargo install cai-bridge-cli` installs it; the library behind it is
//! `cai-bridge-build`.)
//!
//! Exit codes: 0 success; 1 `--check` found stale files; 2 bad input (every problem
//! is printed with its file:line:col or JSON path and a hint); 3 an I/O failure.
// The doc comments of the arguments are their --help text, written for a terminal:
// `[sync]` names a bridge.toml table and `<name>` a placeholder, not a link or a tag.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use cai_bridge_build::emit::{self, json_schema, templates::Templates};
use cai_bridge_build::{output, scaffold, Diagnostic, Error, Inputs, Loaded, Location};

/// Generate a REST → SQLite → OData bridge for SAP Analytics Cloud from an OpenAPI
/// spec and sample payloads.
#[derive(Debug, Parser)]
#[command(name = "cai-bridge", version, about, long_about = None, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the Rust structs, SQLite DDL, CAP CDS and OData CSDL for an API.
    #[command(after_help = GENERATE_EXAMPLES)]
    Generate(Generate),
    /// Print the model inferred from samples (and a spec) as JSON Schema.
    #[command(after_help = INFER_EXAMPLES)]
    Infer(Infer),
    /// Write a whole bridge crate that deploys to SAP BTP Kyma: the generated
    /// sources, Cargo.toml, bridge.toml, README, CAP project, Dockerfile and k8s/.
    #[command(after_help = NEW_EXAMPLES)]
    New(New),
}

const EXAMPLES: &str = "\
Examples:
  cai-bridge generate --spec specs/cai-logs-v2/openapi.yaml \\
      --sample specs/cai-logs-v2/samples --out generated-example
  cai-bridge infer specs/cai-logs-v2/samples
  cai-bridge new my-bridge --spec specs/cai-logs-v2/openapi.yaml --sample specs/cai-logs-v2/samples

Exit codes: 0 success, 1 --check found stale files, 2 bad input, 3 I/O failure";

const GENERATE_EXAMPLES: &str = "\
Outputs (under --out):
  src/model.rs          serde structs for the wire records
  db/schema.sql         SQLite DDL, as CAP deploys it (tables, service views, fact view)
  db/postgres/schema.sql, db/hana/schema.sql
                        the same in CAP's PostgreSQL and SAP HANA dialects
  cap/db/schema.cds     CDS entities with compositions
  cap/srv/service.cds   read-only OData V4 service
  odata/metadata.xml    OData V4 CSDL ($metadata)
  odata/metadata.json   the same CSDL as JSON ($metadata?$format=json)

Examples:
  cai-bridge generate --spec specs/cai-logs-v2/openapi.yaml \\
      --sample specs/cai-logs-v2/samples --out generated-example
  cai-bridge generate --spec api.yaml --config bridge.toml --out out --check";

const NEW_EXAMPLES: &str = "\
Writes into DIR (besides what generate writes): Cargo.toml, src/main.rs, src/lib.rs,
bridge.toml (every setting with its default), README.md, cap/package.json,
Dockerfile, k8s/ (kustomize; k8s/jwt: the SAP Cloud Identity Services variant),
and a copy of the spec and samples in spec/.

Examples:
  cai-bridge new my-bridge --spec specs/cai-logs-v2/openapi.yaml \\
      --sample specs/cai-logs-v2/samples
  cai-bridge new generated-example --spec specs/cai-logs-v2/openapi.yaml \\
      --sample specs/cai-logs-v2/samples --runtime-path . --check";

const INFER_EXAMPLES: &str = "\
Examples:
  cai-bridge infer specs/cai-logs-v2/samples
  cai-bridge infer --spec specs/cai-logs-v2/openapi.yaml dump.ndjson";

#[derive(Debug, Args)]
struct InputArgs {
    /// OpenAPI 3.0/3.1 spec (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// bridge.toml: record path, names, keys, renames, exclusions.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct Generate {
    #[command(flatten)]
    inputs: InputArgs,
    /// Sample payloads: files or folders (.json, .ndjson, .jsonl); repeatable.
    #[arg(long = "sample", value_name = "PATH")]
    samples: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Compare with what is in --out instead of writing; exit 1 naming stale files.
    #[arg(long)]
    check: bool,
    /// Folder of <name>.hbs files overriding the embedded templates.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct New {
    /// The bridge's folder (created if missing; refused if not empty, unless --force).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// OpenAPI 3.0/3.1 spec (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    spec: PathBuf,
    /// Sample payloads: files or folders (.json, .ndjson, .jsonl); repeatable.
    #[arg(long = "sample", value_name = "PATH")]
    samples: Vec<PathBuf>,
    /// bridge.toml: the model's settings, [cai], [sync] and [kyma]; copied as is.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Folder of <path>.hbs files overriding the embedded templates
    /// (schema.sql.hbs, k8s/deployment.yaml.hbs, ...).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Write into a non-empty DIR, rewriting only the files new writes.
    #[arg(long)]
    force: bool,
    /// Compare with what is in DIR instead of writing; exit 1 naming stale files.
    #[arg(long, conflicts_with = "force")]
    check: bool,
    /// Depend on a local cai-bridge checkout by path instead of the published version.
    #[arg(long, value_name = "DIR")]
    runtime_path: Option<PathBuf>,
    /// The crate's, binary's and Kubernetes resources' name (default: the CDS
    /// namespace with -bridge, e.g. cai-logs-bridge).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
}

#[derive(Debug, Args)]
struct Infer {
    #[command(flatten)]
    inputs: InputArgs,
    /// Sample payloads: files or folders.
    #[arg(value_name = "PATH")]
    samples: Vec<PathBuf>,
}

/// Parses the command line, runs it, and reports errors for people.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate(args),
        Command::Infer(args) => infer(args),
        Command::New(args) => new(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{}", render::error(&error));
            ExitCode::from(match error {
                Error::Io { .. } => 3,
                _ => 2,
            })
        }
    }
}

fn generate(args: Generate) -> Result<ExitCode, Error> {
    let loaded = load(args.inputs, args.samples)?;
    let templates = Templates::new(args.templates.as_deref())?;
    let files = emit::all(&loaded.model, &templates)?;
    if args.check {
        return Ok(check(&args.out, &files));
    }
    let outcome = output::write(&args.out, &files)?;
    report(&loaded, &outcome, &args.out);
    Ok(ExitCode::SUCCESS)
}

fn new(args: New) -> Result<ExitCode, Error> {
    let inputs = Inputs {
        spec: Some(args.spec),
        samples: args.samples,
        config: args.config,
    };
    let loaded = inputs.load()?;
    for warning in loaded.warnings.iter() {
        eprintln!("{}", render::diagnostic(warning));
    }
    let options = scaffold::Options {
        name: args.name,
        runtime_path: args.runtime_path,
        templates: args.templates,
    };
    let files = scaffold::files(&args.dir, &inputs, &loaded, &options)?;
    if args.check {
        return Ok(check(&args.dir, &files));
    }
    // Refused before anything is written: a scaffold over someone's project would
    // mix its files with ours.
    let occupied = std::fs::read_dir(&args.dir).is_ok_and(|mut d| d.next().is_some());
    if occupied && !args.force {
        return Err(Error::invalid(
            Diagnostic::error(Location::File(args.dir.clone()), "the folder is not empty")
                .with_hint(
                    "pass --force to rewrite the files cai-bridge new writes (and only those), \
                     or choose an empty or new folder",
                ),
        ));
    }
    let outcome = output::write(&args.dir, &files)?;
    report(&loaded, &outcome, &args.dir);
    eprintln!(
        "next: cd {} && cargo run -- demo --once --db bridge.db; deploy: see its README.md",
        args.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--check`: success when every file is up to date, else 1 naming the stale ones.
fn check(dir: &std::path::Path, files: &std::collections::BTreeMap<String, String>) -> ExitCode {
    let outcome = output::check(dir, files);
    if outcome.changed.is_empty() {
        eprintln!(
            "{} files up to date in {}",
            outcome.unchanged.len(),
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    for stale in &outcome.changed {
        eprintln!("stale: {}", stale.display());
    }
    eprintln!("hint: run the same command without --check to regenerate");
    ExitCode::from(1)
}

/// What a write did, and the model's renames, for people.
fn report(loaded: &Loaded, outcome: &output::Outcome, dir: &std::path::Path) {
    let model = &loaded.model;
    eprintln!(
        "{} entities ({}), {} written, {} unchanged, in {}",
        model.entities.len() + usize::from(model.fact.is_some()),
        model
            .entities
            .iter()
            .map(|e| e.name.as_str())
            .chain(model.fact.iter().map(|f| f.name.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        outcome.changed.len(),
        outcome.unchanged.len(),
        dir.display()
    );
    for rename in &model.renames {
        eprintln!(
            "renamed {} → {} at {} ({})",
            rename.from, rename.to, rename.path, rename.reason
        );
    }
}

/// Loads the model and prints its warnings for people.
fn load(inputs: InputArgs, samples: Vec<PathBuf>) -> Result<Loaded, Error> {
    let inputs = Inputs {
        spec: inputs.spec,
        samples,
        config: inputs.config,
    };
    let loaded = inputs.load()?;
    for warning in loaded.warnings.iter() {
        eprintln!("{}", render::diagnostic(warning));
    }
    Ok(loaded)
}

fn infer(args: Infer) -> Result<ExitCode, Error> {
    let loaded = load(args.inputs, args.samples)?;
    let schema = json_schema::emit(&loaded.model);
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
