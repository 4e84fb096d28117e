//! Roster sync (`roster().plan(rows)` and `plan.apply()`): plan time, apply throughput under
//! Clerk's limits, and peak memory, each against a baseline measured in the same run.
//!
//! Run: `cargo bench -p clerk-orgs --bench roster` (a plain binary, `harness = false`; see the
//! "Roster sync" section of BENCHMARKS.md). Without `--bench` (as under `cargo test --benches`)
//! it runs every part at small sizes as a smoke test. `--only memory|plan|throughput` runs one
//! part.
//!
//! 1. **Plan time**: an organization of 10,000 members and 1,000 pending invitations, seeded in
//!    an in-process `clerk-fake` (limits off). The fake's request log shows what a plan reads:
//!    every request, by route, with its `offset`, so a page read twice would show. The plan is
//!    timed in rounds interleaved with two baselines reading the same organization with the
//!    public list streams (500 per page, as the plan reads): the members alone, and the members
//!    and the pending invitations (everything the plan reads).
//! 2. **Apply throughput**: plans of role changes (bound by Clerk's global limit, 100 requests
//!    per 10 s for `sk_test_` keys) and of invitations (bound by the bulk limit), applied with
//!    the client's default budgets. On a real clock (the bulk limit scaled down to 10 calls per
//!    5 s, the global limit as Clerk's) and on the fake's virtual clock with Clerk's limits
//!    unscaled. The rate comes from the arrival times in the fake's request log.
//! 3. **Peak memory**: plan and apply of rosters of 10,000 and 100,000 rows against
//!    organizations of 10,000 and 100,000 members, with a counting allocator in this process and
//!    `clerk-fake` in a **child process** (this binary, started with `--fake-child`), so the
//!    fake's store, which grows with every invitation the apply creates, is not counted as the
//!    client's. Baselines: the level before planning, and the roster's own weight (the same rows
//!    collected into a `Vec`).

#[path = "common/counting.rs"]
mod counting;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_fake::{
    ADMIN_ROLE, FakeClerk, LoggedRequest, MEMBER_ROLE, Organization, RateLimits as FakeLimits, User,
};
use clerk_orgs::roster::{ChangeOutcome, Plan};
use clerk_orgs::{Client, InvitationStatus, Limit, NewInvitation, RateLimits, Role, RosterRow};
use counting::{live, mib, peak, reset_peak};
use cpu_time::ProcessTime;
use futures::StreamExt;
use support::FakeTime;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const ORG: &str = "org_roster";
/// The page size the plan reads with (and the baselines).
const PAGE: u64 = 500;

/// Member `n`'s user id; member 0 is the organization's admin.
fn user_id(n: usize) -> String {
    format!("user_{n:06}")
}

fn member_email(n: usize) -> String {
    format!("person{n}@roster.test")
}

/// Seeds the organization and `members` members (member 0 the admin) through the seeding API.
fn seed_members(fake: &FakeClerk, members: usize) {
    fake.add_organization(Organization::new(ORG, "Roster Inc"));
    for n in 0..members {
        fake.add_user(User::new(user_id(n), member_email(n)));
        let role = if n == 0 { ADMIN_ROLE } else { MEMBER_ROLE };
        fake.add_membership(ORG, &user_id(n), role).expect("seeded");
    }
}

/// Creates `pending` invitations (`pending{n}@roster.test`, member), ten per bulk call, from 8
/// concurrent tasks.
async fn seed_pending(client: &Client, pending: usize) {
    let batches: Vec<usize> = (0..pending.div_ceil(10)).collect();
    futures::stream::iter(batches)
        .map(|batch| {
            let invitations = client.organization(ORG).invitations();
            async move {
                let people = (batch * 10..((batch + 1) * 10).min(pending)).map(|n| {
                    NewInvitation::new(format!("pending{n}@roster.test"), Role::MEMBER)
                        .inviter_user_id(user_id(0))
                });
                invitations
                    .create_bulk(people)
                    .send()
                    .await
                    .expect("bulk create");
            }
        })
        .buffer_unordered(8)
        .collect::<()>()
        .await;
}

/// The roster: members `0..on_roster` (the admin as admin; every 100th other member promoted
/// to admin, the rest as members), then `new` addresses nobody has. Generated lazily, so the
/// bench never holds it.
fn rows(on_roster: usize, new: usize) -> impl Iterator<Item = RosterRow> + Send + 'static {
    let members = (0..on_roster).map(|n| {
        let role = if n % 100 == 0 {
            Role::ADMIN
        } else {
            Role::MEMBER
        };
        RosterRow::new(member_email(n), role)
    });
    let new = (0..new).map(|n| RosterRow::new(format!("new{n}@roster.test"), Role::MEMBER));
    members.chain(new)
}

/// Role changes the roster makes among members `0..on_roster`: every 100th but the admin.
fn promotions(on_roster: usize) -> usize {
    on_roster.saturating_sub(1) / 100
}

/// A client for the fake: no client-side budgets (the fake's limits are off too), default
/// retries.
fn unlimited_client(base_url: String, secret_key: String) -> Client {
    Client::builder()
        .secret_key(secret_key)
        .base_url(base_url)
        .rate_limits(RateLimits::none())
        .build()
        .expect("client")
}

// ---------------------------------------------------------------------------------------------
// Sizes

struct MemoryCase {
    name: &'static str,
    members: usize,
    pending: usize,
    /// Members on the roster (`0..on_roster`).
    on_roster: usize,
    /// New addresses on the roster (invitations).
    new: usize,
}

struct Sizes {
    plan_members: usize,
    plan_pending: usize,
    plan_new: usize,
    rounds: usize,
    real_role_changes: usize,
    real_invites: usize,
    virtual_role_changes: usize,
    virtual_invites: usize,
    memory: Vec<MemoryCase>,
}

fn bench_sizes() -> Sizes {
    Sizes {
        plan_members: 10_000,
        plan_pending: 1_000,
        plan_new: 500,
        rounds: 9,
        real_role_changes: 300,
        real_invites: 600,
        virtual_role_changes: 1_000,
        virtual_invites: 2_000,
        memory: vec![
            MemoryCase {
                name: "A",
                members: 10_000,
                pending: 500,
                on_roster: 10_000,
                new: 0,
            },
            MemoryCase {
                name: "B",
                members: 10_000,
                pending: 500,
                on_roster: 10_000,
                new: 90_000,
            },
            MemoryCase {
                name: "C",
                members: 100_000,
                pending: 500,
                on_roster: 100_000,
                new: 0,
            },
            MemoryCase {
                name: "D",
                members: 100_000,
                pending: 500,
                on_roster: 10_000,
                new: 0,
            },
        ],
    }
}

fn smoke_sizes() -> Sizes {
    Sizes {
        plan_members: 1_200,
        plan_pending: 30,
        plan_new: 20,
        rounds: 2,
        real_role_changes: 20,
        real_invites: 30,
        virtual_role_changes: 150,
        virtual_invites: 120,
        memory: vec![
            MemoryCase {
                name: "A",
                members: 200,
                pending: 10,
                on_roster: 200,
                new: 0,
            },
            MemoryCase {
                name: "B",
                members: 200,
                pending: 10,
                on_roster: 200,
                new: 300,
            },
        ],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--fake-child") {
        let number = |i: usize| -> usize {
            args.get(at + i)
                .and_then(|n| n.parse().ok())
                .expect("--fake-child MEMBERS PENDING")
        };
        fake_child(number(1), number(2));
        return;
    }
    let sizes = if args.iter().any(|arg| arg == "--bench") {
        bench_sizes()
    } else {
        smoke_sizes()
    };
    let only = args
        .iter()
        .position(|arg| arg == "--only")
        .and_then(|at| args.get(at + 1).cloned());
    // `--cases AB`: only these memory cases.
    let cases = args
        .iter()
        .position(|arg| arg == "--cases")
        .and_then(|at| args.get(at + 1).cloned());
    let wanted = |part: &str| only.as_deref().is_none_or(|only| only == part);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Memory first, while this process holds nothing of the other parts; on a current-thread
    // runtime, so nothing else allocates while an outcome is weighed (see `weight`).
    if wanted("memory") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(memory(&sizes.memory, cases.as_deref()));
    }
    if wanted("plan") {
        runtime.block_on(plan_time(&sizes));
    }
    if wanted("throughput") {
        runtime.block_on(throughput(&sizes));
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Plan time and what a plan reads

async fn plan_time(sizes: &Sizes) {
    let fake = FakeClerk::builder()
        .rate_limits(FakeLimits::unlimited())
        .request_log_cap(1_000_000)
        .start()
        .await
        .expect("clerk-fake starts");
    let seeding = Instant::now();
    seed_members(&fake, sizes.plan_members);
    let client = unlimited_client(fake.base_url(), fake.secret_key().to_owned());
    seed_pending(&client, sizes.plan_pending).await;
    println!(
        "plan time: {} members and {} pending invitations seeded in {:.1?}",
        sizes.plan_members,
        sizes.plan_pending,
        seeding.elapsed()
    );
    let roster = client.organization(ORG).roster();
    let on_roster = sizes.plan_members;
    let new = sizes.plan_new;

    // One plan with the request log on: what it reads.
    fake.request_log().clear();
    let plan = roster
        .plan(rows(on_roster, new))
        .send()
        .await
        .expect("plan");
    let summary = plan.summary();
    assert_eq!(summary.change_role, promotions(on_roster));
    assert_eq!(summary.invite, new);
    assert_eq!(
        summary.keep,
        on_roster - promotions(on_roster) + sizes.plan_pending
    );
    println!(
        "  plan of {} rows: {} changes ({} role changes, {} invitations), {} keeps",
        on_roster + new,
        summary.changes(),
        summary.change_role,
        summary.invite,
        summary.keep
    );
    let requests = fake.request_log().requests();
    let reads = reads_by_route(&requests);
    for (route, read) in &reads {
        println!(
            "  {:>4} x GET {route}  (limit {}, offsets {})",
            read.offsets.len(),
            read.limits.join("/"),
            read.describe()
        );
        assert!(read.each_once(), "{route}: a page was read twice");
    }
    let writes = requests.iter().filter(|r| r.method != "GET").count();
    println!(
        "  {} requests in all, {writes} writes (a plan changes nothing)",
        requests.len()
    );
    assert_eq!(writes, 0, "planning sent a write");
    let member_route = format!("/v1/organizations/{ORG}/memberships");
    assert_eq!(
        reads[&member_route].offsets.len(),
        sizes.plan_members.div_ceil(PAGE as usize),
        "members are read 500 at a time, once"
    );
    drop(plan);
    fake.request_log().set_enabled(false);

    // Timed rounds, the order rotating: the plan, the members alone, everything the plan reads.
    let mut times: [Vec<f64>; 3] = Default::default();
    for round in 0..sizes.rounds {
        for k in 0..3 {
            let contender = (round + k) % 3;
            let started = Instant::now();
            match contender {
                0 => {
                    let plan = roster
                        .plan(rows(on_roster, new))
                        .send()
                        .await
                        .expect("plan");
                    std::hint::black_box(plan);
                }
                1 => {
                    let members = stream_members(&client).await;
                    assert_eq!(members, sizes.plan_members);
                }
                _ => {
                    let members = stream_members(&client).await;
                    let pending = stream_pending(&client).await;
                    assert_eq!((members, pending), (sizes.plan_members, sizes.plan_pending));
                }
            }
            times[contender].push(started.elapsed().as_secs_f64());
        }
    }
    let ratio = |contender: usize, baseline: usize| -> Vec<f64> {
        times[contender]
            .iter()
            .zip(&times[baseline])
            .map(|(c, b)| c / b)
            .collect()
    };
    println!(
        "  {} rounds, median wall time (lowest-highest); ratio per round, median (lowest-highest):",
        sizes.rounds
    );
    println!(
        "    plan                                  {:>8.1} ms  x{} of the members stream, x{} of all reads",
        1e3 * median(&times[0]),
        spread(&ratio(0, 1)),
        spread(&ratio(0, 2))
    );
    println!(
        "    members stream (baseline)             {:>8.1} ms  ({:.1}-{:.1})",
        1e3 * median(&times[1]),
        1e3 * min(&times[1]),
        1e3 * max(&times[1])
    );
    println!(
        "    members + pending streams (baseline)  {:>8.1} ms  ({:.1}-{:.1})",
        1e3 * median(&times[2]),
        1e3 * min(&times[2]),
        1e3 * max(&times[2])
    );
}

async fn stream_members(client: &Client) -> usize {
    let mut stream = client
        .organization(ORG)
        .memberships()
        .list()
        .limit(PAGE)
        .stream();
    let mut count = 0;
    while let Some(member) = stream.next().await {
        std::hint::black_box(member.expect("member"));
        count += 1;
    }
    count
}

async fn stream_pending(client: &Client) -> usize {
    let mut stream = client
        .organization(ORG)
        .invitations()
        .list()
        .status(InvitationStatus::Pending)
        .limit(PAGE)
        .stream();
    let mut count = 0;
    while let Some(invitation) = stream.next().await {
        std::hint::black_box(invitation.expect("invitation"));
        count += 1;
    }
    count
}

/// The pages of one route a plan read.
#[derive(Default)]
struct Reads {
    offsets: Vec<u64>,
    limits: Vec<String>,
}

impl Reads {
    /// Every offset once.
    fn each_once(&self) -> bool {
        let mut offsets = self.offsets.clone();
        offsets.sort_unstable();
        offsets.dedup();
        offsets.len() == self.offsets.len()
    }

    fn describe(&self) -> String {
        match (self.offsets.first(), self.offsets.last()) {
            (Some(first), Some(last)) if self.offsets.len() > 1 => format!(
                "{first}, {}, ..., {last}, each once: {}",
                self.offsets[1],
                self.each_once()
            ),
            (Some(first), _) => format!("{first}"),
            _ => "none".to_owned(),
        }
    }
}

fn reads_by_route(requests: &[LoggedRequest]) -> BTreeMap<String, Reads> {
    let mut reads: BTreeMap<String, Reads> = BTreeMap::new();
    for request in requests.iter().filter(|r| r.method == "GET") {
        let (path, query) = request
            .path_and_query
            .split_once('?')
            .unwrap_or((&request.path_and_query, ""));
        let read = reads.entry(path.to_owned()).or_default();
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        read.offsets
            .push(param("offset").and_then(|o| o.parse().ok()).unwrap_or(0));
        let limit = param("limit").unwrap_or("-").to_owned();
        if !read.limits.contains(&limit) {
            read.limits.push(limit);
        }
    }
    reads
}

// ---------------------------------------------------------------------------------------------
// 2. Apply throughput under Clerk's limits

#[derive(Clone, Copy, PartialEq)]
enum Clock {
    Real,
    Virtual,
}

#[derive(Clone, Copy)]
enum Workload {
    /// Members promoted to admin: one PATCH each, bound by the global limit.
    RoleChanges(usize),
    /// New addresses invited: bulk calls of ten, bound by the bulk limit.
    Invitations(usize),
}

async fn throughput(sizes: &Sizes) {
    println!("apply throughput (arrival times from the fake's request log):");
    for (clock, workload) in [
        (Clock::Real, Workload::RoleChanges(sizes.real_role_changes)),
        (Clock::Real, Workload::Invitations(sizes.real_invites)),
        (
            Clock::Virtual,
            Workload::RoleChanges(sizes.virtual_role_changes),
        ),
        (Clock::Virtual, Workload::Invitations(sizes.virtual_invites)),
    ] {
        apply_paced(clock, workload).await;
    }
}

async fn apply_paced(clock: Clock, workload: Workload) {
    let ten_s = Duration::from_secs(10);
    // The bulk limit on the real clock: 10 calls per 5 s instead of Clerk's 50 per hour.
    let (bulk_limit, bulk_window) = match clock {
        Clock::Real => (10, Duration::from_secs(5)),
        Clock::Virtual => (50, Duration::from_secs(3600)),
    };
    let mut builder = FakeClerk::builder()
        .rate_limits(FakeLimits::default().bulk(bulk_limit, bulk_window))
        .request_log_cap(1_000_000);
    if clock == Clock::Real {
        builder = builder.real_clock();
    }
    let fake = builder.start().await.expect("clerk-fake starts");
    let members = match workload {
        Workload::RoleChanges(n) => n + 1,
        Workload::Invitations(_) => 1,
    };
    seed_members(&fake, members);
    // The client's default budgets (Clerk's: 100 per 10 s for this sk_test_ key), with the bulk
    // budget set to the fake's.
    let mut client = Client::builder()
        .secret_key(fake.secret_key().to_owned())
        .base_url(fake.base_url())
        .rate_limits(
            RateLimits::default().bulk_create_invitations(Limit::new(bulk_limit, bulk_window)),
        );
    if clock == Clock::Virtual {
        client = client.clock(Arc::new(FakeTime(fake.clock().clone())));
    }
    let client = client.build().expect("client");
    let roster = client.organization(ORG).roster();
    let rows: Box<dyn Iterator<Item = RosterRow> + Send> = match workload {
        // Member 0 (the admin) stays admin; everyone else is promoted.
        Workload::RoleChanges(n) => {
            Box::new((0..=n).map(|m| RosterRow::new(member_email(m), Role::ADMIN)))
        }
        Workload::Invitations(n) => Box::new(rows(1, n)),
    };
    let wall = Instant::now();
    let plan = roster
        .plan(rows)
        .inviter_user_id(user_id(0))
        .send()
        .await
        .expect("plan");
    let changes = plan.summary().changes();
    let mut run = plan.apply().send().await.expect("apply");
    let (mut outcomes, mut done) = (0, 0);
    while let Some(outcome) = run.next().await {
        outcomes += 1;
        if outcome.result.is_done() {
            done += 1;
        } else if std::env::var_os("BENCH_DEBUG").is_some() {
            eprintln!("{outcome:?}");
        }
    }
    let wall = wall.elapsed();
    assert_eq!((outcomes, done), (changes, changes), "every change done");

    let requests = fake.request_log().requests();
    let (what, series, limit, window, per_call) = match workload {
        Workload::RoleChanges(_) => (
            "role changes",
            // The global limit counts every request: the plan's and the check's reads too.
            requests
                .iter()
                .map(|r| r.received_at_ms)
                .collect::<Vec<_>>(),
            100,
            ten_s,
            1,
        ),
        Workload::Invitations(_) => {
            let bulk = format!("/v1/organizations/{ORG}/invitations/bulk");
            (
                "invitations",
                requests
                    .iter()
                    .filter(|r| r.method == "POST" && r.path_and_query == bulk)
                    .map(|r| r.received_at_ms)
                    .collect(),
                bulk_limit as usize,
                bulk_window,
                10,
            )
        }
    };
    let pace = Pace::of(&series, limit, window);
    println!(
        "  {} clock, {changes} {what}: limit {limit} per {:?}{}",
        match clock {
            Clock::Real => "real",
            Clock::Virtual => "virtual",
        },
        window,
        if clock == Clock::Real && per_call == 10 {
            " (scaled down from 50 per hour)"
        } else {
            ""
        }
    );
    println!(
        "    {} requests counted against it ({} in the whole log), {} outcomes, all done",
        series.len(),
        requests.len(),
        outcomes
    );
    match pace.steady {
        Some(gap) => println!(
            "    steady rate: {limit} per {:.3} s on average (request i to i+{limit}) = {:.1}% of the allowed rate ({:.2} {what}/s of {:.2})",
            gap / 1e3,
            100.0 * pace.window_ms as f64 / gap,
            (limit * per_call) as f64 * 1e3 / gap,
            (limit * per_call) as f64 * 1e3 / pace.window_ms as f64
        ),
        None => println!("    fits in one window: no steady rate to measure"),
    }
    println!(
        "    first to last arrival {:.2} s; most in any sliding window {} (limit {limit}); most in a fixed window of the fake {} (429s: {}); wall {:.1} s",
        pace.span_ms as f64 / 1e3,
        pace.max_sliding,
        pace.max_fixed,
        pace.refused,
        wall.as_secs_f64()
    );
}

/// How a series of arrivals (ms) kept to "`limit` per `window`".
struct Pace {
    window_ms: i64,
    span_ms: i64,
    /// The mean time from arrival `i` to arrival `i + limit`: a pacer at exactly the allowed
    /// rate (bursty or smooth) gives the window; slack makes it longer. `None` when the series
    /// has no more than `limit` arrivals.
    steady: Option<f64>,
    max_sliding: usize,
    max_fixed: usize,
    /// Arrivals past the limit in the fake's fixed windows: its 429s.
    refused: usize,
}

impl Pace {
    fn of(arrivals: &[i64], limit: usize, window: Duration) -> Pace {
        let window_ms = i64::try_from(window.as_millis()).expect("window");
        let mut a = arrivals.to_vec();
        a.sort_unstable();
        let span_ms = a.last().zip(a.first()).map_or(0, |(l, f)| l - f);
        let steady = (a.len() > limit).then(|| {
            let gaps: i64 = (0..a.len() - limit).map(|i| a[i + limit] - a[i]).sum();
            gaps as f64 / (a.len() - limit) as f64
        });
        let mut max_sliding = 0;
        let mut end = 0;
        for start in 0..a.len() {
            while end < a.len() && a[end] < a[start] + window_ms {
                end += 1;
            }
            max_sliding = max_sliding.max(end - start);
        }
        let mut fixed: BTreeMap<i64, usize> = BTreeMap::new();
        for at in &a {
            *fixed.entry(at.div_euclid(window_ms)).or_default() += 1;
        }
        Pace {
            window_ms,
            span_ms,
            steady,
            max_sliding,
            max_fixed: fixed.values().copied().max().unwrap_or(0),
            refused: fixed.values().map(|n| n.saturating_sub(limit)).sum(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Peak memory, the fake in a child process

/// Child mode: a fake with `members` members and `pending` pending invitations, limits and
/// request log off; prints `READY <base_url> <secret_key>` and serves until stdin closes.
fn fake_child(members: usize, pending: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let fake = FakeClerk::builder()
            .rate_limits(FakeLimits::unlimited())
            .request_log_cap(0)
            .start()
            .await
            .expect("clerk-fake starts");
        seed_members(&fake, members);
        let client = unlimited_client(fake.base_url(), fake.secret_key().to_owned());
        seed_pending(&client, pending).await;
        let mut stdout = std::io::stdout();
        writeln!(stdout, "READY {} {}", fake.base_url(), fake.secret_key()).expect("stdout");
        stdout.flush().expect("stdout");
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("stdin");
        drop(fake);
    });
}

/// A fake in a child process, stopped when dropped.
struct FakeChild {
    child: Child,
    stdin: Option<ChildStdin>,
    base_url: String,
    secret_key: String,
}

impl FakeChild {
    fn spawn(members: usize, pending: usize) -> FakeChild {
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .args(["--fake-child", &members.to_string(), &pending.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("fake child starts");
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("READY"), "fake child: {line}");
        let base_url = words.next().expect("base url").to_owned();
        let secret_key = words.next().expect("key").to_owned();
        FakeChild {
            child,
            stdin,
            base_url,
            secret_key,
        }
    }

    /// The child's CPU time so far (user + system, from `/proc`, in clock ticks of 10 ms).
    fn cpu(&self) -> Duration {
        let ticks = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .ok()
            .and_then(|stat| {
                // Fields after the command name (which ends with the last ')'): state is
                // field 3, utime 14 and stime 15.
                let rest = stat.rsplit_once(')')?.1;
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let utime: u64 = fields.get(11)?.parse().ok()?;
                let stime: u64 = fields.get(12)?.parse().ok()?;
                Some(utime + stime)
            })
            .unwrap_or(0);
        Duration::from_millis(ticks * 10)
    }

    /// The child's peak resident set (`VmHWM`), for scale.
    fn peak_rss(&self) -> String {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmHWM:"))
                    .map(|kb| kb.trim().to_owned())
            })
            .unwrap_or_else(|| "n/a".to_owned())
    }
}

impl Drop for FakeChild {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

struct MemoryReport {
    rows: usize,
    changes: usize,
    keeps: usize,
    /// Live bytes before planning: the process (client, runtime, connection) as it stands.
    base: usize,
    /// The same rows collected into a `Vec`: what holding the roster once weighs.
    roster_held: usize,
    plan_peak: usize,
    plan_held: usize,
    apply_peak: usize,
    /// What the outcomes would weigh if held (each measured as a clone, then dropped).
    outcomes_weight: usize,
    outcomes: usize,
    plan_time: Duration,
    apply_time: Duration,
    /// CPU time of (this process, the fake's) while planning and applying.
    plan_cpu: (Duration, Duration),
    apply_cpu: (Duration, Duration),
    fake_rss: String,
}

async fn memory(cases: &[MemoryCase], only: Option<&str>) {
    println!(
        "sizes: Change {} B, NewInvitation {} B, ChangeOutcome {} B, OrganizationInvitation {} B",
        std::mem::size_of::<clerk_orgs::roster::Change>(),
        std::mem::size_of::<NewInvitation>(),
        std::mem::size_of::<ChangeOutcome>(),
        std::mem::size_of::<clerk_orgs::OrganizationInvitation>()
    );
    let mut reports = Vec::new();
    for case in cases
        .iter()
        .filter(|case| only.is_none_or(|only| only.contains(case.name)))
    {
        let seeding = Instant::now();
        let fake = FakeChild::spawn(case.members, case.pending);
        println!(
            "memory case {}: fake child with {} members, {} pending invitations, ready in {:.1?}",
            case.name,
            case.members,
            case.pending,
            seeding.elapsed()
        );
        let client = unlimited_client(fake.base_url.clone(), fake.secret_key.clone());
        let report = memory_case(&client, case, &fake).await;
        let report = MemoryReport {
            fake_rss: fake.peak_rss(),
            ..report
        };
        drop(client);
        drop(fake);
        reports.push((case, report));
    }
    println!(
        "peak live heap of this process (the client's; the fake is another process), above the level before planning:"
    );
    println!(
        "  {:<4} {:>8} {:>8} {:>8} {:>7} | {:>12} | {:>12} {:>12} {:>12} | {:>12} {:>14} | {:>9} {:>9} | {:>10}",
        "case",
        "members",
        "rows",
        "changes",
        "keeps",
        "roster held",
        "plan peak",
        "plan held",
        "apply peak",
        "base level",
        "outcomes' wt",
        "plan",
        "apply",
        "fake VmHWM"
    );
    for (case, r) in &reports {
        println!(
            "  {:<4} {:>8} {:>8} {:>8} {:>7} | {:>12} | {:>12} {:>12} {:>12} | {:>12} {:>14} | {:>8.2}s {:>8.2}s | {:>10}",
            case.name,
            case.members,
            r.rows,
            r.changes,
            r.keeps,
            mib(r.roster_held),
            mib(r.plan_peak),
            mib(r.plan_held),
            mib(r.apply_peak),
            mib(r.base),
            mib(r.outcomes_weight),
            r.plan_time.as_secs_f64(),
            r.apply_time.as_secs_f64(),
            r.fake_rss
        );
    }
    let per = |bytes: usize, n: usize| bytes as f64 / n.max(1) as f64;
    for (case, r) in &reports {
        println!(
            "  {}: plan peak / roster held x{:.2}; plan held per member+change {:.0} B; apply peak / plan held x{:.2}; outcomes' weight per outcome {:.0} B; CPU client/fake: plan {:.2}/{:.2} s, apply {:.2}/{:.2} s",
            case.name,
            per(r.plan_peak, r.roster_held),
            per(r.plan_held, case.members + case.pending + r.changes),
            per(r.apply_peak, r.plan_held),
            per(r.outcomes_weight, r.outcomes),
            r.plan_cpu.0.as_secs_f64(),
            r.plan_cpu.1.as_secs_f64(),
            r.apply_cpu.0.as_secs_f64(),
            r.apply_cpu.1.as_secs_f64()
        );
    }
}

async fn memory_case(client: &Client, case: &MemoryCase, fake: &FakeChild) -> MemoryReport {
    let roster = client.organization(ORG).roster();
    // Warm up: the connection, lazily initialised statics and the read buffers, grown to a
    // page of 500 members once.
    let warm = client
        .organization(ORG)
        .memberships()
        .list()
        .limit(PAGE)
        .send()
        .await
        .expect("warm-up page");
    drop(warm);

    // The roster's own weight, for scale.
    let before = live();
    let held: Vec<RosterRow> = rows(case.on_roster, case.new).collect();
    let roster_held = live() - before;
    let row_count = held.len();
    drop(held);

    let base = live();
    reset_peak();
    let started = Instant::now();
    let cpu = (ProcessTime::now(), fake.cpu());
    let plan: Plan = roster
        .plan(rows(case.on_roster, case.new))
        .send()
        .await
        .expect("plan");
    let plan_time = started.elapsed();
    let plan_cpu = (cpu.0.elapsed(), fake.cpu().saturating_sub(cpu.1));
    let plan_peak = peak().saturating_sub(base);
    let plan_held = live().saturating_sub(base);
    let summary = plan.summary();
    assert_eq!(summary.invite, case.new);
    assert_eq!(summary.change_role, promotions(case.on_roster));

    reset_peak();
    let started = Instant::now();
    let cpu = (ProcessTime::now(), fake.cpu());
    let mut run = plan.apply().send().await.expect("apply");
    let (mut outcomes, mut done, mut outcomes_weight) = (0, 0, 0);
    while let Some(outcome) = run.next().await {
        outcomes += 1;
        done += usize::from(outcome.result.is_done());
        outcomes_weight += weight(&outcome);
        drop(outcome);
    }
    drop(run);
    let apply_time = started.elapsed();
    let apply_cpu = (cpu.0.elapsed(), fake.cpu().saturating_sub(cpu.1));
    let apply_peak = peak().saturating_sub(base);
    assert_eq!((outcomes, done), (summary.changes(), summary.changes()));
    MemoryReport {
        rows: row_count,
        changes: summary.changes(),
        keeps: summary.keep,
        base,
        roster_held,
        plan_peak,
        plan_held,
        apply_peak,
        outcomes_weight,
        outcomes,
        plan_time,
        apply_time,
        plan_cpu,
        apply_cpu,
        fake_rss: String::new(),
    }
}

/// What one outcome weighs on the heap (a clone's allocations) plus its own size: what a
/// consumer holding every outcome would pay for it.
fn weight(outcome: &ChangeOutcome) -> usize {
    let before = live();
    let copy = outcome.clone();
    let heap = live().saturating_sub(before);
    drop(copy);
    heap + std::mem::size_of::<ChangeOutcome>()
}

// ---------------------------------------------------------------------------------------------

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn max(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn spread(values: &[f64]) -> String {
    format!(
        "{:.2} ({:.2}-{:.2})",
        median(values),
        min(values),
        max(values)
    )
}
