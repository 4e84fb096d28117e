//! `POST /v1/organizations/{organization_id}/invitations/bulk`: all or nothing.

mod common;

use clerk_fake::Organization;
use common::{ADMIN, Api, MEMBER, MEMBER_EMAIL};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BULK: &str = "/organizations/org_acme/invitations/bulk";

fn items(emails: &[&str]) -> Value {
    emails
        .iter()
        .map(
            |email| json!({"email_address": email, "role": "org:member", "inviter_user_id": ADMIN}),
        )
        .collect()
}

#[tokio::test]
async fn creates_every_invitation_in_order() {
    let api = Api::new().await;
    let reply = api
        .post(BULK, items(&["a@example.com", "b@example.com"]))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["total_count"], 2);
    let emails: Vec<_> = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|inv| inv["email_address"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["a@example.com", "b@example.com"]);
    assert_eq!(api.fake.invitations().len(), 2);
}

#[tokio::test]
async fn ten_is_the_maximum_and_none_is_invalid() {
    let api = Api::new().await;
    let ten: Vec<String> = (0..10).map(|i| format!("u{i}@example.com")).collect();
    let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
    assert_eq!(api.post(BULK, items(&ten)).await.status, StatusCode::OK);

    let eleven: Vec<String> = (0..11).map(|i| format!("v{i}@example.com")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    let reply = api.post(BULK, items(&eleven)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "bulk_size_exceeded");

    let reply = api.post(BULK, json!([])).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_code(), "form_param_missing");
    assert_eq!(api.fake.invitations().len(), 10);
}

#[tokio::test]
async fn one_bad_item_fails_the_whole_call() {
    let api = Api::new().await;
    api.invite("taken@example.com").await;
    let cases = [
        (
            items(&["ok@example.com", "TAKEN@example.com"]),
            StatusCode::BAD_REQUEST,
            "duplicate_record",
        ),
        (
            items(&["ok@example.com", "ok@EXAMPLE.com"]),
            StatusCode::BAD_REQUEST,
            "duplicate_record",
        ),
        (
            items(&["ok@example.com", MEMBER_EMAIL]),
            StatusCode::BAD_REQUEST,
            "already_a_member_in_organization",
        ),
        (
            items(&["ok@example.com", "broken"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_format_invalid",
        ),
        (
            json!([{"email_address": "ok@example.com", "role": "org:member"}, {"email_address": "x@example.com", "role": "org:member", "inviter_user_id": MEMBER}]),
            StatusCode::FORBIDDEN,
            "not_an_admin_in_organization",
        ),
        (
            json!([{"email_address": "ok@example.com"}]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "form_param_missing",
        ),
    ];
    for (body, status, code) in cases {
        let reply = api.post(BULK, body.clone()).await;
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.error_code(), code, "{body}");
    }
    assert_eq!(
        api.fake.invitations().len(),
        1,
        "nothing but the first invite was created"
    );
}

#[tokio::test]
async fn duplicates_are_all_listed() {
    let api = Api::new().await;
    api.post(BULK, items(&["a@example.com", "b@example.com"]))
        .await;
    let reply = api
        .post(
            BULK,
            items(&["a@example.com", "c@example.com", "b@example.com"]),
        )
        .await;
    assert_eq!(
        reply.body["errors"][0]["meta"]["email_addresses"],
        json!(["a@example.com", "b@example.com"])
    );
}

#[tokio::test]
async fn the_quota_counts_the_whole_batch() {
    let api = Api::new().await;
    api.fake
        .add_organization(Organization::new("org_small", "Small").with_max_allowed_memberships(3));
    api.fake
        .add_membership("org_small", ADMIN, "org:admin")
        .unwrap();
    let path = "/organizations/org_small/invitations/bulk";
    let reply = api
        .post(
            path,
            items(&["a@example.com", "b@example.com", "c@example.com"]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "organization_membership_quota_exceeded");
    let reply = api
        .post(path, items(&["a@example.com", "b@example.com"]))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_organization_and_non_array_bodies_are_rejected() {
    let api = Api::new().await;
    let reply = api
        .post(
            "/organizations/org_nope/invitations/bulk",
            items(&["a@example.com"]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = api
        .post(
            BULK,
            json!({"email_address": "a@example.com", "role": "org:member"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "request_body_invalid");
}
