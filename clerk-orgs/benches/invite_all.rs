//! `invite_all` of 5,000 people against `clerk-fake` with Clerk's real limits, on the fake's
//! virtual clock: ten hours of hourly bulk windows play out in about a second.
//!
//! Run: `cargo bench -p clerk-orgs --bench invite_all` (a plain binary, `harness = false`).
//!
//! Reports the achieved rate against the most the limits allow (50 bulk calls of 10 per hour:
//! 500 people per hour, so 5,000 people need 10 hourly windows), the 429s Clerk answered and in
//! which window, and duplicates (invitations per email above one). A third run adds faults to
//! the bulk route: every 25th call is processed but its answer lost, every 40th a bare 503.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clerk_fake::{FakeClerk, Fault, KeyKind, Route};
use clerk_orgs::{InviteResult, NewInvitation, Role};
use futures::StreamExt;
use support::{ORG, World, email};

const PEOPLE: usize = 5_000;
const BULK_PER_HOUR: usize = 50;
const HOUR_MS: i64 = 3_600_000;

struct Report {
    key: &'static str,
    faults: bool,
    invited: usize,
    other_outcomes: usize,
    virtual_elapsed: Duration,
    wall: Duration,
    bulk_requests: u64,
    windows: BTreeMap<i64, usize>,
    duplicates: usize,
    stored: usize,
}

/// The bulk request numbers that get a fault in the faulty run, and the fault.
fn fault_for(request: u64) -> Option<Fault> {
    if request.is_multiple_of(25) {
        Some(Fault::ProcessedThenDropped)
    } else if request % 40 == 7 {
        Some(Fault::bare_server_error(503))
    } else {
        None
    }
}

async fn run(key_kind: KeyKind, faults: bool) -> Report {
    let fake = FakeClerk::builder()
        .key_kind(key_kind)
        .request_log_cap(100_000)
        .start()
        .await
        .expect("clerk-fake starts");
    let world = World::with(fake);
    if faults {
        for request in 1..=1_000 {
            if let Some(fault) = fault_for(request) {
                world
                    .fake
                    .faults()
                    .on(Route::BulkCreateInvitations)
                    .nth(request, fault);
            }
        }
    }
    let client = world
        .builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client builds");
    let people: Vec<NewInvitation> = (0..PEOPLE)
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect();

    let wall = Instant::now();
    let mut stream = client.organization(ORG).invitations().invite_all(people);
    let (mut invited, mut other_outcomes) = (0, 0);
    while let Some(outcome) = stream.next().await {
        match outcome.result {
            InviteResult::Invited(_) => invited += 1,
            other => {
                other_outcomes += 1;
                if std::env::var_os("BENCH_DEBUG").is_some() {
                    eprintln!("#{} {other:?}", outcome.index);
                }
            }
        }
    }
    let wall = wall.elapsed();
    let virtual_elapsed = world.elapsed();

    // The fake admits at most 50 bulk calls per clock hour, and a 503 fault answers before
    // counting; so in each window, every call past 50 that met no 503 was answered 429.
    let bulk_path = format!("/v1/organizations/{ORG}/invitations/bulk");
    let mut windows = BTreeMap::new();
    let mut bulk_requests: u64 = 0;
    for request in world.requests() {
        if request.method == "POST" && request.path_and_query == bulk_path {
            bulk_requests += 1;
            let counted =
                !(faults && matches!(fault_for(bulk_requests), Some(Fault::ServerError { .. })));
            let window = (request.received_at_ms - world.start_ms).div_euclid(HOUR_MS);
            *windows.entry(window).or_insert(0) += usize::from(counted);
        }
    }
    let stored = world.fake.invitations();
    let mut emails: Vec<String> = stored
        .iter()
        .map(|i| i.email_address.to_lowercase())
        .collect();
    emails.sort();
    emails.dedup();
    Report {
        key: match key_kind {
            KeyKind::Live => "sk_live_",
            _ => "sk_test_",
        },
        faults,
        invited,
        other_outcomes,
        virtual_elapsed,
        wall,
        bulk_requests,
        windows,
        duplicates: stored.len() - emails.len(),
        stored: stored.len(),
    }
}

fn print(report: &Report) {
    let hours = report.virtual_elapsed.as_secs_f64() / 3600.0;
    let rate = report.invited as f64 / hours;
    let max_rate = (BULK_PER_HOUR * 10) as f64;
    let rejected_429: Vec<String> = report
        .windows
        .iter()
        .filter(|(_, calls)| **calls > BULK_PER_HOUR)
        .map(|(window, calls)| format!("{} in hour {window}", calls - BULK_PER_HOUR))
        .collect();
    let total_429: usize = report
        .windows
        .values()
        .map(|calls| calls.saturating_sub(BULK_PER_HOUR))
        .sum();
    println!(
        "invite_all, {PEOPLE} people, {} key, {}",
        report.key,
        if report.faults {
            "faults on the bulk route"
        } else {
            "no faults"
        }
    );
    println!(
        "  invited                 {} (other outcomes: {})",
        report.invited, report.other_outcomes
    );
    println!(
        "  virtual time            {:.0} s ({hours:.2} h)",
        report.virtual_elapsed.as_secs_f64()
    );
    println!(
        "  achieved rate           {rate:.1} people/h = {:.1}% of the {max_rate:.0}/h the limits allow",
        100.0 * rate / max_rate
    );
    println!(
        "  hourly windows used     {} (the fewest possible: {})",
        report.windows.len(),
        PEOPLE.div_ceil(10 * BULK_PER_HOUR)
    );
    println!(
        "  bulk requests           {} for {} calls of 10",
        report.bulk_requests,
        PEOPLE / 10
    );
    println!(
        "  429s                    {total_429} ({})",
        if rejected_429.is_empty() {
            "none".to_owned()
        } else {
            rejected_429.join(", ")
        }
    );
    println!(
        "  duplicates              {} ({} invitations stored)",
        report.duplicates, report.stored
    );
    println!(
        "  wall time               {:.2} s",
        report.wall.as_secs_f64()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    for (key_kind, faults) in [
        (KeyKind::Test, false),
        (KeyKind::Live, false),
        (KeyKind::Test, true),
    ] {
        let report = runtime.block_on(run(key_kind, faults));
        print(&report);
        assert_eq!(report.invited, PEOPLE, "everyone invited");
        assert_eq!(report.duplicates, 0, "no duplicates");
    }
}
