//! The crate's features must be exactly the spec's tags (plus `full`, `default` and
//! `webhook-events`), or a tag's operations could never be generated; and the crate docs' table
//! must list them all.

#[path = "../build/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::collections::BTreeSet;

/// The one feature that is not a BAPI tag: the webhook event types, from the other spec.
const WEBHOOK_EVENTS: &str = "webhook-events";

#[test]
fn one_feature_per_spec_tag_and_full_has_them_all() {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../spec/clerk-bapi.json")).unwrap();
    let tags: BTreeSet<String> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .flat_map(|operation| operation["tags"].as_array().into_iter().flatten())
        .map(|tag| generate::feature_name(tag.as_str().unwrap()))
        .collect();

    let manifest: toml::Table = include_str!("../Cargo.toml").parse().unwrap();
    let features = manifest["features"].as_table().unwrap();
    let declared: BTreeSet<String> = features
        .keys()
        .filter(|name| !["full", "default", WEBHOOK_EVENTS].contains(&name.as_str()))
        .cloned()
        .collect();
    let mut in_full: BTreeSet<String> = features["full"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect();
    // `full` is everything the crate can generate, the event types included.
    assert!(
        in_full.remove(WEBHOOK_EVENTS),
        "`full` must include {WEBHOOK_EVENTS}"
    );

    assert_eq!(
        declared, tags,
        "add or remove features in clerk-bapi-sys/Cargo.toml"
    );
    assert_eq!(in_full, tags, "`full` must list every tag feature");
}

#[test]
fn the_crate_docs_table_lists_every_feature() {
    let manifest: toml::Table = include_str!("../Cargo.toml").parse().unwrap();
    let features = manifest["features"].as_table().unwrap();
    let docs = include_str!("../src/lib.rs");
    let rows: BTreeSet<&str> = docs
        .lines()
        .filter_map(|line| line.strip_prefix("//! | `"))
        .filter_map(|row| row.split('`').next())
        .filter(|name| *name != "feature")
        .collect();
    let expected: BTreeSet<&str> = features
        .keys()
        .map(String::as_str)
        .filter(|name| *name != "default")
        .collect();
    assert_eq!(
        rows, expected,
        "the `# Cargo features` table of src/lib.rs must have one row per feature"
    );
}
