//! The real-clock mode and the standalone binary that uses it: windows reopen by themselves,
//! the limit flags parse (or say why not), and the binary enforces what it was told.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clerk_fake::{FakeClerk, Limit, RateLimits};
use common::Api;
use common::binary::Binary;
use reqwest::StatusCode;
use serde_json::json;

const LIST: &str = "/organizations/org_acme/invitations";

fn system_now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

async fn real_clock_fake(limits: RateLimits) -> Api {
    let fake = FakeClerk::builder()
        .real_clock()
        .rate_limits(limits)
        .start()
        .await
        .unwrap();
    assert!(fake.clock().is_real());
    Api::with(fake)
}

#[tokio::test]
async fn a_real_clock_window_reopens_after_retry_after() {
    let api = real_clock_fake(RateLimits::unlimited().global(1, Duration::from_secs(1))).await;
    // Two requests straddle a window boundary now and then; the next one cannot, since every
    // admitted request uses up its window's budget.
    let mut refused = None;
    for _ in 0..100 {
        let reply = api.get(LIST).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(reply);
            break;
        }
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let refused = refused.expect("a second request in the same 1 s window is refused");
    assert_eq!(refused.error_code(), "too_many_requests");
    let wait = refused.retry_after();
    assert_eq!(
        wait, 1,
        "at most the 1 s window, in whole seconds rounded up"
    );

    // Waiting what the server said is enough on a clock nobody advances.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let reply = api.get(LIST).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_real_clock_stamps_system_time() {
    let api = real_clock_fake(RateLimits::unlimited()).await;
    let before = system_now_ms();
    let reply = api.invite("now@example.com").await;
    let after = system_now_ms();
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let created_at = reply.body["created_at"].as_i64().unwrap();
    assert!(
        (before..=after).contains(&created_at),
        "{before} <= {created_at} <= {after}"
    );
    let date = reply.headers["date"].to_str().unwrap();
    let date_s = chrono::DateTime::parse_from_rfc2822(date)
        .unwrap()
        .timestamp();
    assert!(
        (before / 1000..=after / 1000).contains(&date_s),
        "Date: {date} within [{before}, {after}] ms"
    );

    // `advance` still skips ahead: a 30-day invitation has expired 31 days later.
    api.fake
        .clock()
        .advance(Duration::from_secs(31 * 24 * 3600));
    let id = reply.body["id"].as_str().unwrap();
    let reply = api.get(&format!("{LIST}/{id}")).await;
    assert_eq!(reply.body["status"], "expired", "{}", reply.body);
}

#[test]
fn limit_flags_parse_as_n_per_duration() {
    let ok: &[(&str, u32, Duration)] = &[
        ("10/5s", 10, Duration::from_secs(5)),
        ("250/1h", 250, Duration::from_secs(3600)),
        ("100/10s", 100, Duration::from_secs(10)),
        ("20/2m", 20, Duration::from_secs(120)),
        ("3/500ms", 3, Duration::from_millis(500)),
        (" 1 / 1s ", 1, Duration::from_secs(1)),
        ("4294967295/1s", u32::MAX, Duration::from_secs(1)),
    ];
    for &(text, requests, window) in ok {
        let limit: Limit = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(limit, Limit::new(requests, window), "{text}");
    }

    let err: &[(&str, &str)] = &[
        ("", "expected N/DURATION"),
        ("10", "expected N/DURATION"),
        ("10s", "expected N/DURATION"),
        ("x/5s", "`x` is not a number of requests"),
        ("-1/5s", "`-1` is not a number of requests"),
        ("4294967296/1s", "is not a number of requests"),
        ("0/5s", "at least 1"),
        ("10/", "`` is not a duration"),
        ("10/s", "`s` is not a duration"),
        ("10/5", "needs a unit"),
        ("10/5d", "unknown unit `d`"),
        ("10/5 s", "unknown unit ` s`"),
        ("10/1.5s", "unknown unit `.5s`"),
        ("10/0s", "longer than zero"),
        ("10/99999999999999999999h", "too long"),
        ("10/2562047788016h", "too long"),
    ];
    for &(text, reason) in err {
        let error = text.parse::<Limit>().expect_err(text).to_string();
        assert!(
            error.starts_with(&format!("invalid limit `{text}`: ")),
            "{text}: {error}"
        );
        assert!(error.contains(reason), "{text}: {error}");
    }
}

#[test]
fn the_limits_builder_replaces_one_limit_at_a_time() {
    let limits = RateLimits::default()
        .bulk(10, Duration::from_secs(5))
        .create(20, Duration::from_secs(60));
    assert_eq!(
        limits.bulk_create_invitations,
        Some(Limit::new(10, Duration::from_secs(5)))
    );
    assert_eq!(
        limits.create_invitation,
        Some(Limit::new(20, Duration::from_secs(60)))
    );
    assert_eq!(
        limits.all_requests,
        RateLimits::default().all_requests,
        "untouched"
    );
    assert_eq!(
        limits.to_string(),
        "global 100/10s, create 20/1m, bulk 10/5s, membership update 10/10s"
    );
}

/// Starts the binary and reads its banner up to the clock line, which comes last: (process,
/// banner lines, base URL, secret key).
fn start_binary(args: &[&str]) -> (Binary, Vec<String>, String, String) {
    let mut binary = Binary::spawn(args);
    let base_url = binary.read_until("base URL:");
    let secret_key = binary.read_until("secret key:");
    binary.read_until("clock:");
    let banner = binary.banner.clone();
    binary.drain();
    (binary, banner, base_url, secret_key)
}

#[tokio::test]
async fn the_binary_enforces_its_limit_flags_on_a_real_clock() {
    let (_binary, banner, base_url, secret_key) =
        start_binary(&["--bulk-limit", "2/1h", "--port", "0"]);
    assert!(
        banner.iter().any(|l| l
            == "limits:     global 100/10s, create 250/1h, bulk 2/1h, membership update 10/10s"),
        "{banner:#?}"
    );
    assert!(
        banner.iter().any(|l| l == "clock:      real (system time)"),
        "{banner:#?}"
    );

    let client = common::client();
    let url = format!("{base_url}/v1/organizations/org_demo/invitations/bulk");
    let mut replies = Vec::new();
    for i in 0..3 {
        let body = json!([{"email_address": format!("b{i}@demo.test"), "role": "org:member"}]);
        let response = client
            .post(&url)
            .bearer_auth(&secret_key)
            .json(&body)
            .send()
            .await
            .expect("response");
        replies.push(response);
    }
    assert_eq!(replies[0].status(), StatusCode::OK);
    assert_eq!(replies[1].status(), StatusCode::OK);
    let refused = &replies[2];
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=3600).contains(&wait),
        "Retry-After {wait} within the hour"
    );
}

#[test]
fn the_binary_refuses_a_malformed_limit_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_clerk-fake"))
        .args(["--create-limit", "10/5d", "--port", "0"])
        .output()
        .expect("clerk-fake binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid limit `10/5d`: unknown unit `d`"),
        "{stderr}"
    );
    assert!(stderr.contains("--create-limit"), "{stderr}");
}
