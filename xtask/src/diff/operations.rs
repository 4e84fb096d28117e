//! Operations: their routes, tags, parameters, request bodies and responses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::report::{Change, ChangeKind, OperationDiff, added_or_removed};
use super::schemas::{compare_schemas, describe, describe_with_nullable};
use super::{FLAGGED_TAG, UNTAGGED};

/// What a webhooks spec's events are grouped under.
const WEBHOOK_EVENTS_TAG: &str = "Webhook events";
/// Events flagged like the Organization Invitations tag, as `clerk-orgs` types their payloads.
const FLAGGED_EVENT_PREFIXES: &[&str] = &["organizationInvitation.", "organizationMembership."];
use crate::openapi;

const JSON_MEDIA_TYPE: &str = "application/json";
/// How many `$ref` hops to follow for parameters, request bodies and responses before giving up,
/// so a cyclic reference in a broken spec cannot hang the report.
const MAX_REF_HOPS: usize = 8;

/// One operation of a spec, with the path-level parameters it inherits.
pub(super) struct Operation<'a> {
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) tags: Vec<&'a str>,
    pub(super) path_parameters: &'a [Value],
    pub(super) body: &'a Value,
}

impl Operation<'_> {
    pub(super) fn has_flagged_tag(&self) -> bool {
        self.tags.contains(&FLAGGED_TAG)
    }

    fn route(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }

    pub(super) fn to_diff(&self, id: &str, changes: Vec<Change>) -> OperationDiff {
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
///
/// A webhooks spec's events count as operations too, keyed by event type, with the method
/// `EVENT`, their payload schema as the path and that schema's `$ref` as the body: the rest of
/// the diff then reports added and removed events, and names the events reaching a changed
/// schema, as it does for operations. Their payload schemas are compared as component schemas.
pub(super) fn operations(spec: &Value) -> BTreeMap<String, Operation<'_>> {
    let mut operations = BTreeMap::new();
    let events = spec
        .get(openapi::WEBHOOK_EVENTS)
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (event, reference) in events {
        let schema = openapi::ref_of(reference).unwrap_or_default();
        let mut tags = vec![WEBHOOK_EVENTS_TAG];
        // The events clerk-orgs decodes into its own types.
        if FLAGGED_EVENT_PREFIXES.iter().any(|p| event.starts_with(p)) {
            tags.push(FLAGGED_TAG);
        }
        let operation = Operation {
            method: "event",
            path: schema
                .strip_prefix("#/components/schemas/")
                .unwrap_or(schema),
            tags,
            path_parameters: &[],
            body: reference,
        };
        operations.insert(event.clone(), operation);
    }
    for found in openapi::operations(spec) {
        let body = found.operation;
        let operation = Operation {
            method: found.method,
            path: found.path,
            tags: body
                .get("tags")
                .and_then(Value::as_array)
                .map(|tags| tags.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            path_parameters: found
                .item
                .get("parameters")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice),
            body,
        };
        let id = body
            .get("operationId")
            .and_then(Value::as_str)
            .map_or_else(|| operation.route(), str::to_owned);
        operations.insert(id, operation);
    }
    operations
}

/// Follows a local `$ref` to a parameter, request body or response; schemas are never passed here
/// because they are compared by name.
pub(super) fn resolve<'a>(spec: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        let Some(target) =
            openapi::ref_of(value).and_then(|reference| openapi::ref_target(spec, reference))
        else {
            break;
        };
        value = target;
    }
    value
}

pub(super) fn compare_operations(
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
        let both = (old.get(key).copied(), new.get(key).copied());
        let Some((old, new)) =
            added_or_removed(changes, &location, "parameter", both, describe_parameter)
        else {
            continue;
        };
        compare_required(changes, &location, old, new);
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

/// The `required` flag of a parameter or request body (properties keep theirs in a list).
fn compare_required(changes: &mut Vec<Change>, location: &str, old: &Value, new: &Value) {
    if is_required(old) != is_required(new) {
        changes.push(Change {
            location: location.to_owned(),
            kind: ChangeKind::RequiredChanged {
                now_required: is_required(new),
            },
        });
    }
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
    let both = (old, new);
    let Some((old, new)) =
        added_or_removed(changes, &location, "request body", both, describe_content)
    else {
        return;
    };
    compare_required(changes, &location, old, new);
    compare_contents(changes, &location, old, new);
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
        let both = (old.get(status).copied(), new.get(status).copied());
        if let Some((old, new)) =
            added_or_removed(changes, &location, "response", both, describe_content)
        {
            compare_contents(changes, &location, old, new);
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
        let both = (old.get(media_type).copied(), new.get(media_type).copied());
        let detail = |schema: &Value| format!("{media_type}: {}", describe(schema));
        if let Some((old, new)) = added_or_removed(changes, location, "media type", both, detail) {
            let scope = if *media_type == JSON_MEDIA_TYPE {
                location.to_owned()
            } else {
                format!("{location} ({media_type})")
            };
            compare_schemas(changes, &scope, "", old, new);
        }
    }
}
