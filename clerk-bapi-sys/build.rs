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
use std::path::PathBuf;

const SPEC: &str = "spec/clerk-bapi.json";
const WEBHOOKS_SPEC: &str = "spec/clerk-webhooks.json";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/generate.rs");
    println!("cargo:rerun-if-changed=build/openapi.rs");
    println!("cargo:rerun-if-changed={WEBHOOKS_SPEC}");
    println!("cargo:rerun-if-changed=build/webhook_events.rs");

    let features = enabled_features();
    let spec = std::fs::read_to_string(SPEC).unwrap_or_else(|err| panic!("reading {SPEC}: {err}"));
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
        let spec = std::fs::read_to_string(WEBHOOKS_SPEC)
            .unwrap_or_else(|err| panic!("reading {WEBHOOKS_SPEC}: {err}"));
        std::fs::write(
            out_dir.join("webhook_events.rs"),
            webhook_events::generate(&spec, None),
        )
        .expect("writing the webhook event types");
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
