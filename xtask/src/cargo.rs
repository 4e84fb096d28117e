//! Running cargo from inside `cargo xtask` without handing it xtask's own build environment.

use std::path::Path;
use std::process::Command;

/// `cargo` as a shell would run it. `cargo xtask` is `cargo run`, which gives this process the
/// xtask package's `CARGO_MANIFEST_DIR`, `CARGO_PKG_*` and the like; build scripts that rerun on
/// those (ring's does) would see them changed, so a nested cargo would rebuild them, and the
/// README's `cargo test` after it would rebuild them again.
pub fn outer_cargo(cargo: &str, root: &Path) -> Command {
    let mut command = Command::new(cargo);
    command.current_dir(root);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || matches!(
                name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(name);
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_environment_is_removed_and_the_rest_kept() {
        // `cargo test` runs this with the xtask package's variables set, as `cargo xtask` does.
        let command = outer_cargo("cargo", Path::new("."));
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_PKG_NAME", "CARGO_MANIFEST_DIR"] {
            if std::env::var_os(name).is_some() {
                assert!(removed.iter().any(|r| r == name), "{name}: {removed:?}");
            }
        }
        assert!(removed.iter().all(|name| name.starts_with("CARGO_")));
        assert!(
            !removed
                .iter()
                .any(|name| name == "CARGO_HOME" || name == "PATH")
        );
    }
}
