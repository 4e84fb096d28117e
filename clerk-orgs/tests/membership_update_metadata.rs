//! `memberships().update_metadata(user).send()`: Clerk's deep merge as the fake models it, the
//! wire, and the outcome under the faults that matter, with the requests the fake saw.

mod support;

use clerk_fake::{Fault, Route, User};
use clerk_orgs::{Delivery, RetryPolicy, Role};
use serde_json::{Value, json};
use support::{Env, MEMBER, ORG, World, json_body, membership_requests, refusing_client};

const CAROL: &str = "user_carol";

fn object(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// Carol as a member with nested public metadata and some private metadata.
async fn with_carol(fake: &clerk_fake::FakeClerk) {
    fake.add_user(User::new(CAROL, "carol@acme.test"));
    support::client_for(fake)
        .organization(ORG)
        .memberships()
        .create(CAROL, Role::MEMBER)
        .public_metadata(json!({"prefs": {"theme": "dark", "lang": "en"}, "seat": 7}))
        .private_metadata(json!({"plan": "pro"}))
        .send()
        .await
        .unwrap();
    fake.request_log().clear();
}

/// (PATCHes of carol's metadata, GETs of the membership list) the fake saw.
fn counts(world: &World) -> (usize, usize) {
    let requests = world.requests();
    (
        membership_requests(&requests, "PATCH", &format!("/{CAROL}/metadata")),
        membership_requests(&requests, "GET", ""),
    )
}

#[tokio::test]
async fn metadata_is_merged_deeply_and_null_removes_a_key() {
    let env = Env::new().await;
    with_carol(&env.fake).await;
    let merged = env
        .client
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(
            json!({"prefs": {"theme": "light", "font": null}, "seat": null, "tags": [1, 2]}),
        )
        .send()
        .await
        .unwrap();

    let request = env.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(
        request.path_and_query,
        "/v1/organizations/org_acme/memberships/user_carol/metadata"
    );
    // Only what was given goes out: private metadata is left alone.
    assert_eq!(
        json_body(&request),
        json!({"public_metadata": {"prefs": {"theme": "light", "font": null}, "seat": null, "tags": [1, 2]}})
    );
    assert_eq!(
        merged.public_metadata,
        object(json!({"prefs": {"theme": "light", "lang": "en"}, "tags": [1, 2]}))
    );
    assert_eq!(merged.private_metadata, object(json!({"plan": "pro"})));

    // An array replaces an array; it is not merged.
    let again = env
        .client
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(json!({"tags": [3]}))
        .private_metadata(json!({"plan": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.public_metadata["tags"], json!([3]));
    assert!(again.private_metadata.is_empty());
}

#[tokio::test]
async fn refusals_and_bad_input() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();
    let error = members
        .update_metadata(MEMBER)
        .public_metadata(json!(["not", "an", "object"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.validation().unwrap().field(), "public_metadata");
    assert!(env.sent().is_empty());

    let error = members
        .update_metadata("user_nobody")
        .public_metadata(json!({"a": 1}))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Rejected);
    assert_eq!(env.sent().len(), 1);
}

// ---- faults, on the fake's virtual clock with the default retries ---------------------------

#[tokio::test]
async fn an_answer_lost_after_processing_is_retried_harmlessly() {
    let world = World::new().await;
    with_carol(&world.fake).await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembershipMetadata)
        .next(Fault::ProcessedThenDropped);
    let merged = world
        .client()
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(json!({"seat": 8, "prefs": {"lang": null}}))
        .send()
        .await
        .unwrap();
    // The same merge twice leaves the metadata as once.
    assert_eq!(
        merged.public_metadata,
        object(json!({"prefs": {"theme": "dark"}, "seat": 8}))
    );
    assert_eq!(counts(&world), (2, 0));
}

#[tokio::test]
async fn an_answer_lost_without_retries_is_settled_by_the_lookup() {
    let world = World::new().await;
    with_carol(&world.fake).await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembershipMetadata)
        .next(Fault::ProcessedThenDropped);
    let merged = world
        .client()
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(json!({"seat": 8, "prefs": {"lang": null}}))
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap();
    assert_eq!(merged.public_metadata["seat"], 8);
    assert_eq!(counts(&world), (1, 1));
}

#[tokio::test]
async fn a_garbled_success_is_never_sent_again_and_is_settled() {
    let world = World::new().await;
    with_carol(&world.fake).await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembershipMetadata)
        .next(Fault::TruncatedJson);
    let merged = world
        .client()
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .private_metadata(json!({"plan": "team"}))
        .send()
        .await
        .unwrap();
    assert_eq!(merged.private_metadata["plan"], "team");
    assert_eq!(counts(&world), (1, 1), "a success is never sent again");
}

#[tokio::test]
async fn a_merge_that_never_landed_keeps_the_last_answer() {
    let world = World::new().await;
    with_carol(&world.fake).await;
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::UpdateMembershipMetadata)
            .nth(n, Fault::server_error(502));
    }
    let error = world
        .client()
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(json!({"seat": 8}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(
        counts(&world),
        (4, 1),
        "the lookup found seat 7: not merged"
    );
}

#[tokio::test]
async fn a_refused_connection_sent_nothing() {
    let error = refusing_client()
        .organization(ORG)
        .memberships()
        .update_metadata(CAROL)
        .public_metadata(json!({"a": 1}))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.delivery(), Delivery::NotSent);
}
