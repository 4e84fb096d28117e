//! Schema-valid JSON samples built from the vendored spec, for checking that the generated types
//! keep every field: nothing here is written per type.
//!
//! A sample sets every property a schema declares (required or not), recursively; each scalar
//! gets its own value (strings carry their property's name and a counter, numbers count up), so a
//! field decoded into the wrong place shows. [`Mode`] says what else it does: `null` for every
//! nullable value, or an empty array or map for every optional collection. A `oneOf`/`anyOf`
//! takes branch `variant % branches`, so [`variants`] samples cover every branch of every union.

use std::cell::Cell;

use serde_json::{Map, Value, json};

/// What a sample does besides setting every property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every property set to a value.
    Full,
    /// Every nullable value `null` (its contents are then not sampled).
    Nulls,
    /// Every optional array or map property empty, where the schema allows it (`minItems` 0).
    EmptyCollections,
}

/// How deep a sample goes before the builder gives up: the spec has no recursive schema, so
/// reaching this means one appeared.
const MAX_DEPTH: usize = 64;

/// Builds samples of the schemas of one spec.
pub struct Sampler<'a> {
    spec: &'a Value,
    mode: Mode,
    variant: usize,
    counter: Cell<u64>,
    emptied: Cell<usize>,
    nulled: Cell<usize>,
}

impl<'a> Sampler<'a> {
    pub fn new(spec: &'a Value, mode: Mode, variant: usize) -> Self {
        Self {
            spec,
            mode,
            variant,
            counter: Cell::new(0),
            emptied: Cell::new(0),
            nulled: Cell::new(0),
        }
    }

    /// A sample of `schema`.
    pub fn sample(&self, schema: &Value) -> Value {
        self.value(schema, "sample", 0)
    }

    /// How many optional collections the samples so far left empty.
    pub fn emptied(&self) -> usize {
        self.emptied.get()
    }

    /// How many nullable values the samples so far set to `null`.
    pub fn nulled(&self) -> usize {
        self.nulled.get()
    }

    fn next(&self) -> u64 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    fn value(&self, schema: &Value, name: &str, depth: usize) -> Value {
        assert!(
            depth < MAX_DEPTH,
            "{name}: schemas nest deeper than {MAX_DEPTH}"
        );
        let schema = resolve(self.spec, schema);
        if self.mode == Mode::Nulls && schema.get("nullable") == Some(&json!(true)) {
            self.nulled.set(self.nulled.get() + 1);
            return Value::Null;
        }
        let closed = schema
            .get("x-clerk-known-values")
            .or_else(|| schema.get("enum"))
            .and_then(Value::as_array);
        if let Some(value) = closed.and_then(|values| values.iter().find(|v| !v.is_null())) {
            return value.clone();
        }
        if let Some(branches) = union(schema) {
            let branch = &branches[self.variant % branches.len()];
            let mut value = self.value(branch, name, depth + 1);
            if let Some(property) = schema
                .pointer("/discriminator/propertyName")
                .and_then(Value::as_str)
            {
                let mapped = schema
                    .pointer("/discriminator/mapping")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .find(|(_, target)| Some(*target) == branch.get("$ref"));
                if let (Some((key, _)), Some(object)) = (mapped, value.as_object_mut()) {
                    object.insert(property.to_owned(), json!(key));
                }
            }
            if schema.get("properties").is_some() {
                merge(&mut value, self.object(schema, depth), name);
            }
            return value;
        }
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            let mut value = json!({});
            for part in parts {
                merge(&mut value, self.value(part, name, depth + 1), name);
            }
            if schema.get("properties").is_some() {
                merge(&mut value, self.object(schema, depth), name);
            }
            return value;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("object") => self.object(schema, depth),
            Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(1);
                let items: Vec<Value> = (0..count.max(1))
                    .map(|_| self.value(items, name, depth + 1))
                    .collect();
                Value::Array(items)
            }
            Some("string") => self.string(schema, name),
            Some("integer") => json!(self.integer(schema)),
            Some("number") => json!(self.number(schema)),
            Some("boolean") => json!(self.next() % 2 == 1),
            None if schema.get("properties").is_some() => self.object(schema, depth),
            // Free-form: any JSON, kept as it is.
            None => json!({"any": [name, self.next(), true, null, {"nested": {}}]}),
            Some(other) => panic!("{name}: a schema of type {other} is not sampled"),
        }
    }

    fn object(&self, schema: &Value, depth: usize) -> Value {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut object = Map::new();
        let properties = schema.get("properties").and_then(Value::as_object);
        for (name, property) in properties.into_iter().flatten() {
            if self.mode == Mode::EmptyCollections
                && !required.contains(&name.as_str())
                && let Some(empty) = empty_collection(resolve(self.spec, property))
            {
                self.emptied.set(self.emptied.get() + 1);
                object.insert(name.clone(), empty);
                continue;
            }
            object.insert(name.clone(), self.value(property, name, depth + 1));
        }
        if properties.is_none() {
            // A map: one entry, its value as `additionalProperties` says.
            let value = match schema.get("additionalProperties") {
                Some(Value::Object(values)) => {
                    self.value(&Value::Object(values.clone()), "entry", depth + 1)
                }
                _ => json!({"any": ["entry", self.next(), false, null]}),
            };
            object.insert(format!("key{}", self.next()), value);
        }
        Value::Object(object)
    }

    fn string(&self, schema: &Value, name: &str) -> Value {
        let n = self.next();
        let text = match schema.get("format").and_then(Value::as_str) {
            Some("date-time") => format!("2025-01-02T03:04:{:02}Z", n % 60),
            Some("date") => format!("2025-01-{:02}", n % 28 + 1),
            Some("email") => format!("{name}{n}@example.com"),
            Some("uri") => format!("https://example.com/{name}/{n}"),
            _ => {
                let mut text = format!("{name}-{n}");
                let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                while (text.len() as u64) < min {
                    text.push('x');
                }
                if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                    text.truncate(max as usize);
                }
                text
            }
        };
        Value::String(text)
    }

    fn integer(&self, schema: &Value) -> i64 {
        let n = self.next() as i64;
        let exclusive = schema.get("exclusiveMinimum") == Some(&json!(true));
        let mut value = n;
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            value = value.max(min as i64 + i64::from(exclusive));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            value = value.min(max as i64);
        }
        value
    }

    fn number(&self, schema: &Value) -> f64 {
        // Never whole, so a float that came back as an integer (or the reverse) shows.
        let mut value = self.next() as f64 + 0.5;
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            value = value.max(min + 0.5);
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            value = value.min(max - 0.5);
        }
        value
    }
}

/// How many samples cover every branch of every `oneOf`/`anyOf` that `schema` reaches: the most
/// branches any of them has (1 without unions).
pub fn variants(spec: &Value, schema: &Value) -> usize {
    fn most(spec: &Value, schema: &Value, depth: usize) -> usize {
        if depth >= MAX_DEPTH {
            return 1;
        }
        let schema = resolve(spec, schema);
        let own = union(schema).map_or(1, Vec::len);
        let children = schema.as_object().into_iter().flat_map(|object| {
            object.iter().flat_map(|(key, child)| -> Vec<&Value> {
                match (key.as_str(), child) {
                    ("properties", Value::Object(named)) => named.values().collect(),
                    ("items" | "additionalProperties", Value::Object(_)) => vec![child],
                    ("allOf" | "anyOf" | "oneOf", Value::Array(parts)) => parts.iter().collect(),
                    _ => Vec::new(),
                }
            })
        });
        children
            .map(|child| most(spec, child, depth + 1))
            .fold(own, usize::max)
    }
    most(spec, schema, 0)
}

/// The branches of a union that is a type: a "required one of" (branches that only list
/// required properties) is a constraint, which a sample setting every property meets.
fn union(schema: &Value) -> Option<&Vec<Value>> {
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| schema.get(*key).and_then(Value::as_array))
        .find(|branches| {
            !branches.iter().all(|branch| {
                branch
                    .as_object()
                    .is_some_and(|b| b.len() == 1 && b.contains_key("required"))
            })
        })
}

/// An empty value of a collection schema, when it is one and may be empty.
fn empty_collection(schema: &Value) -> Option<Value> {
    if schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return None;
    }
    let composed = ["allOf", "anyOf", "oneOf"]
        .iter()
        .any(|key| schema.get(*key).is_some());
    match schema.get("type").and_then(Value::as_str) {
        _ if composed => None,
        Some("array") => Some(json!([])),
        Some("object") if schema.get("properties").is_none() => Some(json!({})),
        _ => None,
    }
}

fn merge(into: &mut Value, from: Value, name: &str) {
    match (into.as_object_mut(), from) {
        (Some(into), Value::Object(from)) => into.extend(from),
        (_, from) => panic!("{name}: an allOf/oneOf part sampled to {from}, not an object"),
    }
}

/// Follows `$ref`s to the schema they name.
pub fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return schema;
        };
        let pointer = reference.strip_prefix('#').expect("a local $ref");
        schema = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    panic!("a $ref chain longer than {MAX_DEPTH}")
}

/// Where `actual` differs from `expected`, as JSON pointers with what changed. A `null` may come
/// back absent: an optional nullable field decodes both as `None`.
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut found = Vec::new();
    compare(expected, actual, String::new(), &mut found);
    found
}

fn compare(expected: &Value, actual: &Value, at: String, found: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let here = format!("{at}/{key}");
                match actual.get(key) {
                    Some(other) => compare(value, other, here, found),
                    None if value.is_null() => {}
                    None => found.push(format!("{here} lost")),
                }
            }
            for key in actual.keys().filter(|key| !expected.contains_key(*key)) {
                found.push(format!("{at}/{key} added"));
            }
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
            for (index, (value, other)) in expected.iter().zip(actual).enumerate() {
                compare(value, other, format!("{at}/{index}"), found);
            }
        }
        _ if expected == actual => {}
        _ => found.push(format!("{at}: {expected} became {actual}")),
    }
}

/// How many `null`s of `expected` are absent from `actual` (which [`differences`] allows).
pub fn nulls_left_out(expected: &Value, actual: &Value) -> usize {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => expected
            .iter()
            .map(|(key, value)| match actual.get(key) {
                None if value.is_null() => 1,
                Some(other) => nulls_left_out(value, other),
                None => 0,
            })
            .sum(),
        (Value::Array(expected), Value::Array(actual)) => expected
            .iter()
            .zip(actual)
            .map(|(value, other)| nulls_left_out(value, other))
            .sum(),
        _ => 0,
    }
}
