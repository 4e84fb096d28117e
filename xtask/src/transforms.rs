//! The named steps that turn Clerk's spec into one that generates good Rust.
//!
//! Each step fixes one measured problem of progenitor 0.15 / typify 0.8 with Clerk's spec, says
//! where it changed the spec, and fails when the spec no longer looks the way the step expects:
//! a future Clerk spec must break `cargo xtask spec import`, never a user's build.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, bail};
use serde_json::{Map, Value, json};

use crate::openapi::{
    KNOWN_VALUES, component_ref, escape_pointer, for_each_node, for_each_node_at, operations_mut,
    resolve,
};

const CLERK_ERRORS_SCHEMA: &str = "#/components/schemas/ClerkErrors";
const CLERK_ERRORS_RESPONSE: &str = "#/components/responses/ClerkErrors";

/// One step: a name for logs and metadata, why it exists, and what it does.
pub struct Transform {
    pub name: &'static str,
    pub why: &'static str,
    apply: fn(&mut Value) -> Result<Changes>,
}

/// What one step changed: for operation-level steps the places by name, otherwise a count.
#[derive(Debug)]
pub enum Changes {
    Places(Vec<String>),
    Count(usize),
}

pub struct TransformReport {
    pub name: &'static str,
    pub why: &'static str,
    pub changes: Changes,
}

impl TransformReport {
    pub fn count(&self) -> usize {
        match &self.changes {
            Changes::Places(places) => places.len(),
            Changes::Count(count) => *count,
        }
    }

    pub fn to_json(&self) -> Value {
        let mut entry = json!({"name": self.name, "why": self.why, "changed": self.count()});
        if let Changes::Places(places) = &self.changes {
            entry["places"] = json!(places);
        }
        entry
    }
}

impl fmt::Display for TransformReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<34} changed {:>4} place(s)", self.name, self.count())?;
        if let Changes::Places(places) = &self.changes {
            write!(f, ": {}", places.join(", "))?;
        }
        Ok(())
    }
}

/// The BAPI spec's steps, in the order they run. `ref_inline_error_envelopes` runs before
/// `fill_empty_error_bodies` so the latter sees one error type per operation.
pub const BAPI: &[Transform] = &[
    Transform {
        name: "ref_inline_error_envelopes",
        why: "inline copies of the ClerkErrors envelope would each become their own Rust type",
        apply: ref_inline_error_envelopes,
    },
    Transform {
        name: "fill_empty_error_bodies",
        why: "progenitor panics when an operation mixes error responses with and without a body",
        apply: fill_empty_error_bodies,
    },
    Transform {
        name: "join_unexploded_query_arrays",
        why: "progenitor ignores `explode: false` and would repeat the parameter instead of joining it with commas",
        apply: join_unexploded_query_arrays,
    },
    Transform {
        name: "drop_deprecated_colliding_params",
        why: "parameters whose names differ only in case collide as Rust fields",
        apply: drop_deprecated_colliding_params,
    },
    Transform {
        name: "integer_limit_offset",
        why: "`limit` and `offset` typed `number` become `f64` and go out as `limit=10.0`; Clerk counts items in integers, as its other lists declare",
        apply: integer_limit_offset,
    },
    Transform {
        name: "drop_undeclared_required",
        why: "a schema that requires a property it never declares makes every answer without it fail decoding, and gives the property no type",
        apply: drop_undeclared_required,
    },
    STRIP_PATTERNS,
    ALLOW_UNKNOWN_FIELDS,
    OPEN_STRING_ENUMS,
];

/// The webhooks spec's steps, after [`lift_webhook_events`]. It has no operations, so only the
/// schema-level steps apply, the same ones as for the BAPI so events decode as tolerantly as
/// responses; the BAPI list is left alone so its bindings do not change.
pub const WEBHOOKS: &[Transform] = &[
    Transform {
        name: "wrap_nullable_refs",
        why: "OpenAPI 3.0 ignores the siblings of a `$ref`, so `nullable: true` next to one would be dropped and an explicit null would fail decoding",
        apply: wrap_nullable_refs,
    },
    STRIP_PATTERNS,
    ALLOW_UNKNOWN_FIELDS,
    OPEN_STRING_ENUMS,
];

const STRIP_PATTERNS: Transform = Transform {
    name: "strip_patterns",
    why: "`pattern` makes typify depend on the regress crate and reject values Clerk may send later; Clerk validates on its side",
    apply: strip_patterns,
};

const ALLOW_UNKNOWN_FIELDS: Transform = Transform {
    name: "allow_unknown_fields",
    why: "`additionalProperties: false` becomes deny_unknown_fields: one new field from Clerk would fail a call",
    apply: allow_unknown_fields,
};

const OPEN_STRING_ENUMS: Transform = Transform {
    name: "open_string_enums",
    why: "typify enums have no catch-all: a new value from Clerk would fail decoding; the raw layer takes strings",
    apply: open_string_enums,
};

/// Runs `steps` in order.
pub fn apply_all(spec: &mut Value, steps: &[Transform]) -> Result<Vec<TransformReport>> {
    steps
        .iter()
        .map(|step| {
            let changes = (step.apply)(spec)
                .map_err(|err| err.context(format!("transform {} failed", step.name)))?;
            Ok(TransformReport {
                name: step.name,
                why: step.why,
                changes,
            })
        })
        .collect()
}

/// Where an upstream webhooks spec lists its events: an extension, since OpenAPI 3.0 has no
/// `webhooks` (3.1 does).
pub const UPSTREAM_WEBHOOKS: &str = "x-webhooks";

/// Moves every event's payload schema from `x-webhooks` into `components.schemas`, named after
/// the event (`organizationInvitation.created` -> `OrganizationInvitationCreatedEvent`), and
/// removes `x-webhooks`. Returns the step's report and the index of the events, event type ->
/// `$ref`, for the import to store as [`WEBHOOK_EVENTS`](crate::openapi::WEBHOOK_EVENTS) once prose is stripped,
/// and every event's examples, for [`relax_required_by_examples`].
///
/// It runs before the prose stripping, which would drop `x-webhooks` as an extension; typify
/// generates from component schemas only. The examples stay behind and go with `x-webhooks`.
pub fn lift_webhook_events(spec: &mut Value) -> Result<LiftedEvents> {
    let Some(Value::Object(events)) = spec
        .as_object_mut()
        .and_then(|s| s.remove(UPSTREAM_WEBHOOKS))
    else {
        bail!("the spec has no `{UPSTREAM_WEBHOOKS}` object");
    };
    let snapshot = spec.clone();
    let mut examples = Vec::new();
    let mut events: Vec<(String, Value)> = events.into_iter().collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    let Some(Value::Object(schemas)) = spec
        .as_object_mut()
        .expect("the spec is an object")
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .map(|components| components.entry("schemas").or_insert_with(|| json!({})))
    else {
        bail!("components is not an object of objects");
    };
    let mut index = Map::new();
    let mut places = Vec::new();
    for (event, mut item) in events {
        let name = event_type_name(&event)?;
        // Anything but one JSON POST body is a new shape of event a person must look at.
        if item.as_object().map(Map::len) != Some(1) {
            bail!("{event}: expected exactly one `post`, found {item}");
        }
        let Some(media) = item.pointer_mut("/post/requestBody/content/application~1json") else {
            bail!("{event}: no application/json request body");
        };
        let Some(schema) = media.get_mut("schema").map(Value::take) else {
            bail!("{event}: no application/json request body schema");
        };
        // An inline `example`, and `examples` by value or by reference to components.examples.
        let mut found = Vec::new();
        found.extend(media.get("example").cloned());
        for example in media
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(Map::values)
        {
            let example = match resolve(&snapshot, example) {
                Some(example) => example,
                None => bail!("{event}: an example's $ref does not resolve"),
            };
            found.extend(example.get("value").cloned());
        }
        examples.extend(found.into_iter().map(|example| (event.clone(), example)));
        if schemas.contains_key(&name) {
            bail!("{event}: a component schema is already named {name}");
        }
        schemas.insert(name.clone(), schema);
        index.insert(
            event.clone(),
            json!({"$ref": component_ref("schemas", &name)}),
        );
        places.push(format!("{event} -> {name}"));
    }
    let report = TransformReport {
        name: "lift_webhook_events",
        why: "typify generates from component schemas; `x-webhooks` is an extension that no generator reads",
        changes: Changes::Places(places),
    };
    Ok(LiftedEvents {
        report,
        index,
        examples,
    })
}

/// What [`lift_webhook_events`] hands back besides the changed spec.
pub struct LiftedEvents {
    pub report: TransformReport,
    /// Event type -> `{"$ref": ...}` of its payload schema.
    pub index: Map<String, Value>,
    /// (event type, example payload), from the spec's own examples.
    pub examples: Vec<(String, Value)>,
}

/// How deep [`relax_required_by_examples`] follows `$ref`s and `allOf`s without descending into
/// the example, so a schema that refers to itself cannot loop.
const MAX_SCHEMA_HOPS: usize = 32;

/// Makes a property optional wherever Clerk's own example of an event leaves out a property the
/// schema requires, and lists the places.
///
/// Clerk's examples are the only evidence of what a delivery carries, and several disagree with the
/// schemas' `required` (the invitation events' examples have no `inviter_id` or
/// `public_inviter_data`, and `organizationInvitation.accepted` requires a nested `data.data` its
/// example lacks). A required field becomes a decoding error when absent, so trusting `required`
/// over the examples would fail on payloads Clerk documents as normal. Run after
/// [`lift_webhook_events`], while the component schemas still carry their upstream `required`.
pub fn relax_required_by_examples(
    spec: &mut Value,
    examples: &[(String, Value)],
) -> Result<TransformReport> {
    let mut missing: Vec<(String, String, String)> = Vec::new();
    for (event, example) in examples {
        let pointer = format!("/components/schemas/{}", event_type_name(event)?);
        find_missing_required(spec, &pointer, example, 0, &mut |at, name| {
            if !missing.iter().any(|(_, a, n)| a == at && n == name) {
                missing.push((event.clone(), at.to_owned(), name.to_owned()));
            }
        })
        .map_err(|err| err.context(format!("{event}: following its example")))?;
    }
    let mut places = Vec::new();
    for (event, at, name) in missing {
        let required = spec
            .pointer_mut(&format!("{at}/required"))
            .and_then(Value::as_array_mut)
            .expect("found through this list");
        required.retain(|value| value.as_str() != Some(name.as_str()));
        if required.is_empty() {
            spec.pointer_mut(&at)
                .and_then(Value::as_object_mut)
                .expect("a schema")
                .remove("required");
        }
        let shown = at.strip_prefix("/components/schemas/").unwrap_or(&at);
        places.push(format!("{shown}: {name} (absent from the {event} example)"));
    }
    Ok(TransformReport {
        name: "relax_required_by_examples",
        why: "Clerk's own event examples leave out properties its schemas require; a required property that is absent fails decoding",
        changes: Changes::Places(places),
    })
}

/// Walks `example` alongside the schema at `pointer`, calling `missing(schema pointer, property)`
/// for each property a schema object requires that the example object lacks.
fn find_missing_required(
    spec: &Value,
    pointer: &str,
    example: &Value,
    hops: usize,
    missing: &mut dyn FnMut(&str, &str),
) -> Result<()> {
    if hops > MAX_SCHEMA_HOPS {
        bail!("{pointer}: more than {MAX_SCHEMA_HOPS} nested $ref/allOf");
    }
    let Some(node) = spec.pointer(pointer) else {
        bail!("{pointer} does not resolve");
    };
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let Some(target) = reference.strip_prefix('#') else {
            bail!("{pointer}: $ref {reference} is not local");
        };
        return find_missing_required(spec, target, example, hops + 1, missing);
    }
    match example {
        Value::Object(fields) => {
            let parts = node
                .get("allOf")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for part in 0..parts {
                let at = format!("{pointer}/allOf/{part}");
                find_missing_required(spec, &at, example, hops + 1, missing)?;
            }
            for name in node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = name.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    missing(pointer, name);
                }
            }
            let properties = node.get("properties").and_then(Value::as_object);
            for (name, value) in fields {
                if properties.is_some_and(|properties| properties.contains_key(name)) {
                    let at = format!("{pointer}/properties/{}", escape_pointer(name));
                    find_missing_required(spec, &at, value, 0, missing)?;
                }
            }
        }
        Value::Array(items) if node.get("items").is_some() => {
            for item in items {
                find_missing_required(spec, &format!("{pointer}/items"), item, 0, missing)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The Rust-friendly component name of an event type: its dot-separated words, capitalised and
/// joined, then `Event`.
pub fn event_type_name(event: &str) -> Result<String> {
    let mut name = String::new();
    for word in event.split('.') {
        let mut chars = word.chars();
        match chars.next() {
            Some(first)
                if first.is_ascii_alphabetic()
                    && word.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                name.push(first.to_ascii_uppercase());
                name.extend(chars);
            }
            _ => bail!("event type {event:?} is not dot-separated ASCII words"),
        }
    }
    name.push_str("Event");
    Ok(name)
}

fn wrap_nullable_refs(spec: &mut Value) -> Result<Changes> {
    let mut count = 0;
    for_each_node(spec, &mut |node: &mut Map<String, Value>| {
        if node.contains_key("$ref") && node.get("nullable") == Some(&json!(true)) {
            let reference = node.remove("$ref").expect("checked above");
            // The standard OpenAPI 3.0 spelling of a nullable reference, which the diff already
            // reads as the reference plus a nullable flag.
            node.insert("allOf".into(), json!([{"$ref": reference}]));
            count += 1;
        }
    });
    Ok(Changes::Count(count))
}

/// The query parameters whose values are counts of items, which Clerk's lists take as integers.
const COUNT_PARAMETERS: &[&str] = &["limit", "offset"];

/// Retypes `limit` and `offset` query parameters declared as `number` to `integer`.
///
/// A `number` becomes an `f64`, which goes out as `limit=10.0`. Every other list operation
/// declares them as integers, and a fractional count means nothing, so the step refuses a
/// `number` whose bounds or default are fractional, and a count parameter of any other type.
fn integer_limit_offset(spec: &mut Value) -> Result<Changes> {
    let mut places = Vec::new();
    let mut retype = |parameter: &mut Value, place: String| -> Result<()> {
        let name = parameter.get("name").and_then(Value::as_str).unwrap_or("");
        if parameter.get("in") != Some(&json!("query")) || !COUNT_PARAMETERS.contains(&name) {
            return Ok(());
        }
        let place = format!("{place}.{name}");
        let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) else {
            bail!("{place}: no schema");
        };
        match schema.get("type").and_then(Value::as_str) {
            Some("integer") => return Ok(()),
            Some("number") => {}
            other => bail!("{place}: a count typed {other:?}, neither integer nor number"),
        }
        if schema.contains_key("format") {
            bail!("{place}: a `number` count with a format: {schema:?}");
        }
        for key in ["default", "minimum", "maximum"] {
            let Some(value) = schema.get(key) else {
                continue;
            };
            let Some(whole) = value.as_f64().filter(|v| v.fract() == 0.0) else {
                bail!("{place}: {key} {value} is not a whole number");
            };
            // `10.0` read from JSON stays a float; the integer schema gets `10`.
            schema.insert(key.into(), json!(whole as i64));
        }
        schema.insert("type".into(), json!("integer"));
        places.push(place);
        Ok(())
    };
    for mut op in operations_mut(spec) {
        let name = op.name();
        for parameter in op.parameters_mut().into_iter().flatten() {
            retype(parameter, name.clone())?;
        }
    }
    // Path-level and shared parameters too, so no count escapes the step by being declared there.
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let parameters = item.get_mut("parameters").and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                retype(parameter, path.clone())?;
            }
        }
    }
    if let Some(shared) = spec
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        for (name, parameter) in shared.iter_mut() {
            retype(parameter, format!("components.parameters.{name}"))?;
        }
    }
    Ok(Changes::Places(places))
}

/// How deep [`declared_properties`] follows `allOf` and `$ref`.
const MAX_ALL_OF_DEPTH: usize = 16;

/// The properties a schema object declares: its own, and those of its `allOf` parts.
fn declared_properties(spec: &Value, schema: &Value, depth: usize) -> Result<Vec<String>> {
    if depth > MAX_ALL_OF_DEPTH {
        bail!("more than {MAX_ALL_OF_DEPTH} nested allOf/$ref");
    }
    let Some(schema) = resolve(spec, schema) else {
        bail!("a $ref does not resolve: {schema}");
    };
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|properties| properties.keys().cloned())
        .collect();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        names.extend(declared_properties(spec, part, depth + 1)?);
    }
    Ok(names)
}

/// Whether a schema is only a `required` list: a branch of a "required one of" `anyOf`/`oneOf`,
/// a constraint on its parent's properties rather than a type.
fn is_required_only(schema: &Value) -> bool {
    schema
        .as_object()
        .is_some_and(|object| object.len() == 1 && object.contains_key("required"))
}

/// Drops from `required` the names a schema never declares, and lists them.
///
/// `EnterpriseConnection` and `SAMLConnection` require `authenticatable` and
/// `disable_jit_provisioning` without declaring them: the generated types would then refuse every
/// answer that lacks them while giving them no type. A required name is declared by the schema's
/// `properties` or an `allOf` part's; the branches of a "required one of" `anyOf`/`oneOf` must name
/// properties of the schema they constrain. Anything else that requires names without declaring
/// properties is a shape this step does not know, and stops the import.
fn drop_undeclared_required(spec: &mut Value) -> Result<Changes> {
    let snapshot = spec.clone();
    let mut places = Vec::new();
    let mut failure = None;
    for_each_node_at(spec, "", &mut |node, pointer| {
        if failure.is_some() {
            return;
        }
        let constrained = ["anyOf", "oneOf"].iter().any(|union| {
            node.get(*union)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(is_required_only))
        });
        let required = match node.get("required").and_then(Value::as_array) {
            // A node that is only a `required` list is a constraint branch, checked with the
            // schema it constrains.
            Some(required) if node.len() > 1 => required.clone(),
            _ if constrained => Vec::new(),
            _ => return,
        };
        let at = pointer
            .strip_prefix("/components/schemas/")
            .unwrap_or(pointer);
        if !node.contains_key("properties") && !node.contains_key("allOf") {
            failure = Some(anyhow::anyhow!(
                "{at}: requires {required:?} but declares no properties"
            ));
            return;
        }
        let declared = match declared_properties(&snapshot, &Value::Object(node.clone()), 0) {
            Ok(declared) => declared,
            Err(err) => {
                failure = Some(err.context(at.to_owned()));
                return;
            }
        };
        for union in ["anyOf", "oneOf"] {
            let branches = node.get(union).and_then(Value::as_array);
            for branch in branches
                .into_iter()
                .flatten()
                .filter(|b| is_required_only(b))
            {
                let names = branch["required"].as_array().into_iter().flatten();
                if let Some(name) = names
                    .filter_map(Value::as_str)
                    .find(|name| !declared.iter().any(|d| d == name))
                {
                    failure = Some(anyhow::anyhow!(
                        "{at}: a `required` branch of its {union} names `{name}`, which it does not declare"
                    ));
                    return;
                }
            }
        }
        let Some(required) = node.get_mut("required").and_then(Value::as_array_mut) else {
            return;
        };
        required.retain(|name| {
            let name = name.as_str().unwrap_or_default();
            let keep = declared.iter().any(|d| d == name);
            if !keep {
                places.push(format!("{at}: {name}"));
            }
            keep
        });
        if required.is_empty() {
            node.remove("required");
        }
    });
    match failure {
        Some(err) => Err(err),
        None => Ok(Changes::Places(places)),
    }
}

/// Whether an inline schema is a copy of Clerk's error envelope `{errors: [{message, ...}]}`.
/// A schema with an `errors` property of any other shape is an error: it is something new that a
/// person must look at.
fn is_error_envelope(schema: &Value, operation: &str) -> Result<bool> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(false);
    };
    let Some(errors) = properties.get("errors") else {
        return Ok(false);
    };
    let envelope_keys = ["errors", "meta", "clerk_trace_id"];
    let item_keys = ["message", "long_message", "code", "meta"];
    let items = errors.get("items");
    let items_ok = match items.and_then(|items| items.get("properties")) {
        Some(Value::Object(fields)) => fields.keys().all(|key| item_keys.contains(&key.as_str())),
        _ => {
            items.and_then(|items| items.get("$ref"))
                == Some(&json!("#/components/schemas/ClerkError"))
        }
    };
    if errors.get("type") == Some(&json!("array"))
        && items_ok
        && properties
            .keys()
            .all(|key| envelope_keys.contains(&key.as_str()))
    {
        Ok(true)
    } else {
        bail!("{operation}: an inline error body is not shaped like ClerkErrors: {schema}")
    }
}

fn ref_inline_error_envelopes(spec: &mut Value) -> Result<Changes> {
    if spec.pointer("/components/schemas/ClerkErrors").is_none() {
        bail!("components.schemas.ClerkErrors is gone");
    }
    let mut places = Vec::new();
    for mut op in operations_mut(spec) {
        let name = op.name();
        let Some(responses) = op.responses_mut() else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
                continue;
            };
            for media in content.values_mut() {
                let Some(schema) = media.get_mut("schema") else {
                    continue;
                };
                if is_error_envelope(schema, &name)? {
                    *schema = json!({"$ref": CLERK_ERRORS_SCHEMA});
                    places.push(format!("{name} {status}"));
                }
            }
        }
    }
    Ok(Changes::Places(places))
}

fn is_error_status(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

fn fill_empty_error_bodies(spec: &mut Value) -> Result<Changes> {
    let snapshot = spec.clone();
    if snapshot
        .pointer("/components/responses/ClerkErrors/content")
        .is_none()
    {
        bail!("components.responses.ClerkErrors is gone");
    }
    let mut places = Vec::new();
    for mut op in operations_mut(spec) {
        let name = op.name();
        let Some(responses) = op.responses_mut() else {
            continue;
        };
        // The distinct error bodies of this operation, and the statuses that have none.
        let mut bodies = Vec::new();
        let mut empty = Vec::new();
        for (status, response) in responses.iter() {
            if !is_error_status(status) {
                continue;
            }
            let Some(resolved) = resolve(&snapshot, response) else {
                bail!("{name} {status}: response $ref does not resolve");
            };
            match resolved.get("content") {
                None => empty.push(status.clone()),
                Some(content) => {
                    if !bodies.contains(content) {
                        bodies.push(content.clone());
                    }
                }
            }
        }
        if bodies.len() > 1 {
            bail!(
                "{name}: error responses have {} different bodies",
                bodies.len()
            );
        }
        let clerk_errors = json!({"application/json": {"schema": {"$ref": CLERK_ERRORS_SCHEMA}}});
        match bodies.first() {
            Some(body) if !empty.is_empty() => {
                if *body != clerk_errors {
                    bail!("{name}: errors without a body next to a body that is not ClerkErrors");
                }
                for status in empty {
                    responses.insert(status.clone(), json!({"$ref": CLERK_ERRORS_RESPONSE}));
                    places.push(format!("{name} {status}"));
                }
            }
            _ => {}
        }
    }
    Ok(Changes::Places(places))
}

fn join_unexploded_query_arrays(spec: &mut Value) -> Result<Changes> {
    let mut places = Vec::new();
    for mut op in operations_mut(spec) {
        let name = op.name();
        let Some(parameters) = op.parameters_mut() else {
            continue;
        };
        for parameter in parameters {
            if parameter.get("explode") != Some(&json!(false))
                || parameter.get("in") != Some(&json!("query"))
            {
                continue;
            }
            let param_name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if parameter.pointer("/schema/type") != Some(&json!("array")) {
                bail!(
                    "{name}.{param_name}: `explode: false` on a query parameter that is not an array"
                );
            }
            // The caller joins the values with commas, which is what `explode: false` means.
            let object = parameter.as_object_mut().expect("a parameter object");
            object.remove("explode");
            object.insert("schema".into(), json!({"type": "string"}));
            places.push(format!("{name}.{param_name}"));
        }
    }
    Ok(Changes::Places(places))
}

/// The Rust field name a parameter name becomes, near enough to find collisions.
fn rust_field_name(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_uppercase() {
            out.push('_');
            out.extend(ch.to_lowercase());
        } else if ch.is_alphanumeric() {
            out.push(ch);
        } else {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

fn drop_deprecated_colliding_params(spec: &mut Value) -> Result<Changes> {
    let mut places = Vec::new();
    for mut op in operations_mut(spec) {
        let name = op.name();
        let Some(parameters) = op.parameters_mut() else {
            continue;
        };
        let mut by_field: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, parameter) in parameters.iter().enumerate() {
            if let Some(param_name) = parameter.get("name").and_then(Value::as_str) {
                by_field
                    .entry(rust_field_name(param_name))
                    .or_default()
                    .push(index);
            }
        }
        let mut drop = Vec::new();
        for (field, indexes) in by_field.into_iter().filter(|(_, ix)| ix.len() > 1) {
            let (deprecated, current): (Vec<usize>, Vec<usize>) = indexes
                .into_iter()
                .partition(|ix| parameters[*ix].get("deprecated") == Some(&json!(true)));
            if current.len() != 1 {
                bail!("{name}: parameters collide as `{field}` and not all but one are deprecated");
            }
            for ix in deprecated {
                places.push(format!(
                    "{name}.{}",
                    parameters[ix]["name"].as_str().unwrap_or("?")
                ));
                drop.push(ix);
            }
        }
        drop.sort_unstable();
        for ix in drop.into_iter().rev() {
            parameters.remove(ix);
        }
    }
    Ok(Changes::Places(places))
}

/// Removes `key` from every node where `matches` says so, and counts the places.
fn remove_everywhere(spec: &mut Value, key: &str, matches: fn(&Value) -> bool) -> usize {
    let mut count = 0;
    for_each_node(spec, &mut |node: &mut Map<String, Value>| {
        if node.get(key).is_some_and(matches) {
            node.remove(key);
            count += 1;
        }
    });
    count
}

fn strip_patterns(spec: &mut Value) -> Result<Changes> {
    Ok(Changes::Count(remove_everywhere(
        spec,
        "pattern",
        Value::is_string,
    )))
}

fn allow_unknown_fields(spec: &mut Value) -> Result<Changes> {
    Ok(Changes::Count(remove_everywhere(
        spec,
        "additionalProperties",
        |value| *value == json!(false),
    )))
}

fn open_string_enums(spec: &mut Value) -> Result<Changes> {
    let mut count = 0;
    let mut unexpected = Vec::new();
    for_each_node(spec, &mut |node: &mut Map<String, Value>| {
        let Some(values) = node.get("enum").and_then(Value::as_array) else {
            return;
        };
        let all_strings = values.iter().all(|v| v.is_string() || v.is_null());
        match node.get("type").and_then(Value::as_str) {
            Some("string") | None if all_strings => {
                let values = node.remove("enum").expect("checked above");
                node.insert(KNOWN_VALUES.into(), values);
                node.insert("type".into(), json!("string"));
                count += 1;
            }
            // Integer or boolean enums can stay closed: typify turns them into plain numbers.
            Some("integer" | "number" | "boolean") => {}
            other => unexpected.push(format!("{other:?} {values:?}")),
        }
    });
    if !unexpected.is_empty() {
        bail!("enums of an unexpected kind: {}", unexpected.join("; "));
    }
    Ok(Changes::Count(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(responses: Value) -> Value {
        json!({"paths": {"/u": {"post": {"operationId": "Op", "responses": responses}}},
            "components": {
                "schemas": {"ClerkErrors": {"type": "object"}},
                "responses": {"ClerkErrors": {"content": {"application/json":
                    {"schema": {"$ref": CLERK_ERRORS_SCHEMA}}}}}}})
    }

    fn places(changes: Changes) -> Vec<String> {
        match changes {
            Changes::Places(places) => places,
            Changes::Count(_) => panic!("expected places"),
        }
    }

    #[test]
    fn inline_error_envelopes_become_one_ref() {
        let envelope = json!({"type": "object", "required": ["errors"], "properties": {
            "errors": {"type": "array", "items": {"type": "object",
                "properties": {"message": {}, "long_message": {}, "code": {}}}}}});
        let mut spec = op(json!({"400": {"content": {"application/json": {"schema": envelope}}}}));
        let changed = places(ref_inline_error_envelopes(&mut spec).unwrap());
        assert_eq!(changed, ["Op 400"]);
        assert_eq!(
            spec.pointer("/paths/~1u/post/responses/400/content/application~1json/schema"),
            Some(&json!({"$ref": CLERK_ERRORS_SCHEMA}))
        );
    }

    #[test]
    fn an_unfamiliar_errors_property_stops_the_import() {
        let odd = json!({"type": "object", "properties": {"errors": {"type": "string"}}});
        let mut spec = op(json!({"400": {"content": {"application/json": {"schema": odd}}}}));
        let err = ref_inline_error_envelopes(&mut spec).unwrap_err();
        assert!(
            err.to_string().contains("not shaped like ClerkErrors"),
            "{err}"
        );
    }

    #[test]
    fn bodiless_errors_next_to_clerk_errors_get_the_envelope() {
        let mut spec = op(json!({
            "200": {},
            "404": {},
            "500": {"$ref": CLERK_ERRORS_RESPONSE},
        }));
        let changed = places(fill_empty_error_bodies(&mut spec).unwrap());
        assert_eq!(changed, ["Op 404"]);
        assert_eq!(
            spec.pointer("/paths/~1u/post/responses/404"),
            Some(&json!({"$ref": CLERK_ERRORS_RESPONSE}))
        );
        // An operation whose errors all lack a body is consistent and stays as it is.
        let mut spec = op(json!({"400": {}, "500": {}}));
        assert!(places(fill_empty_error_bodies(&mut spec).unwrap()).is_empty());
    }

    #[test]
    fn two_different_error_bodies_stop_the_import() {
        let mut spec = op(json!({
            "400": {"$ref": CLERK_ERRORS_RESPONSE},
            "500": {"content": {"text/html": {}}},
        }));
        assert!(fill_empty_error_bodies(&mut spec).is_err());
    }

    #[test]
    fn unexploded_query_arrays_become_comma_joined_strings() {
        let mut spec = json!({"paths": {"/d": {"get": {"operationId": "List", "parameters": [
            {"name": "ids", "in": "query", "explode": false,
                "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "tags", "in": "query", "explode": true,
                "schema": {"type": "array", "items": {"type": "string"}}},
        ]}}}});
        let changed = places(join_unexploded_query_arrays(&mut spec).unwrap());
        assert_eq!(changed, ["List.ids"]);
        assert_eq!(
            spec.pointer("/paths/~1d/get/parameters/0"),
            Some(&json!({"name": "ids", "in": "query", "schema": {"type": "string"}}))
        );
        assert_eq!(
            spec.pointer("/paths/~1d/get/parameters/1/explode"),
            Some(&json!(true))
        );
    }

    #[test]
    fn the_deprecated_one_of_colliding_params_is_dropped() {
        let mut spec = json!({"paths": {"/i": {"get": {"operationId": "I", "parameters": [
            {"name": "frontendApi", "in": "query", "deprecated": true},
            {"name": "frontend_api", "in": "query"},
            {"name": "domain", "in": "query"},
        ]}}}});
        let changed = places(drop_deprecated_colliding_params(&mut spec).unwrap());
        assert_eq!(changed, ["I.frontendApi"]);
        let names: Vec<_> = spec
            .pointer("/paths/~1i/get/parameters")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["frontend_api", "domain"]);
    }

    #[test]
    fn colliding_params_without_a_deprecated_one_stop_the_import() {
        let mut spec = json!({"paths": {"/i": {"get": {"parameters": [
            {"name": "userId", "in": "query"}, {"name": "user_id", "in": "query"},
        ]}}}});
        assert!(drop_deprecated_colliding_params(&mut spec).is_err());
    }

    #[test]
    fn number_counts_become_integers_and_other_parameters_stay() {
        let mut spec = json!({"paths": {"/k": {"get": {"operationId": "List", "parameters": [
            {"name": "limit", "in": "query",
                "schema": {"type": "number", "minimum": 1, "maximum": 100.0, "default": 10}},
            {"name": "offset", "in": "query", "schema": {"type": "number", "nullable": true}},
            {"name": "amount", "in": "query", "schema": {"type": "number"}},
            {"name": "limit", "in": "header", "schema": {"type": "number"}},
        ]}}}, "components": {"parameters": {"Offset": {"name": "offset", "in": "query",
            "schema": {"type": "integer"}}}}});
        let changed = places(integer_limit_offset(&mut spec).unwrap());
        assert_eq!(changed, ["List.limit", "List.offset"]);
        let parameters = spec.pointer("/paths/~1k/get/parameters").unwrap();
        assert_eq!(
            parameters[0]["schema"],
            json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10})
        );
        assert_eq!(
            parameters[1]["schema"],
            json!({"type": "integer", "nullable": true})
        );
        assert_eq!(parameters[2]["schema"]["type"], "number");
        assert_eq!(parameters[3]["schema"]["type"], "number");
    }

    #[test]
    fn a_count_that_is_not_a_whole_number_stops_the_import() {
        for schema in [
            json!({"type": "number", "default": 2.5}),
            json!({"type": "number", "format": "float"}),
            json!({"type": "string"}),
        ] {
            let mut spec = json!({"paths": {"/k": {"get": {"operationId": "List",
                "parameters": [{"name": "limit", "in": "query", "schema": schema}]}}}});
            assert!(integer_limit_offset(&mut spec).is_err(), "{schema}");
        }
        let mut spec = json!({"components": {"parameters": {"L": {"name": "limit", "in": "query",
            "schema": {"type": "number", "minimum": 0.5}}}}});
        assert!(integer_limit_offset(&mut spec).is_err());
    }

    #[test]
    fn required_names_a_schema_never_declares_are_dropped() {
        let mut spec = json!({"components": {"schemas": {
            "Conn": {"type": "object", "properties": {"id": {}, "domain": {}, "domains": {}},
                "required": ["id", "authenticatable"],
                "anyOf": [{"required": ["domain"]}, {"required": ["domains"]}]},
            "Base": {"properties": {"id": {}}},
            "Wide": {"allOf": [{"$ref": "#/components/schemas/Base"},
                {"properties": {"name": {}}}], "required": ["id", "name"]},
            "Gone": {"properties": {"a": {}}, "required": ["b"]},
        }}});
        let changed = places(drop_undeclared_required(&mut spec).unwrap());
        assert_eq!(changed, ["Conn: authenticatable", "Gone: b"]);
        let schemas = spec.pointer("/components/schemas").unwrap();
        assert_eq!(schemas["Conn"]["required"], json!(["id"]));
        // The "required one of" branches are constraints on declared properties: kept.
        assert_eq!(
            schemas["Conn"]["anyOf"],
            json!([{"required": ["domain"]}, {"required": ["domains"]}])
        );
        // Declared through allOf, so nothing to drop.
        assert_eq!(schemas["Wide"]["required"], json!(["id", "name"]));
        assert!(schemas["Gone"].get("required").is_none());
    }

    #[test]
    fn required_names_without_any_declaration_stop_the_import() {
        for schema in [
            // A "required one of" naming a property the schema lacks.
            json!({"properties": {"domain": {}}, "anyOf": [{"required": ["domains"]}]}),
            // Required names with no properties at all: a shape the step does not know.
            json!({"type": "object", "additionalProperties": true, "required": ["a"]}),
            // An allOf part that does not resolve.
            json!({"allOf": [{"$ref": "#/components/schemas/Missing"}], "required": ["a"]}),
        ] {
            let mut spec = json!({"components": {"schemas": {"S": schema}}});
            assert!(drop_undeclared_required(&mut spec).is_err(), "{schema}");
        }
    }

    #[test]
    fn patterns_and_closed_objects_are_removed_but_not_property_names() {
        let mut spec = json!({"components": {"schemas": {"S": {
        "type": "object", "additionalProperties": false,
        "properties": {
            "pattern": {"type": "string", "pattern": "^a+$"},
            "meta": {"type": "object", "additionalProperties": true},
        }}}}});
        assert!(matches!(
            strip_patterns(&mut spec).unwrap(),
            Changes::Count(1)
        ));
        assert!(matches!(
            allow_unknown_fields(&mut spec).unwrap(),
            Changes::Count(1)
        ));
        assert_eq!(
            spec,
            json!({"components": {"schemas": {"S": {
            "type": "object",
            "properties": {
                "pattern": {"type": "string"},
                "meta": {"type": "object", "additionalProperties": true},
            }}}}})
        );
    }

    #[test]
    fn string_enums_are_opened_and_keep_their_values() {
        let mut spec = json!({"components": {"schemas": {"S": {"type": "object", "properties": {
            "status": {"type": "string", "enum": ["pending", "accepted"]},
            "kind": {"enum": ["a", null], "nullable": true},
            "level": {"type": "integer", "enum": [1, 2]},
        }}}}});
        assert!(matches!(
            open_string_enums(&mut spec).unwrap(),
            Changes::Count(2)
        ));
        let properties = spec.pointer("/components/schemas/S/properties").unwrap();
        assert_eq!(
            properties["status"],
            json!({"type": "string", KNOWN_VALUES: ["pending", "accepted"]})
        );
        assert_eq!(
            properties["kind"],
            json!({"type": "string", "nullable": true, KNOWN_VALUES: ["a", null]})
        );
        assert_eq!(properties["level"]["enum"], json!([1, 2]));
    }

    #[test]
    fn webhook_events_become_components_named_after_the_event() {
        let mut spec = json!({
            "x-webhooks": {"organizationInvitation.created": {"post": {"requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/P"},
                    "example": {"type": "organizationInvitation.created"}}}}}}},
            "components": {"schemas": {"P": {"type": "object"}}},
        });
        let LiftedEvents {
            report,
            index,
            examples,
        } = lift_webhook_events(&mut spec).unwrap();
        assert_eq!(
            examples,
            [(
                "organizationInvitation.created".to_owned(),
                json!({"type": "organizationInvitation.created"})
            )]
        );
        assert_eq!(
            places(report.changes),
            ["organizationInvitation.created -> OrganizationInvitationCreatedEvent"]
        );
        assert_eq!(
            Value::Object(index),
            json!({"organizationInvitation.created":
                {"$ref": "#/components/schemas/OrganizationInvitationCreatedEvent"}})
        );
        // The example is left behind with `x-webhooks`.
        assert_eq!(
            spec,
            json!({"components": {"schemas": {"P": {"type": "object"},
                "OrganizationInvitationCreatedEvent": {"$ref": "#/components/schemas/P"}}}})
        );
    }

    #[test]
    fn an_event_of_an_unfamiliar_shape_or_name_stops_the_import() {
        let body = json!({"requestBody": {"content": {"application/json": {"schema": {}}}}});
        for webhooks in [
            json!({"a.b": {"post": body, "get": body}}),
            json!({"a.b": {"post": {"requestBody": {"content": {"text/plain": {}}}}}}),
            json!({"a b": {"post": body}}),
            // Collides with an existing component.
            json!({"p": {"post": body}}),
        ] {
            let mut spec = json!({"x-webhooks": webhooks,
                "components": {"schemas": {"PEvent": {}}}});
            assert!(lift_webhook_events(&mut spec).is_err(), "{webhooks}");
        }
        assert!(lift_webhook_events(&mut json!({"paths": {}})).is_err());
    }

    #[test]
    fn required_properties_absent_from_an_example_become_optional() {
        let mut spec = json!({"components": {"schemas": {
            "UserCreatedEvent": {"allOf": [{"$ref": "#/components/schemas/Envelope"},
                {"properties": {"data": {"$ref": "#/components/schemas/User"}}, "required": ["data"]}]},
            "Envelope": {"properties": {"type": {}}, "required": ["type"]},
            "User": {"properties": {"id": {}, "emails": {"type": "array",
                "items": {"properties": {"id": {}, "verified": {}}, "required": ["id", "verified"]}}},
                "required": ["id", "emails"]},
        }}});
        let example = json!({"type": "user.created",
            "data": {"id": "u", "emails": [{"id": "e", "verified": true}, {"id": "f"}]}});
        let report =
            relax_required_by_examples(&mut spec, &[("user.created".into(), example)]).unwrap();
        assert_eq!(
            places(report.changes),
            ["User/properties/emails/items: verified (absent from the user.created example)"]
        );
        assert_eq!(
            spec.pointer("/components/schemas/User/properties/emails/items"),
            Some(&json!({"properties": {"id": {}, "verified": {}}, "required": ["id"]}))
        );
        // What the example has stays required.
        assert_eq!(
            spec.pointer("/components/schemas/User/required"),
            Some(&json!(["id", "emails"]))
        );
    }

    #[test]
    fn event_type_names() {
        assert_eq!(
            event_type_name("subscriptionItem.freeTrialEnding").unwrap(),
            "SubscriptionItemFreeTrialEndingEvent"
        );
        assert_eq!(event_type_name("sms.created").unwrap(), "SmsCreatedEvent");
        assert!(event_type_name("a..b").is_err());
    }

    #[test]
    fn nullable_refs_are_wrapped_in_all_of() {
        let mut spec = json!({"components": {"schemas": {"S": {"properties": {
            "a": {"$ref": "#/components/schemas/T", "nullable": true},
            "b": {"$ref": "#/components/schemas/T"},
        }}}}});
        assert!(matches!(
            wrap_nullable_refs(&mut spec).unwrap(),
            Changes::Count(1)
        ));
        assert_eq!(
            spec.pointer("/components/schemas/S/properties/a").unwrap(),
            &json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        assert_eq!(
            spec.pointer("/components/schemas/S/properties/b").unwrap(),
            &json!({"$ref": "#/components/schemas/T"})
        );
    }

    #[test]
    fn rust_field_names_fold_case_and_separators() {
        assert_eq!(rust_field_name("frontendApi"), "frontend_api");
        assert_eq!(rust_field_name("frontend_api"), "frontend_api");
        assert_eq!(rust_field_name("order-by"), "order_by");
    }
}
