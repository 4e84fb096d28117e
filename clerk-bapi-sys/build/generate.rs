//! Turning the vendored spec into Rust for a set of enabled tag features.
//!
//! Shared by `build.rs` (which writes the result to `$OUT_DIR`) and by the snapshot test in
//! `tests/surface.rs`, so the snapshot shows exactly what users compile. Before generation, and
//! without touching the vendored file:
//! 1. only the operations of the enabled tag features are kept, so a user who needs one tag
//!    compiles about 3k lines instead of 100k;
//! 2. non-2xx responses are dropped from every operation, so progenitor hands every error back as
//!    `Error::UnexpectedResponse(reqwest::Response)` with its status, headers and body intact
//!    (a documented error whose body failed to decode would otherwise lose its status);
//! 3. defaults are dropped from optional properties, so an unset field is left out of the request
//!    and Clerk applies its own default (typify would otherwise serialize `None` as `null`);
//! 4. components no longer referenced are pruned, keeping the `ClerkErrors` envelope.
//!
//! Besides progenitor's client and types, it writes `routes`: one `Route` per operation of the
//! whole spec (whatever the features), with its method, path template, query parameters and
//! success status, for callers that build requests themselves (`clerk-orgs` does, on its hot
//! path) without restating what the spec says.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

// Shared with xtask (see the file); each side uses only part of it.
#[allow(dead_code)]
#[path = "openapi.rs"]
mod openapi;

use openapi::{component_ref, for_each_node, for_each_ref, is_method, operations_mut, ref_target};

/// Components the bindings always export, whatever the features.
const ALWAYS_KEPT: &[&str] = &["#/components/schemas/ClerkErrors"];

/// The generated bindings and the spec's API version.
pub struct Bindings {
    pub code: String,
    pub api_version: String,
}

/// Generates the bindings for the operations of the `enabled` features (`full` means all).
pub fn generate(spec_json: &str, enabled: &HashSet<String>) -> Bindings {
    let mut spec: Value = serde_json::from_str(spec_json).expect("the vendored spec is JSON");
    let api_version = spec["info"]["version"]
        .as_str()
        .expect("the spec has a version")
        .to_owned();

    let routes = routes(&spec);
    keep_enabled_operations(&mut spec, enabled);
    drop_error_responses(&mut spec);
    drop_optional_defaults(&mut spec);
    prune_components(&mut spec);

    let spec: openapiv3::OpenAPI =
        serde_json::from_value(spec).expect("the vendored spec is OpenAPI 3.0");
    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        // lib.rs implements the hooks: it swaps progenitor's `api-version` for Clerk's header.
        .with_hooks(progenitor::HooksMode::Expected);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .expect("progenitor generates the vendored spec");
    // Written as the token stream prints, unformatted: formatting it would put syn's full parser
    // and prettyplease into every user's build (about 5 s of a cold build) for code nobody reads
    // here; the snapshot test formats it for review.
    let mut code = tokens.to_string();
    code.push_str(&routes);
    Bindings { code, api_version }
}

/// `pub mod routes` for every operation of `spec`, as Rust source.
fn routes(spec: &Value) -> String {
    let mut names = BTreeSet::new();
    let mut order = Vec::new();
    let mut out = String::from(
        "\n/// Every operation's route as the spec states it, whatever the enabled features.\n\
         pub mod routes {\n",
    );
    for operation in openapi::operations(spec) {
        let id = operation.operation["operationId"]
            .as_str()
            .unwrap_or_else(|| {
                panic!("{} {} has no operationId", operation.method, operation.path)
            });
        let name = screaming_snake(id);
        assert!(
            names.insert(name.clone()),
            "two operations are named {name}"
        );
        order.push(name.clone());
        // Exactly one success, as the bindings decode it: a second one would need the request
        // path to decode two shapes, so the build says so instead of picking one.
        let successes: Vec<u16> = operation.operation["responses"]
            .as_object()
            .into_iter()
            .flat_map(|responses| responses.keys())
            .filter(|status| status.starts_with('2'))
            .map(|status| {
                status
                    .parse::<u16>()
                    .unwrap_or_else(|_| panic!("{id}: success status {status} is not a number"))
            })
            .collect();
        let [success] = successes[..] else {
            panic!("{id} documents {successes:?} as success; the routes expect exactly one");
        };
        // Query parameters, the path item's first; `$ref`s resolve to components.
        let mut query: Vec<&str> = Vec::new();
        let own = operation
            .operation
            .get("parameters")
            .and_then(Value::as_array);
        let inherited = operation.item.get("parameters").and_then(Value::as_array);
        for parameter in inherited.into_iter().chain(own).flatten() {
            let parameter = openapi::resolve(spec, parameter).unwrap_or(parameter);
            if parameter["in"] == "query"
                && let Some(name) = parameter["name"].as_str()
                && !query.contains(&name)
            {
                query.push(name);
            }
        }
        let method = operation.method.to_uppercase();
        let path = operation.path;
        // The literal text around the `{parameters}`, so filling a path in is a few copies.
        let mut pieces = Vec::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            pieces.push(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .unwrap_or_else(|| panic!("{id}: unclosed parameter in {path}"));
            rest = &rest[open + close + 1..];
        }
        pieces.push(rest);
        out.push_str(&format!(
            "    /// `{method} {path}` ({id})\n    pub static {name}: crate::Route = crate::Route {{ \
             operation_id: {id:?}, method: crate::Method::{method}, path: {path:?}, \
             pieces: &{pieces:?}, query: &{query:?}, success: {success} }};\n"
        ));
    }
    out.push_str("    /// Every route above, in the spec's path order.\n    pub static ALL: &[&crate::Route] = &[");
    for name in &order {
        out.push_str(&format!("&{name}, "));
    }
    out.push_str("];\n}\n");
    out
}

/// `CreateOAuthApplication` -> `CREATE_O_AUTH_APPLICATION`: a new word at a lower-to-upper
/// step, and before the last capital of a run followed by a lowercase letter.
fn screaming_snake(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let mut out = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        if i > 0 && ch.is_ascii_uppercase() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out
}

/// The kebab-case feature a spec tag maps to: "Allow-list / Block-list" -> "allow-list-block-list".
pub fn feature_name(tag: &str) -> String {
    let mut name = String::new();
    for ch in tag.to_lowercase().chars() {
        if ch.is_ascii_alphanumeric() {
            name.push(ch);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.trim_matches('-').to_owned()
}

fn keep_enabled_operations(spec: &mut Value, enabled: &HashSet<String>) {
    let everything = enabled.contains("full");
    let paths = spec["paths"].as_object_mut().expect("the spec has paths");
    for item in paths.values_mut() {
        let item = item.as_object_mut().expect("a path item");
        item.retain(|key, operation| {
            if !is_method(key) {
                return true;
            }
            everything
                || operation["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|tag| enabled.contains(&feature_name(tag)))
        });
    }
    paths.retain(|_, item| openapi::has_operations(item));
}

fn drop_error_responses(spec: &mut Value) {
    for mut operation in operations_mut(spec) {
        if let Some(responses) = operation.responses_mut() {
            responses.retain(|status, _| status.starts_with('2'));
        }
    }
}

fn drop_optional_defaults(spec: &mut Value) {
    for_each_node(spec, &mut |object| {
        let required: Vec<String> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                if !required.contains(name)
                    && let Some(property) = property.as_object_mut()
                {
                    property.remove("default");
                }
            }
        }
    });
}

/// Keeps only the components reachable from the remaining paths (and [`ALWAYS_KEPT`]).
fn prune_components(spec: &mut Value) {
    let mut reachable: BTreeSet<String> = ALWAYS_KEPT.iter().map(|r| r.to_string()).collect();
    let mut pending: Vec<String> = reachable.iter().cloned().collect();
    for_each_ref(&spec["paths"], &mut |reference| {
        if reachable.insert(reference.to_owned()) {
            pending.push(reference.to_owned());
        }
    });
    while let Some(reference) = pending.pop() {
        let target =
            ref_target(spec, &reference).unwrap_or_else(|| panic!("dangling $ref {reference}"));
        for_each_ref(target, &mut |found| {
            if reachable.insert(found.to_owned()) {
                pending.push(found.to_owned());
            }
        });
    }
    let components = spec["components"].as_object_mut().expect("components");
    for (kind, entries) in components.iter_mut() {
        if kind == "securitySchemes" {
            continue; // named by `security`, never by `$ref`
        }
        if let Some(entries) = entries.as_object_mut() {
            entries.retain(|name, _| reachable.contains(&component_ref(kind, name)));
        }
    }
}
