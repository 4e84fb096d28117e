//! Which operations reach which component schemas, for the report's "used by" and its flag.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::operations::Operation;
use super::schemas::{component_schemas, schema_ref_name};
use crate::openapi::{for_each_ref, ref_target};

/// Which operations reach which component schemas through `$ref`s, transitively.
pub(super) struct SchemaUsage {
    operations_by_schema: BTreeMap<String, BTreeSet<String>>,
    reached_from_flagged_tag: BTreeSet<String>,
}

impl SchemaUsage {
    pub(super) fn new(spec: &Value, operations: &BTreeMap<String, Operation>) -> Self {
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

    pub(super) fn operations_using(&self, schema: &str) -> Vec<String> {
        self.operations_by_schema
            .get(schema)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(super) fn reached_from_flagged_tag(&self, schema: &str) -> bool {
        self.reached_from_flagged_tag.contains(schema)
    }
}

/// Component schema names referenced inside `value`, following references to other components
/// (parameters, responses, request bodies) since those only stand in for their content.
fn schema_refs(spec: &Value, value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // Non-schema references already followed, as component responses may refer to each other.
    let mut seen = BTreeSet::new();
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        for_each_ref(value, &mut |reference| {
            if let Some(name) = schema_ref_name(reference) {
                found.insert(name);
            } else if seen.insert(reference)
                && let Some(target) = ref_target(spec, reference)
            {
                pending.push(target);
            }
        });
    }
    found
}
