//! `memberships().delete(user).send()`: the wire, Clerk's refusals (the last admin, not a
//! member), and the outcome under the faults that matter (`Removal::Gone` when a lost answer
//! left no membership), with the requests the fake saw.

mod support;

use clerk_fake::{Fault, RetryAfter, Route};
use clerk_orgs::{Client, Delivery, Error, Phase, Removal, RetryPolicy};
use support::{ADMIN, Env, MEMBER, ORG, World, canned, membership_requests, refusing_client};

/// (DELETEs of the member, GETs of the membership list) the fake saw.
fn counts(world: &World) -> (usize, usize) {
    let requests = world.requests();
    (
        membership_requests(&requests, "DELETE", &format!("/{MEMBER}")),
        membership_requests(&requests, "GET", ""),
    )
}

#[tokio::test]
async fn a_member_is_removed_in_one_request() {
    let env = Env::new().await;
    let removal = env
        .client
        .organization(ORG)
        .memberships()
        .delete(MEMBER)
        .send()
        .await
        .unwrap();
    let request = env.only_request();
    assert_eq!(request.method, "DELETE");
    assert_eq!(
        request.path_and_query,
        "/v1/organizations/org_acme/memberships/user_member"
    );
    assert!(request.body.is_empty());
    let Removal::Removed(removed) = &removal else {
        panic!("expected Clerk's answer: {removal:?}");
    };
    assert_eq!(removed.user_id(), Some(MEMBER));
    assert_eq!(removal.membership().map(|m| &m.id), Some(&removed.id));
    let members = env.client.organization(ORG).memberships();
    assert!(members.find(MEMBER).send().await.unwrap().is_none());
}

#[tokio::test]
async fn clerks_refusals_are_typed() {
    let env = Env::new().await;
    let members = env.client.organization(ORG).memberships();

    let last = members.delete(ADMIN).send().await.unwrap_err();
    assert!(last.is_last_admin(), "{last:?}");
    assert_eq!(last.delivery(), Delivery::Rejected);

    let stranger = members.delete("user_nobody").send().await.unwrap_err();
    assert!(stranger.is_not_found(), "{stranger:?}");
    assert_eq!(stranger.delivery(), Delivery::Rejected);

    let error = members.delete("").send().await.unwrap_err();
    assert_eq!(error.validation().unwrap().field(), "user_id");
    assert_eq!(env.sent().len(), 2, "no lookups for plain refusals");
    assert!(members.find(ADMIN).send().await.unwrap().is_some());
}

// ---- faults, on the fake's virtual clock with the default retries ---------------------------

#[tokio::test]
async fn a_connection_dropped_before_processing_is_retried() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &[Fault::DropConnection]);
    let removal = world.members().delete(MEMBER).send().await.unwrap();
    assert!(matches!(removal, Removal::Removed(_)), "{removal:?}");
    assert_eq!(counts(&world), (2, 0));
}

#[tokio::test]
async fn an_answer_lost_after_processing_is_gone_after_the_lookup() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &[Fault::ProcessedThenDropped]);
    let removal = world.members().delete(MEMBER).send().await.unwrap();
    // The retry met 404 (the first attempt had removed it), and the lookup found nothing left.
    assert_eq!(removal, Removal::Gone);
    assert_eq!(counts(&world), (2, 1));
    assert!(world.member_now(MEMBER).await.is_none());
}

#[tokio::test]
async fn an_answer_lost_without_retries_is_gone_after_the_lookup() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &[Fault::ProcessedThenDropped]);
    let removal = world
        .members()
        .delete(MEMBER)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap();
    assert_eq!(removal, Removal::Gone);
    assert_eq!(counts(&world), (1, 1));
}

#[tokio::test]
async fn a_garbled_success_is_gone_without_asking_again() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &[Fault::TruncatedJson]);
    let removal = world.members().delete(MEMBER).send().await.unwrap();
    // Clerk answered with a success: it removed the member; nothing more to ask.
    assert_eq!(removal, Removal::Gone);
    assert_eq!(counts(&world), (1, 0));
    assert!(world.member_now(MEMBER).await.is_none());
}

#[tokio::test]
async fn a_delete_that_never_landed_keeps_the_last_answer() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &vec![Fault::server_error(503); 4]);
    let error = world.members().delete(MEMBER).send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(
        counts(&world),
        (4, 1),
        "the lookup found the member still there"
    );
    assert!(world.member_now(MEMBER).await.is_some());
}

#[tokio::test]
async fn an_answer_lost_whose_lookup_fails_is_unresolved() {
    let world = World::new().await;
    world.faults(Route::DeleteMembership, &[Fault::ProcessedThenDropped]);
    world.faults(Route::ListMemberships, &[Fault::server_error(500)]);
    let error = world
        .members()
        .delete(MEMBER)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert!(error.unresolved().is_some(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(counts(&world), (1, 1));
}

#[tokio::test]
async fn a_429_is_waited_out_and_retried() {
    let world = World::new().await;
    world.faults(
        Route::DeleteMembership,
        &[Fault::TooManyRequests(RetryAfter::Seconds(4))],
    );
    let removal = world.members().delete(MEMBER).send().await.unwrap();
    assert!(matches!(removal, Removal::Removed(_)));
    assert_eq!(counts(&world), (2, 0));
    assert_eq!(world.elapsed(), std::time::Duration::from_secs(4));
}

#[tokio::test]
async fn a_refused_connection_sent_nothing() {
    let error = refusing_client()
        .organization(ORG)
        .memberships()
        .delete(MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Transport(t) if t.phase() == Phase::Connect));
    assert_eq!(error.delivery(), Delivery::NotSent);
}

#[tokio::test]
async fn a_lookup_that_shows_the_filter_ignored_settles_nothing() {
    // The delete's answer is a 503 (it may have landed); the lookup by user id answers two
    // other members' memberships "of 20": the one asked about may be among the 18 not read.
    let env = Env::new().await;
    let server = canned::serve(canned::members_page(&env.fake, ORG, 2, 20).await).await;
    let client = Client::builder()
        .secret_key("sk_test_filter_ignored")
        .base_url(server.base_url.as_str())
        .build()
        .unwrap();
    let error = client
        .organization(ORG)
        .memberships()
        .delete("user_gone")
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    let unresolved = error.unresolved().expect("not gone: unknown");
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(503),
        "{unresolved:?}"
    );
    assert_eq!(error.delivery(), Delivery::Unknown);
    assert_eq!(server.requests(), 2, "the delete and one lookup");
}
