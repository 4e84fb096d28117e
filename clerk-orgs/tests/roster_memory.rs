//! What applying a roster plan holds in memory: each change once, and no outcome. Measured in a
//! child process that is only the client (this test binary, with a counting allocator), so the
//! fake's store, which grows with every invitation created, is not counted; the fake runs in
//! the parent. The `roster` bench measures the same at 10,000 and 100,000 rows (BENCHMARKS.md).
//!
//! Allocation sizes, not times: the same on any machine and under any load.

#[path = "../benches/common/counting.rs"]
mod counting;
mod support;

use std::process::{Command, Stdio};

use clerk_fake::{FakeClerk, RateLimits};
use clerk_orgs::roster::ChangeOutcome;
use clerk_orgs::{Client, Role, RosterRow};
use counting::{live, peak, reset_peak};
use futures::StreamExt;
use support::{ADMIN_EMAIL, MEMBER_EMAIL, ORG, World};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const CHILD: &str = "CLERK_ORGS_ROSTER_MEMORY_CHILD";
/// New people on the roster: enough for their share to dwarf fixed costs (buffers, the
/// connection), few enough for a debug build.
const NEW_PEOPLE: usize = 5_000;

/// The child: plans and applies the admin plus `NEW_PEOPLE` new addresses, streaming the
/// outcomes and dropping each, and prints what it measured. A current-thread runtime, so
/// nothing else allocates while an outcome is weighed.
#[tokio::test]
#[ignore = "run by applying_holds_each_change_once_and_no_outcome in a child process"]
async fn measure_in_a_child_process() {
    let (Ok(url), Ok(key)) = (std::env::var(CHILD), std::env::var("CLERK_SECRET_KEY")) else {
        return;
    };
    let client = Client::builder()
        .secret_key(key)
        .base_url(url)
        .rate_limits(clerk_orgs::RateLimits::none())
        .build()
        .unwrap();
    // Warm up the connection and the read buffers.
    client
        .organization(ORG)
        .memberships()
        .list()
        .send()
        .await
        .unwrap();
    // The world's two members, so no lookup of the new addresses is needed, then the new.
    let rows = [
        RosterRow::new(ADMIN_EMAIL, Role::ADMIN),
        RosterRow::new(MEMBER_EMAIL, Role::MEMBER),
    ]
    .into_iter()
    .chain((0..NEW_PEOPLE).map(|n| RosterRow::new(support::email(n), Role::MEMBER)));

    let base = live();
    let plan = client
        .organization(ORG)
        .roster()
        .plan(rows)
        .send()
        .await
        .unwrap();
    assert_eq!(plan.summary().invite, NEW_PEOPLE);
    let plan_held = live().saturating_sub(base);
    reset_peak();
    let mut run = plan.apply().send().await.unwrap();
    let (mut outcomes, mut outcomes_weight) = (0, 0);
    while let Some(outcome) = run.next().await {
        assert!(outcome.result.is_done(), "{outcome:?}");
        outcomes += 1;
        outcomes_weight += weight(&outcome);
    }
    drop(run);
    let apply_peak = peak().saturating_sub(base);
    assert_eq!(outcomes, NEW_PEOPLE);
    println!("MEASURED {plan_held} {apply_peak} {outcomes_weight}");
}

/// One outcome's size plus the allocations of a clone of it: what holding it would cost.
fn weight(outcome: &ChangeOutcome) -> usize {
    let before = live();
    let copy = outcome.clone();
    let heap = live().saturating_sub(before);
    drop(copy);
    heap + std::mem::size_of::<ChangeOutcome>()
}

/// Before the fix the roster bench found, applying these 5,000 invitations peaked at 8.1 MB for
/// a plan of 1.6 MB (each invitation held four times over, one copy in a 544-byte slot); now
/// 2.4 MB for 1.0 MB. The outcomes weigh 5.8 MB.
#[tokio::test]
async fn applying_holds_each_change_once_and_no_outcome() {
    let fake = FakeClerk::builder()
        .rate_limits(RateLimits::unlimited())
        .request_log_cap(0)
        .start()
        .await
        .unwrap();
    let world = World::with(fake);
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "measure_in_a_child_process",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD, world.fake.base_url())
        .env("CLERK_SECRET_KEY", world.fake.secret_key())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the child failed: {stdout}");
    let measured: Vec<usize> = stdout
        .lines()
        // With one test thread, libtest prints the test's name on the same line first.
        .find_map(|line| line.split_once("MEASURED ").map(|(_, figures)| figures))
        .unwrap_or_else(|| panic!("no measurement in {stdout}"))
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let [plan_held, apply_peak, outcomes_weight] = measured[..] else {
        panic!("three figures expected: {measured:?}");
    };
    println!("plan held {plan_held} B, apply peak {apply_peak} B, outcomes {outcomes_weight} B");
    assert_eq!(world.assert_no_duplicates(), NEW_PEOPLE);
    // The plan holds each invitation once (a change and its address); applying moves it into
    // one queue at a time, with `invite_all`'s duplicate check beside it: well under three
    // plans at the peak (the plan included). Four copies, as before, were over five.
    assert!(
        apply_peak < 3 * plan_held,
        "apply peaked at {apply_peak} bytes for a plan of {plan_held}"
    );
    // Holding every outcome would cost their weight alone, on top of everything else.
    assert!(
        apply_peak < outcomes_weight,
        "apply peaked at {apply_peak} bytes; the outcomes weigh {outcomes_weight}"
    );
}
