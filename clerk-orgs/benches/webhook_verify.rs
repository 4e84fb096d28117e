//! Webhook verification cost per event against a plain HMAC over the same bytes (issue #12).
//!
//! Run: `cargo bench -p clerk-orgs --bench webhook_verify` (a plain binary, `harness = false`).
//! Without `--bench` (as under `cargo test --benches`) it runs a few iterations as a smoke test.
//!
//! Two realistic Clerk payloads, each signed as Svix signs them and delivered with `svix-*`
//! headers in an `http::HeaderMap` (what axum hands a handler):
//!
//! - `organizationInvitation.created`, about 1 KB, which becomes a typed
//!   `Event::OrganizationInvitationCreated`;
//! - a `user.created` event of about 16 KB (many addresses, accounts and metadata), which
//!   becomes `Event::Other` with its `data` kept as a `serde_json::Value`.
//!
//! Contenders, per payload:
//!
//! - **plain HMAC** (the baseline): `Hmac<Sha256>` keyed with the decoded secret, fed
//!   `{id}.{timestamp}.{body}`, and the tag base64-encoded, as a hand-rolled verifier would
//!   before comparing it with the header;
//! - **verify, signature only**: `Webhook::verify_at` with the one `v1` signature altered by one
//!   byte. There is no public signature-only call, so this is the closest public equivalent: it
//!   does every step of a successful verification (header lookups, timestamp checks, body limit,
//!   HMAC, decoding and comparing the candidate) and stops where the body would be parsed,
//!   returning `NoMatchingSignature`;
//! - **verify + parse**: `Webhook::verify_at` with the genuine signature, returning the typed
//!   `VerifiedEvent`;
//! - for scale, **plain HMAC + `serde_json::Value`**: the baseline followed by parsing the body
//!   into an untyped `Value`, what a hand-rolled verifier that parses afterwards would pay.
//!
//! Rounds interleave the contenders (the order rotates each round), each contender running
//! enough iterations for about 1/15 of the per-case target time; the table shows each one's
//! median ns per event over the rounds and its ratio to the baseline, computed per round (the
//! contenders of a round ran back to back under the same load): the median and, in brackets,
//! the lowest and highest.
//!
//! `-- --only CASE CONTENDER ITERS` (e.g. `--only 0 1 20000`) runs one contender ITERS times and
//! nothing else, for `valgrind --tool=callgrind`: the difference between two ITERS counts,
//! divided by the difference in ITERS, is the instructions per event, free of setup and noise.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use clerk_orgs::webhooks::{Event, Webhook, WebhookError};
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const MSG_ID: &str = "msg_2g7np7Hrk0SN6kj5EDMLDaKNL0S";
const TIMESTAMP: i64 = 1_716_883_200;

const ROUNDS: usize = 15;
/// Per case and contender, over all rounds.
const TARGET: Duration = Duration::from_millis(1500);

const CONTENDERS: [&str; 4] = [
    "plain HMAC-SHA256 + base64 (baseline)",
    "Webhook::verify_at, signature only",
    "Webhook::verify_at, verify + parse",
    "plain HMAC + serde_json::Value parse",
];

struct Case {
    name: &'static str,
    body: Vec<u8>,
    /// The genuine headers.
    good: HeaderMap,
    /// The same, with the signature altered in one byte.
    bad: HeaderMap,
}

/// An `organizationInvitation.created` event as Clerk delivers it: about 1 KB.
fn invitation_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "data": {
            "created_at": 1_716_883_200_000_i64,
            "email_address": "jane.doe@acme.com",
            "expires_at": 1_717_487_999_000_i64,
            "id": "orginv_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "inviter_id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "object": "organization_invitation",
            "organization_id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "private_metadata": {"source": "bulk-import", "batch": 17},
            "public_inviter_data": {
                "user_id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                "first_name": "John",
                "last_name": "Smith",
                "identifier": "john.smith@acme.com",
                "image_url": "https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwcyJ9",
                "has_image": true
            },
            "public_metadata": {"team": "platform", "department": "engineering"},
            "public_organization_data": {
                "id": "org_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
                "name": "Acme Corp",
                "slug": "acme-corp",
                "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCIsImlpZCI6Imluc18",
                "has_image": true
            },
            "role": "org:member",
            "role_name": "Member",
            "status": "pending",
            "updated_at": 1_716_883_200_000_i64,
            "url": "https://accounts.acme.com/accept-invitation?__clerk_ticket=eyJhbGciOiJIUzI1NiJ9"
        },
        "event_attributes": {"http_request": {
            "client_ip": "192.168.1.100",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
        }},
        "instance_id": "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "object": "event",
        "timestamp": 1_716_883_200_123_i64,
        "type": "organizationInvitation.created"
    }))
    .expect("serialize")
}

/// A `user.created` event of about 16 KB: a user with many addresses, accounts and metadata.
fn user_body() -> Vec<u8> {
    let emails: Vec<Value> = (0..12)
        .map(|i| {
            json!({
                "id": format!("idn_2g7np7Hrk0SN6kj5EDMLDa{i:05}"),
                "object": "email_address",
                "email_address": format!("jane.doe+alias{i}@example.com"),
                "linked_to": [{"id": format!("idn_2g7np7Hrk0SN6kj5EDMLDb{i:05}"), "type": "oauth_google"}],
                "reserved": false,
                "verification": {
                    "status": "verified",
                    "strategy": "email_code",
                    "attempts": 1,
                    "expire_at": 1_716_883_800_000_i64
                },
                "created_at": 1_716_883_200_000_i64,
                "updated_at": 1_716_883_200_000_i64
            })
        })
        .collect();
    let accounts: Vec<Value> = (0..10)
        .map(|i| {
            json!({
                "id": format!("eac_2g7np7Hrk0SN6kj5EDMLDa{i:05}"),
                "object": "google_account",
                "provider": "oauth_google",
                "identification_id": format!("idn_2g7np7Hrk0SN6kj5EDMLDb{i:05}"),
                "provider_user_id": format!("1098765432101234567{i:02}"),
                "approved_scopes": "email https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid profile",
                "email_address": format!("jane.doe+alias{i}@example.com"),
                "first_name": "Jane",
                "last_name": "Doe",
                "avatar_url": "https://lh3.googleusercontent.com/a/ACg8ocJ-abcdefghijklmnopqrstuvwxyz=s96-c",
                "image_url": "https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2xoMy5nb29nbGUifQ",
                "username": null,
                "public_metadata": {},
                "label": null,
                "verification": {"status": "verified", "strategy": "oauth_google", "attempts": null, "expire_at": 1_716_883_800_000_i64}
            })
        })
        .collect();
    let preferences: serde_json::Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("preference_{i:02}"),
                json!({"enabled": i % 2 == 0, "level": i, "note": "set during onboarding"}),
            )
        })
        .collect();
    serde_json::to_vec(&json!({
        "data": {
            "backup_code_enabled": false,
            "banned": false,
            "birthday": "",
            "created_at": 1_716_883_200_000_i64,
            "email_addresses": emails,
            "external_accounts": accounts,
            "external_id": "567772",
            "first_name": "Jane",
            "gender": "",
            "has_image": true,
            "id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "image_url": "https://img.clerk.com/eyJ0eXBlIjoicHJveHkiLCJzcmMiOiJodHRwczovL2ltYWdlcy5jbGVyay5kZXYifQ",
            "last_name": "Doe",
            "last_sign_in_at": 1_716_883_200_000_i64,
            "locked": false,
            "object": "user",
            "password_enabled": true,
            "phone_numbers": [],
            "primary_email_address_id": "idn_2g7np7Hrk0SN6kj5EDMLDa00000",
            "primary_phone_number_id": null,
            "primary_web3_wallet_id": null,
            "private_metadata": {"crm_id": "0031x00000AbCdE", "plan": "enterprise"},
            "profile_image_url": "https://www.gravatar.com/avatar?d=mp",
            "public_metadata": {"preferences": preferences},
            "two_factor_enabled": false,
            "unsafe_metadata": {},
            "updated_at": 1_716_883_200_000_i64,
            "username": null,
            "web3_wallets": []
        },
        "event_attributes": {"http_request": {
            "client_ip": "192.168.1.100",
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
        }},
        "instance_id": "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "object": "event",
        "timestamp": 1_716_883_200_123_i64,
        "type": "user.created"
    }))
    .expect("serialize")
}

fn headers(signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("svix-id", HeaderValue::from_static(MSG_ID));
    headers.insert(
        "svix-timestamp",
        HeaderValue::from_str(&TIMESTAMP.to_string()).expect("timestamp header"),
    );
    headers.insert(
        "svix-signature",
        HeaderValue::from_str(signature).expect("signature header"),
    );
    headers
}

fn case(name: &'static str, body: Vec<u8>, webhook: &Webhook) -> Case {
    let signature = webhook.sign(MSG_ID, TIMESTAMP, &body);
    // Alter one base64 character of the tag (same length, still valid base64).
    let mut bad = signature.clone().into_bytes();
    bad[5] = if bad[5] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).expect("ASCII");
    Case {
        name,
        good: headers(&signature),
        bad: headers(&bad),
        body,
    }
}

/// The baseline: what any verifier must compute, with the crates directly.
fn plain_hmac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

struct Ctx<'a> {
    key: &'a [u8],
    webhook: &'a Webhook,
    now: DateTime<Utc>,
    timestamp: &'a str,
}

/// One event through contender `which`; returns something derived from the result so the work
/// cannot be dropped.
#[inline(never)]
fn run_one(ctx: &Ctx<'_>, case: &Case, which: usize) -> usize {
    match which {
        0 => plain_hmac(
            black_box(ctx.key),
            black_box(MSG_ID),
            black_box(ctx.timestamp),
            black_box(&case.body),
        )
        .len(),
        1 => match ctx
            .webhook
            .verify_at(black_box(&case.bad), black_box(&case.body), ctx.now)
        {
            Err(WebhookError::NoMatchingSignature { checked }) => checked,
            other => panic!("expected NoMatchingSignature, got {other:?}"),
        },
        2 => {
            let verified = ctx
                .webhook
                .verify_at(black_box(&case.good), black_box(&case.body), ctx.now)
                .expect("genuine event verifies");
            verified.event_type().len()
        }
        3 => {
            let tag = plain_hmac(
                black_box(ctx.key),
                black_box(MSG_ID),
                black_box(ctx.timestamp),
                black_box(&case.body),
            );
            let value: Value = serde_json::from_slice(black_box(&case.body)).expect("JSON");
            tag.len() + value.as_object().map_or(0, serde_json::Map::len)
        }
        _ => unreachable!(),
    }
}

/// Nanoseconds per event over `iters` events.
fn time(ctx: &Ctx<'_>, case: &Case, which: usize, iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(run_one(ctx, case, which));
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");

    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").expect("prefix"))
        .expect("base64 secret");
    let webhook = Webhook::new(SECRET).expect("secret");
    let timestamp = TIMESTAMP.to_string();
    let ctx = Ctx {
        key: &key,
        webhook: &webhook,
        now: DateTime::from_timestamp(TIMESTAMP + 30, 0).expect("now"),
        timestamp: &timestamp,
    };
    let cases = [
        case(
            "organizationInvitation.created",
            invitation_body(),
            &webhook,
        ),
        case("user.created (Event::Other)", user_body(), &webhook),
    ];

    // Sanity: the baseline computes exactly the signature Clerk sends, and the events are
    // typed as intended.
    for case in &cases {
        let tag = plain_hmac(&key, MSG_ID, &timestamp, &case.body);
        let sent = case.good.get("svix-signature").expect("header").as_bytes();
        assert_eq!(format!("v1,{tag}").as_bytes(), sent, "{}", case.name);
        let verified = webhook
            .verify_at(&case.good, &case.body, ctx.now)
            .expect("verifies");
        match (
            &verified.event,
            case.name.starts_with("organizationInvitation"),
        ) {
            (Event::OrganizationInvitationCreated(_), true) | (Event::Other { .. }, false) => {}
            (event, _) => panic!("{}: unexpected {}", case.name, event.event_type()),
        }
    }

    // `--only CASE CONTENDER ITERS`: one contender, nothing else (for callgrind).
    if let Some(at) = args.iter().position(|a| a == "--only") {
        let num = |k: usize| -> u64 {
            args.get(at + k)
                .and_then(|n| n.parse().ok())
                .expect("--only CASE CONTENDER ITERS")
        };
        let (case, which, iters) = (num(1) as usize, num(2) as usize, num(3));
        for _ in 0..iters {
            black_box(run_one(&ctx, &cases[case], which));
        }
        return;
    }

    let (rounds, target) = if full {
        (ROUNDS, TARGET)
    } else {
        (2, Duration::from_millis(20))
    };
    println!(
        "webhook verification cost per event, {rounds} interleaved rounds, medians \
         (load average at start: {})",
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    );
    println!();
    println!("| Payload | Contender | ns per event | vs plain HMAC |");
    println!("| --- | --- | --- | --- |");
    for case in &cases {
        // Calibrate: iterations per round so each contender runs about target / rounds.
        let per_round = target.as_nanos() as f64 / rounds as f64;
        let iters: Vec<u64> = (0..CONTENDERS.len())
            .map(|which| {
                time(&ctx, case, which, 200); // warm-up
                let ns = time(&ctx, case, which, 1_000);
                ((per_round / ns) as u64).max(10)
            })
            .collect();
        let mut ns: Vec<Vec<f64>> = vec![Vec::new(); CONTENDERS.len()];
        for round in 0..rounds {
            let mut this_round = [0.0; CONTENDERS.len()];
            for k in 0..CONTENDERS.len() {
                let which = (round + k) % CONTENDERS.len();
                this_round[which] = time(&ctx, case, which, iters[which]);
            }
            for (which, value) in this_round.iter().enumerate() {
                ns[which].push(*value);
            }
        }
        let mut ratios: Vec<Vec<f64>> = ns
            .iter()
            .map(|series| series.iter().zip(&ns[0]).map(|(x, b)| x / b).collect())
            .collect();
        for (which, name) in CONTENDERS.iter().enumerate() {
            let ratio = &mut ratios[which];
            let lo = ratio.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ratio.iter().copied().fold(0.0, f64::max);
            let ratio_text = if which == 0 {
                "x1.00".to_string()
            } else {
                format!("x{:.2} ({lo:.2}-{hi:.2})", median(ratio))
            };
            println!(
                "| {} ({} B) | {name} | {:.0} | {ratio_text} |",
                case.name,
                case.body.len(),
                median(&mut ns[which]),
            );
        }
    }
}
