//! The retry policy over real HTTP against `clerk-fake`: what is retried, how often, after how
//! long (on the fake's virtual clock), and how each failure is classified when retries run out.

mod support;

use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};
use clerk_orgs::{Delivery, Error, InvitationStatus, Jitter, RetryPolicy, Role};
use support::{ORG, World, email, events};

fn invitation_path(id: &str) -> String {
    format!("/organizations/{ORG}/invitations/{id}")
}

/// Creates one invitation without faults and returns its id.
async fn seed_invitation(world: &World) -> String {
    let client = world.client();
    let created = client
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    world.fake.request_log().clear();
    created.id
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_in_seconds() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(7)));
    let page = world
        .client()
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, 0);
    assert_eq!(world.lists(), 2);
    assert_eq!(
        world.elapsed(),
        Duration::from_secs(7),
        "waited exactly as asked"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_as_an_http_date() {
    // The fake's clock starts in 2026-01-01, far from real time: the wait must be measured
    // against the response's `Date`, not the local clock.
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::TooManyRequests(RetryAfter::HttpDateIn(
            Duration::from_secs(30),
        )));
    world
        .client()
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(world.lists(), 2);
    assert_eq!(world.elapsed(), Duration::from_secs(30));
}

#[tokio::test]
async fn a_retry_after_past_the_cap_is_returned_not_waited() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(3600)));
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(world.lists(), 1);
    assert_eq!(world.elapsed(), Duration::ZERO);
}

#[tokio::test]
async fn a_sequence_of_5xx_is_retried_until_it_passes() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    let faults = world.fake.faults();
    let get = faults.on(Route::GetInvitation);
    get.nth(1, Fault::server_error(502));
    get.nth(2, Fault::bare_server_error(503));
    get.nth(3, Fault::HtmlErrorPage { status: 504 });
    let invitation = world
        .client()
        .organization(ORG)
        .invitations()
        .get(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.id, id);
    assert_eq!(world.count("GET", &invitation_path(&id)), 4);
}

#[tokio::test]
async fn retries_stop_after_max_attempts_with_the_last_error() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    for n in 1..=5 {
        world
            .fake
            .faults()
            .on(Route::GetInvitation)
            .nth(n, Fault::server_error(503));
    }
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .get(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(error.is_retryable());
    assert_eq!(
        world.count("GET", &invitation_path(&id)),
        4,
        "the default is 4 attempts"
    );
}

#[tokio::test]
async fn a_per_request_policy_overrides_the_clients() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    let client = world
        .builder()
        .retry(RetryPolicy::default().max_attempts(6).jitter(Jitter::None))
        .build()
        .unwrap();
    let get = world.fake.faults().on(Route::GetInvitation);
    for n in 1..=5 {
        get.nth(n, Fault::server_error(502));
    }
    let invitations = client.organization(ORG).invitations();
    let error = invitations
        .get(&id)
        .retry(RetryPolicy::none())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(world.count("GET", &invitation_path(&id)), 1);

    // The client's own policy (6 attempts, 250 ms doubling) outlasts the remaining four.
    invitations.get(&id).send().await.unwrap();
    assert_eq!(world.count("GET", &invitation_path(&id)), 6);
    assert_eq!(
        world.elapsed(),
        Duration::from_millis(250 + 500 + 1000 + 2000),
        "exact backoff without jitter"
    );
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    let world = World::new().await;
    let client = world.client();
    let invitations = client.organization(ORG).invitations();

    let error = invitations.get("orginv_missing").send().await.unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(world.count("GET", &invitation_path("orginv_missing")), 1);

    let error = invitations
        .create(email(1), Role::new("org:nonexistent"))
        .send()
        .await
        .unwrap_err();
    // Clerk's `OrganizationRoleNotFound`: a 404 about the role, not retried either.
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert!(error.is_role_not_found(), "{error:?}");
    assert_eq!(world.creates(), 1);

    let unauthorized = world
        .builder()
        .secret_key("sk_test_not_the_fakes_key")
        .build()
        .unwrap();
    let error = unauthorized
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(error.is_authentication());
    assert_eq!(world.lists(), 1);
}

#[tokio::test]
async fn dropped_connections_timeouts_and_garbled_bodies_are_retried() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    let get = world.fake.faults().on(Route::GetInvitation);
    get.nth(1, Fault::DropConnection);
    get.nth(2, Fault::Delay(Duration::from_secs(5)));
    get.nth(3, Fault::MalformedJson);
    let client = world
        .builder()
        .retry(RetryPolicy::default().max_attempts(5))
        .build()
        .unwrap();
    let invitation = client
        .organization(ORG)
        .invitations()
        .get(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.id, id);
    assert_eq!(world.count("GET", &invitation_path(&id)), 4);

    world.fake.request_log().clear();
    world
        .fake
        .faults()
        .on(Route::ListInvitations)
        .next(Fault::TruncatedJson);
    let page = client
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(world.lists(), 2);
}

#[tokio::test]
async fn unknown_fields_and_values_are_not_failures() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    let get = world.fake.faults().on(Route::GetInvitation);
    get.nth(1, Fault::UnknownFields);
    get.nth(2, Fault::UnknownStatus);
    let invitations = world.client().organization(ORG).invitations();
    assert_eq!(invitations.get(&id).send().await.unwrap().id, id);
    let surprising = invitations.get(&id).send().await.unwrap();
    assert_eq!(
        surprising.status,
        InvitationStatus::Unknown("on_hold".to_owned())
    );
    assert_eq!(world.count("GET", &invitation_path(&id)), 2, "no retries");
}

/// With retries off, each fault surfaces as its own, correctly classified error.
#[tokio::test]
async fn every_failure_is_classified() {
    let world = World::new().await;
    let id = seed_invitation(&world).await;
    let client = world.builder().retry(RetryPolicy::none()).build().unwrap();
    let invitations = client.organization(ORG).invitations();
    type Case = (Fault, &'static str, Delivery, fn(&Error) -> bool);
    let cases: Vec<Case> = vec![
        (Fault::DropConnection, "transport", Delivery::Unknown, |e| {
            matches!(e, Error::Transport(_))
        }),
        (
            Fault::Delay(Duration::from_secs(5)),
            "timeout",
            Delivery::Unknown,
            |e| matches!(e, Error::Timeout(_)),
        ),
        (Fault::MalformedJson, "decode", Delivery::Processed, |e| {
            matches!(e, Error::Decode(_))
        }),
        (Fault::TruncatedJson, "decode", Delivery::Processed, |e| {
            matches!(e, Error::Decode(_))
        }),
        (
            Fault::HtmlErrorPage { status: 502 },
            "api 502",
            Delivery::Unknown,
            |e| {
                e.status().map(|s| s.as_u16()) == Some(502) && e.api().unwrap().raw_body().is_some()
            },
        ),
        (
            Fault::server_error(500),
            "api 500",
            Delivery::Unknown,
            |e| e.codes().any(|c| c.as_str() == "internal_clerk_error"),
        ),
        (
            Fault::TooManyRequests(RetryAfter::Seconds(5)),
            "rate limited",
            Delivery::Rejected,
            |e| e.is_rate_limited() && e.retry_after() == Some(Duration::from_secs(5)),
        ),
    ];
    for (n, (fault, name, delivery, is_expected)) in cases.into_iter().enumerate() {
        world.fake.faults().on(Route::GetInvitation).next(fault);
        let error = invitations.get(&id).send().await.unwrap_err();
        assert!(is_expected(&error), "{name}: {error:?}");
        assert_eq!(error.delivery(), delivery, "{name}");
        assert_eq!(
            world.count("GET", &invitation_path(&id)),
            n + 1,
            "{name}: one attempt"
        );
    }
}

#[tokio::test]
async fn every_retry_is_a_tracing_event_with_attempt_reason_and_delay() {
    let captured = events::capture();
    let world = World::new().await;
    let list = world.fake.faults();
    list.on(Route::ListInvitations)
        .nth(1, Fault::server_error(503))
        .nth(2, Fault::TooManyRequests(RetryAfter::Seconds(2)));
    world
        .client()
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
    let retries = captured.with_message("retrying clerk request");
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert_eq!(retries[0].field("attempt"), Some("1"));
    assert_eq!(retries[0].field("reason"), Some("\"unavailable\""));
    assert_eq!(retries[1].field("attempt"), Some("2"));
    assert_eq!(retries[1].field("reason"), Some("\"rate_limited\""));
    assert_eq!(retries[1].field("delay_ms"), Some("2000"));
}

/// The rule behind `events::capture`, deterministically: a callsite that a thread without any
/// subscriber reaches first is still heard by the capturing thread. With a bare
/// `set_default`, `tracing` would cache "never" for it on the silent thread's say-so and this
/// would fail every time.
#[test]
fn a_capture_hears_a_callsite_a_silent_thread_reached_first() {
    fn emit(n: u32) {
        tracing::info!(n, "reached by two threads");
    }
    let captured = events::capture();
    std::thread::spawn(|| emit(1)).join().unwrap();
    emit(2);
    let heard = captured.with_message("reached by two threads");
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].field("n"), Some("2"));
}
