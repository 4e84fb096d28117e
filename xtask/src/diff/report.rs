//! The report's data and its rendering as text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::FLAGGED_TAG;

/// How many operations to name after a component schema before summarising the rest as a count.
const MAX_USED_BY_SHOWN: usize = 6;
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

/// Records the addition or removal of `what` at `location` when only one side has it, described by
/// `detail`; hands back both sides when both have it, for the caller to compare inside.
pub(super) fn added_or_removed<'v>(
    changes: &mut Vec<Change>,
    location: &str,
    what: &'static str,
    (old, new): (Option<&'v Value>, Option<&'v Value>),
    detail: impl Fn(&Value) -> String,
) -> Option<(&'v Value, &'v Value)> {
    match (old, new) {
        (Some(old), Some(new)) => return Some((old, new)),
        (None, Some(added)) => {
            changes.push(Change::added(location.to_owned(), what, detail(added)))
        }
        (Some(removed), None) => {
            changes.push(Change::removed(location.to_owned(), what, detail(removed)))
        }
        (None, None) => {}
    }
    None
}

impl Change {
    pub(super) fn added(location: String, what: &'static str, detail: String) -> Self {
        Change {
            location,
            kind: ChangeKind::Added { what, detail },
        }
    }

    pub(super) fn removed(location: String, what: &'static str, detail: String) -> Self {
        Change {
            location,
            kind: ChangeKind::Removed { what, detail },
        }
    }
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

    /// The operation lists with the sign each is rendered under.
    fn operation_lists(&self) -> [(char, &Vec<OperationDiff>); 3] {
        [
            ('+', &self.operations_added),
            ('-', &self.operations_removed),
            ('~', &self.operations_changed),
        ]
    }

    /// The schema lists with the sign each is rendered under.
    fn schema_lists(&self) -> [(char, &Vec<SchemaDiff>); 3] {
        [
            ('+', &self.schemas_added),
            ('-', &self.schemas_removed),
            ('~', &self.schemas_changed),
        ]
    }

    fn render_flagged(&self, out: &mut String) {
        let mut lines = Vec::new();
        for (sign, operations) in self.operation_lists() {
            for operation in operations.iter().filter(|o| o.touches_flagged_tag) {
                // A webhooks spec's events are compared as operations with the method EVENT.
                let what = if operation.method == "EVENT" {
                    "event"
                } else {
                    "operation"
                };
                lines.push(format!(
                    "  {sign} {what} {}  {} {}",
                    operation.id, operation.method, operation.path
                ));
            }
        }
        for (sign, schemas) in self.schema_lists() {
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
        for (sign, operations) in self.operation_lists() {
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
        for (sign, schemas) in self.schema_lists() {
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
    pub(super) fn describe(&self) -> String {
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
