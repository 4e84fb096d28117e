//! `memberships().update_role(user, role).send()`: the wire, Clerk's refusals (the last admin,
//! an unknown role, not a member), and the outcome under the faults that matter, with the
//! requests the fake saw.

mod support;

use clerk_fake::{Fault, RetryAfter, Route};
use clerk_orgs::{Delivery, Error, Phase, RetryPolicy, Role};
use serde_json::json;
use support::{ADMIN, Env, MEMBER, ORG, World, json_body, membership_requests, refusing_client};

/// (PATCHes of the member's role, GETs of the membership list) the fake saw.
fn counts(world: &World, user: &str) -> (usize, usize) {
    let requests = world.requests();
    (
        membership_requests(&requests, "PATCH", &format!("/{user}")),
        membership_requests(&requests, "GET", ""),
    )
}

async fn role_now(world: &World, user: &str) -> Role {
    support::client_for(&world.fake)
        .organization(ORG)
        .memberships()
        .find(user)
        .send()
        .await
        .unwrap()
        .expect("a member")
        .role
}

#[tokio::test]
async fn the_role_is_set_in_one_request() {
    let env = Env::new().await;
    let updated = env
        .client
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, "org:billing")
        .send()
        .await
        .unwrap();
    let request = env.only_request();
    assert_eq!(request.method, "PATCH");
    assert_eq!(
        request.path_and_query,
        "/v1/organizations/org_acme/memberships/user_member"
    );
    assert_eq!(json_body(&request), json!({"role": "org:billing"}));
    assert_eq!(updated.role, Role::new("org:billing"));
    assert_eq!(updated.user_id(), Some(MEMBER));
    assert!(updated.updated_at >= updated.created_at);
}

#[tokio::test]
async fn clerks_refusals_are_typed_and_change_nothing() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();

    // The only admin cannot be demoted.
    let last = members
        .update_role(ADMIN, Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(last.is_last_admin(), "{last:?}");
    assert_eq!(last.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(last.delivery(), Delivery::Rejected);

    let role = members
        .update_role(MEMBER, "org:nope")
        .send()
        .await
        .unwrap_err();
    assert!(role.is_role_not_found(), "{role:?}");
    assert_eq!(role.delivery(), Delivery::Rejected);

    let stranger = members
        .update_role("user_nobody", Role::ADMIN)
        .send()
        .await
        .unwrap_err();
    assert!(stranger.is_not_found(), "{stranger:?}");
    assert_eq!(stranger.delivery(), Delivery::Rejected);

    assert_eq!(
        env.sent().len(),
        3,
        "one request each, nothing settled by lookups"
    );
    let admin = members.find(ADMIN).send().await.unwrap().unwrap();
    assert_eq!(admin.role, Role::ADMIN);
}

#[tokio::test]
async fn bad_input_and_an_unknown_role_are_refused_before_sending() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();
    for (request, field) in [
        (members.update_role("", Role::ADMIN), "user_id"),
        (members.update_role("..", Role::ADMIN), "user_id"),
        (members.update_role(MEMBER, "org: admin"), "role"),
    ] {
        let error = request.send().await.unwrap_err();
        assert_eq!(
            error.validation().map(|v| v.field()),
            Some(field),
            "{error}"
        );
    }
    assert!(env.sent().is_empty());

    let error = members
        .update_role(MEMBER, "org:nope")
        .check_role(true)
        .send()
        .await
        .unwrap_err();
    assert!(
        error.is_role_not_found() && error.validation().is_some(),
        "{error:?}"
    );
    let sent = env.sent();
    assert_eq!(sent.len(), 1, "only the roles were fetched");
    assert!(sent[0].path_and_query.starts_with("/v1/organization_roles"));
}

// ---- faults, on the fake's virtual clock with the default retries ---------------------------

#[tokio::test]
async fn a_connection_dropped_before_processing_is_retried() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::DropConnection);
    let updated = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.role, Role::ADMIN);
    assert_eq!(counts(&world, MEMBER), (2, 0));
}

#[tokio::test]
async fn an_answer_lost_after_processing_is_retried_harmlessly() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::ProcessedThenDropped);
    let updated = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap();
    // Setting the role again leaves it set once, and Clerk answers it.
    assert_eq!(updated.role, Role::ADMIN);
    assert_eq!(counts(&world, MEMBER), (2, 0));
    assert_eq!(role_now(&world, MEMBER).await, Role::ADMIN);
}

#[tokio::test]
async fn an_answer_lost_without_retries_is_settled_by_the_lookup() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::ProcessedThenDropped);
    let updated = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap();
    assert_eq!(updated.role, Role::ADMIN);
    assert_eq!(counts(&world, MEMBER), (1, 1));
}

#[tokio::test]
async fn a_garbled_success_is_never_sent_again_and_is_settled() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::TruncatedJson);
    let updated = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.role, Role::ADMIN);
    assert_eq!(
        counts(&world, MEMBER),
        (1, 1),
        "a success is never sent again"
    );
}

#[tokio::test]
async fn a_5xx_on_every_attempt_that_changed_nothing_keeps_its_answer() {
    let world = World::new().await;
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::UpdateMembership)
            .nth(n, Fault::server_error(503));
    }
    let error = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap_err();
    // The lookup found the old role: the change did not happen, and the 503 stands.
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(counts(&world, MEMBER), (4, 1));
    assert_eq!(role_now(&world, MEMBER).await, Role::MEMBER);
}

#[tokio::test]
async fn an_answer_lost_whose_lookup_fails_is_unresolved() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::ProcessedThenDropped);
    world
        .fake
        .faults()
        .on(Route::ListMemberships)
        .next(Fault::server_error(500));
    let error = world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert!(error.unresolved().is_some(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(counts(&world, MEMBER), (1, 1));
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::UpdateMembership)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(2)));
    world
        .client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(counts(&world, MEMBER), (2, 0));
    assert_eq!(world.elapsed(), std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn clerks_limit_per_membership_is_met_with_a_429_and_waited_out() {
    // Clerk allows 10 role or metadata updates per 10 s per membership; the client does not
    // pace that limit (it is per membership), so the 11th update meets a 429, which pauses the
    // global budget for its `Retry-After` and is retried once the window has passed.
    let world = World::new().await;
    let members = world.client().organization(ORG).memberships();
    for n in 0..11 {
        let role = if n % 2 == 0 {
            Role::ADMIN
        } else {
            Role::MEMBER
        };
        members.update_role(MEMBER, role).send().await.unwrap();
    }
    assert_eq!(
        counts(&world, MEMBER),
        (12, 0),
        "eleven updates, one of them retried"
    );
    // The retry waited for the window to reopen, as Clerk's `Retry-After` said.
    let patches: Vec<i64> = world
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.received_at_ms)
        .collect();
    assert!(patches[11] > patches[10], "the retry waited: {patches:?}");
    assert_eq!(role_now(&world, MEMBER).await, Role::ADMIN);
}

#[tokio::test]
async fn a_refused_connection_sent_nothing() {
    let error = refusing_client()
        .organization(ORG)
        .memberships()
        .update_role(MEMBER, Role::ADMIN)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Transport(t) if t.phase() == Phase::Connect));
    assert_eq!(error.delivery(), Delivery::NotSent);
}
