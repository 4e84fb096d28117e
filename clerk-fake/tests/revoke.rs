//! `GET .../invitations/{invitation_id}` and `POST .../invitations/{invitation_id}/revoke`.

mod common;

use std::time::Duration;

use common::{ADMIN, Api, MEMBER};
use reqwest::{Method, StatusCode};
use serde_json::json;

const INVITATIONS: &str = "/organizations/org_acme/invitations";

#[tokio::test]
async fn get_returns_the_invitation_and_404s_elsewhere() {
    let api = Api::new().await;
    api.fake
        .add_organization(clerk_fake::Organization::new("org_other", "Other"));
    let created = api.invite("get@example.com").await;
    let id = created.body["id"].as_str().unwrap();

    let reply = api.get(&format!("{INVITATIONS}/{id}")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, created.body);

    for path in [
        format!("{INVITATIONS}/orginv_nope"),
        format!("/organizations/org_other/invitations/{id}"),
        format!("/organizations/org_nope/invitations/{id}"),
    ] {
        let reply = api.get(&path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.error_code(), "resource_not_found");
    }
}

#[tokio::test]
async fn revoke_marks_it_revoked_and_updates_the_timestamp() {
    let api = Api::new().await;
    let created = api.invite("rev@example.com").await;
    let id = created.body["id"].as_str().unwrap();
    api.fake.clock().advance(Duration::from_secs(5));

    let reply = api
        .post(
            &format!("{INVITATIONS}/{id}/revoke"),
            json!({"requesting_user_id": ADMIN}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "revoked");
    assert_eq!(reply.body["created_at"], created.body["created_at"]);
    assert_eq!(reply.body["updated_at"], api.fake.clock().now_ms());
}

#[tokio::test]
async fn revoke_works_without_a_body() {
    let api = Api::new().await;
    let id = api.invite("nobody@example.com").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = api
        .send(api.request(Method::POST, &format!("{INVITATIONS}/{id}/revoke")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["status"], "revoked");
}

#[tokio::test]
async fn only_pending_invitations_can_be_revoked() {
    let api = Api::new().await;
    let revoked = api.invite("r@example.com").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(&format!("{INVITATIONS}/{revoked}/revoke"), json!({}))
        .await;
    let accepted = api.invite("a@example.com").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.fake.accept_invitation(&accepted).unwrap();
    let expired = api
        .post(
            INVITATIONS,
            json!({"email_address": "e@example.com", "role": "org:member", "expires_in_days": 1}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.fake.clock().advance(Duration::from_secs(24 * 3600));

    for id in [revoked, accepted, expired] {
        let reply = api
            .post(&format!("{INVITATIONS}/{id}/revoke"), json!({}))
            .await;
        // Clerk's catalog: 404, although the invitation exists.
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(reply.error_code(), "organization_invitation_not_pending");
    }
}

#[tokio::test]
async fn a_non_admin_cannot_revoke() {
    let api = Api::new().await;
    let id = api.invite("keep@example.com").await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = api
        .post(
            &format!("{INVITATIONS}/{id}/revoke"),
            json!({"requesting_user_id": MEMBER}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.fake.invitation(&id).unwrap().status,
        clerk_fake::InvitationStatus::Pending
    );
}

#[tokio::test]
async fn revoking_an_unknown_invitation_is_404() {
    let api = Api::new().await;
    let reply = api
        .post(&format!("{INVITATIONS}/orginv_nope/revoke"), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = api
        .post(
            "/organizations/org_nope/invitations/orginv_nope/revoke",
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
