//! `cargo xtask spec diff OLD NEW`: what a reviewer needs to know about a new Clerk spec before
//! accepting it, i.e. its structural changes only.
//!
//! Both inputs may be Clerk's upstream YAML or our vendored JSON (`spec/clerk-bapi.json`), so the
//! comparison only reads structural keywords and treats the vendored rewrites as equivalent to the
//! upstream originals: prose and `x-*` keys are never read, `x-clerk-known-values` is compared as
//! `enum`, and a boolean `additionalProperties` is ignored (the import drops `false`, and `true` is
//! what an absent one means). Component schemas are compared by name through `$ref`, never by
//! following them, so a retargeted `$ref` shows up as a retype and recursive schemas cannot loop.
//! Parameters, request bodies and responses stored under `components` are followed, because there
//! they are only an indirection and a change inside them is a change of the operation.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use crate::spec_file;

/// The tag the wrapper crate is built around, so any change touching it needs a closer look.
const FLAGGED_TAG: &str = "Organization Invitations";
const UNTAGGED: &str = "(untagged)";
const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const JSON_MEDIA_TYPE: &str = "application/json";
const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";
/// How many `$ref` hops to follow for parameters, request bodies and responses before giving up,
/// so a cyclic reference in a broken spec cannot hang the report.
const MAX_REF_HOPS: usize = 8;
/// How many operations to name after a component schema before summarising the rest as a count.
const MAX_USED_BY_SHOWN: usize = 6;

pub fn run(old: &Path, new: &Path) -> Result<()> {
    let old_spec = spec_file::load(old)?;
    let new_spec = spec_file::load(new)?;
    println!("Comparing {} with {}", old.display(), new.display());
    print!("{}", diff_specs(&old_spec, &new_spec).render());
    Ok(())
}

/// The structural differences between two specs, every list sorted so the report is stable.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub old_version: Option<String>,
    pub new_version: Option<String>,
    pub operations_added: Vec<OperationDiff>,
    pub operations_removed: Vec<OperationDiff>,
    pub operations_changed: Vec<OperationDiff>,
    pub schemas_added: Vec<SchemaDiff>,
    pub schemas_removed: Vec<SchemaDiff>,
    pub schemas_changed: Vec<SchemaDiff>,
}

/// An operation as the report names it; `changes` is empty for added and removed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDiff {
    /// The `operationId`, or `METHOD path` when the spec gives none.
    pub id: String,
    pub method: String,
    pub path: String,
    /// The first tag, which is what the report groups by.
    pub tag: String,
    pub touches_flagged_tag: bool,
    pub changes: Vec<Change>,
}

/// A component schema; `changes` is empty for added and removed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDiff {
    pub name: String,
    /// Operations reaching the schema through `$ref`s (in the new spec, or the old one for a
    /// removed schema).
    pub used_by: Vec<String>,
    pub touches_flagged_tag: bool,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Where the change is, e.g. `CreateOrganizationInvitation request body .expires_in_days`.
    pub location: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// Something new at `location`: `what` names it (property, parameter, response, ...) and
    /// `detail` describes it (type, required, nullable).
    Added {
        what: &'static str,
        detail: String,
    },
    Removed {
        what: &'static str,
        detail: String,
    },
    Retyped {
        from: String,
        to: String,
    },
    RequiredChanged {
        now_required: bool,
    },
    NullableChanged {
        now_nullable: bool,
    },
    EnumValuesAdded(Vec<String>),
    EnumValuesRemoved(Vec<String>),
    /// A structural setting that is neither a type nor a flag: route, tags, parameter style.
    Changed {
        what: &'static str,
        from: String,
        to: String,
    },
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.operations_added.is_empty()
            && self.operations_removed.is_empty()
            && self.operations_changed.is_empty()
            && self.schemas_added.is_empty()
            && self.schemas_removed.is_empty()
            && self.schemas_changed.is_empty()
    }

    /// The human-readable report: the flagged tag first, then operations by tag, then component
    /// schemas, then a one-line count.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
        let _ = writeln!(
            out,
            "Spec diff {} -> {}",
            version(&self.old_version),
            version(&self.new_version)
        );
        out.push('\n');
        self.render_flagged(&mut out);
        self.render_operations(&mut out);
        self.render_schemas(&mut out);
        if self.is_empty() {
            out.push_str("No structural changes.\n\n");
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    pub fn summary(&self) -> String {
        format!(
            "Summary: {} operations added, {} removed, {} changed; \
             {} schemas added, {} removed, {} changed.",
            self.operations_added.len(),
            self.operations_removed.len(),
            self.operations_changed.len(),
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.schemas_changed.len(),
        )
    }

    fn render_flagged(&self, out: &mut String) {
        let mut lines = Vec::new();
        let operation_lists = [
            ('+', &self.operations_added),
            ('-', &self.operations_removed),
            ('~', &self.operations_changed),
        ];
        for (sign, operations) in operation_lists {
            for operation in operations.iter().filter(|o| o.touches_flagged_tag) {
                lines.push(format!(
                    "  {sign} operation {}  {} {}",
                    operation.id, operation.method, operation.path
                ));
            }
        }
        let schema_lists = [
            ('+', &self.schemas_added),
            ('-', &self.schemas_removed),
            ('~', &self.schemas_changed),
        ];
        for (sign, schemas) in schema_lists {
            for schema in schemas.iter().filter(|s| s.touches_flagged_tag) {
                lines.push(format!("  {sign} schema {}", schema.name));
            }
        }
        if lines.is_empty() {
            let _ = writeln!(out, "{FLAGGED_TAG}: not touched.\n");
        } else {
            let _ = writeln!(out, "⚠ touches {FLAGGED_TAG}:");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
            out.push('\n');
        }
    }

    fn render_operations(&self, out: &mut String) {
        let mut by_tag: BTreeMap<&str, Vec<(char, &OperationDiff)>> = BTreeMap::new();
        let lists = [
            ('+', &self.operations_added),
            ('-', &self.operations_removed),
            ('~', &self.operations_changed),
        ];
        for (sign, operations) in lists {
            for operation in operations {
                by_tag
                    .entry(operation.tag.as_str())
                    .or_default()
                    .push((sign, operation));
            }
        }
        for (tag, operations) in by_tag {
            let marker = if tag == FLAGGED_TAG { "⚠ " } else { "" };
            let _ = writeln!(out, "{marker}Tag {tag}");
            for (sign, operation) in operations {
                let _ = writeln!(
                    out,
                    "  {sign} {}  {} {}",
                    operation.id, operation.method, operation.path
                );
                render_changes(out, &operation.changes);
            }
            out.push('\n');
        }
    }

    fn render_schemas(&self, out: &mut String) {
        if self.schemas_added.is_empty()
            && self.schemas_removed.is_empty()
            && self.schemas_changed.is_empty()
        {
            return;
        }
        out.push_str("Component schemas\n");
        let lists = [
            ('+', &self.schemas_added),
            ('-', &self.schemas_removed),
            ('~', &self.schemas_changed),
        ];
        for (sign, schemas) in lists {
            for schema in schemas {
                let marker = if schema.touches_flagged_tag {
                    "⚠ "
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "  {sign} {marker}{}{}",
                    schema.name,
                    used_by_note(&schema.used_by)
                );
                render_changes(out, &schema.changes);
            }
        }
        out.push('\n');
    }
}

fn render_changes(out: &mut String, changes: &[Change]) {
    for change in changes {
        let _ = writeln!(out, "      {}: {}", change.location, change.kind.describe());
    }
}

fn used_by_note(used_by: &[String]) -> String {
    if used_by.is_empty() {
        return String::new();
    }
    let shown = used_by[..used_by.len().min(MAX_USED_BY_SHOWN)].join(", ");
    let hidden = used_by.len().saturating_sub(MAX_USED_BY_SHOWN);
    if hidden == 0 {
        format!("  (used by {shown})")
    } else {
        format!("  (used by {shown} and {hidden} more)")
    }
}

impl ChangeKind {
    fn describe(&self) -> String {
        match self {
            ChangeKind::Added { what, detail } => format!("{what} added ({detail})"),
            ChangeKind::Removed { what, detail } => format!("{what} removed ({detail})"),
            ChangeKind::Retyped { from, to } => format!("retyped {from} -> {to}"),
            ChangeKind::RequiredChanged { now_required: true } => "now required".to_owned(),
            ChangeKind::RequiredChanged {
                now_required: false,
            } => "no longer required".to_owned(),
            ChangeKind::NullableChanged { now_nullable: true } => "now nullable".to_owned(),
            ChangeKind::NullableChanged {
                now_nullable: false,
            } => "no longer nullable".to_owned(),
            ChangeKind::EnumValuesAdded(values) => {
                format!("enum values added: {}", values.join(", "))
            }
            ChangeKind::EnumValuesRemoved(values) => {
                format!("enum values removed: {}", values.join(", "))
            }
            ChangeKind::Changed { what, from, to } => format!("{what} changed {from} -> {to}"),
        }
    }
}

/// Compares two OpenAPI 3.0 documents (upstream or vendored form) structurally.
pub fn diff_specs(old: &Value, new: &Value) -> Report {
    let old_operations = operations(old);
    let new_operations = operations(new);
    let old_usage = SchemaUsage::new(old, &old_operations);
    let new_usage = SchemaUsage::new(new, &new_operations);

    let mut report = Report {
        old_version: info_version(old),
        new_version: info_version(new),
        ..Report::default()
    };

    for (id, new_operation) in &new_operations {
        match old_operations.get(id) {
            None => report
                .operations_added
                .push(new_operation.to_diff(id, Vec::new())),
            Some(old_operation) => {
                let changes = compare_operations(id, old, old_operation, new, new_operation);
                if !changes.is_empty() {
                    let mut diff = new_operation.to_diff(id, changes);
                    diff.touches_flagged_tag |= old_operation.has_flagged_tag();
                    report.operations_changed.push(diff);
                }
            }
        }
    }
    for (id, old_operation) in &old_operations {
        if !new_operations.contains_key(id) {
            report
                .operations_removed
                .push(old_operation.to_diff(id, Vec::new()));
        }
    }

    let old_schemas = component_schemas(old);
    let new_schemas = component_schemas(new);
    let touches_flagged = |name: &str| {
        old_usage.reached_from_flagged_tag(name) || new_usage.reached_from_flagged_tag(name)
    };
    for (name, new_schema) in &new_schemas {
        let changes = match old_schemas.get(name) {
            None => None,
            Some(old_schema) => {
                let mut changes = Vec::new();
                compare_schemas(&mut changes, name, "", old_schema, new_schema);
                Some(changes)
            }
        };
        let diff = |changes| SchemaDiff {
            name: name.to_string(),
            used_by: new_usage.operations_using(name),
            touches_flagged_tag: touches_flagged(name),
            changes,
        };
        match changes {
            None => report.schemas_added.push(diff(Vec::new())),
            Some(changes) if !changes.is_empty() => report.schemas_changed.push(diff(changes)),
            Some(_) => {}
        }
    }
    for name in old_schemas.keys() {
        if !new_schemas.contains_key(name) {
            report.schemas_removed.push(SchemaDiff {
                name: name.to_string(),
                used_by: old_usage.operations_using(name),
                touches_flagged_tag: touches_flagged(name),
                changes: Vec::new(),
            });
        }
    }
    report
}

fn info_version(spec: &Value) -> Option<String> {
    spec.pointer("/info/version")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// One operation of a spec, with the path-level parameters it inherits.
struct Operation<'a> {
    method: &'a str,
    path: &'a str,
    tags: Vec<&'a str>,
    path_parameters: &'a [Value],
    body: &'a Value,
}

impl Operation<'_> {
    fn has_flagged_tag(&self) -> bool {
        self.tags.contains(&FLAGGED_TAG)
    }

    fn route(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    fn to_diff(&self, id: &str, changes: Vec<Change>) -> OperationDiff {
        OperationDiff {
            id: id.to_owned(),
            method: self.method.to_uppercase(),
            path: self.path.to_owned(),
            tag: self.tags.first().copied().unwrap_or(UNTAGGED).to_owned(),
            touches_flagged_tag: self.has_flagged_tag(),
            changes,
        }
    }
}

/// Operations keyed by `operationId` (or `METHOD path` without one), so a moved operation is a
/// change of route rather than a removal plus an addition.
fn operations(spec: &Value) -> BTreeMap<String, Operation<'_>> {
    let mut operations = BTreeMap::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return operations;
    };
    for (path, item) in paths {
        let path_parameters = item
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        for method in HTTP_METHODS {
            let Some(body) = item.get(method) else {
                continue;
            };
            let operation = Operation {
                method,
                path,
                tags: body
                    .get("tags")
                    .and_then(Value::as_array)
                    .map(|tags| tags.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default(),
                path_parameters,
                body,
            };
            let id = body
                .get("operationId")
                .and_then(Value::as_str)
                .map_or_else(|| operation.route(), str::to_owned);
            operations.insert(id, operation);
        }
    }
    operations
}

fn component_schemas(spec: &Value) -> BTreeMap<&str, &Value> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

/// Follows a local `$ref` to a parameter, request body or response; schemas are never passed here
/// because they are compared by name.
fn resolve<'a>(spec: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| spec.pointer(pointer))
        else {
            break;
        };
        value = target;
    }
    value
}

fn schema_ref_name(reference: &str) -> Option<String> {
    reference
        .strip_prefix(SCHEMA_REF_PREFIX)
        .map(|name| name.replace("~1", "/").replace("~0", "~"))
}

fn compare_operations(
    id: &str,
    old_spec: &Value,
    old: &Operation,
    new_spec: &Value,
    new: &Operation,
) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.route() != new.route() {
        changes.push(Change {
            location: id.to_owned(),
            kind: ChangeKind::Changed {
                what: "route",
                from: old.route(),
                to: new.route(),
            },
        });
    }
    if old.tags != new.tags {
        changes.push(Change {
            location: id.to_owned(),
            kind: ChangeKind::Changed {
                what: "tags",
                from: old.tags.join(", "),
                to: new.tags.join(", "),
            },
        });
    }
    compare_parameters(
        &mut changes,
        id,
        &parameters(old_spec, old),
        &parameters(new_spec, new),
    );
    compare_request_bodies(&mut changes, id, old_spec, old.body, new_spec, new.body);
    compare_responses(&mut changes, id, old_spec, old.body, new_spec, new.body);
    changes
}

/// The operation's parameters keyed by `(in, name)`, path-level ones included unless the
/// operation overrides them (as OpenAPI specifies).
fn parameters<'a>(
    spec: &'a Value,
    operation: &Operation<'a>,
) -> BTreeMap<(String, String), &'a Value> {
    let own = operation
        .body
        .get("parameters")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut parameters = BTreeMap::new();
    for parameter in operation.path_parameters.iter().chain(own) {
        let parameter = resolve(spec, parameter);
        let text = |key| {
            parameter
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        parameters.insert((text("in"), text("name")), parameter);
    }
    parameters
}

fn compare_parameters(
    changes: &mut Vec<Change>,
    id: &str,
    old: &BTreeMap<(String, String), &Value>,
    new: &BTreeMap<(String, String), &Value>,
) {
    let keys: BTreeSet<_> = old.keys().chain(new.keys()).collect();
    for key @ (place, name) in keys {
        let location = format!("{id} {place} parameter {name}");
        match (old.get(key), new.get(key)) {
            (None, Some(parameter)) => changes.push(Change {
                location,
                kind: ChangeKind::Added {
                    what: "parameter",
                    detail: describe_parameter(parameter),
                },
            }),
            (Some(parameter), None) => changes.push(Change {
                location,
                kind: ChangeKind::Removed {
                    what: "parameter",
                    detail: describe_parameter(parameter),
                },
            }),
            (Some(old), Some(new)) => {
                if is_required(old) != is_required(new) {
                    changes.push(Change {
                        location: location.clone(),
                        kind: ChangeKind::RequiredChanged {
                            now_required: is_required(new),
                        },
                    });
                }
                // How a parameter is serialised decides what the server receives.
                for setting in ["style", "explode"] {
                    let value = |parameter: &Value| {
                        parameter
                            .get(setting)
                            .map_or_else(|| "default".to_owned(), Value::to_string)
                    };
                    if value(old) != value(new) {
                        changes.push(Change {
                            location: location.clone(),
                            kind: ChangeKind::Changed {
                                what: setting,
                                from: value(old),
                                to: value(new),
                            },
                        });
                    }
                }
                compare_schemas(
                    changes,
                    &location,
                    "",
                    parameter_schema(old),
                    parameter_schema(new),
                );
            }
            (None, None) => unreachable!("key comes from one of the maps"),
        }
    }
}

/// A parameter's schema, which OpenAPI lets sit either directly or under a single media type.
fn parameter_schema(parameter: &Value) -> &Value {
    parameter
        .get("schema")
        .or_else(|| {
            parameter
                .get("content")
                .and_then(Value::as_object)
                .and_then(|content| content.values().next())
                .and_then(|media| media.get("schema"))
        })
        .unwrap_or(&Value::Null)
}

fn describe_parameter(parameter: &Value) -> String {
    let mut detail = describe_with_nullable(parameter_schema(parameter));
    if is_required(parameter) {
        detail.push_str(", required");
    }
    detail
}

fn is_required(value: &Value) -> bool {
    value.get("required").and_then(Value::as_bool) == Some(true)
}

fn compare_request_bodies(
    changes: &mut Vec<Change>,
    id: &str,
    old_spec: &Value,
    old: &Value,
    new_spec: &Value,
    new: &Value,
) {
    let location = format!("{id} request body");
    let old = old.get("requestBody").map(|body| resolve(old_spec, body));
    let new = new.get("requestBody").map(|body| resolve(new_spec, body));
    match (old, new) {
        (None, None) => {}
        (None, Some(body)) => changes.push(Change {
            location,
            kind: ChangeKind::Added {
                what: "request body",
                detail: describe_content(body),
            },
        }),
        (Some(body), None) => changes.push(Change {
            location,
            kind: ChangeKind::Removed {
                what: "request body",
                detail: describe_content(body),
            },
        }),
        (Some(old), Some(new)) => {
            if is_required(old) != is_required(new) {
                changes.push(Change {
                    location: location.clone(),
                    kind: ChangeKind::RequiredChanged {
                        now_required: is_required(new),
                    },
                });
            }
            compare_contents(changes, &location, old, new);
        }
    }
}

fn compare_responses(
    changes: &mut Vec<Change>,
    id: &str,
    old_spec: &Value,
    old: &Value,
    new_spec: &Value,
    new: &Value,
) {
    fn responses<'a>(spec: &'a Value, operation: &'a Value) -> BTreeMap<&'a str, &'a Value> {
        operation
            .get("responses")
            .and_then(Value::as_object)
            .map(|responses| {
                responses
                    .iter()
                    .map(|(status, response)| (status.as_str(), resolve(spec, response)))
                    .collect()
            })
            .unwrap_or_default()
    }
    let old = responses(old_spec, old);
    let new = responses(new_spec, new);
    let statuses: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    for status in statuses {
        let location = format!("{id} response {status}");
        match (old.get(status), new.get(status)) {
            (None, Some(response)) => changes.push(Change {
                location,
                kind: ChangeKind::Added {
                    what: "response",
                    detail: describe_content(response),
                },
            }),
            (Some(response), None) => changes.push(Change {
                location,
                kind: ChangeKind::Removed {
                    what: "response",
                    detail: describe_content(response),
                },
            }),
            (Some(old), Some(new)) => compare_contents(changes, &location, old, new),
            (None, None) => unreachable!("status comes from one of the maps"),
        }
    }
}

fn media_types(owner: &Value) -> BTreeMap<&str, &Value> {
    owner
        .get("content")
        .and_then(Value::as_object)
        .map(|content| {
            content
                .iter()
                .map(|(media_type, media)| {
                    (
                        media_type.as_str(),
                        media.get("schema").unwrap_or(&Value::Null),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Describes a request body or response by its schema per media type, JSON being implied.
fn describe_content(owner: &Value) -> String {
    let media_types = media_types(owner);
    if media_types.is_empty() {
        return "no body".to_owned();
    }
    media_types
        .iter()
        .map(|(media_type, schema)| {
            if *media_type == JSON_MEDIA_TYPE {
                describe_with_nullable(schema)
            } else {
                format!("{media_type}: {}", describe_with_nullable(schema))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn compare_contents(changes: &mut Vec<Change>, location: &str, old: &Value, new: &Value) {
    let old = media_types(old);
    let new = media_types(new);
    let keys: BTreeSet<&&str> = old.keys().chain(new.keys()).collect();
    for media_type in keys {
        match (old.get(media_type), new.get(media_type)) {
            (None, Some(schema)) => changes.push(Change {
                location: location.to_owned(),
                kind: ChangeKind::Added {
                    what: "media type",
                    detail: format!("{media_type}: {}", describe(schema)),
                },
            }),
            (Some(schema), None) => changes.push(Change {
                location: location.to_owned(),
                kind: ChangeKind::Removed {
                    what: "media type",
                    detail: format!("{media_type}: {}", describe(schema)),
                },
            }),
            (Some(old), Some(new)) => {
                let scope = if *media_type == JSON_MEDIA_TYPE {
                    location.to_owned()
                } else {
                    format!("{location} ({media_type})")
                };
                compare_schemas(changes, &scope, "", old, new);
            }
            (None, None) => unreachable!("media type comes from one of the maps"),
        }
    }
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
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
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
fn describe(schema: &Value) -> String {
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
fn describe_with_nullable(schema: &Value) -> String {
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
        .or_else(|| schema.get("x-clerk-known-values"))
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
fn compare_schemas(
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
            (None, Some(schema)) => changes.push(Change {
                location: here(),
                kind: ChangeKind::Added {
                    what: "property",
                    detail: detail(schema, &new_required),
                },
            }),
            (Some(schema), None) => changes.push(Change {
                location: here(),
                kind: ChangeKind::Removed {
                    what: "property",
                    detail: detail(schema, &old_required),
                },
            }),
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
    let here = || location(scope, &format!("{pointer}{{}}"));
    match (value_schema(old), value_schema(new)) {
        (None, None) => {}
        (None, Some(schema)) => changes.push(Change {
            location: here(),
            kind: ChangeKind::Added {
                what: "additional properties",
                detail: describe_with_nullable(schema),
            },
        }),
        (Some(schema), None) => changes.push(Change {
            location: here(),
            kind: ChangeKind::Removed {
                what: "additional properties",
                detail: describe_with_nullable(schema),
            },
        }),
        (Some(old), Some(new)) => {
            compare_schemas(changes, scope, &format!("{pointer}{{}}"), old, new);
        }
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
            changes.push(Change {
                location: here.clone(),
                kind: ChangeKind::Added {
                    what: keyword_variant(keyword),
                    detail: name.clone(),
                },
            });
        }
        for name in old_names.difference(&new_names) {
            changes.push(Change {
                location: here.clone(),
                kind: ChangeKind::Removed {
                    what: keyword_variant(keyword),
                    detail: name.clone(),
                },
            });
        }
        return;
    }
    for index in 0..old_list.len().max(new_list.len()) {
        let variant_pointer = format!("{pointer}<{keyword} {index}>");
        match (old_list.get(index), new_list.get(index)) {
            (Some(old), Some(new)) => compare_schemas(changes, scope, &variant_pointer, old, new),
            (None, Some(schema)) => changes.push(Change {
                location: location(scope, &variant_pointer),
                kind: ChangeKind::Added {
                    what: keyword_variant(keyword),
                    detail: describe(schema),
                },
            }),
            (Some(schema), None) => changes.push(Change {
                location: location(scope, &variant_pointer),
                kind: ChangeKind::Removed {
                    what: keyword_variant(keyword),
                    detail: describe(schema),
                },
            }),
            (None, None) => unreachable!("index is below one of the lengths"),
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

/// Which operations reach which component schemas through `$ref`s, transitively.
struct SchemaUsage {
    operations_by_schema: BTreeMap<String, BTreeSet<String>>,
    reached_from_flagged_tag: BTreeSet<String>,
}

impl SchemaUsage {
    fn new(spec: &Value, operations: &BTreeMap<String, Operation>) -> Self {
        let schemas = component_schemas(spec);
        let direct_refs: BTreeMap<&str, BTreeSet<String>> = schemas
            .iter()
            .map(|(name, schema)| (*name, schema_refs(spec, schema)))
            .collect();
        let mut usage = SchemaUsage {
            operations_by_schema: BTreeMap::new(),
            reached_from_flagged_tag: BTreeSet::new(),
        };
        for (id, operation) in operations {
            let mut operation_refs = schema_refs(spec, operation.body);
            for parameter in operation.path_parameters {
                operation_refs.extend(schema_refs(spec, parameter));
            }
            // Breadth-first over schema names with a visited set, as schemas may be recursive.
            let mut reached = BTreeSet::new();
            let mut pending: Vec<String> = operation_refs.into_iter().collect();
            while let Some(name) = pending.pop() {
                if let Some(refs) = direct_refs.get(name.as_str()) {
                    pending.extend(refs.iter().filter(|r| !reached.contains(*r)).cloned());
                }
                reached.insert(name);
            }
            for name in reached {
                if operation.has_flagged_tag() {
                    usage.reached_from_flagged_tag.insert(name.clone());
                }
                usage
                    .operations_by_schema
                    .entry(name)
                    .or_default()
                    .insert(id.clone());
            }
        }
        usage
    }

    fn operations_using(&self, schema: &str) -> Vec<String> {
        self.operations_by_schema
            .get(schema)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn reached_from_flagged_tag(&self, schema: &str) -> bool {
        self.reached_from_flagged_tag.contains(schema)
    }
}

/// Component schema names referenced inside `value`, following references to other components
/// (parameters, responses, request bodies) since those only stand in for their content.
fn schema_refs(spec: &Value, value: &Value) -> BTreeSet<String> {
    fn walk(
        spec: &Value,
        value: &Value,
        seen: &mut BTreeSet<String>,
        found: &mut BTreeSet<String>,
    ) {
        match value {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    if let Some(name) = schema_ref_name(reference) {
                        found.insert(name);
                    } else if seen.insert(reference.to_owned())
                        && let Some(target) = reference
                            .strip_prefix('#')
                            .and_then(|pointer| spec.pointer(pointer))
                    {
                        walk(spec, target, seen, found);
                    }
                }
                for child in map.values() {
                    walk(spec, child, seen, found);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(spec, item, seen, found);
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(spec, value, &mut BTreeSet::new(), &mut found);
    found
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    /// A one-operation spec in upstream form: prose, a string `enum`, `additionalProperties:
    /// false`, a shared path parameter and responses behind `$ref`s.
    fn invitation_spec() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "Clerk Backend API", "version": "1", "description": "Old prose."},
            "paths": {
                "/organizations/{organization_id}/invitations": {
                    "parameters": [{"$ref": "#/components/parameters/OrganizationId"}],
                    "post": {
                        "operationId": "CreateOrganizationInvitation",
                        "summary": "Create an invitation",
                        "x-speakeasy-group": "organizationInvitations",
                        "tags": ["Organization Invitations"],
                        "requestBody": {
                            "required": true,
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "additionalProperties": false,
                                "required": ["email_address"],
                                "properties": {
                                    "email_address": {"type": "string", "description": "Who."},
                                    "role": {"type": "string"},
                                    "expires_in_days": {"type": "integer", "nullable": true}
                                }
                            }}}
                        },
                        "responses": {
                            "200": {"$ref": "#/components/responses/OrganizationInvitation"},
                            "400": {"$ref": "#/components/responses/ClerkErrors"}
                        }
                    }
                }
            },
            "components": {
                "parameters": {
                    "OrganizationId": {
                        "name": "organization_id", "in": "path", "required": true,
                        "schema": {"type": "string"}
                    }
                },
                "responses": {
                    "OrganizationInvitation": {
                        "description": "Success",
                        "content": {"application/json": {"schema":
                            {"$ref": "#/components/schemas/OrganizationInvitation"}}}
                    },
                    "ClerkErrors": {
                        "description": "Errors",
                        "content": {"application/json": {"schema":
                            {"$ref": "#/components/schemas/ClerkErrors"}}}
                    }
                },
                "schemas": {
                    "OrganizationInvitation": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["id", "status"],
                        "properties": {
                            "id": {"type": "string"},
                            "description": {"type": "string", "description": "A field, not prose."},
                            "status": {"type": "string", "enum": ["pending", "accepted", "revoked"]},
                            "public_metadata": {"type": "object", "additionalProperties": true},
                            "inviter": {"$ref": "#/components/schemas/User"}
                        }
                    },
                    "User": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "manager": {"$ref": "#/components/schemas/User"}
                        }
                    },
                    "ClerkErrors": {
                        "type": "object",
                        "properties": {"errors": {"type": "array", "items": {"type": "object"}}}
                    }
                }
            }
        })
    }

    /// `invitation_spec` plus one `Users` operation, for changes outside the flagged tag.
    fn spec_with_user_list() -> Value {
        let mut spec = invitation_spec();
        spec["paths"]["/users"] = json!({"get": {
            "operationId": "GetUserList",
            "tags": ["Users"],
            "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                {"name": "order_by", "in": "query",
                 "schema": {"type": "string", "enum": ["created_at", "updated_at"]}}
            ],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}
            }}}}
        }});
        spec
    }

    /// What the import makes of a spec: no prose or `x-*`, `additionalProperties: false` gone,
    /// string enums renamed to `x-clerk-known-values`.
    fn vendored_form(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let is_string = map.get("type") == Some(&json!("string"));
                map.iter()
                    .filter(|(key, value)| !dropped_by_import(key, value))
                    .map(|(key, value)| match key.as_str() {
                        "enum" if is_string => ("x-clerk-known-values".to_owned(), value.clone()),
                        "properties" => (key.clone(), vendored_properties(value)),
                        _ => (key.clone(), vendored_form(value)),
                    })
                    .collect()
            }
            Value::Array(items) => Value::Array(items.iter().map(vendored_form).collect()),
            other => other.clone(),
        }
    }

    /// The keys of `properties` are field names (Clerk has fields called `description`), so only
    /// their schemas are rewritten.
    fn vendored_properties(properties: &Value) -> Value {
        match properties {
            Value::Object(map) => map
                .iter()
                .map(|(name, schema)| (name.clone(), vendored_form(schema)))
                .collect(),
            other => other.clone(),
        }
    }

    fn dropped_by_import(key: &str, value: &Value) -> bool {
        let prose = matches!(key, "description" | "summary" | "example" | "examples");
        let closed_object = key == "additionalProperties" && *value == json!(false);
        prose || closed_object || key.starts_with("x-")
    }

    /// Every change as the report prints it, operations and schemas alike.
    fn change_lines(report: &Report) -> Vec<String> {
        let operation_changes = report.operations_changed.iter().flat_map(|o| &o.changes);
        let schema_changes = report.schemas_changed.iter().flat_map(|s| &s.changes);
        operation_changes
            .chain(schema_changes)
            .map(|change| format!("{}: {}", change.location, change.kind.describe()))
            .collect()
    }

    fn ids(operations: &[OperationDiff]) -> Vec<&str> {
        operations.iter().map(|o| o.id.as_str()).collect()
    }

    #[test]
    fn identical_specs_have_no_changes() {
        let spec = spec_with_user_list();
        let report = diff_specs(&spec, &spec);
        assert!(report.is_empty(), "{report:#?}");
    }

    #[test]
    fn vendored_form_and_prose_are_not_changes() {
        let upstream = spec_with_user_list();
        let mut vendored = vendored_form(&upstream);
        vendored["info"]["description"] = json!("Rewritten prose.");
        let report = diff_specs(&upstream, &vendored);
        assert!(report.is_empty(), "{report:#?}");
        assert!(diff_specs(&vendored, &upstream).is_empty());
    }

    #[test]
    fn operations_added_and_removed_are_listed_with_route_and_first_tag() {
        let old = invitation_spec();
        let new = spec_with_user_list();
        let added = diff_specs(&old, &new);
        assert_eq!(
            added.operations_added,
            vec![OperationDiff {
                id: "GetUserList".into(),
                method: "GET".into(),
                path: "/users".into(),
                tag: "Users".into(),
                touches_flagged_tag: false,
                changes: vec![],
            }]
        );
        let removed = diff_specs(&new, &old);
        assert_eq!(ids(&removed.operations_removed), ["GetUserList"]);
        assert!(removed.operations_added.is_empty() && removed.operations_changed.is_empty());
    }

    #[test]
    fn operation_without_id_is_keyed_by_route() {
        let old = invitation_spec();
        let mut new = invitation_spec();
        new["paths"]["/health"] = json!({"get": {"responses": {"200": {"description": "ok"}}}});
        let report = diff_specs(&old, &new);
        assert_eq!(ids(&report.operations_added), ["GET /health"]);
        assert_eq!(report.operations_added[0].tag, UNTAGGED);
    }

    #[test]
    fn moved_and_retagged_operations_are_changes() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        let operation = new["paths"]["/users"]["get"].take();
        new["paths"].as_object_mut().unwrap().remove("/users");
        new["paths"]["/v2/users"] = json!({"get": operation});
        new["paths"]["/v2/users"]["get"]["tags"] = json!(["Users", "Billing"]);
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            [
                "GetUserList: route changed GET /users -> GET /v2/users",
                "GetUserList: tags changed Users -> Users, Billing",
            ]
        );
    }

    #[test]
    fn parameter_changes() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        let parameters = &mut new["paths"]["/users"]["get"]["parameters"];
        parameters[0]["required"] = json!(true);
        parameters[0]["schema"] = json!({"type": "integer", "format": "int64"});
        parameters[1]["schema"]["enum"] = json!(["created_at", "updated_at", "email_address"]);
        parameters[1]["explode"] = json!(false);
        parameters
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "offset", "in": "query", "schema": {"type": "integer"}}));
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            [
                "GetUserList query parameter limit: now required",
                "GetUserList query parameter limit: retyped integer -> integer(int64)",
                "GetUserList query parameter offset: parameter added (integer)",
                "GetUserList query parameter order_by: explode changed default -> false",
                "GetUserList query parameter order_by: enum values added: email_address",
            ]
        );
        assert_eq!(
            change_lines(&diff_specs(&new, &old)),
            [
                "GetUserList query parameter limit: no longer required",
                "GetUserList query parameter limit: retyped integer(int64) -> integer",
                "GetUserList query parameter offset: parameter removed (integer)",
                "GetUserList query parameter order_by: explode changed false -> default",
                "GetUserList query parameter order_by: enum values removed: email_address",
            ]
        );
    }

    #[test]
    fn request_body_property_changes_are_located_inside_the_operation() {
        let old = invitation_spec();
        let mut new = invitation_spec();
        let body = &mut new["paths"]["/organizations/{organization_id}/invitations"]["post"]["requestBody"]
            ["content"]["application/json"]["schema"];
        body["required"] = json!(["email_address", "role"]);
        body["properties"]["expires_in_days"] = json!({"type": "integer"});
        body["properties"]["email_address"] = json!({"type": "array", "items": {"type": "string"}});
        body["properties"]["redirect_url"] = json!({"type": "string", "nullable": true});
        let report = diff_specs(&old, &new);
        assert_eq!(
            change_lines(&report),
            [
                "CreateOrganizationInvitation request body .email_address: \
                 retyped string -> array of string",
                "CreateOrganizationInvitation request body .expires_in_days: no longer nullable",
                "CreateOrganizationInvitation request body .redirect_url: \
                 property added (string, nullable)",
                "CreateOrganizationInvitation request body .role: now required",
            ]
        );
        assert!(report.operations_changed[0].touches_flagged_tag);
    }

    #[test]
    fn request_body_added_removed_and_required() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        new["paths"]["/users"]["get"]["requestBody"] = json!({"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/User"}}}});
        let invitation = &mut new["paths"]["/organizations/{organization_id}/invitations"]["post"];
        invitation["requestBody"]["required"] = json!(false);
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            [
                "CreateOrganizationInvitation request body: no longer required",
                "GetUserList request body: request body added (User)",
            ]
        );
    }

    #[test]
    fn response_status_and_schema_changes() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        let responses = &mut new["paths"]["/users"]["get"]["responses"];
        responses["200"]["content"]["application/json"]["schema"]["items"] =
            json!({"$ref": "#/components/schemas/Member"});
        responses["404"] = json!({"$ref": "#/components/responses/ClerkErrors"});
        let invitation = &mut new["paths"]["/organizations/{organization_id}/invitations"]["post"];
        invitation["responses"]
            .as_object_mut()
            .unwrap()
            .remove("400");
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            [
                "CreateOrganizationInvitation response 400: response removed (ClerkErrors)",
                "GetUserList response 200 []: retyped User -> Member",
                "GetUserList response 404: response added (ClerkErrors)",
            ]
        );
    }

    #[test]
    fn change_inside_a_referenced_response_component_is_an_operation_change() {
        let old = invitation_spec();
        let mut new = invitation_spec();
        new["components"]["responses"]["ClerkErrors"]["content"]["application/json"]["schema"] =
            json!({"type": "object"});
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            ["CreateOrganizationInvitation response 400: retyped ClerkErrors -> object"]
        );
    }

    #[test]
    fn component_schema_changes_with_users_and_flag() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        let schemas = &mut new["components"]["schemas"];
        let status = &mut schemas["OrganizationInvitation"]["properties"]["status"];
        status["x-clerk-known-values"] = json!(["pending", "accepted", "expired"]);
        status.as_object_mut().unwrap().remove("enum");
        schemas["OrganizationInvitation"]["required"] = json!(["id"]);
        schemas["User"]["properties"]["manager"]["nullable"] = json!(true);
        schemas["User"]["properties"]["banned"] = json!({"type": "boolean"});
        schemas["User"]["required"] = json!(["id"]);
        schemas["ClerkErrors"]["properties"]["errors"]["items"] =
            json!({"$ref": "#/components/schemas/ClerkError"});
        schemas["ClerkError"] =
            json!({"type": "object", "properties": {"code": {"type": "string"}}});
        let report = diff_specs(&old, &new);
        assert_eq!(
            change_lines(&report),
            [
                "ClerkErrors .errors[]: retyped object -> ClerkError",
                "OrganizationInvitation .status: no longer required",
                "OrganizationInvitation .status: enum values added: expired",
                "OrganizationInvitation .status: enum values removed: revoked",
                "User .banned: property added (boolean)",
                "User .id: now required",
                "User .manager: now nullable",
            ]
        );
        let flagged_and_users = |list: &[SchemaDiff]| -> Vec<(String, bool, Vec<String>)> {
            list.iter()
                .map(|s| (s.name.clone(), s.touches_flagged_tag, s.used_by.clone()))
                .collect()
        };
        let invitation = || vec!["CreateOrganizationInvitation".to_owned()];
        let both = || {
            vec![
                "CreateOrganizationInvitation".to_owned(),
                "GetUserList".to_owned(),
            ]
        };
        assert_eq!(
            flagged_and_users(&report.schemas_added),
            [("ClerkError".to_owned(), true, invitation())]
        );
        // User is reached from the invitation through OrganizationInvitation.inviter.
        assert_eq!(
            flagged_and_users(&report.schemas_changed),
            [
                ("ClerkErrors".to_owned(), true, invitation()),
                ("OrganizationInvitation".to_owned(), true, invitation()),
                ("User".to_owned(), true, both()),
            ]
        );
        let removed = diff_specs(&new, &old);
        assert_eq!(
            flagged_and_users(&removed.schemas_removed),
            [("ClerkError".to_owned(), true, invitation())]
        );
    }

    #[test]
    fn schemas_unreachable_from_the_flagged_tag_are_not_flagged() {
        let old = spec_with_user_list();
        let mut new = spec_with_user_list();
        new["components"]["schemas"]["Unused"] = json!({"type": "string"});
        let report = diff_specs(&old, &new);
        assert_eq!(report.schemas_added.len(), 1);
        assert!(!report.schemas_added[0].touches_flagged_tag);
        assert!(report.schemas_added[0].used_by.is_empty());
    }

    #[test]
    fn nullable_ref_wrapper_is_only_a_nullable_change() {
        let old = invitation_spec();
        let mut new = invitation_spec();
        new["components"]["schemas"]["OrganizationInvitation"]["properties"]["inviter"] =
            json!({"allOf": [{"$ref": "#/components/schemas/User"}], "nullable": true});
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            ["OrganizationInvitation .inviter: now nullable"]
        );
    }

    #[test]
    fn map_values_and_alternatives() {
        let mut old = invitation_spec();
        let mut new = invitation_spec();
        fn schemas(spec: &mut Value) -> &mut Value {
            &mut spec["components"]["schemas"]
        }
        schemas(&mut old)["Labels"] =
            json!({"type": "object", "additionalProperties": {"type": "string"}});
        schemas(&mut new)["Labels"] =
            json!({"type": "object", "additionalProperties": {"type": "integer"}});
        schemas(&mut old)["Actor"] = json!({"oneOf": [
            {"$ref": "#/components/schemas/User"},
            {"$ref": "#/components/schemas/ClerkErrors"}
        ]});
        schemas(&mut new)["Actor"] = json!({"oneOf": [
            {"$ref": "#/components/schemas/OrganizationInvitation"},
            {"$ref": "#/components/schemas/User"}
        ]});
        schemas(&mut old)["Mixed"] = json!({"anyOf": [{"type": "string"}]});
        schemas(&mut new)["Mixed"] = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(
            change_lines(&diff_specs(&old, &new)),
            [
                "Actor: oneOf variant added (OrganizationInvitation)",
                "Actor: oneOf variant removed (ClerkErrors)",
                "Labels {}: retyped string -> integer",
                "Mixed <anyOf 1>: anyOf variant added (integer)",
            ]
        );
    }

    #[test]
    fn recursive_schemas_terminate() {
        let mut old = invitation_spec();
        old["components"]["schemas"]["A"] =
            json!({"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}});
        old["components"]["schemas"]["B"] =
            json!({"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}});
        old["components"]["schemas"]["User"]["properties"]["a"] =
            json!({"$ref": "#/components/schemas/A"});
        let mut new = old.clone();
        new["components"]["schemas"]["B"]["properties"]["a"] =
            json!({"$ref": "#/components/schemas/User"});
        let report = diff_specs(&old, &new);
        assert_eq!(change_lines(&report), ["B .a: retyped A -> User"]);
        assert!(report.schemas_changed[0].touches_flagged_tag);
    }

    #[test]
    fn rendered_report_of_a_small_pair() {
        let old = spec_with_user_list();
        let mut new = vendored_form(&spec_with_user_list());
        new["info"]["version"] = json!("2");
        let body = &mut new["paths"]["/organizations/{organization_id}/invitations"]["post"]["requestBody"]
            ["content"]["application/json"]["schema"];
        body["properties"]["expires_in_days"]["nullable"] = json!(false);
        body["properties"]["inviter_user_id"] = json!({"type": "string"});
        let status = &mut new["components"]["schemas"]["OrganizationInvitation"]["properties"]["status"]
            ["x-clerk-known-values"];
        status.as_array_mut().unwrap().push(json!("expired"));
        new["paths"]["/users/{user_id}"] = json!({"delete": {
            "operationId": "DeleteUser", "tags": ["Users"],
            "parameters": [{"name": "user_id", "in": "path", "required": true,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"content": {"application/json": {"schema":
                {"$ref": "#/components/schemas/DeletedObject"}}}}}
        }});
        new["components"]["schemas"]["DeletedObject"] =
            json!({"type": "object", "properties": {"deleted": {"type": "boolean"}}});
        new["paths"]["/users"]["get"]["parameters"][0]["required"] = json!(true);
        insta::with_settings!({
            snapshot_path => "../tests/snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!("spec_diff_small_pair", diff_specs(&old, &new).render());
        });
    }

    fn shared_spec(file: &str) -> Option<Value> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/clerk-openapi/bapi")
            .join(file);
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return None;
        }
        Some(spec_file::load(&path).expect("shared spec parses"))
    }

    #[test]
    fn real_specs_2025_11_10_to_2026_05_12() {
        let (Some(old), Some(new)) = (shared_spec("2025-11-10.yml"), shared_spec("2026-05-12.yml"))
        else {
            return;
        };
        let report = diff_specs(&old, &new);
        assert_eq!(
            ids(&report.operations_added),
            [
                "CreateDirectoryGroupRoleMapping",
                "CreateSCIMGroupRoleMapping",
                "DeleteDirectoryGroupRoleMapping",
                "DeleteSCIMGroupRoleMapping",
                "ListDirectoryGroupRoleMappings",
                "ListSCIMGroupRoleMappings",
                "ReplaceDirectoryGroupRoleMappings",
                "ReplaceSCIMGroupRoleMappings",
                "RotateDirectoryAPIKey",
                "RotateSCIMDirectoryAPIKey",
            ]
        );
        assert!(report.operations_removed.is_empty());
        // Not noise: 2026-05-12 really drops the deprecated metadata fields from these two
        // request bodies (the API now rejects them; the metadata endpoints replace them).
        assert_eq!(
            change_lines(&report),
            [
                "UpdateOrganization request body .private_metadata: \
                 property removed (object, nullable)",
                "UpdateOrganization request body .public_metadata: \
                 property removed (object, nullable)",
                "UpdateUser request body .private_metadata: property removed (object, nullable)",
                "UpdateUser request body .public_metadata: property removed (object, nullable)",
                "UpdateUser request body .unsafe_metadata: property removed (object, nullable)",
            ]
        );
        let names = |list: &[SchemaDiff]| list.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&report.schemas_added),
            [
                "DirectoryGroupRoleMapping",
                "DirectoryGroupRoleMappings",
                "SCIMGroupRoleMapping",
                "SCIMGroupRoleMappings",
            ]
        );
        assert!(report.schemas_removed.is_empty() && report.schemas_changed.is_empty());
        assert!(!report.render().contains('⚠'));
    }

    #[test]
    fn real_spec_against_its_vendored_form_has_no_changes() {
        let Some(upstream) = shared_spec("2026-05-12.yml") else {
            return;
        };
        let report = diff_specs(&upstream, &vendored_form(&upstream));
        assert!(report.is_empty(), "{}", report.render());
    }
}
