//! Schemas: what a schema is, and how two of them differ, down through their inline structure.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::report::{Change, ChangeKind, added_or_removed};
use crate::openapi::{self, KNOWN_VALUES};

pub(super) fn component_schemas(spec: &Value) -> BTreeMap<&str, &Value> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

pub(super) fn schema_ref_name(reference: &str) -> Option<String> {
    openapi::component_name("schemas", reference)
}

/// A schema's wrapper `allOf: [X]` (how OpenAPI 3.0 makes a `$ref` nullable) is compared as `X`,
/// so adding or removing the wrapper shows only as the nullable change it is.
fn unwrap_single_all_of(schema: &Value) -> &Value {
    let structural = ["type", "properties", "items", "oneOf", "anyOf", "$ref"];
    match schema.get("allOf").and_then(Value::as_array) {
        Some(parts) if parts.len() == 1 && !structural.iter().any(|k| schema.get(k).is_some()) => {
            &parts[0]
        }
        _ => schema,
    }
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
        || unwrap_single_all_of(schema)
            .get("nullable")
            .and_then(Value::as_bool)
            == Some(true)
}

/// What a schema is, shallowly: a component name for a `$ref`, else its type and format. Two
/// schemas of different kinds are a retype; same kinds are compared further inside.
fn kind(schema: &Value) -> String {
    let schema = unwrap_single_all_of(schema);
    if let Some(reference) = openapi::ref_of(schema) {
        return schema_ref_name(reference).unwrap_or_else(|| reference.to_owned());
    }
    let base = match schema.get("type") {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Array(names)) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("|"),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ if schema.get("items").is_some() => "array".to_owned(),
        _ => ["oneOf", "anyOf", "allOf"]
            .into_iter()
            .find(|keyword| schema.get(keyword).is_some())
            .unwrap_or("any")
            .to_owned(),
    };
    match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{base}({format})"),
        None => base,
    }
}

/// A readable type, spelling out what arrays hold.
pub(super) fn describe(schema: &Value) -> String {
    let inner = unwrap_single_all_of(schema);
    if kind(inner) == "array" {
        format!(
            "array of {}",
            describe(inner.get("items").unwrap_or(&Value::Null))
        )
    } else {
        kind(inner)
    }
}

/// The type plus nullability, for lines about added and removed things.
pub(super) fn describe_with_nullable(schema: &Value) -> String {
    if is_nullable(schema) {
        format!("{}, nullable", describe(schema))
    } else {
        describe(schema)
    }
}

/// The known values of a string enum, under either spelling (the vendored spec renames `enum` to
/// `x-clerk-known-values` so that bindings accept values Clerk adds later).
fn enum_values(schema: &Value) -> BTreeSet<String> {
    schema
        .get("enum")
        .or_else(|| schema.get(KNOWN_VALUES))
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .map(|value| match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn location(scope: &str, pointer: &str) -> String {
    if pointer.is_empty() {
        scope.to_owned()
    } else {
        format!("{scope} {pointer}")
    }
}

/// Compares two schemas at `scope` (operation part or component name) plus `pointer` (the path
/// inside the schema, e.g. `.data[].id`). Only inline structure is walked, so this terminates.
pub(super) fn compare_schemas(
    changes: &mut Vec<Change>,
    scope: &str,
    pointer: &str,
    old_outer: &Value,
    new_outer: &Value,
) {
    let here = || location(scope, pointer);
    if is_nullable(old_outer) != is_nullable(new_outer) {
        changes.push(Change {
            location: here(),
            kind: ChangeKind::NullableChanged {
                now_nullable: is_nullable(new_outer),
            },
        });
    }
    let (old, new) = (
        unwrap_single_all_of(old_outer),
        unwrap_single_all_of(new_outer),
    );
    let (old_kind, new_kind) = (kind(old), kind(new));
    if old_kind != new_kind {
        changes.push(Change {
            location: here(),
            kind: ChangeKind::Retyped {
                from: describe(old),
                to: describe(new),
            },
        });
        return;
    }

    let (old_values, new_values) = (enum_values(old), enum_values(new));
    let added: Vec<String> = new_values.difference(&old_values).cloned().collect();
    let removed: Vec<String> = old_values.difference(&new_values).cloned().collect();
    if !added.is_empty() {
        changes.push(Change {
            location: here(),
            kind: ChangeKind::EnumValuesAdded(added),
        });
    }
    if !removed.is_empty() {
        changes.push(Change {
            location: here(),
            kind: ChangeKind::EnumValuesRemoved(removed),
        });
    }

    compare_properties(changes, scope, pointer, old, new);

    let child = |key| old.get(key).is_some() || new.get(key).is_some();
    if child("items") {
        compare_schemas(
            changes,
            scope,
            &format!("{pointer}[]"),
            old.get("items").unwrap_or(&Value::Null),
            new.get("items").unwrap_or(&Value::Null),
        );
    }
    compare_additional_properties(changes, scope, pointer, old, new);
    for keyword in ["oneOf", "anyOf", "allOf"] {
        compare_alternatives(changes, scope, pointer, keyword, old, new);
    }
}

fn compare_properties(
    changes: &mut Vec<Change>,
    scope: &str,
    pointer: &str,
    old: &Value,
    new: &Value,
) {
    fn properties(schema: &Value) -> BTreeMap<&str, &Value> {
        schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|properties| properties.iter().map(|(k, v)| (k.as_str(), v)).collect())
            .unwrap_or_default()
    }
    fn required(schema: &Value) -> BTreeSet<&str> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
    let (old_properties, new_properties) = (properties(old), properties(new));
    let (old_required, new_required) = (required(old), required(new));
    // `required` may name a property declared elsewhere (e.g. in an `allOf` part), so its
    // changes are reported for every name either list mentions.
    let names: BTreeSet<&str> = old_properties
        .keys()
        .chain(new_properties.keys())
        .chain(old_required.iter())
        .chain(new_required.iter())
        .copied()
        .collect();
    for name in names {
        let property_pointer = format!("{pointer}.{name}");
        let here = || location(scope, &property_pointer);
        let detail = |schema: &Value, required: &BTreeSet<&str>| {
            let mut detail = describe_with_nullable(schema);
            if required.contains(name) {
                detail.push_str(", required");
            }
            detail
        };
        match (old_properties.get(name), new_properties.get(name)) {
            (None, Some(schema)) => changes.push(Change::added(
                here(),
                "property",
                detail(schema, &new_required),
            )),
            (Some(schema), None) => changes.push(Change::removed(
                here(),
                "property",
                detail(schema, &old_required),
            )),
            (old_schema, new_schema) => {
                if old_required.contains(name) != new_required.contains(name) {
                    changes.push(Change {
                        location: here(),
                        kind: ChangeKind::RequiredChanged {
                            now_required: new_required.contains(name),
                        },
                    });
                }
                if let (Some(old_schema), Some(new_schema)) = (old_schema, new_schema) {
                    compare_schemas(changes, scope, &property_pointer, old_schema, new_schema);
                }
            }
        }
    }
}

/// Map-like objects: only a schema-valued `additionalProperties` matters, since `false` is
/// dropped by the import and `true` means the same as leaving it out.
fn compare_additional_properties(
    changes: &mut Vec<Change>,
    scope: &str,
    pointer: &str,
    old: &Value,
    new: &Value,
) {
    fn value_schema(schema: &Value) -> Option<&Value> {
        schema
            .get("additionalProperties")
            .filter(|value| value.is_object())
    }
    let inner = format!("{pointer}{{}}");
    let both = (value_schema(old), value_schema(new));
    let here = location(scope, &inner);
    if let Some((old, new)) = added_or_removed(
        changes,
        &here,
        "additional properties",
        both,
        describe_with_nullable,
    ) {
        compare_schemas(changes, scope, &inner, old, new);
    }
}

/// `oneOf`/`anyOf`/`allOf` lists. When every alternative is a `$ref`, they are compared as a set of
/// names (reordering is no change); otherwise position by position.
fn compare_alternatives(
    changes: &mut Vec<Change>,
    scope: &str,
    pointer: &str,
    keyword: &'static str,
    old: &Value,
    new: &Value,
) {
    let (old_list, new_list) = (alternatives(old, keyword), alternatives(new, keyword));
    if old_list.is_empty() && new_list.is_empty() {
        return;
    }
    let here = location(scope, pointer);
    let all_refs = |list: &[Value]| list.iter().all(|schema| schema.get("$ref").is_some());
    if all_refs(old_list) && all_refs(new_list) {
        let names = |list: &[Value]| list.iter().map(kind).collect::<BTreeSet<_>>();
        let (old_names, new_names) = (names(old_list), names(new_list));
        for name in new_names.difference(&old_names) {
            changes.push(Change::added(
                here.clone(),
                keyword_variant(keyword),
                name.clone(),
            ));
        }
        for name in old_names.difference(&new_names) {
            changes.push(Change::removed(
                here.clone(),
                keyword_variant(keyword),
                name.clone(),
            ));
        }
        return;
    }
    for index in 0..old_list.len().max(new_list.len()) {
        let variant_pointer = format!("{pointer}<{keyword} {index}>");
        let here = location(scope, &variant_pointer);
        let both = (old_list.get(index), new_list.get(index));
        let what = keyword_variant(keyword);
        if let Some((old, new)) = added_or_removed(changes, &here, what, both, describe) {
            compare_schemas(changes, scope, &variant_pointer, old, new);
        }
    }
}

fn alternatives<'a>(schema: &'a Value, keyword: &str) -> &'a [Value] {
    schema
        .get(keyword)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn keyword_variant(keyword: &str) -> &'static str {
    match keyword {
        "oneOf" => "oneOf variant",
        "anyOf" => "anyOf variant",
        _ => "allOf part",
    }
}
