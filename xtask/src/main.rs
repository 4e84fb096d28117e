//! `cargo xtask`: the maintainer's commands for keeping the vendored Clerk spec and the generated
//! bindings up to date (see the README's "Refreshing the bindings" section), and for running the
//! simulator over many seeds and the suite many times (see TESTING.md).

mod build_cost;
mod cargo;
mod diff;
mod flake_hunt;
mod import;
mod simulate;
// Shared with clerk-bapi-sys's build script, which cannot depend on xtask; it lives there so that
// `cargo package` ships it. Each side uses only part of it.
#[allow(dead_code)]
#[path = "../../clerk-bapi-sys/build/openapi.rs"]
mod openapi;
mod spec_file;
mod transforms;
mod update;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Maintainer tasks for the Clerk BAPI client"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with the vendored OpenAPI spec.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
    /// Measure a cold build of a tiny app on clerk-orgs, next to the same app on clerk-rs 0.5.0.
    BuildCost {
        /// Measure only clerk-orgs.
        #[arg(long)]
        skip_baseline: bool,
    },
    /// Run the deterministic simulator (clerk-sim) over many seeds; see TESTING.md.
    Simulate {
        /// How many seeds.
        #[arg(long, default_value_t = 1000)]
        seeds: u64,
        /// The first seed.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Shrink and print the trace of at most this many failing seeds.
        #[arg(long, default_value_t = 3)]
        show: usize,
        /// The families of operations: `all`, `memberships` (before roster syncs) or
        /// `invitations` (before memberships).
        #[arg(long, default_value = "all")]
        workload: String,
    },
    /// Run the whole suite N times with many test threads and N times with one; report every
    /// test that failed (see TESTING.md).
    FlakeHunt {
        /// How many runs in each of the two modes.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Test threads in the first mode (RUST_TEST_THREADS); at least 16.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(16..))]
        threads: u16,
    },
    /// The one command for a new Clerk release: import, diff, rebuild, refresh snapshots.
    Update {
        /// Clerk's upstream spec file (YAML or JSON).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum SpecCommand {
    /// Extract the structure of Clerk's upstream spec into `spec/`.
    Import {
        /// Clerk's upstream spec file (YAML or JSON).
        file: PathBuf,
        /// Write nothing; fail with a diff when `spec/` differs from what the import yields.
        #[arg(long)]
        check: bool,
    },
    /// Report what changed between two spec files (upstream or vendored form).
    Diff { old: PathBuf, new: PathBuf },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Spec { command } => match command {
            SpecCommand::Import { file, check } => import::run(&file, check),
            SpecCommand::Diff { old, new } => diff::run(&old, &new),
        },
        Command::Update { file } => update::run(&file),
        Command::BuildCost { skip_baseline } => build_cost::run(skip_baseline),
        Command::Simulate {
            seeds,
            from,
            show,
            workload,
        } => simulate::run(seeds, from, show, &workload),
        Command::FlakeHunt { runs, threads } => flake_hunt::run(runs, usize::from(threads)),
    }
}
