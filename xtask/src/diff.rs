//! `cargo xtask spec diff`: placeholder, being written.

use std::path::Path;

use anyhow::Result;

pub fn run(_old: &Path, _new: &Path) -> Result<()> {
    anyhow::bail!("spec diff is not written yet")
}
