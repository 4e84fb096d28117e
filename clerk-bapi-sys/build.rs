//! Generates the bindings from the vendored spec into `$OUT_DIR`; see `build/generate.rs`, and
//! `build/webhook_events.rs` for the webhook event types (feature `webhook-events`).

#[path = "build/generate.rs"]
mod generate;
// Only compiled when asked for, like the module it generates: less build script to compile.
#[cfg(feature = "webhook-events")]
#[path = "build/webhook_events.rs"]
mod webhook_events;

use std::collections::HashSet;
use std::env;
use std::path::{Path, PathBuf};

const SPEC: &str = "clerk-bapi.json";
#[cfg(feature = "webhook-events")]
const WEBHOOKS_SPEC: &str = "clerk-webhooks.json";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/generate.rs");
    println!("cargo:rerun-if-changed=build/openapi.rs");
    println!("cargo:rerun-if-changed=build/webhook_events.rs");

    let features = enabled_features();
    let spec = read_spec(SPEC);
    let bindings = generate::generate(&spec, &features);

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("codegen.rs"), bindings.code).expect("writing the bindings");
    std::fs::write(out_dir.join("api_version.txt"), bindings.api_version)
        .expect("writing the API version");
    // Read by tests/conformance.rs only; a few kilobytes of text.
    std::fs::write(out_dir.join("operations.rs"), bindings.operations)
        .expect("writing the operations table");

    // Only when asked for: users of the BAPI alone pay nothing for the events.
    #[cfg(feature = "webhook-events")]
    {
        let spec = read_spec(WEBHOOKS_SPEC);
        std::fs::write(
            out_dir.join("webhook_events.rs"),
            webhook_events::generate(&spec, None),
        )
        .expect("writing the webhook event types");
    }
}

/// One vendored spec file, from wherever this crate is built. In the repository the specs live in
/// the top-level `spec/` only (no symlink: a checkout without symlinks builds too). A package
/// holds its own copy in `spec/`, staged there by `.ci/package` because `cargo package` takes
/// nothing from outside the crate; a built package has no `../spec`. Where both are present (a
/// copy left over from packaging), they must agree, so a stale copy never builds.
fn read_spec(name: &str) -> String {
    let crate_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let packaged = crate_dir.join("spec").join(name);
    let repository = crate_dir.join("..").join("spec").join(name);
    let read = |path: &Path| -> Option<String> {
        let text = std::fs::read_to_string(path).ok()?;
        println!("cargo:rerun-if-changed={}", path.display());
        Some(text)
    };
    match (read(&packaged), read(&repository)) {
        (Some(own), Some(top)) if own != top => panic!(
            "{} differs from {}: a stale copy left by packaging; delete {}",
            packaged.display(),
            repository.display(),
            crate_dir.join("spec").display()
        ),
        (Some(spec), _) | (None, Some(spec)) => spec,
        (None, None) => panic!(
            "{name} is in neither {} (a package) nor {} (the repository)",
            packaged.display(),
            repository.display()
        ),
    }
}

/// Enabled features as cargo reports them (`CARGO_FEATURE_ORGANIZATION_INVITATIONS`), in the
/// kebab-case of the feature names.
fn enabled_features() -> HashSet<String> {
    env::vars()
        .filter_map(|(key, _)| {
            let feature = key.strip_prefix("CARGO_FEATURE_")?;
            Some(feature.to_lowercase().replace('_', "-"))
        })
        .collect()
}
