//! Walking an OpenAPI document held as a `serde_json::Value`: its operations, its `$ref`s and its
//! schema objects.
//!
//! One copy serves both the build script's generator and `cargo xtask` (spec import and diff), so
//! the two cannot disagree on what an operation or a reference is. It lives inside this package
//! because `cargo package` only ships files under the package root and a build script cannot
//! depend on the unpublished xtask; xtask includes it with `#[path]`.

use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item can hold operations under.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Where the vendored spec keeps a string enum's values once the import has opened it (typify
/// enums have no catch-all, so the raw layer takes any string).
pub const KNOWN_VALUES: &str = "x-clerk-known-values";

/// Where the vendored webhooks spec lists its events once the import has lifted them out of
/// `x-webhooks`: event type (`organizationInvitation.created`) -> `{"$ref": ...}` of the payload's
/// component schema. Our own extension, like [`KNOWN_VALUES`]; the build step generates the event
/// types from it, and the diff recognises a webhooks spec by it.
pub const WEBHOOK_EVENTS: &str = "x-clerk-webhook-events";

/// Keys whose value is a map from names (paths, properties, status codes, media types, ...) to
/// nodes.
const NAME_MAPS: &[&str] = &[
    "paths",
    "properties",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "content",
    "encoding",
    "links",
    "callbacks",
    "variables",
    "mapping",
    "patternProperties",
];

/// Keys whose value is data, never a node.
const DATA: &[&str] = &[
    "enum",
    "default",
    "const",
    "example",
    "examples",
    "required",
    KNOWN_VALUES,
    WEBHOOK_EVENTS,
];

pub fn is_method(key: &str) -> bool {
    METHODS.contains(&key)
}

/// Whether a path item still holds an operation; one without is not worth keeping.
pub fn has_operations(item: &Value) -> bool {
    item.as_object()
        .is_some_and(|item| item.keys().any(|key| is_method(key)))
}

/// Calls `visit` on every OpenAPI or JSON-Schema object in `value`, parents before children.
/// `visit` may change the node's keys; the walk descends into what it leaves.
///
/// In `properties: {description: {...}}` the key `description` is the name of a field, not prose;
/// in `enum: [...]` or `default: {...}` everything is data. The walk knows which keys hold maps of
/// names and which hold data, so `visit` only ever sees real OpenAPI/JSON-Schema objects.
pub fn for_each_node(value: &mut Value, visit: &mut dyn FnMut(&mut Map<String, Value>)) {
    for_each_node_at(value, "", &mut |node, _| visit(node));
}

/// [`for_each_node`], also telling `visit` where the node is, as a JSON pointer from `value`
/// (`pointer` is `value`'s own).
pub fn for_each_node_at(
    value: &mut Value,
    pointer: &str,
    visit: &mut dyn FnMut(&mut Map<String, Value>, &str),
) {
    match value {
        Value::Object(node) => {
            visit(node, pointer);
            for (key, child) in node.iter_mut() {
                if DATA.contains(&key.as_str()) {
                    continue;
                }
                let at = format!("{pointer}/{}", escape_pointer(key));
                match child {
                    Value::Object(named) if NAME_MAPS.contains(&key.as_str()) => {
                        for (name, grandchild) in named.iter_mut() {
                            for_each_node_at(
                                grandchild,
                                &format!("{at}/{}", escape_pointer(name)),
                                visit,
                            );
                        }
                    }
                    _ => for_each_node_at(child, &at, visit),
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                for_each_node_at(item, &format!("{pointer}/{index}"), visit);
            }
        }
        _ => {}
    }
}

/// A name as one JSON Pointer token (RFC 6901): `~` first, so the `~` of `~1` is not escaped again.
pub fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Calls `found` with every `$ref` in `value`, at any depth; the references are not followed.
pub fn for_each_ref<'a>(value: &'a Value, found: &mut dyn FnMut(&'a str)) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = ref_of(value) {
                found(reference);
            }
            map.values().for_each(|child| for_each_ref(child, found));
        }
        Value::Array(items) => items.iter().for_each(|child| for_each_ref(child, found)),
        _ => {}
    }
}

/// One operation of the document, with where it lives.
pub struct Operation<'a> {
    pub path: &'a str,
    /// The path item, for what operations inherit from it (path-level parameters).
    pub item: &'a Value,
    pub method: &'static str,
    pub operation: &'a Value,
}

/// Every operation of the document, in path order, then in [`METHODS`] order.
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |method| {
                Some(Operation {
                    path,
                    item,
                    method,
                    operation: item.get(*method)?,
                })
            })
        })
        .collect()
}

/// One operation of the document, with where it lives, to change in place.
pub struct OperationMut<'a> {
    pub path: String,
    pub method: &'static str,
    pub operation: &'a mut Map<String, Value>,
}

impl OperationMut<'_> {
    /// The operationId, or `METHOD path` when it has none, for messages.
    pub fn name(&self) -> String {
        match self.operation.get("operationId").and_then(Value::as_str) {
            Some(id) => id.to_owned(),
            None => format!("{} {}", self.method.to_uppercase(), self.path),
        }
    }

    /// The operation's responses by status, when it has any.
    pub fn responses_mut(&mut self) -> Option<&mut Map<String, Value>> {
        self.operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
    }

    /// The operation's own parameters (not the path item's), when it has any.
    pub fn parameters_mut(&mut self) -> Option<&mut Vec<Value>> {
        self.operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
    }
}

/// Every operation of the document, in path order, then in the path item's key order (a
/// `serde_json::Map` cannot lend several of its entries mutably by name).
pub fn operations_mut(spec: &mut Value) -> Vec<OperationMut<'_>> {
    let mut found = Vec::new();
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in item.iter_mut() {
                let Some(method) = METHODS.iter().find(|m| **m == method.as_str()) else {
                    continue;
                };
                if let Some(operation) = operation.as_object_mut() {
                    found.push(OperationMut {
                        path: path.clone(),
                        method,
                        operation,
                    });
                }
            }
        }
    }
    found
}

/// The `$ref` of a node, if it is a reference.
pub fn ref_of(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

/// What a local `$ref` (`#/components/...`) points at.
pub fn ref_target<'a>(spec: &'a Value, reference: &str) -> Option<&'a Value> {
    spec.pointer(reference.strip_prefix('#')?)
}

/// Follows a local `$ref` once; other values are returned as they are, and `None` means the
/// reference dangles.
pub fn resolve<'a>(spec: &'a Value, value: &'a Value) -> Option<&'a Value> {
    match ref_of(value) {
        Some(reference) => ref_target(spec, reference),
        None => Some(value),
    }
}

/// The `$ref` naming the component `name` of `kind` (`schemas`, `responses`, ...).
pub fn component_ref(kind: &str, name: &str) -> String {
    format!("#/components/{kind}/{}", escape_pointer(name))
}

/// The name of the component of `kind` a `$ref` points at, if it points at one of that kind.
pub fn component_name(kind: &str, reference: &str) -> Option<String> {
    let name = reference.strip_prefix(&format!("#/components/{kind}/"))?;
    Some(name.replace("~1", "/").replace("~0", "~"))
}
