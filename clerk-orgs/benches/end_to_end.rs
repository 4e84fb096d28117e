//! `create().send()` end to end against a local server, side by side with plain `reqwest` +
//! `serde_json` sending the same request to the same server.
//!
//! Run: `cargo bench -p clerk-orgs --bench end_to_end` (a plain binary, `harness = false`).
//! Without `--bench` (as under `cargo test --benches`) it runs a few requests as a smoke test.
//! `-- --only N` runs one client (0 clerk-orgs without budgets, 1 clerk-orgs with budgets, 2 raw
//! bindings, 3 plain, 4 plain sending clerk-orgs' `User-Agent` and `Accept` too, 5 clerk-rs 0.5.0),
//! e.g. under `perf`; `-- --only N --calls C` sends C sequential creates after
//! a warm-up and nothing else, on one thread (for `valgrind --tool=callgrind`: instructions per create are the
//! difference of two runs with different C over their difference); `--tasks` sends those C from
//! 32 tasks at once, on the same single thread. `-- --startup` measures
//! `Client::build()` and the RSS after the first request, each client in fresh child processes.
//!
//! - The server is a minimal axum app answering every create with one canned invitation, so the
//!   client's cost is not hidden behind a fake's bookkeeping. It runs in a child process (this
//!   binary re-run with `--serve`), so the CPU time measured here (`getrusage` of this process,
//!   through the `cpu-time` crate) is the client's alone.
//! - Both clients send the same bytes' worth of request (the same JSON body, bearer key,
//!   `Clerk-API-Version`) over keep-alive HTTP/1.1 on loopback, and decode the whole answer:
//!   clerk-orgs into its typed `OrganizationInvitation`, plain into a serde struct of the same
//!   fields. A third contender calls the generated `clerk-bapi-sys` operations directly
//!   (clerk-orgs builds its requests on their generated routes and types instead; the
//!   operations' builders were most of its overhead). A fourth is plain reqwest sending
//!   clerk-orgs' `User-Agent` and `Accept` as well (the same request headers; the table's last
//!   column is the ratio to it), and a fifth the community crate clerk-rs 0.5.0 (which sends its
//!   own `User-Agent` and no `Accept: application/json`).
//! - clerk-orgs runs twice: with its client-side rate limits switched off (`RateLimits::none()`),
//!   and with budgets on: the default's shape (a create budget and the global one, both
//!   sliding-window logs on the client's clock, waiting when spent), with limits no run reaches, since with
//!   Clerk's defaults it would, by design, send 250 creates an hour. Its retry policy is the
//!   default (no request fails, so nothing is retried).
//! - Sequential: one task, one request at a time. Concurrent: 32 tasks sharing one client.
//!   Rounds rotate between the clients. The table shows each client's median round, and its
//!   ratio to plain computed per round (the clients of a round ran back to back, under the same
//!   load): the median and, in brackets, the lowest and highest of the rounds.
//! - Last, heap allocations per create on the client (a counting global allocator, on only for
//!   that phase): unlike times, they do not depend on the machine's load.

#[path = "common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clerk_orgs::{Client, Limit, RateLimits, Role};
use common::{EMAIL, INVITATION_JSON, INVITER, ORG, PlainCreateBody, PlainInvitation};
use cpu_time::ProcessTime;
use serde_json::json;

const CONCURRENCY: usize = 32;

/// Counts heap allocations while `COUNTING` is on (one relaxed load per allocation otherwise),
/// for the allocations-per-request table, which unlike times does not depend on the load.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counted.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations (and reallocations) and bytes per request over `requests` sequential creates.
async fn allocations(contender: &Contender, requests: usize) -> (f64, f64) {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for _ in 0..requests {
        contender.create().await;
    }
    COUNTING.store(false, Ordering::Relaxed);
    let n = requests as f64;
    (
        ALLOCATIONS.load(Ordering::Relaxed) as f64 / n,
        ALLOCATED_BYTES.load(Ordering::Relaxed) as f64 / n,
    )
}
const KEY: &str = "sk_live_BenchmarkKeyThatIsNotASecret0000";

struct Sizes {
    sequential: usize,
    concurrent: usize,
    rounds: usize,
}

const BENCH: Sizes = Sizes {
    sequential: 2_000,
    concurrent: 8_000,
    rounds: 15,
};
const SMOKE: Sizes = Sizes {
    sequential: 20,
    concurrent: 64,
    rounds: 1,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return;
    }
    let arg = |name: &str| -> Option<&str> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    if let Some(which) = arg("--startup-child") {
        startup_child(which, arg("--url").expect("--url"));
        return;
    }
    let sizes = if args.iter().any(|a| a == "--bench") {
        BENCH
    } else {
        SMOKE
    };
    // `--only N` (0 clerk-orgs, 1 with budgets, 2 raw bindings, 3 plain, 4 plain with
    // clerk-orgs' headers, 5 clerk-rs) runs one contender.
    let only: Option<usize> = arg("--only").and_then(|n| n.parse().ok());
    let calls: Option<usize> = arg("--calls").and_then(|n| n.parse().ok());
    // With `--calls`: `--tasks` sends them from 32 tasks at once (still on one thread), to count
    // what concurrency adds per request.
    let tasks = args.iter().any(|a| a == "--tasks");
    let (mut server, base_url) = spawn_server();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if args.iter().any(|a| a == "--startup") {
            startup(&base_url, if sizes.rounds > 1 { 15 } else { 1 });
            return;
        }
        // `--calls` (for callgrind) runs on one thread: the same work, scheduled the same way
        // in every run, so instruction counts do not move with the idle workers' parking.
        // `--threads` keeps the multi-threaded runtime, to look at what two workers add (`perf`).
        let runtime = if calls.is_some() && !args.iter().any(|a| a == "--threads") {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
        }
        .expect("runtime");
        runtime.block_on(bench(&base_url, &sizes, only, calls, tasks))
    }));
    let _ = server.kill();
    let _ = server.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// `Client::build()` and the first request, in fresh processes: clerk-orgs against plain
/// reqwest (rustls with ring, the platform verifier, the same timeout), `rounds` times each,
/// alternating; medians.
fn startup(base_url: &str, rounds: usize) {
    let exe = std::env::current_exe().expect("own path");
    let names = ["clerk-orgs", "plain"];
    let mut results: [Vec<[f64; 4]>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for k in 0..2 {
            let i = (round + k) % 2;
            let output = Command::new(&exe)
                .args(["--startup-child", names[i], "--url", base_url])
                .output()
                .expect("startup child runs");
            assert!(output.status.success(), "startup child failed");
            let line = String::from_utf8(output.stdout).expect("utf-8");
            let values: Vec<f64> = line
                .split_whitespace()
                .map(|v| v.parse().expect("number"))
                .collect();
            results[i].push([values[0], values[1], values[2], values[3]]);
        }
    }
    println!(
        "startup, fresh process each, {rounds} rounds, medians: build() time, RSS before build, after build, after the first create"
    );
    for (i, name) in names.iter().enumerate() {
        let column = |c: usize| median(results[i].iter().map(|r| r[c]).collect());
        println!(
            "{:<12} build {:>8.0} µs   RSS {:>6.0} KiB -> {:>6.0} KiB -> {:>6.0} KiB",
            name,
            column(0),
            column(1),
            column(2),
            column(3)
        );
    }
}

/// This process's resident set, from `/proc/self/status` (KiB; 0 where there is none).
fn rss_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0.0)
}

/// One startup measurement: prints build µs and the RSS before, after build and after one create.
fn startup_child(which: &str, base_url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let before = rss_kib();
    let started = Instant::now();
    let contender = if which == "plain" {
        #[allow(deprecated)] // ring's provider, as clerk-orgs uses it (see src/client.rs)
        let _ = rustls::crypto::ring::default_provider().install_default();
        Contender::Plain(Arc::new(Plain {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
            url: format!("{base_url}/v1/organizations/{ORG}/invitations"),
            same_headers: false,
        }))
    } else {
        Contender::ClerkOrgsBudgets(
            Client::builder()
                .secret_key(KEY)
                .base_url(base_url)
                .build()
                .expect("clerk-orgs client"),
        )
    };
    let build = started.elapsed();
    let built = rss_kib();
    runtime.block_on(contender.create());
    let first = rss_kib();
    println!("{} {before} {built} {first}", build.as_secs_f64() * 1e6);
}

/// The canned server: every POST to an organization's invitations gets the same 200.
fn serve() {
    use axum::Router;
    use axum::http::header;
    use axum::routing::post;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async {
        let app = Router::new().route(
            "/v1/organizations/{organization_id}/invitations",
            post(|body: axum::body::Bytes| async move {
                // Read, as a real server does; answer the canned invitation.
                std::hint::black_box(body);
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    INVITATION_JSON,
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        axum::serve(listener, app).await.expect("serve");
    });
}

fn spawn_server() -> (Child, String) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("server stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("server prints its address");
    (child, format!("http://{}", line.trim()))
}

/// One way of sending a create.
#[derive(Clone)]
enum Contender {
    /// `RateLimits::none()`.
    ClerkOrgs(Client),
    /// Budgets on: a create budget and the global one, never reached.
    ClerkOrgsBudgets(Client),
    /// The generated operations called directly: no validation, retry loop, rate limiter, span
    /// or typed model. clerk-orgs sends on their routes and types but not through them.
    Sys(Arc<clerk_bapi_sys::Client>),
    Plain(Arc<Plain>),
    /// clerk-rs 0.5.0, the community crate: its generated function for the same create.
    ClerkRs(Arc<clerk_rs::ClerkConfiguration>),
}

struct Plain {
    http: reqwest::Client,
    url: String,
    /// Also sends clerk-orgs' `User-Agent` and `Accept: application/json`: the same request
    /// headers as clerk-orgs, so the difference is the client's work alone.
    same_headers: bool,
}

impl Contender {
    fn name(&self) -> &'static str {
        match self {
            Contender::ClerkOrgs(_) => "clerk-orgs, budgets off",
            Contender::ClerkOrgsBudgets(_) => "clerk-orgs, budgets on",
            Contender::Sys(_) => "clerk-bapi-sys (raw)",
            Contender::Plain(plain) if plain.same_headers => "plain, clerk-orgs' headers",
            Contender::Plain(_) => "plain reqwest+serde_json",
            Contender::ClerkRs(_) => "clerk-rs 0.5.0",
        }
    }

    /// Sends one create and decodes the answer.
    async fn create(&self) {
        match self {
            Contender::ClerkOrgs(client) | Contender::ClerkOrgsBudgets(client) => {
                let invitation = client
                    .organization(ORG)
                    .invitations()
                    .create(EMAIL, Role::MEMBER)
                    .inviter_user_id(INVITER)
                    .public_metadata(json!({"team": "core"}))
                    .expires_in_days(7)
                    .send()
                    .await
                    .expect("clerk-orgs create");
                std::hint::black_box(invitation);
            }
            Contender::Sys(sys) => {
                let serde_json::Value::Object(metadata) = json!({"team": "core"}) else {
                    unreachable!("an object literal")
                };
                let body = clerk_bapi_sys::types::CreateOrganizationInvitationBody {
                    email_address: EMAIL.to_owned(),
                    role: Role::MEMBER.as_str().to_owned(),
                    inviter_user_id: Some(INVITER.to_owned()),
                    redirect_url: None,
                    public_metadata: Some(metadata),
                    private_metadata: None,
                    expires_in_days: std::num::NonZeroU64::new(7),
                    notify: None,
                };
                let invitation = sys
                    .create_organization_invitation()
                    .organization_id(ORG)
                    .body(body)
                    .send()
                    .await
                    .expect("raw bindings create");
                std::hint::black_box(invitation.into_inner());
            }
            Contender::Plain(plain) => {
                let mut request = plain
                    .http
                    .post(&plain.url)
                    .bearer_auth(KEY)
                    .header("Clerk-API-Version", clerk_bapi_sys::CLERK_API_VERSION);
                if plain.same_headers {
                    request = request
                        .header(reqwest::header::USER_AGENT, clerk_orgs::USER_AGENT)
                        .header(reqwest::header::ACCEPT, "application/json");
                }
                let response = request
                    .json(&PlainCreateBody::example())
                    .send()
                    .await
                    .expect("plain create");
                assert!(response.status().is_success(), "{}", response.status());
                let body = response.bytes().await.expect("plain body");
                let invitation: PlainInvitation =
                    serde_json::from_slice(&body).expect("plain decode");
                std::hint::black_box(invitation);
            }
            Contender::ClerkRs(configuration) => {
                use clerk_rs::models::CreateOrganizationInvitationRequest;
                let serde_json::Value::Object(metadata) = json!({"team": "core"}) else {
                    unreachable!("an object literal")
                };
                let mut body =
                    CreateOrganizationInvitationRequest::new(EMAIL.to_owned(), "org:member".into());
                body.inviter_user_id = Some(Some(INVITER.to_owned()));
                body.public_metadata = Some(Some(metadata.into_iter().collect()));
                body.expires_in_days = Some(Some(7));
                let invitation =
                    clerk_rs::apis::organization_invitations_api::create_organization_invitation(
                        configuration,
                        ORG,
                        Some(body),
                    )
                    .await
                    .expect("clerk-rs create");
                std::hint::black_box(invitation);
            }
        }
    }
}

/// One measured run: wall time and this process's CPU time for `requests` creates.
#[derive(Clone, Copy)]
struct Sample {
    requests: usize,
    wall: Duration,
    cpu: Duration,
}

impl Sample {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.wall.as_secs_f64()
    }

    fn cpu_micros_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.requests as f64
    }
}

async fn sequential(contender: &Contender, requests: usize) -> Sample {
    let (wall, cpu) = (Instant::now(), ProcessTime::now());
    for _ in 0..requests {
        contender.create().await;
    }
    Sample {
        requests,
        wall: wall.elapsed(),
        cpu: cpu.elapsed(),
    }
}

async fn concurrent(contender: &Contender, requests: usize) -> Sample {
    let per_task = requests / CONCURRENCY;
    let (wall, cpu) = (Instant::now(), ProcessTime::now());
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let contender = contender.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    contender.create().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    Sample {
        requests: per_task * CONCURRENCY,
        wall: wall.elapsed(),
        cpu: cpu.elapsed(),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

async fn bench(
    base_url: &str,
    sizes: &Sizes,
    only: Option<usize>,
    calls: Option<usize>,
    tasks: bool,
) {
    // The plain client needs a process-wide rustls provider (reqwest is built without one);
    // clerk-orgs passes its own ring config and does not use it.
    #[allow(deprecated)] // ring's provider, as clerk-orgs uses it (see src/client.rs)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ours = Contender::ClerkOrgs(
        Client::builder()
            .secret_key(KEY)
            .base_url(base_url)
            .rate_limits(RateLimits::none())
            .build()
            .expect("clerk-orgs client"),
    );
    // The default's shape (a create budget, the global one) with limits no run reaches.
    let unreachable = Limit::new(u32::MAX, Duration::from_secs(1));
    let ours_with_budgets = Contender::ClerkOrgsBudgets(
        Client::builder()
            .secret_key(KEY)
            .base_url(base_url)
            .rate_limits(
                RateLimits::default()
                    .create_invitation(unreachable)
                    .all_requests(unreachable),
            )
            .build()
            .expect("clerk-orgs client"),
    );
    let sys = Contender::Sys(Arc::new(clerk_bapi_sys::Client::new_with_client(
        &format!("{base_url}/v1"),
        reqwest::Client::builder()
            .default_headers(clerk_bapi_sys::auth_headers(KEY).expect("header"))
            .timeout(Duration::from_secs(30))
            .build()
            .expect("reqwest client"),
    )));
    let plain = |same_headers| {
        Contender::Plain(Arc::new(Plain {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
            url: format!("{base_url}/v1/organizations/{ORG}/invitations"),
            same_headers,
        }))
    };
    let clerk_rs = Contender::ClerkRs(Arc::new(
        clerk_rs::ClerkConfiguration::new(KEY).with_base_path(format!("{base_url}/v1")),
    ));
    let contenders = [
        ours,
        ours_with_budgets,
        sys,
        plain(false),
        plain(true),
        clerk_rs,
    ];
    const PLAIN: usize = 3;
    const SAME_HEADERS: usize = 4;
    let selected: Vec<usize> = (0..contenders.len())
        .filter(|i| only.is_none_or(|only| only == *i))
        .collect();

    // Warm up: connections, allocator, branch predictors.
    for &i in &selected {
        concurrent(&contenders[i], CONCURRENCY * 8).await;
    }
    if let Some(calls) = calls {
        for &i in &selected {
            let sample = if tasks {
                concurrent(&contenders[i], calls).await
            } else {
                sequential(&contenders[i], calls).await
            };
            eprintln!(
                "{}: {} requests, client CPU {:.1} µs per request",
                contenders[i].name(),
                sample.requests,
                sample.cpu_micros_per_request()
            );
        }
        return;
    }

    println!(
        "create().send() against a canned local server (server in a child process), \
         {} rounds; per client: median round, then each round's ratio to plain",
        sizes.rounds
    );
    println!(
        "{:<11} {:<26} {:>8} {:>11} {:>14} {:>26} {:>26} {:>26}",
        "mode",
        "client",
        "requests",
        "requests/s",
        "client CPU/req",
        "throughput ratio: median",
        "CPU/req ratio: median",
        "CPU/req vs same headers"
    );
    for (mode, requests) in [
        ("sequential", sizes.sequential),
        ("32 tasks", sizes.concurrent),
    ] {
        let mut samples: [Vec<Sample>; 6] = Default::default();
        for round in 0..sizes.rounds {
            // Rotate who goes first, so drift in the machine's load hits all alike.
            for i in (0..6).map(|k| (round + k) % 6) {
                if !selected.contains(&i) {
                    continue;
                }
                let sample = if mode == "sequential" {
                    sequential(&contenders[i], requests).await
                } else {
                    concurrent(&contenders[i], requests).await
                };
                samples[i].push(sample);
            }
        }
        for &i in &selected {
            let rates: Vec<f64> = samples[i].iter().map(Sample::per_second).collect();
            let cpus: Vec<f64> = samples[i]
                .iter()
                .map(Sample::cpu_micros_per_request)
                .collect();
            // Paired by round: the contenders of one round ran back to back, under the same load.
            let ratios_to = |base: usize, f: fn(&Sample) -> f64| -> Option<Vec<f64>> {
                (samples[base].len() == samples[i].len() && i != base).then(|| {
                    samples[i]
                        .iter()
                        .zip(&samples[base])
                        .map(|(ours, plain)| f(ours) / f(plain))
                        .collect()
                })
            };
            let ratios = |f: fn(&Sample) -> f64| ratios_to(PLAIN, f);
            let show = |ratios: Option<Vec<f64>>| match ratios {
                Some(ratios) => {
                    let (min, max) = range(&ratios);
                    format!("x{:.3} ({min:.2}-{max:.2})", median(ratios))
                }
                None => "-".to_owned(),
            };
            println!(
                "{:<11} {:<26} {:>8} {:>11.0} {:>11.1} µs {:>26} {:>26} {:>26}",
                mode,
                contenders[i].name(),
                requests,
                median(rates),
                median(cpus),
                show(ratios(Sample::per_second)),
                show(ratios(Sample::cpu_micros_per_request)),
                show(ratios_to(SAME_HEADERS, Sample::cpu_micros_per_request)),
            );
        }
    }

    println!();
    println!("heap allocations per create on the client (1,000 sequential, after the rounds)");
    for &i in &selected {
        let (count, bytes) = allocations(&contenders[i], 1_000).await;
        println!(
            "{:<26} {:>7.1} allocations {:>9.0} bytes",
            contenders[i].name(),
            count,
            bytes
        );
    }
}
