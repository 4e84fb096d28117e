//! The vendored spec against Clerk's current file: every upstream operation is there, and none of
//! the prose came along.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn operation_ids(spec: &Value) -> BTreeSet<String> {
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|operation| operation.get("operationId")?.as_str())
        .map(str::to_owned)
        .collect()
}

fn vendored() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/clerk-bapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The multipart operations stay in the spec, for their routes and response types, although
/// progenitor does not generate them: clerk-bapi-sys writes them by hand.
#[test]
fn every_upstream_operation_is_vendored() {
    let upstream = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/clerk-openapi/bapi/2026-05-12.yml");
    let Ok(text) = std::fs::read_to_string(&upstream) else {
        eprintln!("skipped: {} is not beside the repo", upstream.display());
        return;
    };
    let upstream: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(operation_ids(&vendored()), operation_ids(&upstream));
}

#[test]
fn the_vendored_spec_carries_no_prose() {
    fn visit(value: &Value, in_name_map: bool, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let prose = matches!(
                        key.as_str(),
                        "summary" | "example" | "examples" | "externalDocs"
                    ) || (key == "description"
                        && child.as_str().is_some_and(|text| !text.is_empty()))
                        || (key.starts_with("x-") && key != "x-clerk-known-values");
                    if prose && !in_name_map {
                        found.push(key.clone());
                    }
                    let names = matches!(
                        key.as_str(),
                        "properties" | "paths" | "schemas" | "responses" | "parameters" | "content"
                    );
                    visit(child, names && child.is_object(), found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| visit(item, false, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    visit(&vendored(), false, &mut found);
    assert!(found.is_empty(), "prose keys left: {found:?}");
}
