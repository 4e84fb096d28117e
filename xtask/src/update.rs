//! `cargo xtask update FILE`: the one command for a new Clerk release.
//!
//! Import the new spec, report what changed against the spec vendored until now, rebuild the
//! bindings for one tag and for all of them, refresh the surface snapshot, and say what to review.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::import::{self, VENDORED_SPEC};
use crate::{diff, spec_file};

pub fn run(file: &Path) -> Result<()> {
    let root = spec_file::workspace_root();
    let vendored = root.join(VENDORED_SPEC);

    // Keep the old vendored spec to diff against once the import has overwritten it.
    let previous = std::fs::read(&vendored).context("reading the vendored spec")?;
    let previous_copy =
        std::env::temp_dir().join(format!("clerk-bapi-previous-{}.json", std::process::id()));
    std::fs::write(&previous_copy, previous)?;

    step("import");
    import::run(file, false)?;

    step("what changed");
    let report = diff::run(&previous_copy, &vendored);
    let _ = std::fs::remove_file(&previous_copy);
    report?;

    step("rebuild the bindings (organization-invitations alone, then every tag)");
    cargo(
        &root,
        &[
            "build",
            "-p",
            "clerk-bapi-sys",
            "--no-default-features",
            "--features",
            "organization-invitations",
        ],
    )?;
    cargo(
        &root,
        &["build", "-p", "clerk-bapi-sys", "--features", "full"],
    )?;

    step("refresh the snapshot of the generated surface");
    cargo_with_env(
        &root,
        &["test", "-p", "clerk-bapi-sys", "--test", "surface"],
        &[("INSTA_UPDATE", "always")],
    )?;

    step("check that every spec tag has a feature");
    cargo(
        &root,
        &["test", "-p", "clerk-bapi-sys", "--test", "features"],
    )
    .context(
        "a tag was added or removed: edit the features of clerk-bapi-sys/Cargo.toml to match",
    )?;

    step("review");
    println!(
        "Review and commit:\n\
         - the report above (anything flagged for Organization Invitations may need work in clerk-orgs);\n\
         - git diff spec/ (spec/clerk-bapi.meta.json lists what each transform changed);\n\
         - git diff clerk-bapi-sys/tests/snapshots (the generated Organization Invitations surface);\n\
         then run the whole test suite: cargo test --workspace --all-features"
    );
    Ok(())
}

fn step(name: &str) {
    println!("\n== {name}");
}

fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    cargo_with_env(root, args, &[])
}

fn cargo_with_env(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}
