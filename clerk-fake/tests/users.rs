//! `GET /v1/users`: filtered by email address (any of a user's, case-insensitively) or user id,
//! ordered by creation, paged; every body checked against the spec's `User`. A user with
//! several addresses is found by each of them in the membership list and the invitation rules
//! too.

mod common;

use std::time::Duration;

use clerk_fake::{Fault, MEMBER_ROLE, Route, User};
use common::{ADMIN, Api, MEMBER, ORG};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// [`Api`] (admin, member) plus two users who are not members, a second apart: `user_ann` with
/// a second address, then `user_bob` with a phone, wallet and username.
async fn api() -> Api {
    let api = Api::new().await;
    api.fake.clock().advance(Duration::from_secs(1));
    api.fake.add_user(
        User::new("user_ann", "Ann@Acme.test")
            .with_email_address("ann.private@home.test")
            .with_name("Ann", "Other"),
    );
    api.fake.clock().advance(Duration::from_secs(1));
    api.fake.add_user(
        User::new("user_bob", "bob@acme.test")
            .with_username("bob")
            .with_phone_number("+15550000009")
            .with_web3_wallet("0xB0B")
            .with_last_active_at(5_000),
    );
    api
}

fn ids(body: &Value) -> Vec<&str> {
    body.as_array()
        .expect("a bare array")
        .iter()
        .map(|user| user["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn newest_first_by_default_and_paged() {
    let api = api().await;
    let reply = api.get("/users").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(ids(&reply.body), ["user_bob", "user_ann", MEMBER, ADMIN]);
    let reply = api
        .get("/users?order_by=%2Bcreated_at&limit=2&offset=1")
        .await;
    assert_eq!(ids(&reply.body), [MEMBER, "user_ann"]);
    let reply = api.get("/users?order_by=-updated_at&limit=1").await;
    assert_eq!(ids(&reply.body), ["user_bob"]);
}

#[tokio::test]
async fn email_addresses_match_any_address_of_a_user_whatever_their_case() {
    let api = api().await;
    for query in [
        "email_address=ann%40acme.test",
        "email_address=ANN.PRIVATE%40HOME.TEST",
        "email_address=nobody%40x.test&email_address=ann%40acme.test",
    ] {
        let reply = api.get(&format!("/users?{query}")).await;
        assert_eq!(ids(&reply.body), ["user_ann"], "{query}");
    }
    let reply = api
        .get("/users?email_address=bob%40acme.test&email_address=member%40acme.test")
        .await;
    assert_eq!(ids(&reply.body), ["user_bob", MEMBER]);
    let reply = api.get("/users?email_address=nobody%40x.test").await;
    assert_eq!(
        ids(&reply.body),
        Vec::<&str>::new(),
        "addresses not found are ignored"
    );
    let reply = api.get("/users?user_id=user_bob&user_id=user_ann").await;
    assert_eq!(ids(&reply.body), ["user_bob", "user_ann"]);
}

#[tokio::test]
async fn a_user_shows_every_address_verified_with_the_first_as_primary() {
    let api = api().await;
    let reply = api.get("/users?user_id=user_ann").await;
    let ann = &reply.body[0];
    let addresses: Vec<&str> = ann["email_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["email_address"].as_str().unwrap())
        .collect();
    assert_eq!(addresses, ["Ann@Acme.test", "ann.private@home.test"]);
    assert_eq!(
        ann["primary_email_address_id"],
        ann["email_addresses"][0]["id"]
    );
    assert_eq!(
        ann["email_addresses"][1]["verification"]["status"],
        "verified"
    );
    assert_eq!(ann["first_name"], "Ann");
    let reply = api.get("/users?user_id=user_bob").await;
    let bob = &reply.body[0];
    assert_eq!(bob["phone_numbers"][0]["phone_number"], "+15550000009");
    assert_eq!(bob["web3_wallets"][0]["web3_wallet"], "0xB0B");
    assert_eq!(bob["username"], "bob");
    assert_eq!(bob["last_active_at"], 5_000);
    assert_eq!(
        bob["primary_phone_number_id"],
        bob["phone_numbers"][0]["id"]
    );
    // Stable between requests.
    let again = api.get("/users?user_id=user_bob").await;
    assert_eq!(again.body[0], *bob);
}

#[tokio::test]
async fn bad_queries_get_clerks_422s() {
    let api = api().await;
    api.get("/users?limit=0")
        .await
        .assert_error(422, "form_param_value_invalid", "limit 0");
    api.get("/users?offset=-1").await.assert_error(
        422,
        "form_param_format_invalid",
        "negative offset",
    );
    api.get("/users?order_by=username").await.assert_error(
        422,
        "form_param_value_invalid",
        "an order the fake does not model",
    );
    api.get("/users?query=ann").await.assert_error(
        422,
        "form_param_value_invalid",
        "a filter the fake does not model",
    );
    let many: Vec<String> = (0..101)
        .map(|i| format!("email_address=p{i}%40x.test"))
        .collect();
    api.get(&format!("/users?{}", many.join("&")))
        .await
        .assert_error(422, "form_param_array_size_exceeded", "101 addresses");
    let reply = api
        .send(
            api.client
                .get(api.url("/users"))
                .bearer_auth("sk_test_wrong"),
        )
        .await;
    reply.assert_error(401, "authentication_invalid", "bad key");
}

#[tokio::test]
async fn another_address_finds_the_member_and_makes_an_invitation_already_a_member() {
    let api = api().await;
    api.fake
        .add_membership(ORG, "user_ann", MEMBER_ROLE)
        .unwrap();
    let reply = api
        .get(&format!(
            "/organizations/{ORG}/memberships?email_address=ann.private%40home.test"
        ))
        .await;
    assert_eq!(reply.body["total_count"], 1, "{:#}", reply.body);
    assert_eq!(
        reply.body["data"][0]["public_user_data"]["identifier"], "Ann@Acme.test",
        "the identifier is the primary address"
    );
    let reply = api
        .get(&format!(
            "/organizations/{ORG}/memberships?email_address_query=private%40home"
        ))
        .await;
    assert_eq!(reply.body["total_count"], 1);
    let reply = api
        .post(
            &format!("/organizations/{ORG}/invitations"),
            json!({"email_address": "ANN.private@home.test", "role": MEMBER_ROLE, "inviter_user_id": ADMIN}),
        )
        .await;
    reply.assert_error(
        400,
        "already_a_member_in_organization",
        "invite by another address",
    );
}

#[tokio::test]
async fn replacing_a_user_forgets_their_old_addresses() {
    let api = api().await;
    api.fake.add_user(User::new("user_ann", "ann@new.test"));
    let reply = api
        .get("/users?email_address=ann.private%40home.test")
        .await;
    assert_eq!(ids(&reply.body), Vec::<&str>::new());
    let reply = api.get("/users?email_address=ann%40new.test").await;
    assert_eq!(ids(&reply.body), ["user_ann"]);
    let reply = api.get("/users?order_by=%2Bcreated_at").await;
    assert_eq!(
        ids(&reply.body),
        [ADMIN, MEMBER, "user_ann", "user_bob"],
        "a replaced user keeps its place"
    );
}

#[tokio::test]
async fn the_users_route_takes_faults_and_unknown_fields() {
    let api = api().await;
    api.fake
        .faults()
        .on(Route::ListUsers)
        .next(Fault::server_error(503));
    let reply = api.get("/users").await;
    assert_eq!(reply.status.as_u16(), 503);
    api.fake
        .faults()
        .on(Route::ListUsers)
        .next(Fault::UnknownFields);
    let response = api
        .request(reqwest::Method::GET, "/users")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["unknown_future_field"], "surprise");
    assert_eq!(
        api.fake.request_log().requests().len(),
        2,
        "the log holds both"
    );
}
