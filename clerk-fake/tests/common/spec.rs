//! The vendored OpenAPI 3.0 spec as JSON Schema, and checks of bodies against it.
//!
//! Conversion: `nullable: true` becomes "or null"; `$ref`s to `#/components/...` keep working
//! because each schema is validated inside a document that embeds the converted components.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/clerk-bapi.json");
const WEBHOOKS_SPEC_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/clerk-webhooks.json");

/// The routes the fake serves, as the spec names them (static segments win over parameters).
const TEMPLATES: &[&str] = &[
    "/organizations/{organization_id}/invitations/bulk",
    "/organizations/{organization_id}/invitations/pending",
    "/organizations/{organization_id}/invitations/{invitation_id}/revoke",
    "/organizations/{organization_id}/invitations/{invitation_id}",
    "/organizations/{organization_id}/invitations",
    "/organization_invitations",
    "/users/{user_id}/organization_invitations",
    "/organizations/{organization_id}/memberships/{user_id}/metadata",
    "/organizations/{organization_id}/memberships/{user_id}",
    "/organizations/{organization_id}/memberships",
    "/organization_memberships",
    "/users/{user_id}/organization_memberships",
    "/organization_roles/{organization_role_id}",
    "/organization_roles",
    "/users",
];

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH).expect("vendored spec");
        let mut spec: Value = serde_json::from_str(&text).expect("spec is JSON");
        discriminators_to_json_schema(&mut spec);
        nullable_to_json_schema(&mut spec);
        spec
    })
}

/// Gives JSON Schema OpenAPI's `discriminator`: each `oneOf` option it maps also requires the
/// discriminating property to hold that option's name (the mapping's key, or the schema's
/// name when there is no mapping). Without it, an object valid under two options (Clerk's
/// verification kinds share most fields) fails `oneOf`, however clearly its `object` says
/// which it is.
fn discriminators_to_json_schema(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for child in fields.values_mut() {
                discriminators_to_json_schema(child);
            }
            let Some(property) = fields
                .get("discriminator")
                .and_then(|d| d["propertyName"].as_str())
                .map(str::to_owned)
            else {
                return;
            };
            let mapping = fields["discriminator"]["mapping"].clone();
            let Some(Value::Array(options)) = fields.get_mut("oneOf") else {
                return;
            };
            for option in options.iter_mut() {
                let Some(target) = option["$ref"].as_str().map(str::to_owned) else {
                    continue;
                };
                let name = mapping
                    .as_object()
                    .and_then(|m| m.iter().find(|(_, to)| to.as_str() == Some(&target)))
                    .map(|(key, _)| key.clone())
                    .unwrap_or_else(|| target.rsplit('/').next().unwrap_or("").to_owned());
                *option = json!({"allOf": [
                    {"$ref": target},
                    {"properties": {property.clone(): {"const": name}}, "required": [property.clone()]}
                ]});
            }
        }
        Value::Array(items) => items.iter_mut().for_each(discriminators_to_json_schema),
        _ => {}
    }
}

/// Rewrites OpenAPI 3.0's `nullable: true` into JSON Schema's `type: [T, "null"]`.
fn nullable_to_json_schema(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for child in fields.values_mut() {
                nullable_to_json_schema(child);
            }
            if fields.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(kind)) = fields.get("type").cloned() {
                    fields.insert("type".into(), json!([kind, "null"]));
                } else {
                    let inner = Value::Object(std::mem::take(fields));
                    fields.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

fn webhooks_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(WEBHOOKS_SPEC_PATH).expect("vendored webhooks spec");
        let mut spec: Value = serde_json::from_str(&text).expect("webhooks spec is JSON");
        nullable_to_json_schema(&mut spec);
        spec
    })
}

/// Checks a delivered event (the whole envelope) against the vendored webhooks spec's schema
/// for its `type`.
pub fn assert_matches_webhook_event(event: &Value) {
    let event_type = event["type"].as_str().expect("an event type");
    let schema = webhooks_spec()["x-clerk-webhook-events"][event_type].clone();
    assert!(
        schema.is_object(),
        "{event_type} is not in the webhooks spec"
    );
    static VALIDATORS: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let validator = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(event_type.to_owned())
        .or_insert_with(|| {
            let mut document = Map::new();
            document.insert("components".into(), webhooks_spec()["components"].clone());
            document.insert("allOf".into(), json!([schema]));
            Arc::new(jsonschema::validator_for(&Value::Object(document)).expect("schema compiles"))
        })
        .clone();
    let errors: Vec<String> = validator
        .iter_errors(event)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{event_type}: event does not match the webhooks spec: {errors:#?}\n{event:#}"
    );
}

fn resolve(mut value: &Value) -> &Value {
    while let Some(Value::String(target)) = value.get("$ref") {
        let pointer = target.strip_prefix('#').expect("local ref");
        value = spec().pointer(pointer).expect("ref resolves");
    }
    value
}

/// The spec's path template for a concrete path below `/v1`.
pub fn template_for(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    TEMPLATES
        .iter()
        .copied()
        .find(|template| {
            let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        })
        .unwrap_or_else(|| panic!("no spec route for {path}"))
}

/// The response schema the spec gives this operation and status; statuses the spec leaves
/// out (401, 429, 5xx) must still be Clerk's error envelope.
pub fn response_schema(method: &Method, path: &str, status: StatusCode) -> Value {
    let template = template_for(path);
    let operation = &spec()["paths"][template][method.as_str().to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not in the spec"
    );
    let response = &operation["responses"][status.as_str()];
    if response.is_null() {
        assert!(
            !status.is_success(),
            "{method} {template} has no {status} in the spec"
        );
        return json!({"$ref": "#/components/schemas/ClerkErrors"});
    }
    resolve(response)["content"]["application/json"]["schema"].clone()
}

/// A validator for `schema`, with the spec's components embedded so `$ref`s resolve.
/// Compiling one is slow next to a loopback request, so each is built once per test binary.
pub fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(schema.to_string())
        .or_insert_with(|| {
            let mut document = Map::new();
            document.insert("components".into(), spec()["components"].clone());
            document.insert("allOf".into(), json!([schema]));
            Arc::new(jsonschema::validator_for(&Value::Object(document)).expect("schema compiles"))
        })
        .clone()
}

pub fn assert_matches_operation(method: &Method, path: &str, status: StatusCode, body: &Value) {
    let schema = response_schema(method, path, status);
    let errors: Vec<String> = validator(&schema)
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: body does not match the spec: {errors:#?}\n{body:#}"
    );
    for_each_invitation(body, &mut |invitation| {
        assert_exact_invitation_fields(invitation)
    });
    if status.is_success() {
        assert_no_unknown_fields(&schema, body, "");
    }
}

/// The vendored spec drops `additionalProperties: false`, so a body with a misspelt or invented
/// field would pass the schema: every object must use only the properties its schema names
/// (objects the schema leaves open, such as metadata, may hold anything).
pub fn assert_no_unknown_fields(schema: &Value, instance: &Value, at: &str) {
    let schema = resolve(schema);
    if let Some(parts) = schema["allOf"].as_array() {
        // Merge the parts' properties: an instance of `allOf` may use any of them.
        let mut merged = Map::new();
        for part in parts {
            if let Some(properties) = resolve(part)["properties"].as_object() {
                merged.extend(properties.clone());
            }
        }
        if !merged.is_empty() {
            let merged = json!({"type": "object", "properties": merged});
            return assert_no_unknown_fields(&merged, instance, at);
        }
        for part in parts {
            assert_no_unknown_fields(part, instance, at);
        }
        return;
    }
    if let Some(options) = schema["anyOf"].as_array() {
        // The nullable wrapper: check against the option that is not `null`.
        if !instance.is_null()
            && let Some(option) = options.iter().find(|o| o["type"] != "null")
        {
            assert_no_unknown_fields(option, instance, at);
        }
        return;
    }
    match instance {
        Value::Object(fields) => {
            let Some(properties) = schema["properties"].as_object() else {
                return;
            };
            for (key, value) in fields {
                let property = properties
                    .get(key)
                    .unwrap_or_else(|| panic!("{at}/{key} is not in the spec's schema"));
                assert_no_unknown_fields(property, value, &format!("{at}/{key}"));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_no_unknown_fields(&schema["items"], item, &format!("{at}/{i}"));
            }
        }
        _ => {}
    }
}

/// The vendored spec drops `additionalProperties: false`, so check invitation fields by name:
/// exactly the spec's `OrganizationInvitation` properties (plus `public_organization_data` in
/// the variant that has it).
pub fn assert_exact_invitation_fields(invitation: &Map<String, Value>) {
    let properties = spec()["components"]["schemas"]["OrganizationInvitation"]["properties"]
        .as_object()
        .expect("properties");
    let mut expected: Vec<&str> = properties.keys().map(String::as_str).collect();
    if invitation.contains_key("public_organization_data") {
        expected.push("public_organization_data");
    }
    expected.sort_unstable();
    let mut actual: Vec<&str> = invitation.keys().map(String::as_str).collect();
    actual.sort_unstable();
    assert_eq!(actual, expected, "invitation fields differ from the spec");
}

fn for_each_invitation(body: &Value, visit: &mut impl FnMut(&Map<String, Value>)) {
    if body["object"] == "organization_invitation" {
        visit(body.as_object().expect("object"));
    }
    if let Some(items) = body["data"].as_array() {
        items
            .iter()
            .filter(|item| item["object"] == "organization_invitation")
            .filter_map(Value::as_object)
            .for_each(visit);
    }
}
