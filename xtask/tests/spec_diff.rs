//! `cargo xtask spec diff` end to end: file loading in both forms, the printed report and the exit
//! status. The comparison itself is unit-tested in `src/diff/tests.rs`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `xtask spec diff OLD NEW`, asserting it exits 0 (a report, whatever it finds).
fn spec_diff(old: &Path, new: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec", "diff"])
        .arg(old)
        .arg(new)
        .output()
        .expect("xtask runs");
    assert!(
        output.status.success(),
        "spec diff failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("report is UTF-8")
}

#[test]
fn upstream_yaml_and_vendored_json_of_the_same_spec_do_not_differ() {
    let fixtures = manifest_dir().join("tests/fixtures/diff");
    let (upstream, vendored) = (
        fixtures.join("upstream.yml"),
        fixtures.join("vendored.json"),
    );
    for (old, new) in [(&upstream, &vendored), (&vendored, &upstream)] {
        let report = spec_diff(old, new);
        assert!(report.contains("No structural changes."), "{report}");
        assert!(
            report.contains("Organization Invitations: not touched."),
            "{report}"
        );
    }
}

#[test]
fn shared_specs_2025_11_10_to_2026_05_12_add_ten_operations() {
    let shared: PathBuf = manifest_dir().join("../../shared/clerk-openapi/bapi");
    let (old, new) = (shared.join("2025-11-10.yml"), shared.join("2026-05-12.yml"));
    if !old.exists() || !new.exists() {
        eprintln!("skipped: Clerk's specs are not in {}", shared.display());
        return;
    }
    let report = spec_diff(&old, &new);
    // Operation lines read `  + Id  METHOD /path`; schema lines have no route.
    let operations_added: BTreeSet<&str> = report
        .lines()
        .filter_map(|line| line.strip_prefix("  + "))
        .filter_map(|line| line.split_once("  "))
        .filter(|(_, route)| route.contains(" /"))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        Vec::from_iter(operations_added),
        [
            "CreateDirectoryGroupRoleMapping",
            "CreateSCIMGroupRoleMapping",
            "DeleteDirectoryGroupRoleMapping",
            "DeleteSCIMGroupRoleMapping",
            "ListDirectoryGroupRoleMappings",
            "ListSCIMGroupRoleMappings",
            "ReplaceDirectoryGroupRoleMappings",
            "ReplaceSCIMGroupRoleMappings",
            "RotateDirectoryAPIKey",
            "RotateSCIMDirectoryAPIKey",
        ]
    );
    assert!(!report.contains('⚠'), "{report}");
    assert!(
        report.ends_with(
            "Summary: 10 operations added, 0 removed, 2 changed; \
             4 schemas added, 0 removed, 0 changed.\n"
        ),
        "{report}"
    );
}
