//! Turning the vendored webhooks spec (`spec/clerk-webhooks.json`) into Rust types for the event
//! payloads, with typify.
//!
//! Shared by `build.rs` (feature `webhook-events`, written to `$OUT_DIR/webhook_events.rs`) and by
//! the snapshot test in `tests/webhook_events.rs`, so the snapshot shows what users compile.
//!
//! The spec has no operations, so progenitor has nothing to generate; typify (which progenitor
//! runs for its own types, so it costs no extra crate) takes the payload schemas directly. typify
//! reads JSON Schema, not OpenAPI 3.0, so the one OpenAPI-only keyword the spec uses, `nullable`,
//! is rewritten the way progenitor rewrites it for the BAPI types: `type: [T, "null"]`, or a
//! `oneOf` with `null` for a schema without a `type` (the import has already turned a nullable
//! `$ref` into `allOf: [$ref]`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

// Shared with xtask (see the file); each side uses only part of it. build.rs also loads it through
// generate.rs: each generator declares it so that it stands alone in its own test, and a second
// copy of a few walking functions in a build script costs nothing.
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "openapi.rs"]
mod openapi;

use openapi::{WEBHOOK_EVENTS, component_name, for_each_node, for_each_ref, ref_target};

/// Generates the types of the events named in `only` (event types such as
/// `organizationInvitation.created`), or of every event when `only` is `None`, with the schemas
/// they reach and an `EVENT_TYPES` table.
pub fn generate(spec_json: &str, only: Option<&[&str]>) -> String {
    let spec: Value = serde_json::from_str(spec_json).expect("the vendored webhooks spec is JSON");
    let index = spec[WEBHOOK_EVENTS]
        .as_object()
        .unwrap_or_else(|| panic!("the webhooks spec has no {WEBHOOK_EVENTS}; re-run the import"));

    let mut events = Vec::new();
    for (event, reference) in index {
        if only.is_some_and(|only| !only.contains(&event.as_str())) {
            continue;
        }
        let reference = reference["$ref"].as_str().expect("an event's $ref");
        let name = component_name("schemas", reference).expect("events are component schemas");
        events.push((event.clone(), name));
    }
    if let Some(only) = only {
        assert_eq!(events.len(), only.len(), "unknown event types in {only:?}");
    }

    // Only what the chosen events reach, so the snapshot of a few events stays reviewable.
    let mut reachable = BTreeSet::new();
    let mut pending: Vec<String> = events.iter().map(|(_, name)| name.clone()).collect();
    while let Some(name) = pending.pop() {
        if !reachable.insert(name.clone()) {
            continue;
        }
        let schema = ref_target(&spec, &format!("#/components/schemas/{name}"))
            .unwrap_or_else(|| panic!("dangling schema {name}"));
        for_each_ref(schema, &mut |reference| {
            let target = component_name("schemas", reference)
                .unwrap_or_else(|| panic!("{name}: $ref {reference} is not a component schema"));
            pending.push(target);
        });
    }

    let definitions = reachable.into_iter().map(|name| {
        let mut schema = spec["components"]["schemas"][&name].clone();
        for_each_node(&mut schema, &mut nullable_to_json_schema);
        let schema: schemars::schema::Schema = serde_json::from_value(schema)
            .unwrap_or_else(|err| panic!("{name} is not a JSON Schema: {err}"));
        (name, schema)
    });
    let mut settings = typify::TypeSpaceSettings::default();
    // Payloads are decoded, not built, so builders would only add code.
    settings.with_struct_builder(false);
    let mut types = typify::TypeSpace::new(&settings);
    types
        .add_ref_types(definitions)
        .expect("typify generates the event payloads");

    let table = events.iter().map(|(event, name)| quote_pair(event, name));
    let tokens = types.to_stream();
    // Unformatted, like the bindings (see generate.rs); the snapshot test formats it.
    let mut code = tokens.to_string();
    code.push_str(
        "\n/// Every event type the spec documents, with the name of the type of its payload here.\n",
    );
    code.push_str("pub const EVENT_TYPES: &[(&str, &str)] = &[\n");
    for pair in table {
        code.push_str(&format!("    {pair},\n"));
    }
    code.push_str("];\n");
    code
}

fn quote_pair(event: &str, name: &str) -> String {
    format!("({}, {})", json!(event), json!(name))
}

/// Rewrites OpenAPI 3.0's `nullable` into JSON Schema on one node; see the module docs.
fn nullable_to_json_schema(node: &mut Map<String, Value>) {
    if node.remove("nullable") != Some(Value::Bool(true)) {
        return;
    }
    match node.get("type").and_then(Value::as_str).map(str::to_owned) {
        Some(kind) => {
            node.insert("type".into(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = node.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
        None => {
            let inner = std::mem::take(node);
            node.insert("oneOf".into(), json!([{"type": "null"}, inner]));
        }
    }
}
