//! `cargo xtask spec diff OLD NEW`: what a reviewer needs to know about a new Clerk spec before
//! accepting it, i.e. its structural changes only.
//!
//! Both inputs may be Clerk's upstream YAML or our vendored JSON (`spec/clerk-bapi.json`, or
//! `spec/clerk-webhooks.json` and its upstream, whose events are compared as operations with
//! method `EVENT` and whose payloads as component schemas), so the
//! comparison only reads structural keywords and treats the vendored rewrites as equivalent to the
//! upstream originals: prose and `x-*` keys are never read, `x-clerk-known-values` is compared as
//! `enum`, and a boolean `additionalProperties` is ignored (the import drops `false`, and `true` is
//! what an absent one means). Component schemas are compared by name through `$ref`, never by
//! following them, so a retargeted `$ref` shows up as a retype and recursive schemas cannot loop.
//! Parameters, request bodies and responses stored under `components` are followed, because there
//! they are only an indirection and a change inside them is a change of the operation.
//!
//! `operations` and `schemas` compare, `usage` finds which operations reach a schema, and `report`
//! renders what they found.

mod operations;
mod report;
mod schemas;
mod usage;

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::import::SpecKind;
use crate::openapi::WEBHOOK_EVENTS;
use crate::{spec_file, transforms};
use operations::{compare_operations, operations};
use report::{Report, SchemaDiff};
use schemas::{compare_schemas, component_schemas};
use usage::SchemaUsage;

/// The tag the wrapper crate is built around, so any change touching it needs a closer look.
const FLAGGED_TAG: &str = "Organization Invitations";
const UNTAGGED: &str = "(untagged)";

pub fn run(old: &Path, new: &Path) -> Result<()> {
    let old_spec = vendored_shape(spec_file::load(old)?)?;
    let new_spec = vendored_shape(spec_file::load(new)?)?;
    if SpecKind::of(&old_spec) != SpecKind::of(&new_spec) {
        bail!("one file is a webhooks spec and the other is not");
    }
    println!("Comparing {} with {}", old.display(), new.display());
    print!("{}", diff_specs(&old_spec, &new_spec).render());
    Ok(())
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

/// An upstream webhooks spec with its events lifted into components as the import does (required
/// properties relaxed by the examples included), so it compares with a vendored one and with
/// another upstream one alike; every other spec is compared as it is.
pub fn vendored_shape(mut spec: Value) -> Result<Value> {
    if spec.get(transforms::UPSTREAM_WEBHOOKS).is_none() {
        return Ok(spec);
    }
    let lifted = transforms::lift_webhook_events(&mut spec)?;
    transforms::relax_required_by_examples(&mut spec, &lifted.examples)?;
    spec[WEBHOOK_EVENTS] = Value::Object(lifted.index);
    Ok(spec)
}

fn info_version(spec: &Value) -> Option<String> {
    spec.pointer("/info/version")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests;
