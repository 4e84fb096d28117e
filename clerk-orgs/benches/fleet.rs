//! Four processes × `invite_all` against one `clerk-fake`: budgets shared through Redis versus
//! per-process budgets, in the same run; the cost of one acquire; Redis stopped mid-run.
//!
//! Run: `cargo bench -p clerk-orgs --features redis --bench fleet` (a plain binary; it needs
//! `redis-server` on the PATH). Figures are in BENCHMARKS.md.
//!
//! The fake runs in this process on a real clock with a scaled-down bulk limit (10 per 5 s, so
//! a run takes seconds, not hours) and keeps a request log. The workers are this same binary
//! re-executed with `FLEET_WORKER=1`: each builds its own `Client` with the same scaled budget,
//! shared through Redis or not, and invites its share of the people.

#[path = "../tests/support/redis_server.rs"]
mod redis_server;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, RateLimits as FakeLimits, User};
use clerk_orgs::{Client, InviteResult, Limit, NewInvitation, RateLimits, RedisBudgets, Role};
use futures::StreamExt;
use redis_server::RedisServer;

const ORG: &str = "org_fleet";
const ADMIN: &str = "user_admin";
const PROCESSES: usize = 4;
const PER_PROCESS: usize = 150;
/// The scaled-down bulk limit: 10 calls per 5 s, on the fake and in every client.
const BULK: u32 = 10;
const WINDOW: Duration = Duration::from_secs(5);

fn email(n: usize) -> String {
    format!("person{n}@fleet.test")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if std::env::var_os("FLEET_WORKER").is_some() {
        runtime.block_on(worker());
        return;
    }
    let Some(mut redis) = RedisServer::start("the fleet benchmark") else {
        return;
    };
    println!(
        "fleet: {PROCESSES} processes x {PER_PROCESS} people, bulk limit {BULK} per {} s \
         (fake and clients), real clock",
        WINDOW.as_secs()
    );
    for scenario in [
        Scenario::Shared,
        Scenario::PerProcess,
        Scenario::RedisStopped,
    ] {
        let report = runtime.block_on(run(scenario, &mut redis));
        report.print();
        if scenario == Scenario::RedisStopped {
            // The server is gone: start a fresh one for what follows.
            if let Some(fresh) = RedisServer::start("the fleet benchmark") {
                redis = fresh;
            }
        }
    }
    runtime.block_on(acquire_cost(&redis));
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Shared,
    PerProcess,
    RedisStopped,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Shared => "shared budgets (Redis)",
            Scenario::PerProcess => "per-process budgets",
            Scenario::RedisStopped => "shared budgets, Redis stopped after 8 s",
        }
    }
}

struct Report {
    scenario: Scenario,
    wall: Duration,
    /// Bulk requests the fake received, per fixed window of the fake.
    sent: BTreeMap<i64, usize>,
    /// The most bulk requests in any sliding window of the fake's length.
    max_sliding: usize,
    invited_reported: usize,
    other_outcomes: usize,
    fallbacks: u64,
    stored: usize,
    unique: usize,
}

impl Report {
    fn print(&self) {
        let n = BULK as usize;
        let first = self.sent.keys().next().copied().unwrap_or(0);
        let last = self.sent.keys().last().copied().unwrap_or(0);
        let rejected = |calls: usize| calls.saturating_sub(n);
        let total_429: usize = self.sent.values().map(|&c| rejected(c)).sum();
        let after_first: usize = self
            .sent
            .range(first + 1..)
            .map(|(_, &c)| rejected(c))
            .sum();
        // Complete windows only: the first and last are partly outside the run.
        let inner: Vec<usize> = self
            .sent
            .range(first + 1..last)
            .map(|(_, &c)| c.min(n))
            .collect();
        let inner_rate = if inner.is_empty() {
            f64::NAN
        } else {
            inner.iter().sum::<usize>() as f64 / (inner.len() * n) as f64
        };
        let max_after_first = self
            .sent
            .range(first + 1..)
            .map(|(_, &c)| c)
            .max()
            .unwrap_or(0);
        let people = PROCESSES * PER_PROCESS;
        println!("\n{}", self.scenario.name());
        println!(
            "  wall time                 {:.1} s",
            self.wall.as_secs_f64()
        );
        println!(
            "  windows                   {} ({} complete)",
            self.sent.len(),
            inner.len()
        );
        println!(
            "  accepted rate             {:.3} of the budget (complete windows)",
            inner_rate
        );
        println!(
            "  sent per window           max {} after the first window ({:.2} of the budget); \
             max {} in any sliding {} s",
            max_after_first,
            max_after_first as f64 / n as f64,
            self.max_sliding,
            WINDOW.as_secs()
        );
        println!("  429s                      {total_429} ({after_first} after the first window)");
        println!(
            "  people                    {people}: {} invitations stored, {} distinct; \
             duplicates {}, lost {}",
            self.stored,
            self.unique,
            self.stored - self.unique,
            people.saturating_sub(self.unique)
        );
        println!(
            "  worker outcomes           {} invited, {} other; {} fallbacks to local budgets",
            self.invited_reported, self.other_outcomes, self.fallbacks
        );
        println!(
            "  per window (sent)         {:?}",
            self.sent.values().collect::<Vec<_>>()
        );
    }
}

async fn run(scenario: Scenario, redis: &mut RedisServer) -> Report {
    let fake = FakeClerk::builder()
        .real_clock()
        .rate_limits(FakeLimits::default().bulk(BULK, WINDOW))
        .request_log_cap(100_000)
        .start()
        .await
        .expect("clerk-fake starts");
    fake.add_organization(Organization::new(ORG, "Fleet Inc"));
    fake.add_user(User::new(ADMIN, "admin@fleet.test"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).expect("seeded");
    let namespace = format!("fleet-bench-{}-{}", std::process::id(), scenario as u8);
    let exe = std::env::current_exe().expect("own path");

    let wall = Instant::now();
    let mut workers = Vec::new();
    for process in 0..PROCESSES {
        let mut command = Command::new(&exe);
        command
            .env("FLEET_WORKER", "1")
            .env("FLEET_FIRST", (process * PER_PROCESS).to_string())
            .env("CLERK_SECRET_KEY", fake.secret_key())
            .env("CLERK_API_URL", fake.base_url())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if scenario != Scenario::PerProcess {
            command
                .env("FLEET_REDIS", redis.url())
                .env("FLEET_NAMESPACE", &namespace);
        }
        workers.push(command.spawn().expect("worker starts"));
    }
    if scenario == Scenario::RedisStopped {
        tokio::time::sleep(Duration::from_secs(8)).await;
        redis.stop();
    }
    let (mut invited_reported, mut other_outcomes, mut fallbacks) = (0, 0, 0);
    for worker in workers {
        let output = tokio::task::spawn_blocking(move || worker.wait_with_output())
            .await
            .expect("joined")
            .expect("worker output");
        let text = String::from_utf8_lossy(&output.stdout);
        for field in text.split_whitespace() {
            let mut parts = field.split('=');
            let (Some(name), Some(value)) = (parts.next(), parts.next()) else {
                continue;
            };
            let value: u64 = value.parse().unwrap_or(0);
            match name {
                "invited" => invited_reported += value as usize,
                "other" => other_outcomes += value as usize,
                "fallbacks" => fallbacks += value,
                _ => {}
            }
        }
    }
    let wall = wall.elapsed();

    let window_ms = WINDOW.as_millis() as i64;
    let path = format!("/v1/organizations/{ORG}/invitations/bulk");
    let times: Vec<i64> = fake
        .request_log()
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query == path)
        .map(|r| r.received_at_ms)
        .collect();
    let mut sent = BTreeMap::new();
    for &time in &times {
        *sent.entry(time.div_euclid(window_ms)).or_insert(0) += 1;
    }
    let mut max_sliding = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= window_ms {
            start += 1;
        }
        max_sliding = max_sliding.max(end - start + 1);
    }
    let stored = fake.invitations();
    let mut emails: Vec<String> = stored.iter().map(|i| i.email_address.clone()).collect();
    emails.sort();
    emails.dedup();
    Report {
        scenario,
        wall,
        sent,
        max_sliding,
        invited_reported,
        other_outcomes,
        fallbacks,
        stored: stored.len(),
        unique: emails.len(),
    }
}

/// One worker process: its own client and budgets, its share of the people.
async fn worker() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let first: usize = var("FLEET_FIRST").parse().unwrap_or(0);
    let limits = RateLimits::default().bulk_create_invitations(Limit::new(BULK, WINDOW));
    let mut builder = Client::builder()
        .secret_key(var("CLERK_SECRET_KEY"))
        .base_url(var("CLERK_API_URL"))
        .rate_limits(limits);
    let mut shared = None;
    if let Ok(url) = std::env::var("FLEET_REDIS") {
        let budgets = RedisBudgets::new(&url)
            .expect("a valid Redis URL")
            .namespace(var("FLEET_NAMESPACE"));
        shared = Some(budgets.clone());
        builder = builder.shared_budgets(budgets);
    }
    let client = builder.build().expect("client builds");
    let people: Vec<NewInvitation> = (first..first + PER_PROCESS)
        .map(|n| NewInvitation::new(email(n), Role::MEMBER).inviter_user_id(ADMIN))
        .collect();
    let mut stream = client.organization(ORG).invitations().invite_all(people);
    let (mut invited, mut other) = (0, 0);
    while let Some(outcome) = stream.next().await {
        match outcome.result {
            InviteResult::Invited(_) => invited += 1,
            result => {
                other += 1;
                eprintln!("worker: #{} {result:?}", outcome.index);
            }
        }
    }
    let fallbacks = shared.map_or(0, |budgets| budgets.stats().fallbacks);
    println!("invited={invited} other={other} fallbacks={fallbacks}");
}

/// The cost of one acquire on loopback: the very script a client runs, with the keys and
/// arguments of a bulk call (route and global budgets), against budgets that always allow it.
async fn acquire_cost(redis: &RedisServer) {
    let client = redis::Client::open(redis.url()).expect("url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let script = redis::Script::new(include_str!("../src/policy/shared_budgets/acquire.lua"));
    let keys = [
        "clerk-orgs:{cost}:bulk_create_invitations:log",
        "clerk-orgs:{cost}:bulk_create_invitations:paused",
        "clerk-orgs:{cost}:all_requests:log",
        "clerk-orgs:{cost}:all_requests:paused",
    ];
    // A 10 s window (a live key's global budget) that a billion requests cannot fill: never
    // refused, always logged, so the logs hold every call of the last 10 s, as in a busy fleet.
    let mut samples = Vec::with_capacity(20_000);
    for round in 0..21_000u64 {
        // A new token per call, as the client makes.
        let mut invocation = script.prepare_invoke();
        invocation.arg("").arg(format!("{round:032x}"));
        for budget in keys.chunks(2) {
            invocation
                .key(budget[0])
                .key(budget[1])
                .arg(10_000_000u64)
                .arg(1_000_000_000u64);
        }
        let start = Instant::now();
        let reply: Vec<i64> = invocation
            .invoke_async(&mut connection)
            .await
            .expect("script runs");
        let took = start.elapsed();
        assert_eq!(reply.first(), Some(&1), "allowed");
        if round >= 1_000 {
            samples.push(took);
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "\none acquire (the script, route + global budget) on loopback, {} calls: p50 {:.0} µs, \
         p99 {:.0} µs, max {:.0} µs",
        samples.len(),
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        samples.last().map_or(0.0, |d| d.as_secs_f64() * 1e6)
    );
}
