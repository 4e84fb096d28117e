//! Fleet-wide budgets through a real `redis-server` (feature `redis`): clients sharing budgets
//! never exceed them together, a 429 one of them meets pauses the others, keys never hold the
//! secret key and always expire, and a Redis that stops answering falls back or fails as set,
//! never losing or doubling a call.
//!
//! The in-process tests run on clerk-fake's virtual clock, with the scripts reading it too
//! (`use_client_clock`), so hours of budgets play out at once. The multi-process test runs four
//! `invite` example processes against one fake on a real clock with scaled-down limits.

#![cfg(feature = "redis")]

#[path = "support/example_binary.rs"]
mod example_binary;
#[path = "support/redis_server.rs"]
mod redis_server;
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clerk_fake::{
    ADMIN_ROLE, FakeClerk, Fault, Organization, RateLimits as FakeLimits, RetryAfter, Route, User,
};
use clerk_orgs::{
    Budget, Client, Delivery, Error, Limit, LimitMode, NewInvitation, RateLimits, RedisBudgets,
    RedisFailure, RetryPolicy, Role, namespace_for_key,
};
use futures::StreamExt;
use redis_server::RedisServer;
use support::{ORG, World, email, events};

/// A namespace no other test uses, so tests can share nothing by accident.
fn namespace(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("test-{test}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// A world whose fake has no limits of its own: only the clients' budgets pace the requests.
async fn unlimited_world() -> World {
    World::with(
        FakeClerk::builder()
            .rate_limits(FakeLimits::unlimited())
            .start()
            .await
            .unwrap(),
    )
}

/// Shared budgets on the fake's virtual clock.
fn budgets(redis: &RedisServer, test: &str) -> RedisBudgets {
    RedisBudgets::new(&redis.url())
        .unwrap()
        .namespace(namespace(test))
        .use_client_clock()
}

fn redis_connection(redis: &RedisServer) -> redis::Connection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap()
}

fn bulk_of(first: usize, count: usize) -> Vec<NewInvitation> {
    (first..first + count)
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect()
}

/// Times (ms) of the bulk requests in the fake's log.
fn bulk_times(world: &World) -> Vec<i64> {
    let path = format!("/v1/organizations/{ORG}/invitations/bulk");
    world
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query == path)
        .map(|r| r.received_at_ms)
        .collect()
}

/// The window log's guarantee, checked from every request: no window of `window_ms` holds more
/// than `requests` of them, however it is aligned (a window holding the most starts at one).
fn assert_within_windows(times: &[i64], requests: usize, window_ms: i64) {
    for (i, &start) in times.iter().enumerate() {
        let inside = times
            .iter()
            .filter(|&&t| t >= start && t < start + window_ms)
            .count();
        assert!(
            inside <= requests,
            "{inside} requests in the window from request {i}, over {requests}: {times:?}"
        );
    }
}

#[tokio::test]
async fn two_clients_share_one_budget_and_never_exceed_it_together() {
    let Some(redis) = RedisServer::start("two_clients_share_one_budget") else {
        return;
    };
    let world = unlimited_world().await;
    let shared = budgets(&redis, "share");
    let limits = RateLimits::default()
        .create_invitation(Limit::per_hour(4))
        .mode(LimitMode::FailFast);
    let client = |budgets: RedisBudgets| {
        world
            .builder()
            .rate_limits(limits)
            .shared_budgets(budgets)
            .build()
            .unwrap()
    };
    // Two clients as two processes would be: separate RedisBudgets values, one namespace.
    let (a, b) = (client(shared.clone()), client(shared.clone()));
    for (n, client) in [&a, &b, &a, &b].into_iter().enumerate() {
        client
            .organization(ORG)
            .invitations()
            .create(email(n), Role::MEMBER)
            .send()
            .await
            .unwrap();
    }
    for client in [&a, &b] {
        let error = client
            .organization(ORG)
            .invitations()
            .create(email(99), Role::MEMBER)
            .send()
            .await
            .unwrap_err();
        let Error::BudgetExhausted(exhausted) = &error else {
            panic!("expected the shared budget's refusal, got {error:?}");
        };
        assert_eq!(exhausted.budget(), Budget::CreateInvitation);
        // The first of the 4 leaves the hour's window in an hour.
        assert_eq!(exhausted.retry_after(), Duration::from_secs(3600));
        assert_eq!(error.delivery(), Delivery::NotSent);
    }
    assert_eq!(world.creates(), 4, "4 per hour between them, not 4 each");
    assert_eq!(shared.stats().acquired, 4);

    // Waiting: both clients invite 40 people at once, in bulk calls, under one bulk budget of
    // 5 per hour (5 at once, then 5 more when the first have left the hour).
    let bulk_limits = RateLimits::default().bulk_create_invitations(Limit::per_hour(5));
    let shared = budgets(&redis, "share-bulk");
    let make = || {
        world
            .builder()
            .rate_limits(bulk_limits)
            .shared_budgets(shared.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (make(), make());
    let start = world.elapsed();
    let run = |client: Client, first: usize| async move {
        let mut stream = client
            .organization(ORG)
            .invitations()
            .invite_all(bulk_of(first, 40));
        let mut invited = 0;
        while let Some(outcome) = stream.next().await {
            assert!(
                matches!(outcome.result, clerk_orgs::InviteResult::Invited(_)),
                "{outcome:?}"
            );
            invited += 1;
        }
        invited
    };
    let (from_a, from_b) = tokio::join!(run(a, 1000), run(b, 2000));
    assert_eq!(from_a + from_b, 80);
    let times = bulk_times(&world);
    assert_eq!(times.len(), 8, "80 people in bulk calls of 10");
    assert_within_windows(&times, 5, 3_600_000);
    // 8 calls at 5 per hour need the first hour to pass.
    assert!(world.elapsed() - start >= Duration::from_secs(3600));
    assert_eq!(world.assert_no_duplicates(), 84);
}

#[tokio::test]
async fn keys_are_namespaced_by_a_hash_never_the_secret_key_and_all_expire() {
    let Some(redis) = RedisServer::start("keys_never_hold_the_secret_key") else {
        return;
    };
    let world = World::new().await;
    let secret = world.fake.secret_key().to_owned();
    // No explicit namespace: derived from the secret key.
    let client = world
        .builder()
        .shared_budgets(RedisBudgets::new(&redis.url()).unwrap().use_client_clock())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .nth(2, Fault::TooManyRequests(RetryAfter::Seconds(30)));
    let invitations = client.organization(ORG).invitations();
    invitations.create_bulk(bulk_of(0, 2)).send().await.unwrap();
    let error = invitations
        .create_bulk(bulk_of(2, 2))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");

    let mut connection = redis_connection(&redis);
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    keys.sort();
    let prefix = format!("clerk-orgs:{{{}}}:", namespace_for_key(&secret));
    assert_eq!(
        keys,
        [
            format!("{prefix}all_requests:log"),
            format!("{prefix}bulk_create_invitations:log"),
            format!("{prefix}bulk_create_invitations:paused"),
        ]
    );
    // Not the key, nor any recognisable part of it.
    let secret_body = secret.trim_start_matches("sk_test_");
    for key in &keys {
        assert!(!key.contains(&secret), "{key}");
        for window in secret_body.as_bytes().windows(8) {
            let part = std::str::from_utf8(window).unwrap();
            assert!(!key.contains(part), "{key} holds part of the secret key");
        }
        let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut connection).unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
    // The pause lasts Retry-After (30 s).
    let paused_ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}bulk_create_invitations:paused"))
        .query(&mut connection)
        .unwrap();
    assert!(paused_ttl <= 30_000, "{paused_ttl}");
}

#[tokio::test]
async fn a_429_seen_by_one_client_pauses_the_budget_for_the_other() {
    let Some(redis) = RedisServer::start("a_429_pauses_every_client") else {
        return;
    };
    let world = World::new().await;
    let shared = budgets(&redis, "pause");
    let make = |mode| {
        world
            .builder()
            .rate_limits(RateLimits::default().mode(mode))
            .retry(RetryPolicy::none())
            .shared_budgets(shared.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (make(LimitMode::Wait), make(LimitMode::FailFast));
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(30)));
    let error = a
        .organization(ORG)
        .invitations()
        .create_bulk(bulk_of(0, 2))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");
    assert_eq!(shared.stats().pauses_shared, 1);

    // B never met the 429, yet its bulk budget is closed for the 30 s Clerk asked for...
    let refused = b
        .organization(ORG)
        .invitations()
        .create_bulk(bulk_of(2, 2))
        .send()
        .await
        .unwrap_err();
    let Error::BudgetExhausted(exhausted) = &refused else {
        panic!("expected the shared pause, got {refused:?}");
    };
    assert_eq!(exhausted.budget(), Budget::BulkCreateInvitations);
    assert_eq!(exhausted.retry_after(), Duration::from_secs(30));
    // ...while its other routes are not.
    b.organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(world.bulk_creates(), 1, "B sent no bulk call");

    // Waiting, B goes out when the pause ends; then the budget takes what its window allows
    // (50 per hour, 2 used), as the in-process budgets do.
    let start = world.elapsed();
    b.organization(ORG)
        .invitations()
        .create_bulk(bulk_of(2, 2))
        .rate_limit_mode(LimitMode::Wait)
        .send()
        .await
        .unwrap();
    assert_eq!(world.elapsed() - start, Duration::from_secs(30));
    a.organization(ORG)
        .invitations()
        .create_bulk(bulk_of(4, 2))
        .rate_limit_mode(LimitMode::FailFast)
        .send()
        .await
        .unwrap();
    // This test's own redis-server holds this fleet's keys only.
    let mut connection = redis_connection(&redis);
    let log: Vec<String> = redis::cmd("KEYS")
        .arg("*:bulk_create_invitations:log")
        .query(&mut connection)
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    let logged: i64 = redis::cmd("ZCARD")
        .arg(&log[0])
        .query(&mut connection)
        .unwrap();
    assert_eq!(logged, 3, "the 429'd call, B's and A's");
}

#[tokio::test]
async fn redis_stopped_mid_run_falls_back_with_a_warning_and_sends_every_call_once() {
    let Some(mut redis) = RedisServer::start("redis_stopped_mid_run") else {
        return;
    };
    // The test's runtime is single-threaded: every event of the client is on this thread.
    let captured = events::capture();
    let world = World::new().await;
    let shared = budgets(&redis, "stopped");
    let client = world
        .builder()
        .shared_budgets(shared.clone())
        .build()
        .unwrap();
    let invitations = client.organization(ORG).invitations();
    for n in 0..5 {
        invitations
            .create(email(n), Role::MEMBER)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(shared.stats().acquired, 5);
    assert!(captured.at(tracing::Level::WARN).is_empty());

    redis.stop();
    for n in 5..10 {
        invitations
            .create(email(n), Role::MEMBER)
            .send()
            .await
            .unwrap();
    }
    let stats = shared.stats();
    assert_eq!(stats.acquired, 5);
    assert_eq!(stats.fallbacks, 5, "{stats:?}");
    assert_eq!(world.creates(), 10, "every call sent exactly once");
    assert_eq!(world.assert_no_duplicates(), 10);
    let warnings: Vec<String> = captured
        .at(tracing::Level::WARN)
        .iter()
        .map(events::Event::line)
        .collect();
    assert_eq!(warnings.len(), 1, "one warning per outage: {warnings:?}");
    assert!(
        warnings[0].contains("shared budgets unavailable") && warnings[0].contains("own budgets"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn fail_call_mode_fails_before_sending_with_a_clear_error() {
    // Nothing listens on this port: Redis is down from the start. No redis-server needed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let world = World::new().await;
    let shared = RedisBudgets::new(&format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .namespace(namespace("fail"))
        .on_failure(RedisFailure::FailCall);
    let client = world
        .builder()
        .shared_budgets(shared.clone())
        .build()
        .unwrap();
    let error = client
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::SharedBudgetsUnavailable(_)),
        "{error:?}"
    );
    assert_eq!(error.delivery(), Delivery::NotSent);
    let message = error.to_string();
    assert!(
        message.contains("shared rate-limit budgets unavailable")
            && message.contains("nothing was sent"),
        "{message}"
    );
    // A second call within the second does not wait for Redis again, and also sends nothing.
    let again = client
        .organization(ORG)
        .invitations()
        .list()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(again, Error::SharedBudgetsUnavailable(_)));
    assert!(world.requests().is_empty(), "nothing was sent");
    assert_eq!(shared.stats().failed_calls, 2);
}

// ---------------------------------------------------------------------------------------------
// Four processes, one fake, one Redis.

const PROCESSES: usize = 4;
const PER_PROCESS: usize = 50;

/// The `invite` example, built with the `redis` feature on first use.
fn example() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| example_binary::build("invite", &["redis"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_the_bulk_budget_of_one_fake() {
    let Some(redis) = RedisServer::start("four_processes_share_the_bulk_budget") else {
        return;
    };
    // Scaled down: 10 bulk calls per 5 s, on a real clock (the processes cannot share a
    // virtual one). Everything else as Clerk's defaults for a test key.
    let window = Duration::from_secs(5);
    let fake = FakeClerk::builder()
        .real_clock()
        .rate_limits(FakeLimits::default().bulk(10, window))
        .start()
        .await
        .unwrap();
    fake.add_organization(Organization::new(ORG, "Acme Inc"));
    fake.add_user(User::new("user_admin", "admin@acme.test"));
    fake.add_membership(ORG, "user_admin", ADMIN_ROLE).unwrap();
    let example = example().to_owned();

    let mut workers = Vec::new();
    for process in 0..PROCESSES {
        let mut command = Command::new(&example);
        command
            .args(["--org", ORG, "--inviter", "user_admin"])
            // 9 of the fake's 10 per window: the headroom absorbs loopback jitter between a
            // budget granting a call and the fake receiving it (the bench runs at the full 10).
            .args(["--bulk-limit", "9/5s", "--redis", &redis.url()])
            .args(
                (0..PER_PROCESS)
                    .map(|n| email(process * PER_PROCESS + n))
                    .collect::<Vec<_>>(),
            )
            .env("CLERK_SECRET_KEY", fake.secret_key())
            .env("CLERK_API_URL", fake.base_url());
        workers.push(tokio::task::spawn_blocking(move || {
            command.output().expect("the example runs")
        }));
    }
    let outputs: Vec<Output> = futures::future::join_all(workers)
        .await
        .into_iter()
        .map(|joined| joined.expect("the runner does not panic"))
        .collect();
    for output in &outputs {
        assert!(
            output.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // Everyone invited once: no duplicates, nobody lost.
    let invitations = fake.invitations();
    let mut emails: Vec<String> = invitations
        .iter()
        .map(|i| i.email_address.clone())
        .collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), invitations.len(), "duplicates");
    let expected: Vec<String> = {
        let mut all: Vec<String> = (0..PROCESSES * PER_PROCESS).map(email).collect();
        all.sort();
        all
    };
    assert_eq!(emails, expected, "someone was lost");

    // The fake's windows, from its log: bulk calls sent per window, and how many were 429s
    // (those whose response the fake logged as 429 are the ones past its 10).
    let window_ms = i64::try_from(window.as_millis()).unwrap();
    let path = format!("/v1/organizations/{ORG}/invitations/bulk");
    let mut sent: BTreeMap<i64, usize> = BTreeMap::new();
    for request in fake.request_log().requests() {
        if request.method == "POST" && request.path_and_query == path {
            *sent
                .entry(request.received_at_ms.div_euclid(window_ms))
                .or_default() += 1;
        }
    }
    let first = *sent.keys().next().unwrap();
    let rejected: BTreeMap<i64, usize> = sent
        .iter()
        .map(|(&window, &calls)| (window, calls.saturating_sub(10)))
        .collect();
    // After the first window (where the fleet's opening burst meets whatever the fake's window
    // had left), the fleet never sends more than the fake allows: no 429 at all.
    for (&window, &calls) in &sent {
        if window != first {
            assert!(calls <= 10, "window {window}: {calls} bulk calls; {sent:?}");
        }
    }
    let after_first: usize = rejected.range(first + 1..).map(|(_, n)| n).sum();
    assert_eq!(after_first, 0, "429s after the first window: {sent:?}");
    // The accepted calls are exactly the people's: 200 people, 20 calls of 10.
    let accepted: usize = sent.values().map(|&n| n.min(10)).sum();
    assert_eq!(accepted, PROCESSES * PER_PROCESS / 10, "{sent:?}");
}
