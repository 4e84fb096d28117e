//! `cargo xtask simulate`: runs the deterministic simulator (`clerk-sim`) over many seeds in
//! release mode; see TESTING.md.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cargo::outer_cargo;

/// Runs seeds `from..from + seeds` of `workload`, printing failing seeds (with a replay
/// command), a shrunk trace of the first few, and seeds per second.
pub fn run(seeds: u64, from: u64, show: usize, workload: &str) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask lives in the workspace")?;
    // Without xtask's own `CARGO_PKG_*` and the like: a nested cargo that saw them would
    // rebuild what reruns on them, and the next plain `cargo` would rebuild it again.
    let status = outer_cargo(&cargo, root)
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
        .args(["--workload", workload])
        .status()?;
    if !status.success() {
        bail!("the simulator found violations (or failed to run); see above");
    }
    Ok(())
}
