//! `cargo xtask spec import`: turn Clerk's upstream spec into the vendored `spec/clerk-bapi.json`,
//! or its webhooks spec into `spec/clerk-webhooks.json`.
//!
//! The two are told apart by content, not by a flag: only the webhooks spec has `x-webhooks`
//! (OpenAPI 3.0 has no `webhooks`), so the same command and the same CI step shape serve both and
//! a file cannot be imported as the wrong kind. Its events' payload schemas are lifted into
//! components first (see [`transforms::lift_webhook_events`]); after that both go through the
//! same prose stripping and the same schema-level transforms.
//!
//! The vendored file keeps the structure of the API and none of its prose, then goes through the
//! named [`transforms`](crate::transforms) that make it generate into Rust that compiles and that
//! keeps working when Clerk adds fields or enum values. Next to it, `spec/clerk-bapi.meta.json`
//! records where it came from and what each transform changed, so a reviewer sees both in a diff.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use similar::TextDiff;

use crate::openapi::{WEBHOOK_EVENTS, for_each_node};
use crate::spec_file;
use crate::transforms::{self, TransformReport};

/// Where the vendored spec lives, relative to the workspace root.
pub const VENDORED_SPEC: &str = "spec/clerk-bapi.json";
/// Where its provenance and transform log live.
pub const VENDORED_META: &str = "spec/clerk-bapi.meta.json";
/// The vendored webhooks spec, and its provenance and transform log.
pub const VENDORED_WEBHOOKS_SPEC: &str = "spec/clerk-webhooks.json";
pub const VENDORED_WEBHOOKS_META: &str = "spec/clerk-webhooks.meta.json";

/// Which of Clerk's two specs a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecKind {
    /// The Backend API: operations under `paths`.
    Bapi,
    /// The webhook events: `x-webhooks` upstream, [`WEBHOOK_EVENTS`] once vendored.
    Webhooks,
}

impl SpecKind {
    /// Tells the specs apart by content, in upstream or vendored form.
    pub fn of(spec: &Value) -> Self {
        if spec.get(transforms::UPSTREAM_WEBHOOKS).is_some() || spec.get(WEBHOOK_EVENTS).is_some() {
            SpecKind::Webhooks
        } else {
            SpecKind::Bapi
        }
    }

    /// The vendored spec and metadata files, relative to the workspace root.
    pub fn vendored(self) -> (&'static str, &'static str) {
        match self {
            SpecKind::Bapi => (VENDORED_SPEC, VENDORED_META),
            SpecKind::Webhooks => (VENDORED_WEBHOOKS_SPEC, VENDORED_WEBHOOKS_META),
        }
    }
}

/// What an import produces: the two files' contents, and which spec it was.
pub struct Imported {
    pub kind: SpecKind,
    pub spec: String,
    pub meta: String,
    pub reports: Vec<TransformReport>,
}

pub fn run(file: &Path, check: bool) -> Result<()> {
    let upstream_bytes =
        std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let imported = import(&upstream_bytes, file)?;
    let root = spec_file::workspace_root();
    let (spec_path, meta_path) = imported.kind.vendored();
    let outputs = [
        (root.join(spec_path), &imported.spec),
        (root.join(meta_path), &imported.meta),
    ];

    if check {
        let mut stale = false;
        for (path, wanted) in &outputs {
            let current = std::fs::read_to_string(path).unwrap_or_default();
            if current != **wanted {
                stale = true;
                let shown = path
                    .strip_prefix(&root)
                    .unwrap_or(path)
                    .display()
                    .to_string();
                print!(
                    "{}",
                    TextDiff::from_lines(current.as_str(), wanted.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(&format!("a/{shown}"), &format!("b/{shown}"))
                );
            }
        }
        if stale {
            bail!(
                "spec/ is not what the import of {} yields: run `cargo xtask spec import {}` and commit",
                file.display(),
                file.display()
            );
        }
        println!("spec/ is up to date with {}", file.display());
        return Ok(());
    }

    for report in &imported.reports {
        println!("{report}");
    }
    for (path, contents) in &outputs {
        std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Imports an upstream spec given as bytes; `source` only names the file in the metadata.
pub fn import(upstream_bytes: &[u8], source: &Path) -> Result<Imported> {
    let text = std::str::from_utf8(upstream_bytes).context("the spec is not UTF-8")?;
    let mut spec = spec_file::parse(text)?;
    let version = spec
        .pointer("/info/version")
        .and_then(Value::as_str)
        .context("the spec has no info.version")?
        .to_owned();

    let kind = SpecKind::of(&spec);
    let mut reports = Vec::new();
    let steps = match kind {
        SpecKind::Bapi => {
            strip_prose(&mut spec);
            transforms::BAPI
        }
        SpecKind::Webhooks => {
            let lifted = transforms::lift_webhook_events(&mut spec)?;
            reports.push(lifted.report);
            // Before prose stripping: it reads the examples, which are prose to the import.
            reports.push(transforms::relax_required_by_examples(
                &mut spec,
                &lifted.examples,
            )?);
            strip_prose(&mut spec);
            // Our own extension, added once the upstream ones are gone.
            spec[WEBHOOK_EVENTS] = Value::Object(lifted.index);
            transforms::WEBHOOKS
        }
    };
    reports.extend(transforms::apply_all(&mut spec, steps)?);

    let meta = json!({
        "upstream": {
            "file": source.file_name().map(|name| name.to_string_lossy().into_owned()),
            "api_version": version,
            "sha256": hex(&Sha256::digest(upstream_bytes)),
        },
        "transforms": reports.iter().map(TransformReport::to_json).collect::<Vec<_>>(),
    });
    Ok(Imported {
        kind,
        spec: spec_file::to_canonical_json(&spec),
        meta: spec_file::to_canonical_json(&meta),
        reports,
    })
}

/// Keys that only carry documentation. Everything else is structure and is kept.
fn is_prose(key: &str) -> bool {
    matches!(
        key,
        "description" | "summary" | "example" | "examples" | "externalDocs" | "termsOfService"
    ) || key.starts_with("x-")
}

/// Drops the prose at every level, and reduces `info` to its title and version.
///
/// OpenAPI requires a `description` on every response object, so those become empty strings:
/// the document stays valid for parsers such as `openapiv3` and still carries no prose.
pub fn strip_prose(spec: &mut Value) {
    for_each_node(spec, &mut |node| node.retain(|key, _| !is_prose(key)));
    if let Some(info) = spec.get_mut("info").and_then(Value::as_object_mut) {
        info.retain(|key, _| key == "title" || key == "version");
    }
    if let Some(responses) = spec.pointer_mut("/components/responses") {
        describe_responses_emptily(responses);
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in item.values_mut() {
                if let Some(responses) = operation.get_mut("responses") {
                    describe_responses_emptily(responses);
                }
            }
        }
    }
}

fn describe_responses_emptily(responses: &mut Value) {
    let responses = responses
        .as_object_mut()
        .into_iter()
        .flat_map(|map| map.values_mut());
    for response in responses.filter_map(Value::as_object_mut) {
        if !response.contains_key("$ref") {
            response.insert("description".into(), json!(""));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openapi::KNOWN_VALUES;

    #[test]
    fn prose_is_dropped_but_properties_named_like_prose_are_kept() {
        let mut spec = json!({
            "info": {"title": "T", "version": "1", "description": "long text", "contact": {}},
            "paths": {"/a": {"get": {
                "operationId": "A", "summary": "s", "description": "d", "x-speakeasy-name": "n",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "example": {"description": "kept?"},
                        "properties": {"description": {"type": "string", "description": "p"}}}
                }}}}
            }}},
        });
        strip_prose(&mut spec);
        assert_eq!(
            spec,
            json!({
                "info": {"title": "T", "version": "1"},
                "paths": {"/a": {"get": {
                    "operationId": "A",
                    "responses": {"200": {"description": "", "content": {"application/json": {
                        "schema": {"type": "object",
                            "properties": {"description": {"type": "string"}}}
                    }}}}
                }}},
            })
        );
    }

    #[test]
    fn enum_and_default_values_are_data_and_left_alone() {
        let mut spec = json!({"components": {"schemas": {"S": {
            "type": "object", "default": {"description": "data"}, "enum": [{"summary": 1}]
        }}}});
        let before = spec.clone();
        strip_prose(&mut spec);
        assert_eq!(spec, before);
    }

    #[test]
    fn import_records_version_hash_and_transforms() {
        let upstream = br#"{"openapi": "3.0.3", "info": {"title": "T", "version": "2026-05-12"},
            "paths": {}, "components": {"schemas": {"ClerkErrors": {"type": "object"}},
            "responses": {"ClerkErrors": {"content": {}}}}}"#;
        let imported = import(upstream, Path::new("x.json")).unwrap();
        let meta: Value = serde_json::from_str(&imported.meta).unwrap();
        assert_eq!(meta["upstream"]["api_version"], "2026-05-12");
        assert_eq!(
            meta["upstream"]["sha256"].as_str().unwrap(),
            hex(&Sha256::digest(upstream))
        );
        assert_eq!(
            meta["transforms"].as_array().unwrap().len(),
            transforms::BAPI.len()
        );
        assert!(imported.spec.ends_with("}\n"));
    }

    /// clerk-bapi-sys decodes Clerk's examples of the invitation and membership events from
    /// fixtures, since the vendored spec keeps no examples; they must stay Clerk's examples.
    #[test]
    fn the_event_fixtures_of_clerk_bapi_sys_are_the_upstream_examples() {
        let upstream =
            spec_file::workspace_root().join("../shared/clerk-openapi/webhooks/2025-04-15.yml");
        if !upstream.exists() {
            eprintln!("skipped: {} is absent", upstream.display());
            return;
        }
        let mut spec = spec_file::load(&upstream).unwrap();
        let lifted = transforms::lift_webhook_events(&mut spec).unwrap();
        let fixtures =
            spec_file::workspace_root().join("clerk-bapi-sys/tests/fixtures/webhook_events");
        let mut checked = 0;
        for entry in std::fs::read_dir(&fixtures).unwrap() {
            let path = entry.unwrap().path();
            let event = path.file_stem().unwrap().to_str().unwrap();
            let fixture = spec_file::load(&path).unwrap();
            assert!(
                lifted
                    .examples
                    .iter()
                    .any(|(e, example)| e == event && *example == fixture),
                "{} is not the upstream example of {event}",
                path.display()
            );
            checked += 1;
        }
        assert_eq!(checked, 6);
    }

    #[test]
    fn a_webhooks_spec_is_recognised_and_keeps_an_index_of_its_events() {
        let upstream = br#"{"openapi": "3.0.3", "info": {"title": "W", "version": "v1"},
            "x-webhooks": {"user.created": {"post": {"description": "d", "requestBody": {
                "content": {"application/json": {"schema": {"type": "object",
                    "additionalProperties": false, "description": "p",
                    "properties": {"status": {"type": "string", "enum": ["a"]}}},
                "example": {"status": "a"}}}}}}},
            "components": {"schemas": {}, "examples": {"E": {"value": 1}}}}"#;
        let imported = import(upstream, Path::new("w.yml")).unwrap();
        assert_eq!(imported.kind, SpecKind::Webhooks);
        let spec: Value = serde_json::from_str(&imported.spec).unwrap();
        assert_eq!(
            spec,
            json!({"openapi": "3.0.3", "info": {"title": "W", "version": "v1"},
                WEBHOOK_EVENTS: {"user.created": {"$ref": "#/components/schemas/UserCreatedEvent"}},
                "components": {"schemas": {"UserCreatedEvent": {"type": "object",
                    "properties": {"status": {"type": "string", KNOWN_VALUES: ["a"]}}}}}})
        );
        assert_eq!(SpecKind::of(&spec), SpecKind::Webhooks);
        let meta: Value = serde_json::from_str(&imported.meta).unwrap();
        let names: Vec<&str> = meta["transforms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names[0], "lift_webhook_events");
        assert_eq!(names.len(), 2 + transforms::WEBHOOKS.len());
    }
}
