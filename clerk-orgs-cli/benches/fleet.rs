//! Four `clerk-orgs invite` processes against one `clerk-fake` on a real clock: budgets shared through
//! Redis (with the default headroom, and with none: the rule before issue 21) versus
//! per-process budgets, Redis killed mid-run, and what the fake saw; the lag from a shared
//! admission to the call's arrival; the cost of one acquire.
//!
//! Run: `cargo bench -p clerk-orgs-cli --bench fleet` (a plain binary; it needs `redis-server`
//! on the PATH). `FLEET_RUNS=5` repeats the shared (both headrooms) and
//! Redis-killed scenarios.
//! Figures are in BENCHMARKS.md.
//!
//! The fake's bulk limit is scaled down (10 per 5 s, so a run takes seconds, not hours), every
//! client has the same budget, and each scenario gets a fresh `redis-server`. The processes are
//! this package's binary (`tests/support/fleet.rs` starts them and reads the fake's log); it
//! lives here, beside the binary it runs, because only its own package's benches and tests can
//! name a binary (`CARGO_BIN_EXE_clerk-orgs`).

#[path = "../tests/support/fleet.rs"]
mod fleet;
// clerk-orgs' own Redis harness (its shared-budget tests use it too).
#[path = "../../clerk-orgs/tests/support/redis_server.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use clerk_fake::{FakeClerk, Organization, RateLimits as FakeLimits, User};
use clerk_orgs::{Client, Limit, NewInvitation, RateLimits, RedisBudgets, Role};
use fleet::{Fleet, Invited};
use redis_server::RedisServer;

const PROCESSES: usize = 4;
const PER_PROCESS: usize = 150;
/// The scaled-down bulk limit: 10 calls per 5 s, on the fake and in every client.
const BULK: u32 = 10;
const WINDOW: Duration = Duration::from_secs(5);
/// Redis is killed once the fake has received this many bulk calls (two and a half windows
/// of a saturated fleet: the shared log is full and every process has used it).
const KILL_AFTER_CALLS: usize = 25;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if RedisServer::start("the fleet benchmark").is_none() {
        return;
    }
    let runs: usize = std::env::var("FLEET_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    println!(
        "fleet: {PROCESSES} invite processes x {PER_PROCESS} people, bulk limit {BULK} per {} s \
         (fake and clients), real clock; {runs} run(s) of the shared scenarios",
        WINDOW.as_secs()
    );
    let mut scenarios = vec![Scenario::PerProcess];
    for _ in 0..runs {
        scenarios.extend([
            Scenario::SharedNoHeadroom,
            Scenario::Shared,
            Scenario::RedisKilled,
        ]);
    }
    let mut reports = Vec::new();
    for scenario in scenarios {
        let report = runtime.block_on(run(scenario));
        report.print();
        reports.push(report);
    }
    summary(&reports);
    runtime.block_on(acquire_cost());
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Shared,
    /// Shared, with admissions counted over the bare window (`--headroom 0ms`).
    SharedNoHeadroom,
    PerProcess,
    RedisKilled,
}

impl Scenario {
    fn name(self) -> String {
        match self {
            Scenario::Shared => "shared budgets (Redis), default headroom".into(),
            Scenario::SharedNoHeadroom => "shared budgets (Redis), no headroom".into(),
            Scenario::PerProcess => "per-process budgets".into(),
            Scenario::RedisKilled => {
                format!("shared budgets, Redis killed after {KILL_AFTER_CALLS} bulk calls")
            }
        }
    }
}

struct Report {
    scenario: Scenario,
    wall: Duration,
    arrivals: Vec<i64>,
    /// The fake's clock when Redis was gone.
    killed_at_ms: Option<i64>,
    invited: Invited,
    exit_ok: usize,
    fallbacks: u64,
    /// Admission-to-arrival lags of a probe client (shared scenario only), ms.
    lags: Vec<i64>,
}

impl Report {
    fn window_ms(&self) -> i64 {
        WINDOW.as_millis() as i64
    }

    fn max_sliding(&self) -> (usize, i64) {
        fleet::max_in_sliding_window(&self.arrivals, self.window_ms(), i64::MIN)
    }

    fn max_sliding_after_kill(&self) -> Option<(usize, i64)> {
        self.killed_at_ms
            .map(|kill| fleet::max_in_sliding_window(&self.arrivals, self.window_ms(), kill))
    }

    fn rejected_after_kill(&self) -> Option<usize> {
        let kill = self.killed_at_ms?;
        let window = self.window_ms();
        // The fixed windows that end after the kill.
        let per_window = fleet::per_fixed_window(&self.arrivals, window);
        let after = per_window
            .into_iter()
            .filter(|(index, _)| (index + 1) * window > kill)
            .collect();
        Some(fleet::rejected(&after, BULK))
    }

    /// The shortest time between a call's arrival and the arrival `BULK` calls later: under
    /// `WINDOW`, `BULK + 1` calls reached the fake within one sliding window, and the headroom
    /// that would have kept them apart is at least `WINDOW` minus this.
    fn tightest_ms(&self) -> Option<i64> {
        let n = BULK as usize;
        (0..self.arrivals.len().checked_sub(n)?)
            .map(|i| self.arrivals[i + n] - self.arrivals[i])
            .min()
    }

    /// The steady pace: from the first arrival to the arrival `rounds × BULK` later, per round
    /// of BULK calls (the window plus whatever the rule and the machine add).
    fn round_ms(&self) -> Option<f64> {
        let rounds = (self.arrivals.len().checked_sub(1)?) / BULK as usize;
        (rounds > 0).then(|| {
            (self.arrivals[rounds * BULK as usize] - self.arrivals[0]) as f64 / rounds as f64
        })
    }

    fn print(&self) {
        let window = self.window_ms();
        let per_window = fleet::per_fixed_window(&self.arrivals, window);
        let (max_sliding, at) = self.max_sliding();
        let people = PROCESSES * PER_PROCESS;
        println!("\n{}", self.scenario.name());
        println!(
            "  wall time                 {:.1} s",
            self.wall.as_secs_f64()
        );
        println!(
            "  bulk calls received       {} in {} fixed windows: {:?}",
            self.arrivals.len(),
            per_window.len(),
            per_window.values().collect::<Vec<_>>()
        );
        println!(
            "  most in a sliding {} s     {max_sliding} (window from {} ms into the run)",
            WINDOW.as_secs(),
            at - self.arrivals.first().copied().unwrap_or(0)
        );
        println!(
            "  429s                      {}",
            fleet::rejected(&per_window, BULK)
        );
        if let (Some((after, at)), Some(rejected), Some(kill)) = (
            self.max_sliding_after_kill(),
            self.rejected_after_kill(),
            self.killed_at_ms,
        ) {
            let start = self.arrivals.first().copied().unwrap_or(0);
            println!(
                "  after the kill ({} ms in)  most in a sliding window {after} (from {} ms); \
                 429s in fixed windows ending after it {rejected}",
                kill - start,
                at - start
            );
        }
        if let Some(tightest) = self.tightest_ms() {
            println!(
                "  tightest {} in a row      {tightest} ms apart (first to last; a window is {} ms)",
                BULK + 1,
                window
            );
        }
        if let Some(round) = self.round_ms() {
            println!("  steady pace               {round:.0} ms per {BULK} calls");
        }
        println!(
            "  people                    {people}: {} invitations stored, {} distinct; \
             duplicates {}, lost {}",
            self.invited.stored,
            self.invited.distinct,
            self.invited.duplicates(),
            self.invited.missing.len()
        );
        println!(
            "  processes                 {} of {PROCESSES} exited 0 (everyone invited); \
             {} fallbacks to local budgets",
            self.exit_ok, self.fallbacks
        );
        if !self.lags.is_empty() {
            let mut lags = self.lags.clone();
            lags.sort_unstable();
            let at = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
            println!(
                "  admission -> arrival lag  {} probe calls: min {} ms, p50 {} ms, p99 {} ms, \
                 max {} ms; spread (max - min) {} ms",
                lags.len(),
                lags[0],
                at(0.5),
                at(0.99),
                lags[lags.len() - 1],
                lags[lags.len() - 1] - lags[0]
            );
        }
    }
}

fn summary(reports: &[Report]) {
    let of = |scenario| reports.iter().filter(move |r| r.scenario == scenario);
    println!("\nsummary over the runs");
    for scenario in [Scenario::SharedNoHeadroom, Scenario::Shared] {
        let most: Vec<usize> = of(scenario).map(|r| r.max_sliding().0).collect();
        let tightest: Vec<i64> = of(scenario).filter_map(|r| r.tightest_ms()).collect();
        let rounds: Vec<String> = of(scenario)
            .filter_map(|r| r.round_ms().map(|ms| format!("{ms:.0}")))
            .collect();
        println!("  {}", scenario.name());
        println!("    most in a sliding window, per run        {most:?}");
        println!(
            "    tightest {} in a row, ms, per run          {tightest:?}",
            BULK + 1
        );
        println!("    steady pace, ms per {BULK} calls, per run     {rounds:?}");
    }
    // The headroom's cost, run by run: the same fleet paced with and without it, back to back.
    let ratios: Vec<String> = of(Scenario::SharedNoHeadroom)
        .zip(of(Scenario::Shared))
        .filter_map(|(bare, with)| Some(format!("{:.4}", bare.round_ms()? / with.round_ms()?)))
        .collect();
    println!(
        "  throughput with the default headroom / without, per run: {ratios:?} \
         (a {} s window: the rule says {:.4})",
        WINDOW.as_secs(),
        WINDOW.as_secs_f64() / (WINDOW.as_secs_f64() + 0.05)
    );
    let killed: Vec<usize> = of(Scenario::RedisKilled)
        .filter_map(|r| r.max_sliding_after_kill().map(|m| m.0))
        .collect();
    println!("  killed: most in a sliding window after it   {killed:?}");
    let rejected: Vec<usize> = of(Scenario::RedisKilled)
        .filter_map(Report::rejected_after_kill)
        .collect();
    println!("  killed: 429s after the kill, per run         {rejected:?}");
    let mut lags: Vec<i64> = reports.iter().flat_map(|r| r.lags.clone()).collect();
    if !lags.is_empty() {
        lags.sort_unstable();
        let at = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
        let over = |ms: i64| lags.iter().filter(|&&lag| lag - lags[0] > ms).count();
        println!(
            "  admission -> arrival lag over all runs: {} calls, min {} ms, p99 {} ms, \
             p99.9 {} ms, max {} ms; spread over 10 ms: {}, over 50 ms: {}",
            lags.len(),
            lags[0],
            at(0.99),
            at(0.999),
            lags[lags.len() - 1],
            over(10),
            over(50)
        );
    }
}

async fn run(scenario: Scenario) -> Report {
    let mut redis = match scenario {
        Scenario::PerProcess => None,
        _ => Some(RedisServer::start("the fleet benchmark").expect("redis-server starts")),
    };
    let mut extra = Vec::new();
    if let Some(redis) = &redis {
        extra.extend(["--redis".to_owned(), redis.url()]);
    }
    if scenario == Scenario::SharedNoHeadroom {
        extra.extend(["--headroom".to_owned(), "0ms".to_owned()]);
    }
    let fleet = Fleet {
        processes: PROCESSES,
        per_process: PER_PROCESS,
        requests: BULK,
        window: WINDOW,
        extra,
    };
    let fake = fleet::start_fake(&fleet).await;

    let wall = Instant::now();
    let running = fleet.start(&fake);
    let mut killed_at_ms = None;
    let mut lags = Vec::new();
    match (scenario, redis.as_mut()) {
        (Scenario::RedisKilled, Some(redis)) => {
            fleet::until_bulk_calls(&fake, KILL_AFTER_CALLS).await;
            redis.stop();
            killed_at_ms = Some(fake.clock().now_ms());
        }
        (Scenario::Shared | Scenario::SharedNoHeadroom, Some(redis)) => {
            lags = probe_lag(redis, &fake).await;
        }
        _ => {}
    }
    let outputs = running.finish().await;
    let wall = wall.elapsed();
    Report {
        scenario,
        wall,
        arrivals: fleet::bulk_arrivals(&fake),
        killed_at_ms,
        invited: Invited::of(&fake, &fleet),
        exit_ok: outputs.iter().filter(|o| o.status.success()).count(),
        fallbacks: fleet::sum_of(&outputs, "fallbacks"),
        lags,
    }
}

/// While the fleet runs: a fifth client in this process, sharing budgets through the same
/// Redis (its own namespace, a budget it never fills) and sending bulk calls one at a time to a
/// second, unlimited fake. Each call's admission time is its entry in the Redis log (the
/// server's `TIME`), its arrival the second fake's log (the same machine's clock, in ms); one
/// call at a time, so the n-th admission is the n-th arrival. The spread of the lags is what
/// the headroom at a window's edge has to cover.
async fn probe_lag(redis: &RedisServer, fleet_fake: &FakeClerk) -> Vec<i64> {
    let probe_fake = FakeClerk::builder()
        .real_clock()
        .rate_limits(FakeLimits::unlimited())
        .start()
        .await
        .expect("clerk-fake starts");
    probe_fake.add_organization(Organization::new(fleet::ORG, "Probe Inc"));
    probe_fake.add_user(User::new(fleet::ADMIN, "admin@probe.test"));
    let roomy = Limit::new(1_000_000, Duration::from_secs(600));
    let client = Client::builder()
        .secret_key(probe_fake.secret_key())
        .base_url(probe_fake.base_url())
        .rate_limits(
            RateLimits::none()
                .bulk_create_invitations(roomy)
                .all_requests(roomy),
        )
        .shared_budgets(
            RedisBudgets::new(&redis.url())
                .expect("url")
                .namespace("probe"),
        )
        .build()
        .expect("client");
    let invitations = client.organization(fleet::ORG).invitations();
    let mut n = 0;
    // Until the fleet has sent most of its calls: the probe sees the machine as loaded as the
    // fleet makes it.
    while fleet::bulk_arrivals(fleet_fake).len() < PROCESSES * PER_PROCESS / 10 - 5 {
        let people = (0..10)
            .map(|i| NewInvitation::new(format!("probe{}@probe.test", n * 10 + i), Role::MEMBER));
        invitations
            .create_bulk(people)
            .send()
            .await
            .expect("probe call");
        n += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut connection = redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let admitted: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg("clerk-orgs:{probe}:bulk_create_invitations:log")
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query_async(&mut connection)
        .await
        .expect("the probe's log");
    let arrived = fleet::bulk_arrivals(&probe_fake);
    assert_eq!(admitted.len(), arrived.len(), "one admission per call");
    admitted
        .iter()
        .zip(&arrived)
        .map(|((_, admitted_us), arrived_ms)| arrived_ms - (*admitted_us / 1000.0).floor() as i64)
        .collect()
}

/// The cost of one acquire on loopback: the very script a client runs, with the keys and
/// arguments of a bulk call (route and global budgets), against budgets that always allow it.
async fn acquire_cost() {
    let redis = RedisServer::start("the fleet benchmark").expect("redis-server starts");
    let client = redis::Client::open(redis.url()).expect("url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let script = redis::Script::new(include_str!(
        "../../clerk-orgs/src/policy/shared_budgets/acquire.lua"
    ));
    let keys = [
        "clerk-orgs:{cost}:bulk_create_invitations:log",
        "clerk-orgs:{cost}:bulk_create_invitations:paused",
        "clerk-orgs:{cost}:bulk_create_invitations:fleet",
        "clerk-orgs:{cost}:all_requests:log",
        "clerk-orgs:{cost}:all_requests:paused",
        "clerk-orgs:{cost}:all_requests:fleet",
    ];
    // A 10 s window (a live key's global budget) that a billion requests cannot fill: never
    // refused, always logged, so the logs hold every call of the last 10 s, as in a busy fleet.
    let mut samples = Vec::with_capacity(20_000);
    for round in 0..21_000u64 {
        // A new token per call, as the client makes; four processes taking turns.
        let mut invocation = script.prepare_invoke();
        invocation
            .arg("")
            .arg(format!("{round:032x}"))
            .arg(format!("process-{}", round % 4));
        for budget in keys.chunks(3) {
            invocation
                .key(budget[0])
                .key(budget[1])
                .key(budget[2])
                .arg(10_050_000u64)
                .arg(1_000_000_000u64)
                .arg(60_000_000u64);
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
