//! The comparison end to end, on small specs built in place and on the real ones when present.

use std::path::PathBuf;

use serde_json::json;

use super::report::OperationDiff;
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
    schemas["ClerkError"] = json!({"type": "object", "properties": {"code": {"type": "string"}}});
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
        snapshot_path => "../../tests/snapshots",
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

/// A webhooks spec in upstream form with one event per name, each a payload referring to `Item`.
fn webhooks_spec(events: &[&str]) -> Value {
    let mut webhooks = serde_json::Map::new();
    for event in events {
        webhooks.insert(
            (*event).to_owned(),
            json!({"post": {"description": "prose", "requestBody": {"content": {
                "application/json": {"schema": {"type": "object", "required": ["data"],
                    "properties": {"data": {"$ref": "#/components/schemas/Item"}}},
                "example": {"data": {"id": "x"}}}}}}}),
        );
    }
    json!({"openapi": "3.0.3", "info": {"title": "W", "version": "v1"}, "x-webhooks": webhooks,
        "components": {"schemas": {"Item": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": "string"}}}}}})
}

#[test]
fn webhook_events_compare_as_operations_and_their_payloads_as_schemas() {
    let upstream = webhooks_spec(&["organizationInvitation.created", "sms.created"]);
    let old = vendored_shape(upstream.clone()).unwrap();
    // The vendored file, as the import writes it, compares equal to its upstream.
    let imported = crate::import::import(
        serde_json::to_string(&upstream).unwrap().as_bytes(),
        std::path::Path::new("w.json"),
    )
    .unwrap();
    let vendored: Value = serde_json::from_str(&imported.spec).unwrap();
    assert!(diff_specs(&old, &vendored).is_empty());

    let mut upstream = webhooks_spec(&["organizationInvitation.created", "user.created"]);
    upstream["components"]["schemas"]["Item"]["properties"]["name"] = json!({"type": "string"});
    let new = vendored_shape(upstream).unwrap();
    let report = diff_specs(&old, &new);
    assert_eq!(ids(&report.operations_added), ["user.created"]);
    assert_eq!(ids(&report.operations_removed), ["sms.created"]);
    assert_eq!(
        change_lines(&report),
        ["Item .name: property added (string)"]
    );
    let changed = &report.schemas_changed[0];
    assert_eq!(
        changed.used_by,
        ["organizationInvitation.created", "user.created"]
    );
    assert!(changed.touches_flagged_tag);
    assert!(
        report
            .render()
            .contains("+ user.created  EVENT UserCreatedEvent")
    );
}

#[test]
fn real_webhooks_spec_against_the_vendored_one_has_no_changes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/clerk-openapi/webhooks/2025-04-15.yml");
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let upstream = vendored_shape(spec_file::load(&path).unwrap()).unwrap();
    let vendored =
        spec_file::load(&spec_file::workspace_root().join(crate::import::VENDORED_WEBHOOKS_SPEC))
            .unwrap();
    let report = diff_specs(&upstream, &vendored);
    assert!(report.is_empty(), "{}", report.render());
}
