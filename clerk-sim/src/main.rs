//! `clerk-sim`: run many seeds, or replay and shrink one. `cargo xtask simulate` runs this in
//! release mode.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use clerk_sim::{Config, Workload, format_schedule, parse_schedule, shrink, simulate};

#[derive(Parser)]
#[command(
    name = "clerk-sim",
    about = "Deterministic simulation of clerk-orgs against clerk-fake"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run seeds FROM..FROM+SEEDS and report violations and seeds per second.
    Run {
        #[arg(long, default_value_t = 1000)]
        seeds: u64,
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// Shrink and print at most this many failing seeds in full.
        #[arg(long, default_value_t = 3)]
        show: usize,
        /// The families of operations: `all`, `memberships` (the workload before roster
        /// syncs) or `invitations` (before memberships), for seeds found then.
        #[arg(long, default_value = "all")]
        workload: Workload,
    },
    /// Run one seed and print its trace; `--faults` replaces its schedule.
    Replay {
        seed: u64,
        /// A schedule such as `create#2=drop,list#1=503e` (see TESTING.md).
        #[arg(long)]
        faults: Option<String>,
        /// Shrink the schedule to the smallest one that still breaks the first invariant.
        #[arg(long)]
        shrink: bool,
        /// The families of operations: `all`, `memberships` or `invitations`.
        #[arg(long, default_value = "all")]
        workload: Workload,
    },
}

fn replay_command(seed: u64, faults: &str, workload: Workload) -> String {
    let workload = if workload == Workload::default() {
        String::new()
    } else {
        format!(" --workload {}", workload.name())
    };
    format!("cargo run -p clerk-sim --release -- replay {seed} --faults '{faults}'{workload}")
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run {
            seeds,
            from,
            show,
            workload,
        } => {
            let config = Config {
                workload,
                ..Config::default()
            };
            let started = Instant::now();
            let mut failing: Vec<clerk_sim::Report> = Vec::new();
            let mut by_invariant: BTreeMap<(u8, &'static str), Vec<u64>> = BTreeMap::new();
            let (mut calls, mut requests) = (0usize, 0usize);
            let mut judged: BTreeMap<&'static str, u64> = BTreeMap::new();
            for seed in from..from.saturating_add(seeds) {
                let report = simulate(seed, &config);
                calls += report.calls;
                requests += report.requests;
                for (what, n) in &report.judged {
                    *judged.entry(what).or_default() += n;
                }
                if !report.passed() {
                    let mut invariants: Vec<(u8, &'static str)> = report
                        .violations
                        .iter()
                        .map(|v| (v.invariant, v.rule))
                        .collect();
                    invariants.sort_unstable();
                    invariants.dedup();
                    for invariant in invariants {
                        by_invariant.entry(invariant).or_default().push(seed);
                    }
                    println!(
                        "seed {seed}: FAIL {} ({})",
                        report.violations[0],
                        replay_command(seed, &format_schedule(&report.faults), workload)
                    );
                    failing.push(report);
                }
                let done = seed - from + 1;
                if done.is_multiple_of(500) {
                    let elapsed = started.elapsed().as_secs_f64();
                    eprintln!(
                        "{done} seeds, {} failing, {:.1} seeds/s",
                        failing.len(),
                        done as f64 / elapsed
                    );
                }
            }
            let elapsed = started.elapsed().as_secs_f64();
            println!(
                "{seeds} seeds ({from}..{}) in {elapsed:.1} s: {:.1} seeds/s, {calls} calls, \
                 {requests} requests, {} failing",
                from + seeds,
                seeds as f64 / elapsed,
                failing.len()
            );
            if !judged.is_empty() {
                let list: Vec<String> = judged.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!("  roster judgements: {}", list.join(", "));
            }
            for ((invariant, rule), seeds) in &by_invariant {
                let shown: Vec<String> = seeds.iter().take(20).map(u64::to_string).collect();
                println!(
                    "  invariant {invariant} [{rule}]: {} seeds, e.g. {}",
                    seeds.len(),
                    shown.join(" ")
                );
            }
            for report in failing.iter().take(show) {
                let invariant = (report.violations[0].invariant, report.violations[0].rule);
                let shrunk = shrink(report.seed, &config, report, invariant);
                println!(
                    "\n=== seed {} shrunk to [{}]",
                    report.seed,
                    format_schedule(&shrunk.faults)
                );
                println!(
                    "replay: {}",
                    replay_command(report.seed, &format_schedule(&shrunk.faults), workload)
                );
                print!("{}", shrunk.render());
            }
            if failing.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Replay {
            seed,
            faults,
            shrink: want_shrink,
            workload,
        } => {
            let mut config = Config {
                workload,
                ..Config::default()
            };
            if let Some(text) = faults {
                match parse_schedule(&text) {
                    Ok(faults) => config.faults = Some(faults),
                    Err(error) => {
                        eprintln!("{error}");
                        return ExitCode::from(2);
                    }
                }
            }
            let mut report = simulate(seed, &config);
            if want_shrink && let Some(first) = report.violations.first() {
                let rule = (first.invariant, first.rule);
                report = shrink(seed, &config, &report, rule);
                println!(
                    "replay: {}",
                    replay_command(seed, &format_schedule(&report.faults), workload)
                );
            }
            print!("{}", report.render());
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
