//! Walking an OpenAPI document without mistaking names for keywords.
//!
//! In `properties: {description: {...}}` the key `description` is the name of a field, not prose;
//! in `enum: [...]` or `default: {...}` everything is data. The walker knows which keys hold maps
//! of names and which hold data, so transforms only ever see real OpenAPI/JSON-Schema objects.

use serde_json::{Map, Value};

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
    crate::transforms::KNOWN_VALUES,
];

/// Calls `visit` on every OpenAPI or JSON-Schema object in `value`, parents before children.
/// `visit` may change the node's keys; the walk descends into what it leaves.
pub fn for_each_node(value: &mut Value, visit: &mut dyn FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(node) => {
            visit(node);
            for (key, child) in node.iter_mut() {
                if DATA.contains(&key.as_str()) {
                    continue;
                }
                match child {
                    Value::Object(named) if NAME_MAPS.contains(&key.as_str()) => {
                        for grandchild in named.values_mut() {
                            for_each_node(grandchild, visit);
                        }
                    }
                    _ => for_each_node(child, visit),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                for_each_node(item, visit);
            }
        }
        _ => {}
    }
}

/// The HTTP methods an OpenAPI path item can hold operations under.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the document, with where it lives.
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
}

/// Every operation of the document, in path then method order.
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

/// Follows a local `$ref` (`#/components/...`) once; other values are returned as they are.
pub fn resolve<'a>(spec: &'a Value, value: &'a Value) -> Option<&'a Value> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => spec.pointer(reference.strip_prefix('#')?),
        None => Some(value),
    }
}
