//! Four `clerk-orgs invite` processes sharing Clerk's budgets through a real `redis-server`,
//! against one clerk-fake on a real clock with scaled-down limits, judged by the arrival times
//! the fake recorded (`support/fleet.rs`): together they never exceed the limit in any sliding
//! window, and when Redis is killed mid-run each keeps to its share of the fleet.
//!
//! Moved from clerk-orgs' `tests/shared_budgets.rs` (which keeps the in-process tests) with the
//! `invite` example that became this package's binary; the assertions are the same.

#![cfg(feature = "redis")]

#[path = "support/fleet.rs"]
mod fleet;
// clerk-orgs' own Redis harness (its shared-budget tests use it too).
#[path = "../../clerk-orgs/tests/support/redis_server.rs"]
mod redis_server;

use std::process::Output;
use std::time::Duration;

use clerk_fake::FakeClerk;
use fleet::{Fleet, Invited};
use redis_server::RedisServer;

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
