//! A fleet of `clerk-orgs invite` processes against one `clerk-fake` on the real clock, and what
//! the fake saw: the one harness of the multi-process tests (`tests/fleet.rs`) and the fleet
//! benchmark (`benches/fleet.rs`), included by path like clerk-orgs' `redis_server.rs`.
//!
//! Every process is this package's binary ([`invite_command`] is the one place that knows how to
//! start one). Arrival times are the fake's own (its request log stamps each request with its
//! real clock when the request reaches its handler), so the figures are what the server saw,
//! not what the clients believe they sent.

#![allow(dead_code)] // The test and the bench use different parts.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, RateLimits as FakeLimits, User};

pub const ORG: &str = "org_fleet";
pub const ADMIN: &str = "user_admin";

/// `person{n}@fleet.test`.
pub fn email(n: usize) -> String {
    format!("person{n}@fleet.test")
}

/// The `clerk-orgs` binary, built by cargo for the test or bench with its features (`redis`
/// among them: the users of this harness require it).
pub fn invite_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clerk-orgs"))
}

/// One `invite` process of the fleet, for `fake`, with the bulk budget `requests`/`window` and
/// `extra` arguments, inviting `people`. The only place that knows the command line.
pub fn invite_command(
    fake: &FakeClerk,
    requests: u32,
    window: Duration,
    extra: &[String],
    people: impl IntoIterator<Item = String>,
) -> Command {
    let mut command = Command::new(invite_binary());
    command
        .args(["invite", "--org", ORG, "--inviter", ADMIN])
        .args([
            "--bulk-limit",
            &format!("{requests}/{}ms", window.as_millis()),
        ])
        .args(extra)
        .args(people)
        .env("CLERK_SECRET_KEY", fake.secret_key())
        .env("CLERK_API_URL", fake.base_url())
        // The binary reads REDIS_URL too: only `extra` decides whether a process shares.
        .env_remove("REDIS_URL");
    command
}

/// A fleet: how many processes, how many people each, the bulk budget every client and the
/// fake share, and the arguments every process gets besides (e.g. `--redis URL`).
#[derive(Debug, Clone)]
pub struct Fleet {
    pub processes: usize,
    pub per_process: usize,
    pub requests: u32,
    pub window: Duration,
    pub extra: Vec<String>,
}

/// A real-clock fake whose bulk limit is the fleet's (fixed windows of Unix time, as always in
/// the fake), with the organization and its admin, keeping every request.
pub async fn start_fake(fleet: &Fleet) -> FakeClerk {
    let fake = FakeClerk::builder()
        .real_clock()
        .rate_limits(FakeLimits::default().bulk(fleet.requests, fleet.window))
        .request_log_cap(100_000)
        .start()
        .await
        .expect("clerk-fake starts");
    fake.add_organization(Organization::new(ORG, "Fleet Inc"));
    fake.add_user(User::new(ADMIN, "admin@fleet.test"));
    fake.add_membership(ORG, ADMIN, ADMIN_ROLE).expect("seeded");
    fake
}

/// A fleet under way.
pub struct Running {
    workers: Vec<tokio::task::JoinHandle<Output>>,
}

impl Fleet {
    /// Starts every process; each invites its own `per_process` people.
    pub fn start(&self, fake: &FakeClerk) -> Running {
        let workers = (0..self.processes)
            .map(|process| {
                let first = process * self.per_process;
                let mut command = invite_command(
                    fake,
                    self.requests,
                    self.window,
                    &self.extra,
                    (first..first + self.per_process).map(email),
                );
                tokio::task::spawn_blocking(move || command.output().expect("invite runs"))
            })
            .collect();
        Running { workers }
    }

    /// Everyone the fleet invites.
    pub fn people(&self) -> usize {
        self.processes * self.per_process
    }

    pub fn window_ms(&self) -> i64 {
        i64::try_from(self.window.as_millis()).expect("a window in milliseconds")
    }
}

impl Running {
    /// Waits for every process and returns what each printed and how it exited.
    pub async fn finish(self) -> Vec<Output> {
        let mut outputs = Vec::new();
        for worker in self.workers {
            outputs.push(worker.await.expect("the runner does not panic"));
        }
        outputs
    }
}

/// Waits until the fake has received `calls` bulk calls (polled every 10 ms: a point in the
/// run, not a guard against a race).
pub async fn until_bulk_calls(fake: &FakeClerk, calls: usize) {
    while bulk_arrivals(fake).len() < calls {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// When the bulk calls reached the fake (its real clock, Unix ms), in arrival order.
pub fn bulk_arrivals(fake: &FakeClerk) -> Vec<i64> {
    let path = format!("/v1/organizations/{ORG}/invitations/bulk");
    fake.request_log()
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query == path)
        .map(|r| r.received_at_ms)
        .collect()
}

/// The most arrivals in any window `[start, start + window_ms)` that ends after `after_ms`
/// (every window: `i64::MIN`), and where the fullest one starts. A window holding the most
/// starts at an arrival, so those are the only starts to try.
pub fn max_in_sliding_window(times: &[i64], window_ms: i64, after_ms: i64) -> (usize, i64) {
    let mut best = (0, 0);
    for (i, &start) in times.iter().enumerate() {
        if start.saturating_add(window_ms) <= after_ms {
            continue;
        }
        let inside = times[i..]
            .iter()
            .take_while(|&&t| t < start + window_ms)
            .count();
        if inside > best.0 {
            best = (inside, start);
        }
    }
    best
}

/// Arrivals per fixed window of the fake (`time / window_ms`).
pub fn per_fixed_window(times: &[i64], window_ms: i64) -> BTreeMap<i64, usize> {
    let mut windows = BTreeMap::new();
    for &time in times {
        *windows.entry(time.div_euclid(window_ms)).or_insert(0) += 1;
    }
    windows
}

/// The 429s the fake answered: it counts fixed windows and lets the first `requests` of each
/// through, so every arrival past them was refused.
pub fn rejected(per_window: &BTreeMap<i64, usize>, requests: u32) -> usize {
    let requests = requests as usize;
    per_window
        .values()
        .map(|&n| n.saturating_sub(requests))
        .sum()
}

/// The invitations the fake holds for the fleet's people: how many, how many distinct
/// addresses, and the people with none.
pub struct Invited {
    pub stored: usize,
    pub distinct: usize,
    pub missing: Vec<String>,
}

impl Invited {
    pub fn of(fake: &FakeClerk, fleet: &Fleet) -> Self {
        let stored = fake.invitations();
        let mut emails: Vec<String> = stored.iter().map(|i| i.email_address.clone()).collect();
        emails.sort();
        emails.dedup();
        let missing = (0..fleet.people())
            .map(email)
            .filter(|e| emails.binary_search(e).is_err())
            .collect();
        Self {
            stored: stored.len(),
            distinct: emails.len(),
            missing,
        }
    }

    pub fn duplicates(&self) -> usize {
        self.stored - self.distinct
    }
}

/// A number the `invite` processes printed on stderr before `label` (`"150 invited"`,
/// `"3 fallbacks"`), summed over the processes.
pub fn sum_of(outputs: &[Output], label: &str) -> u64 {
    outputs
        .iter()
        .map(|output| {
            let text = String::from_utf8_lossy(&output.stderr);
            let words: Vec<&str> = text
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter(|w| !w.is_empty())
                .collect();
            words
                .windows(2)
                .filter(|pair| pair[1] == label)
                .filter_map(|pair| pair[0].parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// What a process printed, for a failed assertion.
pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
