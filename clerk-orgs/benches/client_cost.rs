//! Client-side cost per call, without the network: building and serializing a create request,
//! and decoding an answer, each against plain `serde_json` on a hand-written struct of the same
//! fields (the baseline a hand-rolled client pays anyway), measured in the same run.
//!
//! Run: `cargo bench -p clerk-orgs --bench client_cost` (criterion). After criterion's own
//! report it prints each contender's median as a ratio to the baseline.
//!
//! What is reachable here is what clerk-orgs exposes publicly:
//! - request: the public `NewInvitation` builder serialized with `serde_json` (it serializes to
//!   exactly the body Clerk receives), and the generated `clerk-bapi-sys` body that `send()`
//!   actually writes. The field checks `send()` runs first (`validate`) are crate-private and
//!   not in these figures; they are in the end-to-end benchmark's CPU per request.
//! - answer: `clerk-bapi-sys`'s generated `OrganizationInvitation`, which is what every
//!   response is decoded into before clerk-orgs moves its fields into the typed model (that move
//!   is crate-private too).

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::num::NonZeroU64;
use std::path::PathBuf;

use clerk_bapi_sys::types;
use clerk_orgs::{NewInvitation, Role};
use common::{EMAIL, INVITATION_JSON, INVITER, PlainCreateBody, PlainInvitation};
use criterion::Criterion;
use serde_json::json;

const CREATE: &str = "create_request";
const DECODE: &str = "decode_response";
const BASELINE: &str = "plain_serde";

fn create_request(c: &mut Criterion) {
    // The same JSON on the wire from all three.
    let ours = serde_json::to_vec(&new_invitation()).unwrap();
    let plain = serde_json::to_vec(&PlainCreateBody::example()).unwrap();
    let wire = serde_json::to_vec(&wire_body()).unwrap();
    let as_value = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
    assert_eq!(as_value(&ours), as_value(&plain));
    assert_eq!(as_value(&wire), as_value(&plain));

    let mut group = c.benchmark_group(CREATE);
    group.bench_function(BASELINE, |b| {
        b.iter(|| serde_json::to_vec(&black_box(PlainCreateBody::example())).unwrap())
    });
    group.bench_function("clerk_orgs_new_invitation", |b| {
        b.iter(|| serde_json::to_vec(&black_box(new_invitation())).unwrap())
    });
    group.bench_function("clerk_bapi_sys_body", |b| {
        b.iter(|| serde_json::to_vec(&black_box(wire_body())).unwrap())
    });
    group.finish();
}

fn new_invitation() -> NewInvitation {
    NewInvitation::new(EMAIL, Role::MEMBER)
        .inviter_user_id(INVITER)
        .public_metadata(json!({"team": "core"}))
        .expires_in_days(7)
}

fn wire_body() -> types::CreateOrganizationInvitationBody {
    let serde_json::Value::Object(metadata) = json!({"team": "core"}) else {
        unreachable!("an object literal")
    };
    types::CreateOrganizationInvitationBody {
        email_address: EMAIL.to_owned(),
        role: Role::MEMBER.as_str().to_owned(),
        inviter_user_id: Some(INVITER.to_owned()),
        redirect_url: None,
        public_metadata: Some(metadata),
        private_metadata: None,
        expires_in_days: NonZeroU64::new(7),
        notify: None,
    }
}

fn decode_response(c: &mut Criterion) {
    let bytes = INVITATION_JSON.as_bytes();
    let mut group = c.benchmark_group(DECODE);
    group.bench_function(BASELINE, |b| {
        b.iter(|| serde_json::from_slice::<PlainInvitation>(black_box(bytes)).unwrap())
    });
    group.bench_function("clerk_bapi_sys_invitation", |b| {
        b.iter(|| {
            serde_json::from_slice::<types::OrganizationInvitation>(black_box(bytes)).unwrap()
        })
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    create_request(&mut criterion);
    decode_response(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|arg| arg == "--bench") {
        print_ratios();
    }
}

/// Reads criterion's estimates and prints each contender against the baseline.
fn print_ratios() {
    let root = criterion_dir();
    let estimate = |group: &str, id: &str| -> Option<f64> {
        let path = root.join(group).join(id).join("new/estimates.json");
        let text = std::fs::read_to_string(path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        // Criterion's headline figure: the slope of time over iterations (mean if absent).
        json["slope"]["point_estimate"]
            .as_f64()
            .or_else(|| json["mean"]["point_estimate"].as_f64())
    };
    println!(
        "\ntime per call (criterion's slope estimate), and ratio to plain serde_json (lower is cheaper):"
    );
    for (group, ids) in [
        (
            CREATE,
            &["clerk_orgs_new_invitation", "clerk_bapi_sys_body"][..],
        ),
        (DECODE, &["clerk_bapi_sys_invitation"][..]),
    ] {
        let Some(base) = estimate(group, BASELINE) else {
            println!("{group}: no estimates under {}", root.display());
            continue;
        };
        println!("{group:<16} {BASELINE:<26} {base:>8.0} ns  x1.00");
        for id in ids {
            if let Some(ns) = estimate(group, id) {
                println!("{group:<16} {id:<26} {ns:>8.0} ns  x{:.2}", ns / base);
            }
        }
    }
}

/// Where criterion writes: `$CRITERION_HOME`, else `<target dir>/criterion`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // <target>/<profile>/deps/client_cost-<hash>
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .nth(3)
        .map(|target| target.join("criterion"))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}
