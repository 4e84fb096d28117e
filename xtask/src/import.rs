//! `cargo xtask spec import`: placeholder, being written.

use std::path::Path;

use anyhow::Result;

pub fn run(_file: &Path, _check: bool) -> Result<()> {
    anyhow::bail!("import is not written yet")
}
