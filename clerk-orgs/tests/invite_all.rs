//! `invite_all` over real HTTP against `clerk-fake`: batching, isolating the entries a bulk call
//! fails on, pacing under Clerk's limits, faults, progress and resuming.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use clerk_fake::{Fault, Organization, Route};
use clerk_orgs::{
    ErrorCode, InviteOutcome, InviteResult, NewInvitation, Progress, RetryPolicy, Role,
};
use futures::StreamExt;
use support::{MEMBER_EMAIL, ORG, World, email};

fn people(range: std::ops::Range<usize>) -> Vec<NewInvitation> {
    range
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect()
}

/// The name of each outcome's kind, for counting.
fn kind(outcome: &InviteOutcome) -> &'static str {
    match &outcome.result {
        InviteResult::Invited(_) => "invited",
        InviteResult::AlreadyInvited(_) => "already_invited",
        InviteResult::AlreadyMember => "already_member",
        InviteResult::Rejected { .. } => "rejected",
        InviteResult::Failed(_) => "failed",
        InviteResult::MaybeInvited(_) => "maybe_invited",
        InviteResult::RateLimited(_) => "rate_limited",
        InviteResult::NotSent(_) => "not_sent",
        _ => "other",
    }
}

fn count(outcomes: &[InviteOutcome]) -> HashMap<&'static str, usize> {
    let mut counts = HashMap::new();
    for outcome in outcomes {
        *counts.entry(kind(outcome)).or_default() += 1;
    }
    counts
}

/// Asserts there is exactly one outcome per input index, and returns them by index.
fn by_index(outcomes: &[InviteOutcome], total: usize) -> Vec<&InviteOutcome> {
    let mut slots: Vec<Option<&InviteOutcome>> = vec![None; total];
    for outcome in outcomes {
        assert!(
            slots[outcome.index].replace(outcome).is_none(),
            "index {} reported twice",
            outcome.index
        );
    }
    slots
        .into_iter()
        .enumerate()
        .map(|(n, slot)| slot.unwrap_or_else(|| panic!("index {n} has no outcome")))
        .collect()
}

#[tokio::test]
async fn a_mixed_list_isolates_the_entries_bulk_calls_fail_on() {
    let world = World::new().await;
    let client = world.client();
    let invitations = client.organization(ORG).invitations();
    for n in [3, 14] {
        invitations
            .create(email(n), Role::MEMBER)
            .send()
            .await
            .unwrap();
    }
    world.fake.request_log().clear();

    let mut input = people(0..25);
    input[7] = NewInvitation::new(MEMBER_EMAIL, Role::MEMBER);
    input[9] = NewInvitation::new("not-an-email", Role::MEMBER);
    input[12] = NewInvitation::new(email(5).to_uppercase(), Role::MEMBER);
    input[20] = NewInvitation::new(email(20), "org:nonexistent");

    let mut run = invitations.invite_all(input);
    assert_eq!(run.progress(), Progress { done: 0, total: 25 });
    let mut outcomes = Vec::new();
    while let Some(outcome) = run.next().await {
        outcomes.push(outcome);
        assert_eq!(
            run.progress().done,
            outcomes.len(),
            "progress follows the stream"
        );
    }
    assert_eq!(
        run.progress(),
        Progress {
            done: 25,
            total: 25
        }
    );

    let slots = by_index(&outcomes, 25);
    assert!(matches!(slots[7].result, InviteResult::AlreadyMember));
    for n in [3, 14] {
        match &slots[n].result {
            InviteResult::AlreadyInvited(Some(existing)) => {
                assert_eq!(existing.email_address, email(n));
            }
            other => panic!("index {n}: {other:?}"),
        }
    }
    for n in [9, 12] {
        assert!(
            matches!(&slots[n].result, InviteResult::Rejected { code: None, .. }),
            "index {n}: {:?}",
            slots[n].result
        );
    }
    match &slots[20].result {
        InviteResult::Rejected { code, reason } => {
            assert_eq!(
                code.as_ref(),
                Some(&ErrorCode::ResourceNotFound),
                "{reason}"
            );
        }
        other => panic!("index 20: {other:?}"),
    }
    for (n, slot) in slots.iter().enumerate() {
        if let InviteResult::Invited(invitation) = &slot.result {
            assert_eq!(invitation.email_address, slot.email_address, "index {n}");
        }
    }
    assert_eq!(count(&outcomes)["invited"], 19);
    assert_eq!(world.assert_no_duplicates(), 2 + 19);

    // Nothing was sent for the two invalid entries. Bulk calls: a member in the first ten,
    // then an older invitation, then success; an older invitation in the next ten, then an
    // unknown role nobody is named for, whose ten go out one by one.
    assert_eq!(world.bulk_creates(), 5);
    assert_eq!(world.creates(), 10);
    assert_eq!(world.lists(), 2, "one lookup per already invited person");
}

#[tokio::test]
async fn under_faults_everyone_is_invited_exactly_once() {
    let world = World::new().await;
    let bulk = world.fake.faults();
    bulk.on(Route::BulkCreateInvitations)
        .nth(1, Fault::ProcessedThenDropped)
        .nth(2, Fault::server_error(503))
        .nth(4, Fault::Delay(Duration::from_secs(5)))
        .nth(6, Fault::TruncatedJson)
        .nth(7, Fault::DropConnection)
        .nth(9, Fault::HtmlErrorPage { status: 502 });
    let client = world.client();
    let outcomes: Vec<InviteOutcome> = client
        .organization(ORG)
        .invitations()
        .invite_all(people(0..45))
        .collect()
        .await;
    let slots = by_index(&outcomes, 45);
    for (n, slot) in slots.iter().enumerate() {
        match &slot.result {
            InviteResult::Invited(invitation) => assert_eq!(invitation.email_address, email(n)),
            other => panic!("index {n}: {other:?}"),
        }
    }
    assert_eq!(
        world.assert_no_duplicates(),
        45,
        "no lost and no duplicate invitations"
    );
}

/// The first request's people fail with Clerk's answer; nobody else is sent.
#[tokio::test]
async fn a_missing_organization_fails_everyone_after_one_request() {
    let world = World::new().await;
    let client = world.client();
    let outcomes: Vec<InviteOutcome> = client
        .organization("org_missing")
        .invitations()
        .invite_all(people(0..25))
        .collect()
        .await;
    let counts = count(&outcomes);
    assert_eq!((counts["failed"], counts["not_sent"]), (10, 15));
    for outcome in &outcomes {
        let error = outcome.result.error().expect("an error");
        assert!(error.is_not_found(), "{error:?}");
        assert!(!outcome.result.is_final());
    }
    assert_eq!(world.requests().len(), 1);
}

#[tokio::test]
async fn a_run_can_be_resumed_from_its_outcomes() {
    let world = World::new().await;
    // Retries off: the first bulk call is processed but its answer is lost, and so is the
    // lookup's, so its ten people may have been invited; Clerk looks unreachable, so the other
    // ten are not sent.
    let client = world.builder().retry(RetryPolicy::none()).build().unwrap();
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::ProcessedThenDropped);
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::DropConnection);
    let invitations = client.organization(ORG).invitations();
    let input = people(0..20);
    let first: Vec<InviteOutcome> = invitations.invite_all(input.clone()).collect().await;
    let counts = count(&first);
    assert_eq!((counts["maybe_invited"], counts["not_sent"]), (10, 10));

    // Persisted outcomes say who still needs a final answer; send exactly those again.
    let again: Vec<NewInvitation> = first
        .iter()
        .filter(|outcome| !outcome.result.is_final())
        .map(|outcome| input[outcome.index].clone())
        .collect();
    let second: Vec<InviteOutcome> = invitations.invite_all(again).collect().await;
    let counts = count(&second);
    assert_eq!((counts["already_invited"], counts["invited"]), (10, 10));
    for outcome in &second {
        match &outcome.result {
            InviteResult::AlreadyInvited(Some(existing)) => {
                assert!(outcome.index < 10, "{outcome:?}");
                assert_eq!(existing.email_address, outcome.email_address);
            }
            InviteResult::Invited(_) => assert!(outcome.index >= 10, "{outcome:?}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(world.assert_no_duplicates(), 20);
}

/// With Clerk's real limits, the run paces itself: 50 bulk calls in the first hour, the rest
/// when it has passed, and never a 429.
#[tokio::test]
async fn a_run_paces_itself_under_the_hourly_bulk_limit() {
    let world = World::new().await;
    let client = world.client();
    let mut run = client
        .organization(ORG)
        .invitations()
        .invite_all(people(0..600));
    let progress = run.watch_progress();
    let mut invited = 0;
    while let Some(outcome) = run.next().await {
        assert!(
            matches!(outcome.result, InviteResult::Invited(_)),
            "{outcome:?}"
        );
        invited += 1;
    }
    assert_eq!(invited, 600);
    assert_eq!(
        *progress.borrow(),
        Progress {
            done: 600,
            total: 600
        }
    );
    assert_eq!(world.bulk_creates(), 60, "60 calls and no 429");
    // 50 calls at once, the other 10 when the first hour and its headroom (3.6 s) have passed.
    assert_eq!(world.elapsed(), Duration::from_millis(3_603_600));
    assert_eq!(world.assert_no_duplicates(), 600);
}

/// Clerk refuses a bulk call past the membership quota without naming anyone: the batch goes
/// out one by one until one person does not fit, who fails with Clerk's answer, and everyone
/// left is not sent.
#[tokio::test]
async fn the_membership_quota_fills_up_then_stops_the_run() {
    let world = World::new().await;
    world
        .fake
        .add_organization(Organization::new("org_small", "Small").with_max_allowed_memberships(5));
    let client = world.client();
    let outcomes: Vec<InviteOutcome> = client
        .organization("org_small")
        .invitations()
        .invite_all(people(0..12))
        .collect()
        .await;
    let counts = count(&outcomes);
    assert_eq!(
        (counts["invited"], counts["failed"], counts["not_sent"]),
        (5, 1, 6)
    );
    for outcome in &outcomes {
        if let Some(error) = outcome.result.error() {
            assert!(error.is_quota_exceeded(), "{error:?}");
        }
    }
    let requests = world.requests();
    let posts = |path: &str| {
        requests
            .iter()
            .filter(|r| r.method == "POST" && r.path_and_query == path)
            .count()
    };
    assert_eq!(posts("/v1/organizations/org_small/invitations/bulk"), 1);
    assert_eq!(posts("/v1/organizations/org_small/invitations"), 6);
}
