//! Fleet-wide budgets through a real `redis-server` (feature `redis`): clients sharing budgets
//! never exceed them together, a 429 one of them meets pauses the others, keys never hold the
//! secret key and always expire, and a Redis that stops answering falls back or fails as set,
//! never losing or doubling a call.
//!
//! The in-process tests run on clerk-fake's virtual clock, with the scripts reading it too
//! (`use_client_clock`), so hours of budgets play out at once. The multi-process tests run four
//! `invite` example processes against one fake on a real clock with scaled-down limits, and
//! judge by the arrival times the fake recorded (`support/fleet.rs`).

#![cfg(feature = "redis")]

#[path = "support/fleet.rs"]
mod fleet;
#[path = "support/redis_server.rs"]
mod redis_server;
mod support;

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clerk_fake::{FakeClerk, Fault, RateLimits as FakeLimits, RetryAfter, Route};
use clerk_orgs::{
    Budget, Client, Delivery, Error, Limit, LimitMode, NewInvitation, Pacing, RateLimits,
    RedisBudgets, RedisFailure, RetryPolicy, Role, namespace_for_key,
};
use fleet::{Fleet, Invited};
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
        // The first of the 4 leaves the hour's window in an hour and its headroom (3.6 s).
        assert_eq!(exhausted.retry_after(), Duration::from_millis(3_603_600));
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
            format!("{prefix}all_requests:fleet"),
            format!("{prefix}all_requests:log"),
            format!("{prefix}bulk_create_invitations:fleet"),
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
        warnings[0].contains("shared budgets unavailable") && warnings[0].contains("share"),
        "{warnings:?}"
    );
    // Alone in its fleet, the process's share is the whole budget.
    assert_eq!((stats.fleet_size, stats.pacing), (1, Pacing::OwnShare));
    let share = stats.share(Budget::CreateInvitation).unwrap();
    assert_eq!((share.fleet_size, share.requests), (1, 250));
}

/// Four clients standing for four processes (each its own `RedisBudgets`, budgets and member of
/// the fleet), one namespace, a bulk budget of 10 per hour, on the fake's virtual clock.
struct Fleet4 {
    clients: Vec<Client>,
    budgets: Vec<RedisBudgets>,
}

impl Fleet4 {
    fn new(world: &World, redis: &RedisServer, namespace: &str) -> Self {
        let limits = RateLimits::default().bulk_create_invitations(Limit::per_hour(10));
        let budgets: Vec<RedisBudgets> = (0..4)
            .map(|_| {
                RedisBudgets::new(&redis.url())
                    .unwrap()
                    .namespace(namespace)
                    .use_client_clock()
            })
            .collect();
        let clients = budgets
            .iter()
            .map(|budgets| {
                world
                    .builder()
                    .rate_limits(limits)
                    .retry(RetryPolicy::none())
                    .shared_budgets(budgets.clone())
                    .build()
                    .unwrap()
            })
            .collect();
        Self { clients, budgets }
    }

    /// Process `process`'s `n`-th bulk call, of one person of its own (`p<process>-<n>`).
    async fn bulk(&self, process: usize, n: usize, mode: LimitMode) -> Result<(), Error> {
        let person = NewInvitation::new(format!("p{process}-{n}@fleet.test"), Role::MEMBER);
        self.clients[process]
            .organization(ORG)
            .invitations()
            .create_bulk([person])
            .rate_limit_mode(mode)
            .send()
            .await
            .map(drop)
    }
}

/// When each process's bulk calls reached the fake (virtual ms), by the address they carried.
fn bulk_arrivals_by_process(world: &World) -> BTreeMap<usize, Vec<i64>> {
    let path = format!("/v1/organizations/{ORG}/invitations/bulk");
    let mut by_process: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for request in world.requests() {
        if request.method != "POST" || request.path_and_query != path {
            continue;
        }
        let body = support::json_body(&request);
        let email = body[0]["email_address"].as_str().unwrap();
        let process = email[1..].split('-').next().unwrap().parse().unwrap();
        by_process
            .entry(process)
            .or_default()
            .push(request.received_at_ms);
    }
    by_process
}

#[tokio::test]
async fn without_redis_each_process_paces_at_its_share_and_rejoins_without_a_burst() {
    let Some(mut redis) = RedisServer::start("paces_at_its_share_and_rejoins") else {
        return;
    };
    // The test's runtime is single-threaded: every event of the client is on this thread.
    let captured = events::capture();
    let world = unlimited_world().await;
    let fleet = Fleet4::new(&world, &redis, &namespace("share"));
    let hour = 3_600_000;
    let span = Duration::from_millis(3_603_600); // the hour and its headroom

    // Through Redis: 10 calls, the processes taking turns (3, 3, 2 and 2 each). The budget is
    // spent, and every process has seen a fleet of four.
    for call in 0..10 {
        fleet
            .bulk(call % 4, call, LimitMode::FailFast)
            .await
            .unwrap();
    }
    let filled_at = world.fake.clock().now_ms();
    for budgets in &fleet.budgets {
        let stats = budgets.stats();
        assert_eq!((stats.fleet_size, stats.pacing), (4, Pacing::Shared));
        let share = stats.share(Budget::BulkCreateInvitations).unwrap();
        assert_eq!(
            (share.fleet_size, share.requests, share.window),
            (4, 2, Duration::from_secs(3600)),
            "a fourth of 10, rounded down"
        );
    }

    // Redis is gone. The fleet's 10 are still in the window: without Redis, no process sends
    // before they have left it, though each has spent less than 10.
    redis.stop();
    for process in 0..4 {
        let error = fleet
            .bulk(process, 100, LimitMode::FailFast)
            .await
            .unwrap_err();
        let Error::BudgetExhausted(exhausted) = &error else {
            panic!("expected this process's share to refuse, got {error:?}");
        };
        assert_eq!(exhausted.budget(), Budget::BulkCreateInvitations);
        assert_eq!(exhausted.retry_after(), span);
        let stats = fleet.budgets[process].stats();
        assert_eq!((stats.pacing, stats.fallbacks), (Pacing::OwnShare, 1));
    }
    assert_eq!(world.bulk_creates(), 10);
    assert_eq!(
        captured.at(tracing::Level::WARN).len(),
        4,
        "one warning per process"
    );
    let mut pacing = captured.lines(tracing::Level::INFO, "pacing at this process's share");
    assert_eq!(pacing.len(), 8, "one per process and budget: {pacing:?}");
    pacing.retain(|event| event.contains("budget=\"bulk_create_invitations\""));
    assert_eq!(pacing.len(), 4, "{pacing:?}");
    assert!(
        pacing
            .iter()
            .all(|event| event.contains("fleet_size=4") && event.contains("share_requests=2")),
        "{pacing:?}"
    );

    // Waiting: each process sends 3 calls, one process after the other. Each sends 2 once the
    // fleet's calls have left the window, then waits a window for its third.
    for process in 0..4 {
        for n in 0..3 {
            fleet.bulk(process, 200 + n, LimitMode::Wait).await.unwrap();
        }
    }
    let by_process = bulk_arrivals_by_process(&world);
    for (process, times) in &by_process {
        let without_redis: Vec<i64> = times[times.len() - 3..].to_vec();
        assert!(
            without_redis[0] >= filled_at + 3_603_600,
            "process {process} sent before the fleet's calls left the window: {times:?}"
        );
        assert_within_windows(&without_redis, 2, 3_603_600);
    }
    let all: Vec<i64> = {
        let mut all: Vec<i64> = by_process.values().flatten().copied().collect();
        all.sort_unstable();
        all
    };
    assert_within_windows(&all, 10, hour);

    // Redis comes back, empty (it restarted and lost the log). Each process finds it again on
    // a later call (a read here: its connection reconnects meanwhile, and Redis is asked at
    // most once a second after a failure) and begins to rejoin.
    redis.restart();
    for (process, client) in fleet.clients.iter().enumerate() {
        for _ in 0..5 {
            world.fake.clock().advance(Duration::from_millis(1001));
            client
                .organization(ORG)
                .invitations()
                .list()
                .send()
                .await
                .unwrap();
            if fleet.budgets[process].stats().pacing == Pacing::Rejoining {
                break;
            }
        }
        assert_eq!(fleet.budgets[process].stats().pacing, Pacing::Rejoining);
    }
    // Then each makes three bulk calls, taking turns: Redis would admit 10, but each process
    // keeps to its share of the fleet it knew until what was sent without Redis has left the
    // window: it rejoins without a burst.
    let before = world.bulk_creates();
    let mut refused_by_share = 0;
    for round in 0..3 {
        for process in 0..4 {
            match fleet.bulk(process, 300 + round, LimitMode::FailFast).await {
                Ok(()) => {}
                Err(Error::BudgetExhausted(exhausted)) => {
                    assert_eq!(exhausted.budget(), Budget::BulkCreateInvitations);
                    refused_by_share += 1;
                }
                Err(error) => panic!("{error:?}"),
            }
        }
    }
    // Process 3 still had its last call of the outage in the window: one more; the others two.
    assert_eq!(world.bulk_creates() - before, 7);
    assert_eq!(refused_by_share, 5);
    assert_eq!(
        bulk_log_len(&redis),
        7,
        "every call since Redis came back is in its log"
    );
    for budgets in &fleet.budgets {
        assert_eq!(budgets.stats().pacing, Pacing::Rejoining);
    }
    // One event per process and budget (the global one, then the bulk one).
    let rejoining = captured.lines(tracing::Level::INFO, "rejoining");
    assert_eq!(rejoining.len(), 8, "{rejoining:?}");

    // Once that has left the window, Redis alone decides again: one process may take what the
    // fleet leaves.
    world.fake.clock().advance(span + Duration::from_secs(1));
    for n in 0..10 {
        fleet.bulk(0, 400 + n, LimitMode::FailFast).await.unwrap();
    }
    let error = fleet.bulk(0, 410, LimitMode::FailFast).await.unwrap_err();
    assert!(matches!(error, Error::BudgetExhausted(_)), "{error:?}");
    let stats = fleet.budgets[0].stats();
    assert_eq!((stats.pacing, stats.fleet_size), (Pacing::Shared, 1));
    assert_eq!(world.assert_no_duplicates(), world.bulk_creates());
}

/// How many admissions the bulk budget's Redis log holds.
fn bulk_log_len(redis: &RedisServer) -> i64 {
    let mut connection = redis_connection(redis);
    let logs: Vec<String> = redis::cmd("KEYS")
        .arg("*:bulk_create_invitations:log")
        .query(&mut connection)
        .unwrap();
    assert_eq!(logs.len(), 1, "{logs:?}");
    redis::cmd("ZCARD")
        .arg(&logs[0])
        .query(&mut connection)
        .unwrap()
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
// Four `invite` processes, one real-clock fake, one Redis; arrival times are the fake's.

/// The fleet of the multi-process tests: 10 bulk calls per 2 s on the fake and in every client,
/// sharing through `redis`, with a headroom of 250 ms. The headroom must cover how much the
/// delay from admission to arrival varies, and here that is the scheduling of debug builds of
/// eight processes and a test harness on a shared 2-core machine: the first calls of a run open
/// their connections, and a process can wait tens of milliseconds for a core (26 ms was seen
/// with no headroom at all). The default (50 ms) is measured by the fleet bench in release.
fn fleet_of(redis: &RedisServer, per_process: usize) -> Fleet {
    Fleet {
        processes: 4,
        per_process,
        requests: 10,
        window: Duration::from_secs(2),
        extra: vec![
            "--redis".to_owned(),
            redis.url(),
            "--headroom".to_owned(),
            "250ms".to_owned(),
        ],
    }
}

/// Every process exited 0 (everyone invited), and the fake holds exactly one invitation per
/// person: nobody lost, nobody invited twice.
fn assert_everyone_invited_once(fake: &FakeClerk, fleet: &Fleet, outputs: &[Output]) {
    for output in outputs {
        assert!(output.status.success(), "{}", fleet::describe(output));
    }
    let invited = Invited::of(fake, fleet);
    assert_eq!(invited.duplicates(), 0, "invited twice");
    assert!(invited.missing.is_empty(), "lost: {:?}", invited.missing);
    assert_eq!(invited.distinct, fleet.people());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_never_exceed_the_limit_in_any_sliding_window() {
    let Some(redis) = RedisServer::start("four_processes_never_exceed_the_limit") else {
        return;
    };
    // 48 bulk calls: a saturated fleet for more than four windows.
    let fleet = fleet_of(&redis, 120);
    let fake = fleet::start_fake(&fleet).await;
    let outputs = fleet.start(&fake).finish().await;
    assert_everyone_invited_once(&fake, &fleet, &outputs);

    let arrivals = fleet::bulk_arrivals(&fake);
    let window = fleet.window_ms();
    assert!(
        arrivals.last().unwrap() - arrivals[0] >= 4 * window,
        "the run covers at least four windows: {arrivals:?}"
    );
    // As Clerk might count: every window of the limit's length, wherever it starts.
    let (most, from) = fleet::max_in_sliding_window(&arrivals, window, i64::MIN);
    assert!(
        most <= 10,
        "{most} bulk calls reached the fake within {window} ms from {from}: {arrivals:?}"
    );
    // As the fake counts (fixed windows): so it never answered 429.
    let per_window = fleet::per_fixed_window(&arrivals, window);
    assert_eq!(fleet::rejected(&per_window, 10), 0, "{per_window:?}");
    assert_eq!(
        arrivals.len(),
        fleet.people() / 10,
        "one call per ten people"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_keep_to_their_share_when_redis_is_killed_mid_run() {
    let Some(mut redis) = RedisServer::start("four_processes_keep_to_their_share") else {
        return;
    };
    let fleet = fleet_of(&redis, 150);
    let fake = fleet::start_fake(&fleet).await;
    let running = fleet.start(&fake);
    // Two windows in: the shared log is full and every process has used it.
    fleet::until_bulk_calls(&fake, 20).await;
    redis.stop();
    let killed_at = fake.clock().now_ms();
    let outputs = running.finish().await;
    assert_everyone_invited_once(&fake, &fleet, &outputs);
    assert!(
        fleet::sum_of(&outputs, "fallbacks") > 0,
        "the processes went on without Redis"
    );

    let arrivals = fleet::bulk_arrivals(&fake);
    let window = fleet.window_ms();
    assert!(
        arrivals.last().unwrap() - killed_at >= 2 * window,
        "the run goes on for windows after the kill: {arrivals:?}"
    );
    // Every window that reaches past the kill, those that straddle it included: each process
    // paces at its share of the limit, starting from what it had spent.
    let (most, from) = fleet::max_in_sliding_window(&arrivals, window, killed_at);
    assert!(
        most <= 11,
        "{most} bulk calls reached the fake within {window} ms from {from} (Redis killed at \
         {killed_at}): {arrivals:?}"
    );
}
