//! Clerk's rate limits, played out on the virtual clock in milliseconds of real time.

mod common;

use std::time::Duration;

use clerk_fake::{FakeClerk, KeyKind, RateLimits};
use common::{Api, Reply};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LIST: &str = "/organizations/org_acme/invitations";
const BULK: &str = "/organizations/org_acme/invitations/bulk";

fn assert_too_many(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.body
    );
    assert_eq!(reply.error_code(), "too_many_requests");
}

/// Only the per-route limits, so an hour of creates is not throttled by the global one.
fn route_limits_only() -> RateLimits {
    RateLimits {
        all_requests: None,
        ..RateLimits::clerk_defaults(KeyKind::Test)
    }
}

#[tokio::test]
async fn test_keys_get_100_requests_per_10_seconds() {
    let api = Api::new().await;
    assert!(api.fake.secret_key().starts_with("sk_test_"));
    // Start mid-window to see Retry-After count down to the window's end.
    api.fake.clock().advance(Duration::from_millis(2_500));
    for _ in 0..100 {
        assert_eq!(api.get(LIST).await.status, StatusCode::OK);
    }
    let reply = api.get(LIST).await;
    assert_too_many(&reply);
    assert_eq!(reply.retry_after(), 8, "7.5 s left, rounded up");

    api.fake.clock().advance(Duration::from_millis(7_499));
    assert_too_many(&api.get(LIST).await);
    assert_eq!(api.get(LIST).await.retry_after(), 1);
    api.fake.clock().advance(Duration::from_millis(1));
    assert_eq!(api.get(LIST).await.status, StatusCode::OK, "a fresh window");
}

#[tokio::test]
async fn live_keys_get_1000_requests_per_10_seconds() {
    let fake = FakeClerk::builder()
        .key_kind(KeyKind::Live)
        .start()
        .await
        .unwrap();
    let api = Api::with(fake);
    assert!(api.fake.secret_key().starts_with("sk_live_"));
    for _ in 0..1000 {
        assert_eq!(api.get(LIST).await.status, StatusCode::OK);
    }
    assert_too_many(&api.get(LIST).await);
}

#[tokio::test]
async fn create_is_limited_to_250_per_hour() {
    let fake = FakeClerk::builder()
        .rate_limits(route_limits_only())
        .start()
        .await
        .unwrap();
    let api = Api::with(fake);
    for i in 0..250 {
        let reply = api.invite(&format!("u{i}@example.com")).await;
        assert_eq!(reply.status, StatusCode::OK, "{i}");
        api.fake.clock().advance(Duration::from_secs(14)); // 250 * 14 s < 1 h
    }
    let reply = api.invite("one-too-many@example.com").await;
    assert_too_many(&reply);
    assert_eq!(reply.retry_after(), 3600 - 250 * 14);
    assert_eq!(
        api.get(LIST).await.status,
        StatusCode::OK,
        "other routes are unaffected"
    );

    api.fake
        .clock()
        .advance(Duration::from_secs(3600 - 250 * 14));
    assert_eq!(
        api.invite("next-hour@example.com").await.status,
        StatusCode::OK
    );
    assert_eq!(api.fake.invitations().len(), 251);
}

#[tokio::test]
async fn bulk_create_is_limited_to_50_per_hour() {
    let fake = FakeClerk::builder()
        .rate_limits(route_limits_only())
        .start()
        .await
        .unwrap();
    let api = Api::with(fake);
    let one = |i: usize| -> Value {
        json!([{"email_address": format!("b{i}@example.com"), "role": "org:member"}])
    };
    for i in 0..50 {
        assert_eq!(api.post(BULK, one(i)).await.status, StatusCode::OK);
    }
    let reply = api.post(BULK, one(50)).await;
    assert_too_many(&reply);
    assert_eq!(reply.retry_after(), 3600);
    assert_eq!(
        api.invite("single@example.com").await.status,
        StatusCode::OK,
        "separate budget"
    );
    api.fake.clock().advance(Duration::from_secs(3600));
    assert_eq!(api.post(BULK, one(50)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn limits_are_configurable_and_can_be_switched_off() {
    let api = Api::with_global_limit(3, Duration::from_secs(1)).await;
    for _ in 0..3 {
        assert_eq!(api.get(LIST).await.status, StatusCode::OK);
    }
    assert_too_many(&api.get(LIST).await);

    let api = Api::with(
        FakeClerk::builder()
            .rate_limits(RateLimits::unlimited())
            .start()
            .await
            .unwrap(),
    );
    for _ in 0..300 {
        assert_eq!(api.get(LIST).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn authentication_is_checked_before_rate_limits() {
    let api = Api::with_global_limit(1, Duration::from_secs(10)).await;
    assert_eq!(api.get(LIST).await.status, StatusCode::OK);
    let unauthenticated = api.send(api.client.get(api.url(LIST))).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_too_many(&api.get(LIST).await);
}

#[tokio::test]
async fn membership_updates_get_10_per_10_seconds_per_membership() {
    let api = Api::with(
        FakeClerk::builder()
            .rate_limits(route_limits_only())
            .start()
            .await
            .unwrap(),
    );
    let member = "/organizations/org_acme/memberships/user_member";
    // Role changes and metadata updates share the membership's budget.
    for i in 0..10 {
        let reply = if i % 2 == 0 {
            api.patch(member, json!({"role": "org:member"})).await
        } else {
            api.patch(
                &format!("{member}/metadata"),
                json!({"public_metadata": {"i": i}}),
            )
            .await
        };
        assert_eq!(reply.status, StatusCode::OK, "update {i}");
    }
    let refused = api
        .patch(
            &format!("{member}/metadata"),
            json!({"public_metadata": {"i": 10}}),
        )
        .await;
    assert_too_many(&refused);
    assert_eq!(refused.retry_after(), 10);
    assert_eq!(
        api.fake
            .membership("org_acme", "user_member")
            .unwrap()
            .public_metadata["i"],
        9,
        "the refused update changed nothing"
    );
    // Another membership has its own budget; reads and deletes are not counted.
    let admin = "/organizations/org_acme/memberships/user_admin";
    assert_eq!(
        api.patch(admin, json!({"role": "org:admin"})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get("/organizations/org_acme/memberships").await.status,
        StatusCode::OK
    );
    api.fake.clock().advance(Duration::from_secs(10));
    assert_eq!(
        api.patch(member, json!({"role": "org:member"}))
            .await
            .status,
        StatusCode::OK,
        "a fresh window"
    );
}

#[tokio::test]
async fn the_global_limit_counts_membership_and_role_routes() {
    let api = Api::with_global_limit(3, Duration::from_secs(10)).await;
    assert_eq!(
        api.get("/organizations/org_acme/memberships").await.status,
        StatusCode::OK
    );
    assert_eq!(api.get("/organization_roles").await.status, StatusCode::OK);
    assert_eq!(
        api.get("/organization_memberships").await.status,
        StatusCode::OK
    );
    assert_too_many(
        &api.delete("/organizations/org_acme/memberships/user_member")
            .await,
    );
    assert!(api.fake.membership("org_acme", "user_member").is_some());
}
