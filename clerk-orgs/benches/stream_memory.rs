//! `list().stream()` over 100,000 invitations: the client's memory stays flat as the count grows.
//!
//! Run: `cargo bench -p clerk-orgs --bench stream_memory` (a plain binary, `harness = false`).
//! Without `--bench` (as under `cargo test --benches`) it streams 1,000 as a smoke test.
//!
//! A counting global allocator tracks live heap bytes and their peak. clerk-fake runs in this
//! process (seeded with 100,000 invitations through bulk creates, rate limits off, request log
//! off), so its store is part of the heap: the figures are the peak of live bytes *above* the
//! level before streaming began, after 10k, 50k and 100k items. Page rendering on the fake's
//! side is in them too, and is the same for every page. A warm-up streams the first 5,000 first,
//! so one-time growth (connection, HTTP read buffers sized to a page) is not counted.
//!
//! The baseline, measured in the same run over the same invitations, is what a caller gets by
//! collecting every item into a `Vec` (`try_collect`), which grows with the count.

#[path = "common/counting.rs"]
mod counting;

use std::time::Instant;

use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, RateLimits as FakeLimits, User};
use clerk_orgs::{Client, NewInvitation, OrganizationInvitation, RateLimits, Role};
use counting::{live, mib, peak, reset_peak};
use futures::{StreamExt, TryStreamExt};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const ORG: &str = "org_stream";
const ADMIN: &str = "user_admin";

struct Sizes {
    total: usize,
    checkpoints: [usize; 3],
}

const BENCH: Sizes = Sizes {
    total: 100_000,
    checkpoints: [10_000, 50_000, 100_000],
};
const SMOKE: Sizes = Sizes {
    total: 1_000,
    checkpoints: [100, 500, 1_000],
};

#[tokio::main]
async fn main() {
    let sizes = if std::env::args().any(|arg| arg == "--bench") {
        BENCH
    } else {
        SMOKE
    };
    let fake = FakeClerk::builder()
        .rate_limits(FakeLimits::unlimited())
        .request_log_cap(0)
        .start()
        .await
        .expect("clerk-fake starts");
    fake.add_organization(Organization::new(ORG, "Stream Inc"));
    fake.add_user(User::new(ADMIN, "admin@stream.test"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).expect("seeded");
    let client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .rate_limits(RateLimits::none())
        .build()
        .expect("client");

    let seeding = Instant::now();
    seed(&client, sizes.total).await;
    println!(
        "seeded {} invitations through bulk creates in {:.1?}",
        sizes.total,
        seeding.elapsed()
    );

    let invitations = client.organization(ORG).invitations();
    // Warm up: connection pool, lazily initialised statics, and the HTTP read buffers, which
    // grow (once) to fit a page; then only what depends on the count can change the peak.
    let warm_up = sizes.checkpoints[0] / 2;
    let warmed = invitations.list().stream().take(warm_up).count().await;
    assert_eq!(warmed, warm_up);

    // Streaming, as a caller processing one invitation at a time.
    let before = live();
    reset_peak();
    let mut stream = invitations.list().stream();
    let mut seen = 0;
    let mut streamed = Vec::new();
    let started = Instant::now();
    while let Some(invitation) = stream.next().await {
        std::hint::black_box(invitation.expect("streamed invitation"));
        seen += 1;
        if sizes.checkpoints.contains(&seen) {
            streamed.push(peak().saturating_sub(before));
        }
    }
    let stream_time = started.elapsed();
    drop(stream);
    assert_eq!(seen, sizes.total, "every invitation is streamed once");

    // The baseline: the same list collected.
    let mut collected = Vec::new();
    for &count in &sizes.checkpoints {
        let before = live();
        reset_peak();
        let all: Vec<OrganizationInvitation> = invitations
            .list()
            .stream()
            .take(count)
            .try_collect()
            .await
            .expect("collected");
        assert_eq!(all.len(), count);
        collected.push(peak().saturating_sub(before));
        drop(all);
    }

    println!(
        "list().stream() over {} invitations (default page of 100) in {:.1?}",
        sizes.total, stream_time
    );
    println!(
        "{:>9}  {:>22}  {:>24}",
        "items", "stream: peak above start", "collect: peak above start"
    );
    for ((count, s), c) in sizes.checkpoints.iter().zip(&streamed).zip(&collected) {
        println!("{count:>9}  {:>22}  {:>24}", mib(*s), mib(*c));
    }
    let ratio = |v: &[usize]| v[2] as f64 / v[0].max(1) as f64;
    println!(
        "peak at {} vs {}: stream x{:.2}, collect x{:.2}",
        sizes.checkpoints[2],
        sizes.checkpoints[0],
        ratio(&streamed),
        ratio(&collected)
    );
}

/// Creates `total` invitations, ten per bulk call, from 8 concurrent tasks.
async fn seed(client: &Client, total: usize) {
    const TASKS: usize = 8;
    let batches: Vec<usize> = (0..total.div_ceil(10)).collect();
    futures::stream::iter(batches)
        .map(|batch| {
            let invitations = client.organization(ORG).invitations();
            async move {
                let people = (batch * 10..((batch + 1) * 10).min(total)).map(|n| {
                    NewInvitation::new(format!("person{n}@stream.test"), Role::MEMBER)
                        .inviter_user_id(ADMIN)
                });
                invitations
                    .create_bulk(people)
                    .send()
                    .await
                    .expect("bulk create");
            }
        })
        .buffer_unordered(TASKS)
        .collect::<()>()
        .await;
}
