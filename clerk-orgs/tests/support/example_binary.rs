//! Building one of `clerk-orgs`' examples from a test, so the test runs it as a user would.
//! Included by path from the tests that need it (like `redis_server.rs`).

use std::path::PathBuf;
use std::process::Command;

/// Builds example `name` with `features` (in release when the test itself is a release build)
/// and returns its executable.
pub fn build(name: &str, features: &[&str]) -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args([
        "build",
        "-p",
        "clerk-orgs",
        "--example",
        name,
        "--message-format=json-render-diagnostics",
    ]);
    if !features.is_empty() {
        cargo.args(["--features", &features.join(",")]);
    }
    // Cargo gives this test the package's CARGO_* variables; build scripts that watch them
    // (ring watches CARGO_MANIFEST_DIR) would see a change and rebuild, here and again in the
    // next plain `cargo test`.
    for (variable, _) in std::env::vars_os() {
        let variable = variable.to_string_lossy();
        if variable.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
            ]
            .contains(&variable.as_ref())
        {
            cargo.env_remove(variable.as_ref());
        }
    }
    let this_test = std::env::current_exe().expect("test binary path");
    if this_test.components().any(|c| c.as_os_str() == "release") {
        cargo.arg("--release");
    }
    let output = cargo.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the example failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo reports the example's executable")
}
