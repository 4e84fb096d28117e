//! Creates stay duplicate-free when answers are lost: the fake's "processed, then the response
//! lost" fault (and its cousins) never yields a second invitation, a lost one, or a failure for an
//! invitation that exists.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};
use clerk_orgs::{InvitationStatus, NewInvitation, RetryPolicy, Role};
use support::{ORG, World, email};

/// Faults that make a create's answer lost or useless, processed or not.
fn lost_answer_faults() -> Vec<Fault> {
    vec![
        Fault::ProcessedThenDropped,
        Fault::Delay(Duration::from_secs(5)),
        Fault::TruncatedJson,
        Fault::MalformedJson,
        Fault::server_error(500),
        Fault::bare_server_error(502),
        Fault::DropConnection,
    ]
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_returned_once() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let invitation = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    let stored = world.fake.invitations();
    assert_eq!(stored.len(), 1);
    assert_eq!(invitation.id, stored[0].id);
    // The lost create, its retry (a duplicate_record), and the lookup of the pending one.
    assert_eq!(world.creates(), 2);
    assert_eq!(world.lists(), 1);
    // The lookup on the wire: the email's newest invitations, in every status.
    let lookup = world
        .requests()
        .into_iter()
        .find(|r| r.method == "GET")
        .expect("the lookup");
    assert_eq!(
        lookup.path_and_query,
        format!(
            "/v1/organizations/{ORG}/invitations?email_address={}&limit=10&order_by=-created_at",
            email(1).replace('@', "%40")
        )
    );
}

#[tokio::test]
async fn n_creates_under_faults_make_exactly_n_invitations_each_reported_once() {
    let world = World::new().await;
    let client = world
        .builder()
        .retry(RetryPolicy::default().max_attempts(4))
        .build()
        .unwrap();
    let invitations = client.organization(ORG).invitations();
    let faults = lost_answer_faults();
    // Every other request of the create route fails, each kind in turn, so 14 of the 20
    // creates lose their first answer.
    let mut scripted = 0;
    for (k, fault) in faults.iter().cycle().take(14).enumerate() {
        world
            .fake
            .faults()
            .on(Route::CreateInvitation)
            .nth(1 + (k as u64) * 2, fault.clone());
        scripted += 1;
    }
    let n = 20;
    let mut reported = Vec::new();
    for person in 0..n {
        let created = invitations
            .create(email(person), Role::MEMBER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("person {person}: {e:?}"));
        assert_eq!(created.email_address, email(person));
        reported.push(created.id);
    }
    assert_eq!(world.assert_no_duplicates(), n, "exactly N invitations");
    let stored: HashSet<String> = world.fake.invitations().into_iter().map(|i| i.id).collect();
    let reported_ids: HashSet<String> = reported.iter().cloned().collect();
    assert_eq!(reported_ids.len(), n, "each reported once");
    assert_eq!(reported_ids, stored, "and each is the stored one");
    // A garbled success (truncated or malformed JSON) is never sent again: Clerk acted on it,
    // and the lookup settles it. Every other fault costs one extra attempt.
    let garbled = faults
        .iter()
        .cycle()
        .take(scripted)
        .filter(|fault| matches!(fault, Fault::TruncatedJson | Fault::MalformedJson))
        .count();
    assert_eq!(garbled, 4);
    assert_eq!(
        world.creates(),
        n + scripted - garbled,
        "one extra attempt per fault but garbled successes"
    );
}

#[tokio::test]
async fn a_bulk_create_whose_answer_was_lost_returns_every_invitation_once() {
    let world = World::new().await;
    let bulk = world.fake.faults();
    bulk.on(Route::BulkCreateInvitations)
        .nth(1, Fault::ProcessedThenDropped)
        .nth(2, Fault::server_error(503));
    let people: Vec<NewInvitation> = (0..10)
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect();
    let created = world
        .client()
        .organization(ORG)
        .invitations()
        .create_bulk(people)
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 10);
    for (n, invitation) in created.iter().enumerate() {
        assert_eq!(invitation.email_address, email(n), "in the order asked");
    }
    assert_eq!(world.assert_no_duplicates(), 10);
    // Lost, 503, duplicate_record, then one lookup per email.
    assert_eq!(world.bulk_creates(), 3);
    assert_eq!(world.lists(), 10);
}

#[tokio::test]
async fn a_genuine_duplicate_is_an_error_and_costs_no_lookup() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    let error = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_duplicate_invitation(), "{error:?}");
    assert_eq!(world.creates(), 2);
    assert_eq!(world.lists(), 0);
}

#[tokio::test]
async fn a_bulk_retry_that_meets_older_duplicates_is_not_taken_for_its_own() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    invitations
        .create(email(3), Role::MEMBER)
        .send()
        .await
        .unwrap();
    // The first bulk attempt fails before processing; its retry meets the older invitation of
    // person 3 only, so this is a real duplicate and nothing was created by this call.
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::bare_server_error(502));
    let error = invitations
        .create_bulk((0..5).map(|n| NewInvitation::new(email(n), Role::MEMBER)))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_duplicate_invitation(), "{error:?}");
    assert_eq!(world.assert_no_duplicates(), 1);
    // One lookup settles it: person 0 has no invitation at all, so the batch created nothing.
    // (The names in a duplicate_record alone cannot: they are pending invitations only.)
    assert_eq!(world.lists(), 1);
}

#[tokio::test]
async fn without_retries_a_lost_create_is_settled_by_looking_it_up() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let created = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap();
    assert_eq!(world.fake.invitations()[0].id, created.id);
    assert_eq!((world.creates(), world.lists()), (1, 1));
}

#[tokio::test]
async fn without_retries_a_lost_create_whose_lookup_fails_says_it_may_have_been_processed() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::server_error(503));
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert!(error.maybe_processed(), "{error:?}");
    assert_eq!(error.delivery(), clerk_orgs::Delivery::Unknown);
    let unresolved = error.unresolved().expect("an unresolved outcome");
    assert_eq!(unresolved.why(), clerk_orgs::Unsettled::LookupFailed);
    assert_eq!(world.fake.invitations().len(), 1);
    assert_eq!((world.creates(), world.lists()), (1, 1));
}

#[tokio::test]
async fn a_lost_bulk_answer_then_a_long_429_still_returns_the_invitations() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .nth(1, Fault::ProcessedThenDropped)
        .nth(2, Fault::TooManyRequests(RetryAfter::Seconds(3600)));
    let created = world
        .client()
        .organization(ORG)
        .invitations()
        .create_bulk((0..4).map(|n| NewInvitation::new(email(n), Role::MEMBER)))
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 4);
    assert_eq!(world.assert_no_duplicates(), 4);
    // No waiting out the hour: the lookups found what the lost attempt had created.
    assert_eq!(world.bulk_creates(), 2);
    assert_eq!(world.lists(), 4);
    assert!(
        world.elapsed() < Duration::from_secs(60),
        "{:?}",
        world.elapsed()
    );
}

#[tokio::test]
async fn a_revoke_whose_answer_was_lost_returns_the_revoked_invitation() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    let invitation = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::RevokeInvitation)
        .next(Fault::ProcessedThenDropped);
    let revoked = invitations.revoke(&invitation.id).send().await.unwrap();
    assert_eq!(revoked.id, invitation.id);
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    let path = format!("/organizations/{ORG}/invitations/{}", invitation.id);
    assert_eq!(world.count("POST", &format!("{path}/revoke")), 2);
    assert_eq!(world.count("GET", &path), 1);

    // Revoking it again for real is still an error.
    let error = invitations.revoke(&invitation.id).send().await.unwrap_err();
    assert!(
        error
            .codes()
            .any(|c| c.as_str() == "organization_invitation_not_pending")
    );
    assert!(error.is_not_pending() && !error.is_not_found(), "{error:?}");
}

#[tokio::test]
async fn a_lost_revoke_of_an_invitation_revoked_before_the_call_is_not_pending() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    let invitation = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    invitations.revoke(&invitation.id).send().await.unwrap();
    world.fake.clock().advance(Duration::from_secs(60));
    // The call's first attempt is lost (it may have landed, as far as the client knows); the
    // retry meets "not pending". The invitation is revoked, but a minute before this call.
    for fault in [Fault::DropConnection, Fault::server_error(500)] {
        world
            .fake
            .faults()
            .on(Route::RevokeInvitation)
            .next(fault.clone());
        let error = invitations.revoke(&invitation.id).send().await.unwrap_err();
        assert!(
            error
                .codes()
                .any(|c| c.as_str() == "organization_invitation_not_pending"),
            "{fault:?}: {error:?}"
        );
        assert_eq!(
            error.delivery(),
            clerk_orgs::Delivery::Rejected,
            "{fault:?}"
        );
    }
    let path = format!("/organizations/{ORG}/invitations/{}", invitation.id);
    assert_eq!(world.count("POST", &format!("{path}/revoke")), 1 + 2 * 2);
    assert_eq!(
        world.count("GET", &path),
        2,
        "each call fetched it to decide"
    );
}

#[tokio::test]
async fn a_lost_revoke_whose_fetch_fails_is_unresolved() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    let invitation = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::RevokeInvitation)
        .next(Fault::ProcessedThenDropped);
    world
        .fake
        .faults()
        .on(Route::GetInvitation)
        .nth(1, Fault::DropConnection)
        .nth(2, Fault::DropConnection);
    // Two attempts for the revoke and for its fetch: both fetches fail.
    let error = invitations
        .revoke(&invitation.id)
        .retry(RetryPolicy::default().max_attempts(2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.delivery(), clerk_orgs::Delivery::Unknown, "{error:?}");
    let unresolved = error.unresolved().expect("unresolved");
    assert_eq!(unresolved.why(), clerk_orgs::Unsettled::LookupFailed);
    assert!(unresolved.lookup_error().is_some());
    // Its accessors show the last answer, Clerk's "not pending" to the retry.
    let last = support::assert_accessors_describe_the_last_answer(&error);
    assert!(
        last.codes()
            .any(|c| c.as_str() == "organization_invitation_not_pending")
    );
    assert_eq!(
        world.fake.invitations()[0].status,
        clerk_fake::InvitationStatus::Revoked
    );
}
