//! Client-side rate limits against `clerk-fake`'s real ones, on its virtual clock: budgets shared
//! by clones, waiting or failing fast, and a 429 slowing the limiter down.

mod support;

use std::time::Duration;

use clerk_fake::{FakeClerk, Fault, KeyKind, RateLimits as FakeLimits, RetryAfter, Route};
use clerk_orgs::{Budget, Error, Limit, LimitMode, NewInvitation, RateLimits, RetryPolicy, Role};
use support::{ORG, World, email};

fn batch(first: usize) -> Vec<NewInvitation> {
    (first..first + 10)
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect()
}

#[tokio::test]
async fn clones_share_one_budget_and_fail_fast_sends_nothing() {
    let world = World::new().await;
    let client = world
        .builder()
        .rate_limits(
            RateLimits::default()
                .create_invitation(Limit::per_hour(2))
                .mode(LimitMode::FailFast),
        )
        .build()
        .unwrap();
    let clone = client.clone();
    client
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    clone
        .organization(ORG)
        .invitations()
        .create(email(2), Role::MEMBER)
        .send()
        .await
        .unwrap();
    let error = clone
        .organization(ORG)
        .invitations()
        .create(email(3), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    let Error::BudgetExhausted(exhausted) = &error else {
        panic!("expected the client's own limit, got {error:?}");
    };
    assert_eq!(exhausted.budget(), Budget::CreateInvitation);
    // Two in the last hour: the first leaves the window an hour and its headroom (a thousandth
    // of the hour) after it went out.
    assert_eq!(error.retry_after(), Some(Duration::from_millis(3_603_600)));
    assert!(error.to_string().contains("retry in 3603.6 s"), "{error}");
    assert_eq!(world.creates(), 2, "the refused call sent nothing");

    // Reads only draw from the global budget.
    client
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();

    // Waiting instead, per request: the clock moves to when the budget allows it.
    client
        .organization(ORG)
        .invitations()
        .create(email(3), Role::MEMBER)
        .rate_limit_mode(LimitMode::Wait)
        .send()
        .await
        .unwrap();
    assert_eq!(world.elapsed(), Duration::from_millis(3_603_600));
    assert_eq!(world.creates(), 3);
}

/// The fake counts Clerk's windows fixed (10 s); the global budget lets 100 through at once, then
/// waits for the window and its headroom (50 ms) to pass, and never meets a 429.
#[tokio::test]
async fn the_global_budget_keeps_inside_the_servers_windows() {
    let world = World::new().await;
    let client = world.client();
    let invitations = client.organization(ORG).invitations();
    for _ in 0..250 {
        invitations.list().send().await.unwrap();
    }
    // 100 at once, 100 more when the first window has passed, then the last 50.
    assert_eq!(world.lists(), 250, "no 429, so nothing sent twice");
    assert_eq!(world.elapsed(), Duration::from_millis(20_100));
}

#[tokio::test]
async fn live_keys_get_ten_times_the_global_budget() {
    let fake = FakeClerk::builder()
        .key_kind(KeyKind::Live)
        .start()
        .await
        .unwrap();
    let world = World::with(fake);
    let client = world
        .builder()
        .rate_limits(RateLimits::default().mode(LimitMode::FailFast))
        .build()
        .unwrap();
    let invitations = client.organization(ORG).invitations();
    for _ in 0..1000 {
        invitations.list().send().await.unwrap();
    }
    let error = invitations.list().send().await.unwrap_err();
    assert!(matches!(error, Error::BudgetExhausted(_)), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_millis(10_050)));
    assert_eq!(world.lists(), 1000);
}

#[tokio::test]
async fn a_429_pauses_the_budget_until_retry_after() {
    let world = World::new().await;
    let client = world
        .builder()
        .rate_limits(RateLimits::default().mode(LimitMode::FailFast))
        .build()
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(30)));
    let invitations = client.organization(ORG).invitations();
    let error = invitations
        .create(email(1), Role::MEMBER)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited());
    // Clerk said 30 s: the client does not ask before then...
    let error = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BudgetExhausted(_)), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(world.creates(), 1);
    // ...but other routes are not held up by a create's 429.
    invitations.list().send().await.unwrap();
    // Waiting passes the pause, and the create goes through.
    invitations
        .create(email(1), Role::MEMBER)
        .rate_limit_mode(LimitMode::Wait)
        .send()
        .await
        .unwrap();
    assert_eq!(world.elapsed(), Duration::from_secs(30));
    assert_eq!(world.creates(), 2);
}

/// The fake counts Clerk's hourly bulk limit in fixed windows: the budget sends 50 at the start
/// of each hour (and its headroom) and never meets a 429 (a GCRA budget, refilling while such a
/// window was still full, met one; the simulator found it).
#[tokio::test]
async fn the_bulk_budget_stays_inside_the_servers_windows() {
    let fake = FakeClerk::builder()
        .rate_limits(FakeLimits {
            all_requests: None,
            ..FakeLimits::clerk_defaults(KeyKind::Test)
        })
        .start()
        .await
        .unwrap();
    let world = World::with(fake);
    let client = world.client();
    let invitations = client.organization(ORG).invitations();
    let mut rate_limited = 0;
    let mut created = 0;
    let mut first = 0;
    while created < 1_200 {
        match invitations.create_bulk(batch(first)).send().await {
            Ok(invitations) => {
                created += invitations.len();
                first += 10;
            }
            Err(error) => {
                // Clerk's wait (the rest of the hour) is past the retry policy's cap.
                assert!(error.is_rate_limited(), "{error:?}");
                assert!(error.retry_after() > Some(Duration::from_secs(3000)));
                rate_limited += 1;
            }
        }
    }
    assert_eq!(rate_limited, 0, "no 429");
    assert_eq!(world.bulk_creates(), 120);
    // 50 in the first hour, 50 at the start of the second, 20 at the start of the third, each
    // hour and 3.6 s of headroom after the one before.
    assert_eq!(world.elapsed(), Duration::from_millis(2 * 3_603_600));
    assert_eq!(world.assert_no_duplicates(), 1_200);
}

/// Failing fast is about not starting a call: a retry the budget refuses ends the call with
/// what its last attempt said, never with a budget error that would claim nothing was sent. For
/// a create whose answer was lost, that means looking the invitation up.
#[tokio::test]
async fn fail_fast_never_hides_what_the_last_attempt_did() {
    let world = World::new().await;
    let client = world
        .builder()
        .rate_limits(
            RateLimits::default()
                .create_invitation(Limit::per_hour(1))
                .mode(LimitMode::FailFast),
        )
        .build()
        .unwrap();
    let invitations = client.organization(ORG).invitations();
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let created = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    assert_eq!(created.id, world.fake.invitations()[0].id);
    assert_eq!(
        (world.creates(), world.lists()),
        (1, 1),
        "no resend, one lookup"
    );

    // A read whose retry the global budget refuses ends with the read's own error.
    let client = world
        .builder()
        .rate_limits(
            RateLimits::default()
                .all_requests(Limit::new(1, Duration::from_secs(10)))
                .mode(LimitMode::FailFast),
        )
        .build()
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::server_error(503));
    let error = client
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
}
