//! Every outcome stays true under faults (issue #9): one regression test per case, over real
//! HTTP against `clerk-fake` or a small loopback server, asserting the outcome, the requests the
//! server saw, and that nothing waits without bound (on the virtual clock where time matters).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use clerk_fake::{Fault, RetryAfter, Route};
use clerk_orgs::clock::{Clock, Sleep};
use clerk_orgs::{
    Client, Delivery, Error, ErrorCode, InvitationStatus, InviteOutcome, InviteResult, Jitter,
    LimitMode, NewInvitation, RateLimits, RetryPolicy, Role, Unsettled,
};
use futures::StreamExt;
use serde_json::json;
use support::{MEMBER_EMAIL, ORG, World, email};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn people(range: std::ops::Range<usize>) -> Vec<NewInvitation> {
    range
        .map(|n| NewInvitation::new(email(n), Role::MEMBER))
        .collect()
}

/// `(kind, count)` of a run's outcomes, sorted, for one-line assertions.
fn tally(outcomes: &[InviteOutcome]) -> Vec<(&'static str, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for outcome in outcomes {
        let kind = match &outcome.result {
            InviteResult::Invited(_) => "invited",
            InviteResult::AlreadyInvited(_) => "already_invited",
            InviteResult::AlreadyMember => "already_member",
            InviteResult::Rejected { .. } => "rejected",
            InviteResult::MaybeInvited(_) => "maybe_invited",
            InviteResult::RateLimited(_) => "rate_limited",
            InviteResult::NotSent(_) => "not_sent",
            InviteResult::Failed(_) => "failed",
            _ => "other",
        };
        *counts.entry(kind).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

// ---- 1. an existing invitation is never claimed as this call's ----------------------------

#[tokio::test]
async fn a_retry_meeting_yesterdays_invitation_says_already_invited() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    let yesterdays = invitations
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    world.fake.clock().advance(DAY);
    world.fake.request_log().clear();

    // The first attempt is dropped before Clerk processes it; the retry meets the old one.
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::DropConnection);
    let error = invitations
        .create(email(1), Role::MEMBER)
        .public_metadata(json!({"team": "core"}))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_duplicate_invitation(), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Rejected);
    assert_eq!(world.fake.invitations().len(), 1);
    assert_eq!(world.fake.invitations()[0].id, yesterdays.id);
    assert!(world.fake.invitations()[0].public_metadata.is_empty());
    // Two attempts and one lookup that found the invitation older than the call.
    assert_eq!((world.creates(), world.lists()), (2, 1));
}

#[tokio::test]
async fn an_invitation_of_the_same_moment_with_other_metadata_is_not_claimed() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    // No time passes: only the metadata tells the old invitation from a new one.
    invitations
        .create(email(1), Role::MEMBER)
        .public_metadata(json!({"team": "design"}))
        .send()
        .await
        .unwrap();
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::DropConnection);
    let error = invitations
        .create(email(1), Role::MEMBER)
        .public_metadata(json!({"team": "core"}))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_duplicate_invitation(), "{error:?}");
    assert_eq!((world.creates(), world.lists()), (3, 1));
}

#[tokio::test]
async fn rerunning_invite_all_under_a_dropped_bulk_says_already_invited() {
    let world = World::new().await;
    let client = world.client();
    let invitations = client.organization(ORG).invitations();
    invitations.create_bulk(people(0..10)).send().await.unwrap();
    world.fake.clock().advance(DAY);
    world.fake.request_log().clear();

    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::DropConnection);
    let outcomes: Vec<InviteOutcome> = invitations.invite_all(people(0..10)).collect().await;
    assert_eq!(tally(&outcomes), [("already_invited", 10)]);
    assert_eq!(world.assert_no_duplicates(), 10);
    // The dropped attempt and its retry; one lookup settles the call (the first email is
    // older than the call), then one per person to show their invitation.
    assert_eq!((world.bulk_creates(), world.lists()), (2, 1 + 10));
}

// ---- 2. a lost answer plus a failed lookup stays unknown ---------------------------------

#[tokio::test]
async fn a_lost_answer_whose_lookups_fail_is_unresolved_not_rejected() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::ProcessedThenDropped);
    let lists = world.fake.faults();
    for n in 1..=4 {
        lists
            .on(Route::ListInvitations)
            .nth(n, Fault::server_error(503));
    }
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.delivery(), Delivery::Unknown, "{error:?}");
    assert!(error.maybe_processed());
    assert!(!error.is_duplicate_invitation(), "not 'already invited'");
    let unresolved = error.unresolved().unwrap();
    assert_eq!(unresolved.why(), Unsettled::LookupFailed);
    assert!(unresolved.last_attempt().is_duplicate_invitation());
    // The accessors still show that last answer, for logs; the predicate above does not read it.
    support::assert_accessors_describe_the_last_answer(&error);
    assert!(
        error
            .codes()
            .any(|code| *code == ErrorCode::DuplicateRecord)
    );
    assert_eq!(unresolved.lookup_error().unwrap().status().unwrap(), 503);
    insta::assert_snapshot!("unresolved_display", error.to_string());
    // The processed attempt, the retry meeting it, and the default policy's four lookups.
    assert_eq!((world.creates(), world.lists()), (2, 4));
    assert_eq!(world.fake.invitations().len(), 1);
}

#[tokio::test]
async fn an_unresolved_call_whose_last_answer_was_a_429_keeps_its_retry_after() {
    let world = World::new().await;
    let creates = world.fake.faults();
    creates
        .on(Route::CreateInvitation)
        .nth(1, Fault::ProcessedThenDropped)
        .nth(2, Fault::TooManyRequests(RetryAfter::Seconds(7)));
    let lists = world.fake.faults();
    lists
        .on(Route::ListInvitations)
        .nth(1, Fault::server_error(503))
        .nth(2, Fault::server_error(503));
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .retry(RetryPolicy::default().max_attempts(2))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.delivery(), Delivery::Unknown, "{error:?}");
    let last = support::assert_accessors_describe_the_last_answer(&error);
    assert!(matches!(last, Error::RateLimited(_)), "{last:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(error.trace_id().is_some());
    // A call whose outcome is unknown is not "rate limited": it must be looked at first.
    assert!(!error.is_rate_limited());
    assert!(!error.is_retryable());
    assert_eq!((world.creates(), world.lists()), (2, 2));
    assert_eq!(
        world.fake.invitations().len(),
        1,
        "the first attempt landed"
    );
}

#[tokio::test]
async fn invite_all_says_maybe_invited_when_a_lost_answer_cannot_be_settled() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::ProcessedThenDropped);
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::ListInvitations)
            .nth(n, Fault::server_error(503));
    }
    let outcomes: Vec<InviteOutcome> = world
        .client()
        .organization(ORG)
        .invitations()
        .invite_all(people(0..15))
        .collect()
        .await;
    // Clerk answers again after the lookups: the second batch goes through.
    assert_eq!(tally(&outcomes), [("invited", 5), ("maybe_invited", 10)]);
    for outcome in outcomes.iter().filter(|o| o.index < 10) {
        assert!(matches!(outcome.result, InviteResult::MaybeInvited(_)));
        assert!(!outcome.result.is_final());
    }
    assert_eq!(world.assert_no_duplicates(), 15);
}

// ---- 3. a request answered 2xx is never sent again ---------------------------------------

#[tokio::test]
async fn a_create_answered_with_a_garbled_200_is_sent_once_then_looked_up() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::MalformedJson);
    let created = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap();
    assert_eq!(world.fake.invitations()[0].id, created.id);
    assert_eq!((world.creates(), world.lists()), (1, 1));
}

#[tokio::test]
async fn a_garbled_200_whose_lookup_fails_is_a_processed_decode_error() {
    let world = World::new().await;
    world
        .fake
        .faults()
        .on(Route::CreateInvitation)
        .next(Fault::TruncatedJson);
    for n in 1..=4 {
        world
            .fake
            .faults()
            .on(Route::ListInvitations)
            .nth(n, Fault::DropConnection);
    }
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_eq!(error.delivery(), Delivery::Processed);
    assert_eq!((world.creates(), world.lists()), (1, 4));
}

#[tokio::test]
async fn bulk_creates_and_revokes_answered_2xx_are_never_resent() {
    let world = World::new().await;
    let invitations = world.client().organization(ORG).invitations();
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::MalformedJson);
    let created = invitations.create_bulk(people(0..3)).send().await.unwrap();
    assert_eq!(created.len(), 3);
    assert_eq!((world.bulk_creates(), world.lists()), (1, 3));

    world
        .fake
        .faults()
        .on(Route::RevokeInvitation)
        .next(Fault::TruncatedJson);
    let revoked = invitations.revoke(&created[0].id).send().await.unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    let path = format!("/organizations/{ORG}/invitations/{}", created[0].id);
    assert_eq!(world.count("POST", &format!("{path}/revoke")), 1);
    assert_eq!(world.count("GET", &path), 1);
}

// ---- 4. a huge Retry-After blocks nothing past the cap -----------------------------------

#[tokio::test]
async fn an_absurd_retry_after_ends_invite_all_with_rate_limited_people() {
    let world = World::new().await;
    let client = world.client();
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::TooManyRequests(RetryAfter::Seconds(999_999_999)));
    let outcomes: Vec<InviteOutcome> = client
        .organization(ORG)
        .invitations()
        .invite_all(people(0..25))
        .collect()
        .await;
    assert_eq!(tally(&outcomes), [("rate_limited", 25)]);
    for outcome in &outcomes {
        let error = outcome.result.error().unwrap();
        assert!(error.is_rate_limited());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(999_999_999)));
    }
    assert_eq!(world.bulk_creates(), 1, "nobody else is sent into the wall");
    assert_eq!(world.elapsed(), Duration::ZERO, "nothing was slept on");

    // The budget is paused for the cap (one hour), not for 31 years, on every clone.
    let clone = client.clone();
    let error = clone
        .organization(ORG)
        .invitations()
        .create_bulk(people(30..31))
        .rate_limit_mode(LimitMode::FailFast)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BudgetExhausted(_)), "{error:?}");
    assert!(error.retry_after().unwrap() <= clerk_orgs::DEFAULT_MAX_WAIT);
    let created = clone
        .organization(ORG)
        .invitations()
        .create_bulk(people(30..31))
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(world.elapsed(), clerk_orgs::DEFAULT_MAX_WAIT);
}

#[tokio::test]
async fn a_budget_wait_past_the_cap_fails_at_once_instead_of_sleeping() {
    let world = World::new().await;
    let client = world
        .builder()
        .rate_limits(RateLimits::default().max_wait(Duration::from_secs(30)))
        .build()
        .unwrap();
    let invitations = client.organization(ORG).invitations();
    // The hourly bulk budget paces calls 72 s apart: past a 30 s cap.
    for n in 0..50 {
        invitations
            .create_bulk(people(n..n + 1))
            .send()
            .await
            .unwrap();
    }
    let error = invitations
        .create_bulk(people(60..61))
        .send()
        .await
        .unwrap_err();
    let Error::BudgetExhausted(exhausted) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        exhausted.budget(),
        clerk_orgs::Budget::BulkCreateInvitations
    );
    assert!(exhausted.retry_after() > Duration::from_secs(30));
    assert_eq!(world.bulk_creates(), 50);
}

/// A 429 without a usable `Retry-After` (a proxy's page): the bulk budget is paused for one
/// steady interval, 72 s, longer than the default `max_elapsed` (60 s).
fn bulk_429_without_retry_after(world: &World) {
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::HtmlErrorPage { status: 429 });
}

#[tokio::test]
async fn a_retry_whose_budget_opens_after_max_elapsed_is_not_made() {
    let world = World::new().await;
    bulk_429_without_retry_after(&world);
    let error = world
        .client()
        .organization(ORG)
        .invitations()
        .create_bulk(people(0..2))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");
    assert_eq!(error.retry_after(), None);
    assert_eq!(world.bulk_creates(), 1);
    // It ends within the policy's bound: the backoff was slept, the 72 s wait was not.
    let default_max_elapsed = Duration::from_secs(60);
    assert!(
        world.elapsed() <= default_max_elapsed,
        "{:?}",
        world.elapsed()
    );
}

#[tokio::test]
async fn a_retry_whose_budget_opens_within_max_elapsed_waits_for_it() {
    let world = World::new().await;
    bulk_429_without_retry_after(&world);
    let max_elapsed = Duration::from_secs(120);
    let patient = RetryPolicy::default().max_elapsed(max_elapsed);
    let created = world
        .client()
        .organization(ORG)
        .invitations()
        .create_bulk(people(0..2))
        .retry(patient)
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(world.bulk_creates(), 2);
    let elapsed = world.elapsed();
    assert!(elapsed >= Duration::from_secs(72), "{elapsed:?}");
    assert!(elapsed <= max_elapsed, "{elapsed:?}");
}

#[tokio::test]
async fn the_first_attempts_wait_for_its_budget_is_pacing_not_retrying() {
    let world = World::new().await;
    let client = world.client();
    let invitations = client.organization(ORG).invitations();
    // The hourly bulk budget is spent: the next call waits an hour for its first attempt.
    for n in 0..50 {
        invitations
            .create_bulk(people(n..n + 1))
            .send()
            .await
            .unwrap();
    }
    let before = world.elapsed();
    world
        .fake
        .faults()
        .on(Route::BulkCreateInvitations)
        .next(Fault::server_error(503));
    let created = invitations
        .create_bulk(people(60..61))
        .send()
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    // That hour did not use up the 60 s of retrying: the 503 was retried.
    assert_eq!(world.bulk_creates(), 52);
    assert!(world.elapsed() - before >= Duration::from_secs(3500));
}

// ---- 5. a down server costs one batch's retry cycle --------------------------------------

/// Time that passes only when someone sleeps.
#[derive(Debug, Default)]
struct VirtualClock(AtomicU64);

impl Clock for VirtualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::SeqCst);
        Box::pin(std::future::ready(()))
    }
}

/// A server that accepts every connection and never answers; counts the connections.
fn silent_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn invite_all_stops_after_one_batch_when_clerk_does_not_answer() {
    let (url, accepted) = silent_server();
    let clock = Arc::new(VirtualClock::default());
    let client = Client::builder()
        .secret_key("sk_test_silent")
        .base_url(url)
        .timeout(Duration::from_millis(200))
        .clock(clock.clone())
        .build()
        .unwrap();
    let outcomes: Vec<InviteOutcome> = client
        .organization(ORG)
        .invitations()
        .invite_all(people(0..30))
        .collect()
        .await;
    assert_eq!(
        tally(&outcomes),
        [("maybe_invited", 10), ("not_sent", 20)],
        "{outcomes:#?}"
    );
    for outcome in &outcomes {
        let error = outcome.result.error().unwrap();
        let last = error.unresolved().map_or(error, |u| u.last_attempt());
        assert!(matches!(last, Error::Timeout(_)), "{error:?}");
    }
    // One batch's retry cycle: four attempts, then the first lookup's four attempts.
    assert_eq!(accepted.load(Ordering::SeqCst), 8);
    // The backoff between them stays within the default policy's 60 s, on the virtual clock.
    assert!(
        clock.now() <= 2 * Duration::from_secs(60),
        "{:?}",
        clock.now()
    );
}

// ---- 6. bodies are read with a streaming cap ---------------------------------------------

/// A server answering every request with `status` and a `length`-byte body, written in chunks
/// until the client goes away.
fn huge_body_server(status: &'static str, length: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let start = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
                );
                if stream.write_all(start.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0u64;
                while sent < length {
                    let n = chunk.len().min(usize::try_from(length - sent).unwrap());
                    if stream.write_all(&chunk[..n]).is_err() {
                        return;
                    }
                    sent += n as u64;
                }
            });
        }
    });
    url
}

/// The peak resident set of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

const MEMORY_CHILD: &str = "CLERK_ORGS_MEMORY_CHILD";
const BODY: u64 = 400 * 1024 * 1024;

/// Runs in a child process of its own (see the test below), so that no other test's memory
/// counts: a 503 and a 200, each with a 400 MB body, read by one client.
#[tokio::test]
#[ignore = "run by a_400_mb_body_is_cut_with_bounded_memory in a child process"]
async fn memory_child() {
    if std::env::var_os(MEMORY_CHILD).is_none() {
        return;
    }
    let error_url = huge_body_server("503 Service Unavailable", BODY);
    let success_url = huge_body_server("200 OK", BODY);
    let build = |url: String| {
        Client::builder()
            .secret_key("sk_test_memory")
            .base_url(url)
            .retry(RetryPolicy::none())
            .rate_limits(RateLimits::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap()
    };
    let before = peak_rss_kib();
    let error = build(error_url)
        .organization(ORG)
        .invitations()
        .get("orginv_1")
        .send()
        .await
        .unwrap_err();
    let api = error.api().expect("an API error");
    println!(
        "ERROR status={} cut={} raw={} display={error}",
        api.status().as_u16(),
        api.is_body_cut(),
        api.raw_body().map_or(0, str::len)
    );
    let error = build(success_url)
        .organization(ORG)
        .invitations()
        .get("orginv_1")
        .send()
        .await
        .unwrap_err();
    let too_large = matches!(&error, Error::Transport(t) if t.is_body_too_large());
    println!(
        "SUCCESS too_large={too_large} delivery={:?} display={error}",
        error.delivery()
    );
    println!("GROWTH_KIB={}", peak_rss_kib() - before);
}

#[test]
fn a_400_mb_body_is_cut_with_bounded_memory() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["memory_child", "--exact", "--ignored", "--nocapture"])
        .env(MEMORY_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // From `prefix` on, wherever it stands in its line: with one test thread (RUST_TEST_THREADS=1
    // reaches the child too), libtest prints the test's name on the same line first.
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.find(prefix).map(|at| line[at..].to_owned()))
            .unwrap_or_else(|| panic!("no {prefix} line in:\n{stdout}"))
    };
    let error = line("ERROR ");
    assert!(error.contains("status=503 cut=true raw=65536"), "{error}");
    assert!(error.contains("(over 1 MiB; cut)"), "{error}");
    let success = line("SUCCESS ");
    assert!(
        success.contains("too_large=true delivery=Processed"),
        "{success}"
    );
    let growth: u64 = line("GROWTH_KIB=")["GROWTH_KIB=".len()..].parse().unwrap();
    assert!(growth < 64 * 1024, "peak RSS grew by {growth} KiB");
}

// ---- 7. one answer to "is this retryable?" -----------------------------------------------

/// For each kind of failure: what `is_retryable()` says of a single attempt's error, and
/// whether the retry loop sent the request a second time, must agree.
#[tokio::test]
async fn is_retryable_and_the_retry_loop_agree() {
    let world = World::new().await;
    let once = world.builder().retry(RetryPolicy::none()).build().unwrap();
    let twice = world
        .builder()
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .jitter(Jitter::None)
                .base_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let seeded = once
        .organization(ORG)
        .invitations()
        .create(email(999), Role::MEMBER)
        .send()
        .await
        .unwrap();
    let get_path = format!("/organizations/{ORG}/invitations/{}", seeded.id);
    let create_path = format!("/organizations/{ORG}/invitations");

    let faults = [
        Fault::server_error(500),
        Fault::server_error(502),
        Fault::bare_server_error(503),
        Fault::server_error(504),
        Fault::HtmlErrorPage { status: 502 },
        Fault::TooManyRequests(RetryAfter::Seconds(1)),
        Fault::DropConnection,
        Fault::MalformedJson,
        Fault::TruncatedJson,
    ];
    let mut person = 0;
    for fault in faults {
        // A read, with every fault.
        world
            .fake
            .faults()
            .on(Route::GetInvitation)
            .next(fault.clone());
        let error = once
            .organization(ORG)
            .invitations()
            .get(&seeded.id)
            .send()
            .await
            .unwrap_err();
        world.fake.request_log().clear();
        world
            .fake
            .faults()
            .on(Route::GetInvitation)
            .next(fault.clone());
        let _ = twice
            .organization(ORG)
            .invitations()
            .get(&seeded.id)
            .send()
            .await;
        let expected = if error.is_retryable() { 2 } else { 1 };
        assert_eq!(
            world.count("GET", &get_path),
            expected,
            "get, {fault:?}: {error:?}"
        );

        // A create, with the faults that leave no invitation behind.
        if matches!(fault, Fault::MalformedJson | Fault::TruncatedJson) {
            continue;
        }
        person += 1;
        world
            .fake
            .faults()
            .on(Route::CreateInvitation)
            .next(fault.clone());
        let error = once
            .organization(ORG)
            .invitations()
            .create(email(person), Role::MEMBER)
            .send()
            .await
            .unwrap_err();
        world.fake.request_log().clear();
        world
            .fake
            .faults()
            .on(Route::CreateInvitation)
            .next(fault.clone());
        person += 1;
        let _ = twice
            .organization(ORG)
            .invitations()
            .create(email(person), Role::MEMBER)
            .send()
            .await;
        let expected = if error.is_retryable() { 2 } else { 1 };
        assert_eq!(
            world.count("POST", &create_path),
            expected,
            "create, {fault:?}: {error:?}"
        );
    }

    // Clerk's refusal of the request itself: not retryable, sent once.
    world.fake.request_log().clear();
    let error = twice
        .organization(ORG)
        .invitations()
        .create(MEMBER_EMAIL, Role::MEMBER)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_already_member() && !error.is_retryable());
    assert_eq!(world.count("POST", &create_path), 1);
}

/// The fake's clock, and on the first wait (the backoff before a retry) the acting admin loses
/// their admin role: the organization changing between two attempts of one call.
#[derive(Debug)]
struct DemoteOnFirstWait {
    time: support::FakeTime,
    fake: Arc<clerk_fake::FakeClerk>,
    waited: std::sync::atomic::AtomicBool,
}

impl Clock for DemoteOnFirstWait {
    fn now(&self) -> Duration {
        self.time.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        if !self.waited.swap(true, Ordering::SeqCst) {
            self.fake
                .add_membership(ORG, support::ADMIN, clerk_fake::MEMBER_ROLE)
                .unwrap();
        }
        self.time.sleep(duration)
    }
}

/// Found by the simulator (seed 4016; faults `create#1=lost,bulk#4=lost`, a roster apply's
/// invitations). A create is processed and its answer lost; before the retry, another admin
/// demotes the inviter, so the retry is refused (`not_an_admin_in_organization`). That refusal
/// is about the retry, not the lost attempt, which had created the invitation; the client took
/// it as proof that nothing was created and reported `Rejected`. A refusal after an attempt
/// that may have landed is now looked up like any other answer.
#[tokio::test]
async fn a_refused_retry_after_a_lost_create_is_looked_up() {
    let fake = Arc::new(clerk_fake::FakeClerk::start().await);
    fake.add_organization(clerk_fake::Organization::new(ORG, "Acme"));
    fake.add_user(clerk_fake::User::new(support::ADMIN, support::ADMIN_EMAIL));
    fake.add_membership(ORG, support::ADMIN, clerk_fake::ADMIN_ROLE)
        .unwrap();
    let client = |fake: &Arc<clerk_fake::FakeClerk>| {
        Client::builder()
            .secret_key(fake.secret_key())
            .base_url(fake.base_url())
            .clock(Arc::new(DemoteOnFirstWait {
                time: support::FakeTime(fake.clock().clone()),
                fake: fake.clone(),
                waited: Default::default(),
            }))
            .rate_limits(RateLimits::none())
            .build()
            .unwrap()
    };
    let invitations = client(&fake).organization(ORG).invitations();

    fake.faults()
        .on(Route::CreateInvitation)
        .nth(1, Fault::ProcessedThenDropped);
    let created = invitations
        .create(email(1), Role::MEMBER)
        .inviter_user_id(support::ADMIN)
        .send()
        .await
        .expect("the lost attempt created it");
    let stored = fake.invitations();
    assert_eq!(stored.len(), 1);
    assert_eq!(created.id, stored[0].id);

    // The same through invite_all's bulk call.
    fake.add_membership(ORG, support::ADMIN, clerk_fake::ADMIN_ROLE)
        .unwrap();
    fake.faults()
        .on(Route::BulkCreateInvitations)
        .nth(1, Fault::ProcessedThenDropped);
    let run = client(&fake).organization(ORG).invitations().invite_all(
        people(2..4)
            .into_iter()
            .map(|p| p.inviter_user_id(support::ADMIN)),
    );
    let outcomes: Vec<InviteOutcome> = run.collect().await;
    assert_eq!(tally(&outcomes), [("invited", 2)], "{outcomes:#?}");
    assert_eq!(fake.invitations().len(), 3);
}

/// The same for a revoke, found by looking for the create's bug (seed 4016) in the revoke's
/// recovery: processed, its answer lost, the revoking admin demoted before the retry, which is
/// refused; the invitation is revoked, by this call.
#[tokio::test]
async fn a_refused_retry_after_a_lost_revoke_is_checked() {
    let fake = Arc::new(clerk_fake::FakeClerk::start().await);
    fake.add_organization(clerk_fake::Organization::new(ORG, "Acme"));
    fake.add_user(clerk_fake::User::new(support::ADMIN, support::ADMIN_EMAIL));
    fake.add_membership(ORG, support::ADMIN, clerk_fake::ADMIN_ROLE)
        .unwrap();
    let plain = support::single_attempt()
        .secret_key(fake.secret_key())
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let invitation = plain
        .organization(ORG)
        .invitations()
        .create(email(1), Role::MEMBER)
        .inviter_user_id(support::ADMIN)
        .send()
        .await
        .unwrap();
    let client = Client::builder()
        .secret_key(fake.secret_key())
        .base_url(fake.base_url())
        .clock(Arc::new(DemoteOnFirstWait {
            time: support::FakeTime(fake.clock().clone()),
            fake: fake.clone(),
            waited: Default::default(),
        }))
        .rate_limits(RateLimits::none())
        .build()
        .unwrap();
    fake.faults()
        .on(Route::RevokeInvitation)
        .nth(1, Fault::ProcessedThenDropped);
    let revoked = client
        .organization(ORG)
        .invitations()
        .revoke(invitation.id.clone())
        .requesting_user_id(support::ADMIN)
        .send()
        .await
        .expect("the lost attempt revoked it");
    assert_eq!(revoked.id, invitation.id);
    assert_eq!(revoked.status, InvitationStatus::Revoked);
}
