//! The list routes: per organization, pending (deprecated), instance-wide and per user.

mod common;

use std::time::Duration;

use clerk_fake::{Organization, User};
use common::{ADMIN, Api, ORG};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LIST: &str = "/organizations/org_acme/invitations";

fn emails(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|inv| inv["email_address"].as_str().unwrap().to_owned())
        .collect()
}

/// Invites b, c, a (one second apart), revokes c.
async fn seeded() -> Api {
    let api = Api::new().await;
    for email in ["b@example.com", "c@example.com", "a@example.com"] {
        let reply = api.invite(email).await;
        assert_eq!(reply.status, StatusCode::OK);
        api.fake.clock().advance(Duration::from_secs(1));
    }
    let c = &api.fake.invitations()[1];
    let revoke = api
        .post(&format!("{LIST}/{}/revoke", c.id), json!({}))
        .await;
    assert_eq!(revoke.status, StatusCode::OK);
    api
}

#[tokio::test]
async fn default_order_is_newest_first_with_a_total() {
    let api = seeded().await;
    let reply = api.get(LIST).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        emails(&reply.body),
        ["a@example.com", "c@example.com", "b@example.com"]
    );
    assert_eq!(reply.body["total_count"], 3);
}

#[tokio::test]
async fn order_by_created_at_or_email_in_either_direction() {
    let api = seeded().await;
    let cases = [
        ("created_at", ["b", "c", "a"]),
        ("+created_at", ["b", "c", "a"]),
        ("-created_at", ["a", "c", "b"]),
        ("email_address", ["a", "b", "c"]),
        ("-email_address", ["c", "b", "a"]),
    ];
    for (order_by, expected) in cases {
        let reply = api
            .get(&format!("{LIST}?order_by={}", order_by.replace('+', "%2B")))
            .await;
        let expected: Vec<String> = expected
            .iter()
            .map(|e| format!("{e}@example.com"))
            .collect();
        assert_eq!(emails(&reply.body), expected, "{order_by}");
    }
}

#[tokio::test]
async fn filters_by_status_and_email() {
    let api = seeded().await;
    let reply = api.get(&format!("{LIST}?status=pending")).await;
    assert_eq!(emails(&reply.body), ["a@example.com", "b@example.com"]);
    assert_eq!(reply.body["total_count"], 2);

    let reply = api
        .get(&format!("{LIST}?status=revoked&status=accepted"))
        .await;
    assert_eq!(emails(&reply.body), ["c@example.com"]);

    let reply = api
        .get(&format!("{LIST}?email_address=B@EXAMPLE.COM"))
        .await;
    assert_eq!(emails(&reply.body), ["b@example.com"]);
}

#[tokio::test]
async fn expired_invitations_show_as_expired() {
    let api = seeded().await;
    api.fake
        .clock()
        .advance(Duration::from_secs(30 * 24 * 3600));
    let reply = api.get(&format!("{LIST}?status=expired")).await;
    assert_eq!(emails(&reply.body), ["a@example.com", "b@example.com"]);
    let reply = api.get(&format!("{LIST}?status=pending")).await;
    assert_eq!(reply.body["total_count"], 0);
}

#[tokio::test]
async fn paginates_with_limit_and_offset() {
    let api = Api::new().await;
    for i in 0..25 {
        api.invite(&format!("user{i:02}@example.com")).await;
    }
    let reply = api.get(LIST).await;
    assert_eq!(
        reply.body["data"].as_array().unwrap().len(),
        10,
        "limit defaults to 10"
    );
    assert_eq!(reply.body["total_count"], 25);

    let mut seen = Vec::new();
    for offset in (0..25).step_by(7) {
        let reply = api
            .get(&format!(
                "{LIST}?order_by=email_address&limit=7&offset={offset}"
            ))
            .await;
        seen.extend(emails(&reply.body));
        assert_eq!(reply.body["total_count"], 25);
    }
    let expected: Vec<String> = (0..25).map(|i| format!("user{i:02}@example.com")).collect();
    assert_eq!(seen, expected);

    let reply = api.get(&format!("{LIST}?offset=100")).await;
    assert_eq!(emails(&reply.body), Vec::<String>::new());
    assert_eq!(reply.body["total_count"], 25);
}

#[tokio::test]
async fn bad_query_values_are_422_not_panics() {
    let api = Api::new().await;
    let cases = [
        ("limit=0", "form_param_value_invalid", "limit"),
        ("limit=501", "form_param_value_invalid", "limit"),
        ("limit=ten", "form_param_format_invalid", "limit"),
        ("offset=-1", "form_param_format_invalid", "offset"),
        ("status=on_hold", "form_param_value_invalid", "status"),
        ("order_by=name", "form_param_value_invalid", "order_by"),
    ];
    for (query, code, param) in cases {
        let reply = api.get(&format!("{LIST}?{query}")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.error_code(), code, "{query}");
        assert_eq!(
            reply.body["errors"][0]["meta"]["param_name"], param,
            "{query}"
        );
    }
    assert_eq!(
        api.get(&format!("{LIST}?limit=500")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_organization_is_404() {
    let api = Api::new().await;
    let reply = api.get("/organizations/org_nope/invitations").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "resource_not_found");
    let reply = api.get("/organizations/org_nope/invitations/pending").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pending_alias_lists_only_pending() {
    let api = seeded().await;
    let reply = api.get(&format!("{LIST}/pending?status=revoked")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(emails(&reply.body), ["a@example.com", "b@example.com"]);
}

#[tokio::test]
async fn instance_list_spans_organizations_with_public_organization_data() {
    let api = seeded().await;
    api.fake
        .add_organization(Organization::new("org_other", "Other Co"));
    let other = api
        .post(
            "/organizations/org_other/invitations",
            json!({"email_address": "z@example.com", "role": "org:member"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);

    let reply = api.get("/organization_invitations").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["total_count"], 4);
    let newest = &reply.body["data"][0];
    assert_eq!(newest["email_address"], "z@example.com");
    assert_eq!(
        newest["public_organization_data"],
        json!({"id": "org_other", "name": "Other Co", "slug": "other-co", "image_url": newest["public_organization_data"]["image_url"], "has_image": false})
    );
    assert_eq!(reply.body["data"][1]["public_organization_data"]["id"], ORG);

    let reply = api.get("/organization_invitations?query=EXAMPLE.com&status=pending&order_by=email_address&limit=2").await;
    assert_eq!(emails(&reply.body), ["a@example.com", "b@example.com"]);
    assert_eq!(reply.body["total_count"], 3);
}

#[tokio::test]
async fn user_list_shows_invitations_to_the_users_email() {
    let api = seeded().await;
    api.fake.add_user(User::new("user_b", "B@example.com"));
    let reply = api.get("/users/user_b/organization_invitations").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(emails(&reply.body), ["b@example.com"]);
    assert_eq!(
        reply.body["data"][0]["public_organization_data"]["slug"],
        "acme-inc"
    );

    let reply = api
        .get("/users/user_b/organization_invitations?status=revoked")
        .await;
    assert_eq!(reply.body["total_count"], 0);
    let reply = api
        .get(&format!("/users/{ADMIN}/organization_invitations"))
        .await;
    assert_eq!(reply.body["total_count"], 0);
    let reply = api.get("/users/user_nope/organization_invitations").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
