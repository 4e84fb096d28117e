//! Turning the vendored spec into Rust for a set of enabled tag features.
//!
//! Shared by `build.rs` (which writes the result to `$OUT_DIR`) and by the snapshot test in
//! `tests/surface.rs`, so the snapshot shows exactly what users compile. Before generation, and
//! without touching the vendored file:
//! 1. only the operations of the enabled tag features are kept, so a user who needs one tag
//!    compiles about 3k lines instead of 100k;
//! 2. operations with a `multipart/form-data` body are set aside: progenitor cannot generate
//!    them, so `src/multipart.rs` writes them by hand; the types of their answers are kept;
//! 3. non-2xx responses are dropped from every operation, so progenitor hands every error back as
//!    `Error::UnexpectedResponse(reqwest::Response)` with its status, headers and body intact
//!    (a documented error whose body failed to decode would otherwise lose its status);
//! 4. defaults are dropped from optional properties, so an unset field is left out of the request
//!    and Clerk applies its own default (typify would otherwise serialize `None` as `null`);
//! 5. a "required one of" `anyOf`/`oneOf` (branches that only list required properties) is
//!    dropped: it is a constraint, not a type, and typify would turn it into an untagged enum
//!    whose first variant keeps only the first branch's property (`SAMLConnection` lost
//!    `domains`); the properties stay, optional, and Clerk checks the constraint;
//! 6. a `oneOf`/`anyOf` whose untagged enum would take a later branch's body for an earlier
//!    branch (and drop what only the later one has) becomes one object with every branch's
//!    properties (see `merge_overlapping_unions`);
//! 7. optional arrays and maps reachable from request bodies become `nullable`, so typify makes
//!    them `Option<..>`: `None` is left out and `Some(empty)` goes out as `[]` or `{}` (typify
//!    makes a plain optional `Vec`/`Map` that skips itself when empty, so `public_metadata: {}`,
//!    which is how Clerk clears metadata, could never be sent);
//! 8. components no longer referenced are pruned, keeping the `ClerkErrors` envelope.
//!
//! Besides progenitor's client and types, it writes `routes`: one `Route` per operation of the
//! whole spec (whatever the features), with its method, path template, query parameters and
//! success status, for callers that build requests themselves (`clerk-orgs` does, on its hot
//! path) without restating what the spec says.
//!
//! And, for `tests/conformance.rs` only, `Bindings::operations`: which type each generated
//! operation decodes its answer into and which it takes as its body, read off the generated
//! builders, so the test checks exactly the types users call.

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
    /// Rust source for `tests/conformance.rs`: an `operations![..]` entry per generated operation.
    pub operations: String,
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
    let set_aside = set_aside_multipart_operations(&mut spec);
    drop_error_responses(&mut spec);
    drop_optional_defaults(&mut spec);
    drop_required_one_of(&mut spec);
    merge_overlapping_unions(&mut spec);
    make_request_collections_optional(&mut spec);
    let ids = operation_ids(&spec);
    prune_components(&mut spec, set_aside);

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
    let operations = operations_table(&code, &ids);
    code.push_str(&routes);
    Bindings {
        code,
        api_version,
        operations,
    }
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

/// Removes the operations whose request body is `multipart/form-data`, which progenitor cannot
/// generate (they are written by hand in `src/multipart.rs`), and returns the `$ref`s their
/// success responses use, so that the types of their answers are still generated.
fn set_aside_multipart_operations(spec: &mut Value) -> Vec<String> {
    let mut kept_refs = Vec::new();
    let paths = spec["paths"].as_object_mut().expect("the spec has paths");
    for item in paths.values_mut() {
        let item = item.as_object_mut().expect("a path item");
        item.retain(|key, operation| {
            let multipart = is_method(key)
                && operation
                    .pointer("/requestBody/content")
                    .and_then(Value::as_object)
                    .is_some_and(|content| content.contains_key("multipart/form-data"));
            if multipart {
                let successes = operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(status, _)| status.starts_with('2'));
                for (_, response) in successes {
                    for_each_ref(response, &mut |reference| {
                        kept_refs.push(reference.to_owned());
                    });
                }
            }
            !multipart
        });
    }
    paths.retain(|_, item| openapi::has_operations(item));
    kept_refs
}

/// Whether a schema is only a `required` list, as the branches of a "required one of" are.
fn is_required_only(schema: &Value) -> bool {
    schema
        .as_object()
        .is_some_and(|object| object.len() == 1 && object.contains_key("required"))
}

/// Drops every `anyOf`/`oneOf` whose branches only list required properties that the schema
/// declares: a constraint ("`domain` or `domains`"), not a type.
fn drop_required_one_of(spec: &mut Value) {
    for_each_node(spec, &mut |node| {
        let declared = |name: &Value| {
            node.get("properties")
                .and_then(Value::as_object)
                .zip(name.as_str())
                .is_some_and(|(properties, name)| properties.contains_key(name))
        };
        let constraints: Vec<&str> = ["anyOf", "oneOf"]
            .into_iter()
            .filter(|union| {
                node.get(*union)
                    .and_then(Value::as_array)
                    .is_some_and(|branches| {
                        !branches.is_empty()
                            && branches.iter().all(|branch| {
                                is_required_only(branch)
                                    && branch["required"]
                                        .as_array()
                                        .is_some_and(|names| names.iter().all(declared))
                            })
                    })
            })
            .collect();
        for union in constraints {
            node.remove(union);
        }
    });
}

/// Turns every `oneOf`/`anyOf` that typify would decode lossily into one object.
///
/// typify makes a union an untagged enum, which takes the first branch that accepts a body; with
/// unknown fields allowed, a branch accepts any body that has its required properties. When a
/// branch's required properties are all properties of a later branch, that later branch's bodies
/// can decode as the earlier one and lose what only the later one has (an OAuth verification
/// decoded as an OTP one drops `error`; a private JWK decoded as a public one drops `d`). Such a
/// union becomes one object with every branch's properties, required where every branch requires
/// them; the branches' discriminating property (`object`, `kty`) says which one a value is. A
/// union whose branches are not plain objects, or declare one property with different types, is
/// left as it is (tests/conformance.rs shows whether it loses anything).
fn merge_overlapping_unions(spec: &mut Value) {
    let snapshot = spec.clone();
    let mut merges = Vec::new();
    openapi::for_each_node_at(spec, "", &mut |node, pointer| {
        for union in ["oneOf", "anyOf"] {
            let Some(branches) = node.get(union).and_then(Value::as_array) else {
                continue;
            };
            let branches: Vec<&Value> = branches
                .iter()
                .map(|branch| openapi::resolve(&snapshot, branch).unwrap_or(branch))
                .collect();
            if let Some(merged) = merged_union(&branches) {
                merges.push((pointer.to_owned(), union, merged));
            }
        }
    });
    for (pointer, union, (properties, required)) in merges {
        let node = spec
            .pointer_mut(&pointer)
            .and_then(Value::as_object_mut)
            .expect("found above");
        node.remove(union);
        node.remove("discriminator");
        node.insert("type".into(), Value::from("object"));
        node.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            node.insert("required".into(), Value::from(required));
        }
    }
}

/// The properties and required names of one object that holds every branch, if the union is
/// lossy and its branches can be merged.
fn merged_union(branches: &[&Value]) -> Option<(serde_json::Map<String, Value>, Vec<String>)> {
    let names = |branch: &Value, key: &str| -> Vec<String> {
        match branch.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    };
    let plain = |branch: &&Value| {
        branch.get("properties").is_some()
            && ["allOf", "anyOf", "oneOf", "$ref"]
                .iter()
                .all(|key| branch.get(*key).is_none())
    };
    if branches.len() < 2 || !branches.iter().all(plain) {
        return None;
    }
    let lossy = (0..branches.len()).any(|later| {
        let properties = names(branches[later], "properties");
        branches[..later].iter().any(|earlier| {
            names(earlier, "required")
                .iter()
                .all(|name| properties.contains(name))
        })
    });
    if !lossy {
        return None;
    }
    let mut properties = serde_json::Map::new();
    for branch in branches {
        for (name, schema) in branch["properties"].as_object().expect("plain") {
            match properties.get_mut(name) {
                None => {
                    properties.insert(name.clone(), schema.clone());
                }
                Some(merged) => merge_property(merged, schema)?,
            }
        }
    }
    let mut required = names(branches[0], "required");
    required.retain(|name| {
        branches
            .iter()
            .all(|branch| names(branch, "required").contains(name))
    });
    Some((properties, required))
}

/// Widens `merged` to accept `other` too, when the two differ only in `nullable` and in their
/// known values (documentation: the raw layer takes any string).
fn merge_property(merged: &mut Value, other: &Value) -> Option<()> {
    let essence = |schema: &Value| {
        let mut schema = schema.clone();
        if let Some(object) = schema.as_object_mut() {
            object.remove("nullable");
            object.remove(openapi::KNOWN_VALUES);
        }
        schema
    };
    if essence(merged) != essence(other) {
        return None;
    }
    let merged = merged.as_object_mut()?;
    if other.get("nullable") == Some(&Value::Bool(true)) {
        merged.insert("nullable".into(), Value::Bool(true));
    }
    if let Some(Value::Array(values)) = other.get(openapi::KNOWN_VALUES) {
        let known = merged
            .entry(openapi::KNOWN_VALUES)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(known) = known {
            for value in values {
                if !known.contains(value) {
                    known.push(value.clone());
                }
            }
        }
    }
    Some(())
}

/// Marks `nullable` every optional array or map property of the schemas request bodies reach
/// (inline, or through `$ref`s to components), so typify makes it an `Option`.
fn make_request_collections_optional(spec: &mut Value) {
    // Where request bodies start, as JSON pointers, then every component they reach.
    let mut roots = Vec::new();
    let mut components = BTreeSet::new();
    for operation in openapi::operations(spec) {
        let Some(body) = operation.operation.get("requestBody") else {
            continue;
        };
        // Where the body's content is: in the operation, or in `components/requestBodies`.
        let base = match openapi::ref_of(body) {
            Some(reference) => reference.trim_start_matches('#').to_owned(),
            None => format!(
                "/paths/{}/{}/requestBody",
                openapi::escape_pointer(operation.path),
                operation.method
            ),
        };
        let body = openapi::resolve(spec, body).unwrap_or(body);
        let content = body.get("content").and_then(Value::as_object);
        for (media, value) in content.into_iter().flatten() {
            if value.get("schema").is_some() {
                roots.push(format!(
                    "{base}/content/{}/schema",
                    openapi::escape_pointer(media)
                ));
            }
        }
        for_each_ref(body, &mut |reference| {
            components.insert(reference.to_owned());
        });
    }
    let mut pending: Vec<String> = components.iter().cloned().collect();
    while let Some(reference) = pending.pop() {
        let Some(target) = ref_target(spec, &reference) else {
            continue;
        };
        for_each_ref(target, &mut |found| {
            if components.insert(found.to_owned()) {
                pending.push(found.to_owned());
            }
        });
    }
    // The components reached are walked as schemas; a `components/requestBodies` entry was
    // added above by its content.
    roots.extend(
        components
            .iter()
            .filter(|reference| reference.starts_with("#/components/schemas/"))
            .map(|reference| reference[1..].to_owned()),
    );
    for pointer in roots {
        if let Some(schema) = spec.pointer_mut(&pointer) {
            for_each_node(schema, &mut |node| {
                let required: Vec<Value> = node
                    .get("required")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let Some(Value::Object(properties)) = node.get_mut("properties") else {
                    return;
                };
                for (name, property) in properties.iter_mut() {
                    if required.iter().any(|r| r.as_str() == Some(name)) {
                        continue;
                    }
                    if let Some(property) = property.as_object_mut()
                        && is_collection(property)
                    {
                        property.insert("nullable".into(), Value::Bool(true));
                    }
                }
            });
        }
    }
}

/// Whether typify makes a schema a `Vec` or a map: an inline array, or an object with no
/// properties of its own (`additionalProperties` or free-form).
fn is_collection(schema: &serde_json::Map<String, Value>) -> bool {
    let composed = ["allOf", "anyOf", "oneOf", "$ref"]
        .iter()
        .any(|key| schema.contains_key(*key));
    match schema.get("type").and_then(Value::as_str) {
        _ if composed => false,
        Some("array") => true,
        Some("object") => !schema.contains_key("properties"),
        _ => false,
    }
}

/// Operation ids by (`METHOD`, path), to name the operations the generated builders send.
fn operation_ids(spec: &Value) -> Vec<(String, String, String)> {
    openapi::operations(spec)
        .into_iter()
        .filter_map(|operation| {
            let id = operation.operation.get("operationId")?.as_str()?;
            Some((
                operation.method.to_uppercase(),
                operation.path.to_owned(),
                id.to_owned(),
            ))
        })
        .collect()
}

/// The Rust source of one expression, `operations![("Id", METHOD, "/path", (response type),
/// (body type)), ...]`, with an entry per operation builder in `code`: the type its `send`
/// decodes a success into and the type its `body` takes, each empty when there is none (`()`
/// answers carry no body). The test that includes it defines the macro.
///
/// Read off the builders' text as progenitor prints it. Nothing here may fail a user's build: a
/// builder it cannot read is left out, and `tests/conformance.rs` fails when an operation of the
/// spec is missing from the table.
fn operations_table(code: &str, ids: &[(String, String, String)]) -> String {
    const BUILDERS: &str = "pub mod builder { use super :: types ;";
    const BUILDER: &str = "# [doc = \"Builder for [`Client::";
    const SENDS: &str = "# [doc = \"Sends a `";
    const RESPONSE: &str = "pub async fn send (self) -> Result < ResponseValue <";
    const BODY: &str = "pub fn body <";
    const BODY_TYPE: &str = "convert :: TryInto <";
    let mut out = String::from("operations![\n");
    let Some(start) = code.find(BUILDERS) else {
        out.push(']');
        return out;
    };
    for builder in code[start..].split(BUILDER).skip(1) {
        let Some((method, path)) = builder.split_once(SENDS).and_then(|(_, rest)| {
            let (method, rest) = rest.split_once("` request to `")?;
            let (path, _) = rest.split_once('`')?;
            Some((method, path))
        }) else {
            continue;
        };
        let Some((_, _, id)) = ids.iter().find(|(m, p, _)| m == method && p == path) else {
            continue;
        };
        let Some(response) = builder
            .split_once(RESPONSE)
            .and_then(|(_, rest)| up_to_closing_angle(rest))
        else {
            continue;
        };
        let response = if response == "()" { "" } else { response };
        let body = builder
            .split_once(BODY)
            .and_then(|(_, rest)| rest.split_once(BODY_TYPE))
            .and_then(|(_, rest)| up_to_closing_angle(rest))
            .unwrap_or("");
        out.push_str(&format!(
            "    ({id:?}, {method}, {path:?}, ({response}), ({body})),\n"
        ));
    }
    out.push(']');
    out
}

/// The text before the `>` that closes an already open `<`, trimmed.
fn up_to_closing_angle(text: &str) -> Option<&str> {
    let mut depth = 1usize;
    for (index, ch) in text.char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[..index].trim());
                }
            }
            _ => {}
        }
    }
    None
}

/// Keeps only the components reachable from the remaining paths, from `also` (the answers of the
/// operations set aside) and from [`ALWAYS_KEPT`].
fn prune_components(spec: &mut Value, also: Vec<String>) {
    let mut reachable: BTreeSet<String> = ALWAYS_KEPT.iter().map(|r| r.to_string()).collect();
    reachable.extend(also);
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
