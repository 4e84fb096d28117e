//! `cargo xtask update FILE`: the one command for a new Clerk release.
//!
//! Import the new spec, report what changed against the spec vendored until now, rebuild the
//! bindings for one tag and for all of them, refresh the surface snapshot, check every operation
//! against the spec (the conformance table), and say what to review.
//! Given Clerk's webhooks spec, the same steps apply to the webhook event types instead.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::import::{self, SpecKind};
use crate::{diff, spec_file};

pub fn run(file: &Path) -> Result<()> {
    let root = spec_file::workspace_root();
    let kind = SpecKind::of(&spec_file::load(file)?);
    let vendored = root.join(kind.vendored().0);

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

    match kind {
        SpecKind::Bapi => rebuild_bindings(&root),
        SpecKind::Webhooks => rebuild_webhook_events(&root),
    }
}

fn rebuild_bindings(root: &Path) -> Result<()> {
    step("rebuild the bindings (organization-invitations alone, then every tag)");
    cargo(
        root,
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
        root,
        &["build", "-p", "clerk-bapi-sys", "--features", "full"],
    )?;

    step("refresh the snapshot of the generated surface");
    cargo_with_env(
        root,
        &["test", "-p", "clerk-bapi-sys", "--test", "surface"],
        &[("INSTA_UPDATE", "always")],
    )?;

    step(
        "check every operation against the spec: every field kept both ways (the conformance table)",
    );
    cargo_with_env(
        root,
        &[
            "test",
            "-p",
            "clerk-bapi-sys",
            "--features",
            "full",
            "--test",
            "conformance",
            "--test",
            "multipart",
        ],
        &[("INSTA_UPDATE", "always")],
    )
    .context(
        "an operation loses or changes a field, or the multipart operations changed: read the \
         failures above and git diff clerk-bapi-sys/tests/snapshots/conformance__conformance_table.snap; \
         fix a spec defect with an import transform (xtask/src/transforms.rs), a generator \
         defect with a step in clerk-bapi-sys/build/generate.rs, a multipart change in \
         clerk-bapi-sys/src/multipart.rs",
    )?;

    step("check that every spec tag has a feature");
    cargo(
        root,
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
         - git diff clerk-bapi-sys/tests/snapshots (the generated Organization Invitations surface, \
           and the conformance table: every operation's answer and body against the spec);\n\
         then run the whole test suite: cargo test --workspace --all-features"
    );
    Ok(())
}

fn rebuild_webhook_events(root: &Path) -> Result<()> {
    step("rebuild the webhook event types");
    cargo(
        root,
        &[
            "build",
            "-p",
            "clerk-bapi-sys",
            "--no-default-features",
            "--features",
            "webhook-events",
        ],
    )?;

    step(
        "refresh the snapshot of the invitation and membership event types; decode Clerk's examples",
    );
    cargo_with_env(
        root,
        &[
            "test",
            "-p",
            "clerk-bapi-sys",
            "--no-default-features",
            "--features",
            "webhook-events",
            "--test",
            "webhook_events",
        ],
        &[("INSTA_UPDATE", "always")],
    )
    .context(
        "if an example no longer decodes, compare clerk-bapi-sys/tests/fixtures/webhook_events \
         with the new spec's examples (cargo test -p xtask checks they match)",
    )?;

    step("review");
    println!(
        "Review and commit:\n\
         - the report above (events are listed as operations with method EVENT; anything flagged \
           is an invitation or membership event, whose payloads clerk-orgs decodes);\n\
         - git diff spec/ (spec/clerk-webhooks.meta.json lists what each transform changed, \
           relax_required_by_examples included);\n\
         - git diff clerk-bapi-sys/tests/snapshots (the generated invitation and membership event types);\n\
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
