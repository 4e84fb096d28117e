//! `GET /organization_roles`, `GET /organization_roles/{id}` and `POST /organization_roles`:
//! Clerk's default roles with their system permissions, custom roles, ordering and paging.

mod common;

use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, MEMBER_ROLE, Permission, Role};
use common::Api;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn keys(body: &Value) -> Vec<&str> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect()
}

fn permission_keys(role: &Value) -> Vec<&str> {
    role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_instance_starts_with_clerk_s_default_roles() {
    let api = Api::new().await;
    let reply = api.get("/organization_roles").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total_count"], 2);
    let admin = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == ADMIN_ROLE)
        .unwrap();
    assert_eq!(admin["object"], "role");
    assert_eq!(admin["name"], "Admin");
    assert_eq!(admin["is_creator_eligible"], true);
    assert!(admin["id"].as_str().unwrap().starts_with("role_"));
    assert_eq!(
        permission_keys(admin),
        [
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage",
            "org:sys_billing:read",
            "org:sys_billing:manage",
            "org:sys_entconns:manage",
        ]
    );
    let permission = &admin["permissions"][0];
    assert_eq!(permission["object"], "permission");
    assert_eq!(permission["type"], "system");
    assert!(permission["id"].as_str().unwrap().starts_with("perm_"));

    let member = api
        .get(&format!(
            "/organization_roles/{}",
            api.fake.role(MEMBER_ROLE).unwrap().id
        ))
        .await;
    assert_eq!(member.status, StatusCode::OK);
    assert_eq!(member.body["key"], MEMBER_ROLE);
    assert_eq!(member.body["is_creator_eligible"], false);
    assert_eq!(
        permission_keys(&member.body),
        ["org:sys_memberships:read", "org:sys_billing:read"]
    );
}

#[tokio::test]
async fn seeded_roles_list_newest_first_and_order_by_name_or_key() {
    let api = Api::new().await;
    let invoices = api
        .fake
        .add_permission(Permission::new("org:invoices:create", "Create invoices"));
    assert!(invoices.starts_with("perm_"));
    api.fake.clock().advance(Duration::from_secs(1));
    let billing = api
        .fake
        .seed_role(
            Role::new("org:billing", "Billing")
                .with_description("Pays the bills")
                .with_permissions(["org:invoices:create", "org:sys_billing:manage"]),
        )
        .unwrap();
    api.fake.clock().advance(Duration::from_secs(1));
    api.fake.add_role("org:auditor", "auditor");

    let list = api.get("/organization_roles").await;
    assert_eq!(
        keys(&list.body),
        ["org:auditor", "org:billing", MEMBER_ROLE, ADMIN_ROLE],
        "-created_at, ties newest seeded first"
    );
    let cases = [
        (
            "order_by=name".to_owned(),
            vec![ADMIN_ROLE, "org:auditor", "org:billing", MEMBER_ROLE],
        ),
        (
            "order_by=-key".to_owned(),
            vec![MEMBER_ROLE, "org:billing", "org:auditor", ADMIN_ROLE],
        ),
        (
            "order_by=%2Bcreated_at&limit=2&offset=1".to_owned(),
            vec![MEMBER_ROLE, "org:billing"],
        ),
        ("query=BILL".to_owned(), vec!["org:billing"]),
        ("query=org:a".to_owned(), vec!["org:auditor", ADMIN_ROLE]),
        (format!("query={billing}"), vec!["org:billing"]),
    ];
    for (query, expected) in cases {
        let reply = api.get(&format!("/organization_roles?{query}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}");
        assert_eq!(keys(&reply.body), expected, "{query}");
    }
    let paged = api.get("/organization_roles?limit=1").await;
    assert_eq!(paged.body["total_count"], 4);

    let role = api.get(&format!("/organization_roles/{billing}")).await;
    assert_eq!(role.body["description"], "Pays the bills");
    assert_eq!(role.body["is_creator_eligible"], false);
    let custom = role.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "org:invoices:create")
        .unwrap();
    assert_eq!(custom["type"], "user");
    assert_eq!(custom["id"], invoices.as_str());

    for query in ["order_by=permissions", "limit=0", "offset=x"] {
        let reply = api.get(&format!("/organization_roles?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    let missing = api.get("/organization_roles/role_nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "resource_not_found");
    assert_eq!(
        missing.body["errors"][0]["meta"]["param_name"],
        "organization_role_id"
    );
}

#[tokio::test]
async fn create_role_over_http() {
    let api = Api::new().await;
    let manage = api
        .fake
        .roles()
        .into_iter()
        .find(|r| r.key == ADMIN_ROLE)
        .unwrap();
    assert_eq!(manage.permissions.len(), 9);
    let perm = api
        .fake
        .add_permission(Permission::new("org:reports:read", "Read reports"));
    let reply = api
        .post(
            "/organization_roles",
            json!({
                "name": "Analyst",
                "key": "org:analyst",
                "description": "Reads reports",
                "permissions": [perm],
                "include_in_initial_role_set": true,
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:#}", reply.body);
    assert_eq!(reply.body["key"], "org:analyst");
    assert_eq!(permission_keys(&reply.body), ["org:reports:read"]);
    let stored = api.fake.role("org:analyst").unwrap();
    assert_eq!(stored.id, reply.body["id"].as_str().unwrap());

    // The new role can be given at once.
    let member = api
        .patch(
            "/organizations/org_acme/memberships/user_member",
            json!({"role": "org:analyst"}),
        )
        .await;
    assert_eq!(member.status, StatusCode::OK);

    let cases = [
        (json!({"key": "org:x"}), 422, "form_param_missing"),
        (
            json!({"name": "X", "key": "x"}),
            422,
            "form_param_format_invalid",
        ),
        (
            json!({"name": "X", "key": "org:Bad-Key"}),
            422,
            "form_param_format_invalid",
        ),
        (
            json!({"name": "X", "key": "org:analyst"}),
            422,
            "form_already_exists",
        ),
        (
            json!({"name": "X", "key": "org:x", "permissions": ["perm_nope"]}),
            404,
            "resource_not_found",
        ),
    ];
    for (body, status, code) in cases {
        let reply = api.post("/organization_roles", body.clone()).await;
        reply.assert_error(status, code, &body.to_string());
    }
    // Ten custom roles at most.
    for i in 0..9 {
        let reply = api
            .post(
                "/organization_roles",
                json!({"name": format!("R{i}"), "key": format!("org:r{i}")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let over = api
        .post(
            "/organization_roles",
            json!({"name": "R", "key": "org:r_over"}),
        )
        .await;
    assert_eq!(over.status, StatusCode::FORBIDDEN);
    assert_eq!(
        over.error_code(),
        "organization_instance_roles_quota_exceeded"
    );
    assert_eq!(api.fake.roles().len(), 12);
}
