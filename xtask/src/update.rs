//! `cargo xtask update`: placeholder, being written.

use std::path::Path;

use anyhow::Result;

pub fn run(_file: &Path) -> Result<()> {
    anyhow::bail!("update is not written yet")
}
