//! `cargo xtask simulate`: runs the deterministic simulator (`clerk-sim`) over many seeds in
//! release mode; see TESTING.md.

use std::process::Command;

use anyhow::{Result, bail};

/// Runs seeds `from..from + seeds`, printing failing seeds (with a replay command), a shrunk
/// trace of the first few, and seeds per second.
pub fn run(seeds: u64, from: u64, show: usize) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "clerk-sim",
            "--",
            "run",
        ])
        .args(["--seeds", &seeds.to_string()])
        .args(["--from", &from.to_string()])
        .args(["--show", &show.to_string()])
        .status()?;
    if !status.success() {
        bail!("the simulator found violations (or failed to run); see above");
    }
    Ok(())
}
