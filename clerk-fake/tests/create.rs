//! `POST /v1/organizations/{organization_id}/invitations`: the happy path and every error.

mod common;

use clerk_fake::{Fault, InvitationStatus, Organization, Route, User};
use common::{ADMIN, ADMIN_EMAIL, Api, MEMBER, MEMBER_EMAIL, ORG};
use reqwest::{Method, StatusCode};
use serde_json::json;

const CREATE: &str = "/organizations/org_acme/invitations";

#[tokio::test]
async fn creates_a_pending_invitation_with_clerk_defaults() {
    let api = Api::new().await;
    let now = api.fake.clock().now_ms();
    let reply = api
        .post(
            CREATE,
            json!({
                "email_address": "New@Example.com",
                "role": "org:member",
                "inviter_user_id": ADMIN,
                "public_metadata": {"team": "blue"},
                "private_metadata": {"source": "test"},
            }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert!(body["id"].as_str().unwrap().starts_with("orginv_"));
    assert_eq!(body["object"], "organization_invitation");
    assert_eq!(body["email_address"], "New@Example.com");
    assert_eq!(body["role"], "org:member");
    assert_eq!(body["role_name"], "Member");
    assert_eq!(body["organization_id"], ORG);
    assert_eq!(body["status"], "pending");
    assert_eq!(body["inviter_id"], ADMIN);
    assert_eq!(body["public_inviter_data"]["user_id"], ADMIN);
    assert_eq!(body["public_inviter_data"]["first_name"], "Ada");
    assert_eq!(body["public_inviter_data"]["identifier"], ADMIN_EMAIL);
    assert_eq!(body["public_metadata"], json!({"team": "blue"}));
    assert_eq!(body["private_metadata"], json!({"source": "test"}));
    assert_eq!(body["created_at"], now);
    assert_eq!(body["updated_at"], now);
    // `expires_in_days` defaults to 30.
    assert_eq!(body["expires_at"], now + 30 * 24 * 3600 * 1000);

    let stored = api.fake.invitation(body["id"].as_str().unwrap()).unwrap();
    assert_eq!(stored.status, InvitationStatus::Pending);
    assert!(stored.notify, "notify defaults to true");
}

#[tokio::test]
async fn without_an_inviter_there_is_no_public_inviter_data() {
    let api = Api::new().await;
    let reply = api
        .post(
            CREATE,
            json!({"email_address": "x@example.com", "role": "org:admin", "expires_in_days": 1, "notify": false}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["inviter_id"], json!(null));
    assert_eq!(reply.body["public_inviter_data"], json!(null));
    assert_eq!(reply.body["role_name"], "Admin");
    let created = reply.body["created_at"].as_i64().unwrap();
    assert_eq!(reply.body["expires_at"], created + 24 * 3600 * 1000);
    assert!(
        !api.fake
            .invitation(reply.body["id"].as_str().unwrap())
            .unwrap()
            .notify
    );
}

#[tokio::test]
async fn custom_roles_can_be_invited() {
    let api = Api::new().await;
    api.fake.add_role("org:billing", "Billing");
    let reply = api
        .post(
            CREATE,
            json!({"email_address": "b@example.com", "role": "org:billing"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["role_name"], "Billing");
}

#[tokio::test]
async fn an_error_body_is_clerks_envelope() {
    let api = Api::new().await;
    let reply = api
        .post(
            CREATE,
            json!({"email_address": "not-an-email", "role": "org:member"}),
        )
        .await;
    insta::assert_json_snapshot!(reply.body);
}

#[tokio::test]
async fn missing_or_unknown_key_is_401() {
    let api = Api::new().await;
    let body = json!({"email_address": "a@example.com", "role": "org:member"});
    let no_key = api.client.post(api.url(CREATE)).json(&body);
    let reply = api.send(no_key).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "authentication_invalid");

    let wrong_key = api
        .client
        .post(api.url(CREATE))
        .bearer_auth("sk_test_not_this_one")
        .json(&body);
    let reply = api.send(wrong_key).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.error_code(), "authentication_invalid");
    assert!(api.fake.invitations().is_empty());
}

#[tokio::test]
async fn unknown_organization_is_404_before_body_validation() {
    let api = Api::new().await;
    let reply = api
        .post("/organizations/org_nope/invitations", json!({"role": 5}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "resource_not_found");
}

#[tokio::test]
async fn parameter_errors_are_422_with_the_parameter_name() {
    let api = Api::new().await;
    let cases = [
        (
            json!({"role": "org:member"}),
            "form_param_missing",
            "email_address",
        ),
        (
            json!({"email_address": "a@example.com"}),
            "form_param_missing",
            "role",
        ),
        (
            json!({"email_address": "a@b", "role": "org:member"}),
            "form_param_format_invalid",
            "email_address",
        ),
        (
            json!({"email_address": "a b@c.com", "role": "org:member"}),
            "form_param_format_invalid",
            "email_address",
        ),
        (
            json!({"email_address": "a@example.com", "role": "org:member", "expires_in_days": 0}),
            "form_param_value_invalid",
            "expires_in_days",
        ),
        (
            json!({"email_address": "a@example.com", "role": "org:member", "expires_in_days": 366}),
            "form_param_value_invalid",
            "expires_in_days",
        ),
        (
            json!({"email_address": 7, "role": "org:member"}),
            "form_param_format_invalid",
            "email_address",
        ),
    ];
    for (body, code, param) in cases {
        let reply = api.post(CREATE, body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(reply.error_code(), code, "{body}");
        assert_eq!(
            reply.body["errors"][0]["meta"]["param_name"], param,
            "{body}"
        );
    }
    assert!(api.fake.invitations().is_empty());
}

#[tokio::test]
async fn an_unknown_role_is_404_organization_role_not_found() {
    let api = Api::new().await;
    let single = api
        .post(
            CREATE,
            json!({"email_address": "a@example.com", "role": "org:nope"}),
        )
        .await;
    let bulk = api
        .post(
            &format!("{CREATE}/bulk"),
            json!([
                {"email_address": "b@example.com", "role": "org:member"},
                {"email_address": "c@example.com", "role": "org:nope"},
            ]),
        )
        .await;
    for reply in [single, bulk] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.error_code(), "resource_not_found");
        assert_eq!(
            reply.body["errors"][0]["long_message"],
            "Organization role not found"
        );
        assert_eq!(reply.body["errors"][0]["meta"]["param_name"], "role");
    }
    assert!(api.fake.invitations().is_empty(), "all or none");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_clean_400() {
    let api = Api::new().await;
    let request = api
        .request(Method::POST, CREATE)
        .header("content-type", "application/json")
        .body("{\"email_address\": ");
    let reply = api.send(request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "request_body_invalid");
}

#[tokio::test]
async fn inviter_who_is_not_an_admin_is_403() {
    let api = Api::new().await;
    for inviter in [MEMBER, "user_stranger"] {
        let reply = api
            .post(
                CREATE,
                json!({"email_address": "a@example.com", "role": "org:member", "inviter_user_id": inviter}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{inviter}");
        assert_eq!(reply.error_code(), "not_an_admin_in_organization");
    }
}

#[tokio::test]
async fn a_second_pending_invitation_for_the_same_email_is_a_duplicate_whatever_the_case() {
    let api = Api::new().await;
    assert_eq!(api.invite("dup@example.com").await.status, StatusCode::OK);
    let reply = api.invite("DUP@Example.COM").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "duplicate_record");
    assert_eq!(
        reply.body["errors"][0]["meta"]["email_addresses"],
        json!(["DUP@Example.COM"])
    );
    assert_eq!(api.fake.invitations().len(), 1);
}

#[tokio::test]
async fn after_revoke_or_expiry_the_email_can_be_invited_again() {
    let api = Api::new().await;
    let first = api.invite("again@example.com").await;
    let id = first.body["id"].as_str().unwrap();
    let revoke = api.post(&format!("{CREATE}/{id}/revoke"), json!({})).await;
    assert_eq!(revoke.status, StatusCode::OK);
    let second = api.invite("again@example.com").await;
    assert_eq!(second.status, StatusCode::OK);

    api.fake
        .clock()
        .advance(std::time::Duration::from_secs(30 * 24 * 3600));
    let third = api.invite("again@example.com").await;
    assert_eq!(third.status, StatusCode::OK, "the second one expired");
}

#[tokio::test]
async fn inviting_a_member_is_400() {
    let api = Api::new().await;
    let reply = api.invite(&MEMBER_EMAIL.to_uppercase()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "already_a_member_in_organization");
}

#[tokio::test]
async fn members_plus_pending_invitations_may_not_pass_the_quota() {
    let api = Api::new().await;
    api.fake
        .add_organization(Organization::new("org_small", "Small").with_max_allowed_memberships(2));
    api.fake
        .add_membership("org_small", ADMIN, "org:admin")
        .unwrap();
    let path = "/organizations/org_small/invitations";
    let ok = api
        .post(
            path,
            json!({"email_address": "one@example.com", "role": "org:member"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let over = api
        .post(
            path,
            json!({"email_address": "two@example.com", "role": "org:member"}),
        )
        .await;
    assert_eq!(over.status, StatusCode::FORBIDDEN);
    assert_eq!(over.error_code(), "organization_membership_quota_exceeded");

    // Revoking frees the seat again.
    let id = ok.body["id"].as_str().unwrap();
    api.post(&format!("{path}/{id}/revoke"), json!({})).await;
    let again = api
        .post(
            path,
            json!({"email_address": "two@example.com", "role": "org:member"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn accepting_turns_the_invitation_into_a_membership() {
    let api = Api::new().await;
    let reply = api.invite("joiner@example.com").await;
    let id = reply.body["id"].as_str().unwrap();
    api.fake.clock().advance(std::time::Duration::from_secs(60));
    let user_id = api.fake.accept_invitation(id).unwrap();
    assert!(user_id.starts_with("user_"));

    let fetched = api.get(&format!("{CREATE}/{id}")).await;
    assert_eq!(fetched.body["status"], "accepted");
    assert_eq!(fetched.body["updated_at"], api.fake.clock().now_ms());
    let again = api.invite("joiner@example.com").await;
    assert_eq!(again.error_code(), "already_a_member_in_organization");
    assert!(api.fake.accept_invitation(id).is_err(), "only once");
}

#[tokio::test]
async fn accepting_uses_the_existing_user_with_that_email() {
    let api = Api::new().await;
    api.fake
        .add_user(User::new("user_known", "known@example.com"));
    let reply = api.invite("Known@Example.com").await;
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(api.fake.accept_invitation(id).unwrap(), "user_known");
}

#[tokio::test]
async fn the_request_log_records_what_the_client_sent() {
    let api = Api::new().await;
    api.invite("logged@example.com").await;
    let requests = api.fake.request_log().requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path_and_query, format!("/v1{CREATE}"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", api.fake.secret_key()).as_str())
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["email_address"], "logged@example.com");

    api.fake.request_log().set_enabled(false);
    api.invite("unlogged@example.com").await;
    assert_eq!(api.fake.request_log().requests().len(), 1);
}

#[tokio::test]
async fn faults_only_hit_their_route() {
    let api = Api::new().await;
    api.fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::server_error(500));
    assert_eq!(api.invite("fine@example.com").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_for_one_email_yield_exactly_one_invitation() {
    let api = std::sync::Arc::new(Api::new().await);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let api = api.clone();
            tokio::spawn(async move { api.invite("race@example.com").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let created = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let duplicates = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((created, duplicates), (1, 19));
    assert_eq!(api.fake.invitations().len(), 1);
}
