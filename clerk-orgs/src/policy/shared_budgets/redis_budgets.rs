//! [`RedisBudgets`]: Clerk's budgets kept in Redis, so N processes together stay inside them.
//!
//! Each acquire is one Lua script (`acquire.lua`: a sliding-window log per budget, a sorted set
//! of admission times, the same rule and headroom as the in-process budgets) over the route's
//! budget and the global one: both allow the request and both log it, or nothing is logged and
//! the script says how long to wait. Either way it says how full each log is and how many
//! processes asked for the budget lately, and the client's in-process budgets keep that (and
//! every admission) so that, when Redis cannot answer, the process paces at its share of each
//! budget. Time is the Redis server's `TIME`, so hosts with skewed clocks agree. A 429 runs
//! `pause.lua`, which closes the budget for everyone until `Retry-After`. See [`crate::fleet`].

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Duration;

use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::Sha256;

use super::super::clock::SharedClock;
use super::super::rate_limit::{ClientLimiter, FleetSeen, Limit, LimitMode, RateLimits, Share};
use crate::error::{BudgetExhausted, ConfigError, Error, SharedBudgetsUnavailable};
use crate::models::{Budget, KeyKind};

/// How long one Redis call may take before the client gives up on it (the default of
/// [`RedisBudgets::timeout`]): a loopback or same-zone round trip is well under a millisecond,
/// so 250 ms only trips on a Redis that is down, overloaded or partitioned away.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// After a failed Redis call, calls go straight to the failure policy for this long instead of
/// each paying the timeout again; then Redis is tried anew. So a process goes on without Redis
/// for at most this long after Redis answers again, which is how long a returning process
/// keeps to its share beyond the window (see `ClientLimiter::observe`).
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(1);

/// A process that asked for a budget counts in its fleet for this long, or the budget's window
/// if longer: a process that calls less often than once a window is still part of the fleet
/// whose shares must add up to the budget when Redis is gone.
const FLEET_MEMORY: Duration = Duration::from_secs(60);

/// The label the namespace's HMAC is keyed with: fixed, so every process with the same secret
/// key derives the same namespace, and versioned, so a new layout never reads an old one.
const NAMESPACE_LABEL: &[u8] = b"clerk-orgs shared budgets v1";

static ACQUIRE: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("acquire.lua")));
static PAUSE: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("pause.lua")));

/// What a call does when Redis cannot be consulted in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RedisFailure {
    /// Take from this process's own budgets for that call, at its share of each budget (the
    /// budget divided among the processes Redis last showed, starting from what this process
    /// has spent), with a `tracing` warning (the default). Together the fleet stays within the
    /// budget as long as it is the fleet Redis showed; nothing is lost or sent twice. When Redis
    /// answers again the process keeps to its share for one more window, so it rejoins without
    /// a burst.
    #[default]
    FallBackToLocal,
    /// Fail the call before sending with [`Error::SharedBudgetsUnavailable`]
    /// ([`crate::Delivery::NotSent`]): for fleets where a 429 costs more than a failed call.
    FailCall,
}

/// Where the scripts read the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeSource {
    /// The Redis server's `TIME`: one clock for every host.
    Server,
    /// The client's [`crate::clock::Clock`], passed to the script (tests on a virtual clock).
    Client,
}

/// How calls are paced now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Pacing {
    /// By the shared budgets in Redis (also before the first call).
    #[default]
    Shared,
    /// By this process's share of each budget: Redis cannot be consulted
    /// ([`RedisFailure::FallBackToLocal`]).
    OwnShare,
    /// By the shared budgets and this process's share together: Redis answers again after an
    /// outage, and calls made without it may still be in the window.
    Rejoining,
}

/// One budget's fleet as this process last saw it in Redis, and the share of the budget it
/// takes when it cannot reach Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetShare {
    /// The budget.
    pub budget: Budget,
    /// Processes (clients) that asked for the budget within its window or the last minute,
    /// whichever is longer, this one included.
    pub fleet_size: u32,
    /// Requests this process takes per [`window`](Self::window) without Redis: the budget's
    /// requests divided by the fleet size, rounded down (less while the fleet's earlier
    /// requests are still in the window).
    pub requests: u32,
    /// The budget's window, or a multiple of it when the fleet outnumbers its requests (one
    /// request each per so many windows).
    pub window: Duration,
}

impl FleetShare {
    fn of(budget: Budget, share: Share) -> Self {
        Self {
            budget,
            fleet_size: share.processes,
            requests: share.requests,
            window: share.window,
        }
    }
}

/// Counters of one [`RedisBudgets`] (and every client it was given to), for tests, benchmarks
/// and metrics, with the fleet last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SharedBudgetStats {
    /// Requests admitted by the shared budgets.
    pub acquired: u64,
    /// Times a call waited because a shared budget was spent or paused.
    pub waits: u64,
    /// Calls that used the in-process budgets because Redis could not answer in time.
    pub fallbacks: u64,
    /// Calls failed with [`Error::SharedBudgetsUnavailable`] (`RedisFailure::FailCall`).
    pub failed_calls: u64,
    /// 429s shared with the fleet (a pause written to Redis).
    pub pauses_shared: u64,
    /// Redis calls that failed or timed out.
    pub redis_errors: u64,
    /// The fleet size seen: the most processes that asked for any one budget lately (within
    /// its window or the last minute), at the latest answers from Redis (0 before the first).
    pub fleet_size: u32,
    /// How calls are paced now.
    pub pacing: Pacing,
    /// Per budget (all requests, create, bulk create): the fleet seen and the share in use.
    shares: [Option<FleetShare>; 3],
}

impl SharedBudgetStats {
    /// The fleet seen by `budget` and this process's share of it, once Redis has answered for
    /// it.
    pub fn share(&self, budget: Budget) -> Option<FleetShare> {
        self.shares[slot(budget)]
    }
}

/// Where a budget's share is kept in [`SharedBudgetStats`].
fn slot(budget: Budget) -> usize {
    match budget {
        Budget::AllRequests => 0,
        Budget::CreateInvitation => 1,
        Budget::BulkCreateInvitations => 2,
    }
}

/// Clerk's budgets shared through Redis by every process using the same namespace.
///
/// ```no_run
/// # fn main() -> Result<(), clerk_orgs::Error> {
/// use std::time::Duration;
/// use clerk_orgs::{Client, RedisBudgets, RedisFailure};
///
/// let budgets = RedisBudgets::new("redis://127.0.0.1:6379")?
///     .namespace("my-app") // default: derived from the secret key, never the key itself
///     .timeout(Duration::from_millis(100))
///     .on_failure(RedisFailure::FallBackToLocal);
/// let client = Client::builder()
///     .secret_key("sk_live_...")
///     .shared_budgets(budgets)
///     .build()?;
/// # let _ = client; Ok(()) }
/// ```
///
/// Cheap to clone; clones (and the clients given one) share the connection and the
/// [`stats`](Self::stats). `Debug` shows the server, never a password in the URL.
#[derive(Clone)]
pub struct RedisBudgets {
    server: String,
    namespace: Option<String>,
    timeout: Duration,
    on_failure: RedisFailure,
    time: TimeSource,
    state: Arc<State>,
}

/// What clones share: the connection, the health of Redis and the counters.
struct State {
    client: redis::Client,
    connection: OnceLock<Option<ConnectionManager>>,
    /// Whether the last Redis call failed, so the warning is once per outage, not per call.
    down: AtomicBool,
    acquired: AtomicU64,
    waits: AtomicU64,
    fallbacks: AtomicU64,
    failed_calls: AtomicU64,
    pauses_shared: AtomicU64,
    redis_errors: AtomicU64,
    /// The fleet and share last seen per budget, and the pacing, for [`RedisBudgets::stats`].
    fleet: Mutex<(Pacing, [Option<FleetShare>; 3])>,
}

impl fmt::Debug for RedisBudgets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBudgets")
            .field("server", &self.server)
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .field("on_failure", &self.on_failure)
            .field("time", &self.time)
            .finish_non_exhaustive()
    }
}

impl RedisBudgets {
    /// Budgets in the Redis at `url` (`redis://[user:password@]host[:port][/db]`, or
    /// `rediss://` with TLS where the `redis` crate was built for it). Nothing connects yet:
    /// the connection opens on the first call, and reconnects by itself after a failure.
    pub fn new(url: &str) -> Result<Self, Error> {
        // The URL may hold a password: no message here quotes it, nor the parser's error.
        let invalid = || {
            ConfigError::new(
                "redis_url",
                "is not a valid Redis URL (redis://[user:password@]host[:port][/db])",
            )
        };
        let parsed = url::Url::parse(url).map_err(|_| invalid())?;
        let client = redis::Client::open(url).map_err(|_| invalid())?;
        let server = format!(
            "{}://{}:{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or(""),
            parsed.port().unwrap_or(6379),
            parsed.path()
        );
        Ok(Self {
            server,
            namespace: None,
            timeout: DEFAULT_REDIS_TIMEOUT,
            on_failure: RedisFailure::default(),
            time: TimeSource::Server,
            state: Arc::new(State {
                client,
                connection: OnceLock::new(),
                down: AtomicBool::new(false),
                acquired: AtomicU64::new(0),
                waits: AtomicU64::new(0),
                fallbacks: AtomicU64::new(0),
                failed_calls: AtomicU64::new(0),
                pauses_shared: AtomicU64::new(0),
                redis_errors: AtomicU64::new(0),
                fleet: Mutex::new((Pacing::Shared, [None; 3])),
            }),
        })
    }

    /// The name the budgets are kept under: processes with the same name share budgets.
    /// Default: derived from the secret key (a keyed hash, never the key itself), so every
    /// process of one Clerk instance shares without configuration. 1 to 64 characters of
    /// `A-Z a-z 0-9 . _ - :`.
    pub fn namespace(mut self, name: impl Into<String>) -> Self {
        self.namespace = Some(name.into());
        self
    }

    /// The longest one Redis call may take (default [`DEFAULT_REDIS_TIMEOUT`], 250 ms); past
    /// it the call goes by [`on_failure`](Self::on_failure).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What a call does when Redis cannot answer in time (default
    /// [`RedisFailure::FallBackToLocal`]).
    pub fn on_failure(mut self, policy: RedisFailure) -> Self {
        self.on_failure = policy;
        self
    }

    /// Read the time from the client's [`Clock`](crate::clock::Clock) instead of the Redis
    /// server's `TIME`: for tests and benchmarks on a virtual clock. Every client sharing the
    /// namespace must then read the same clock.
    pub fn use_client_clock(mut self) -> Self {
        self.time = TimeSource::Client;
        self
    }

    /// The counters so far, over every client given this value or a clone of it, and the fleet
    /// and share as the latest of them saw it.
    pub fn stats(&self) -> SharedBudgetStats {
        let state = &self.state;
        let (pacing, shares) = *state.fleet.lock().unwrap_or_else(|e| e.into_inner());
        SharedBudgetStats {
            acquired: state.acquired.load(Ordering::Relaxed),
            waits: state.waits.load(Ordering::Relaxed),
            fallbacks: state.fallbacks.load(Ordering::Relaxed),
            failed_calls: state.failed_calls.load(Ordering::Relaxed),
            pauses_shared: state.pauses_shared.load(Ordering::Relaxed),
            redis_errors: state.redis_errors.load(Ordering::Relaxed),
            fleet_size: shares
                .iter()
                .flatten()
                .map(|share| share.fleet_size)
                .max()
                .unwrap_or(0),
            pacing,
            shares,
        }
    }

    pub(crate) fn bind(
        self,
        secret_key: &str,
        limits: &RateLimits,
        key_kind: KeyKind,
        limiter: &ClientLimiter,
        clock: SharedClock,
    ) -> Result<Bound, ConfigError> {
        let namespace = match &self.namespace {
            Some(name) => {
                let valid = (1..=64).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'));
                if !valid {
                    return Err(ConfigError::new(
                        "shared_budgets.namespace",
                        "must be 1 to 64 characters of A-Z a-z 0-9 . _ - :",
                    ));
                }
                name.clone()
            }
            None => namespace_for_key(secret_key),
        };
        if self.timeout.is_zero() {
            return Err(ConfigError::new(
                "shared_budgets.timeout",
                "must be longer than zero",
            ));
        }
        // `{namespace}` is a Redis Cluster hash tag: a script's keys must share a slot.
        let prefix = format!("clerk-orgs:{{{namespace}}}");
        let keys = |budget: Budget, limit: Option<Limit>| {
            limit.map(|limit| BudgetKeys {
                budget,
                span_us: micros(limit.window().saturating_add(limits.headroom_for(limit))).max(1),
                fleet_us: micros(limit.window().max(FLEET_MEMORY)),
                limit,
                log: format!("{prefix}:{}:log", budget.as_str()),
                paused: format!("{prefix}:{}:paused", budget.as_str()),
                fleet: format!("{prefix}:{}:fleet", budget.as_str()),
            })
        };
        Ok(Bound {
            all_requests: keys(Budget::AllRequests, limits.all_requests_for(key_kind)),
            create_invitation: keys(Budget::CreateInvitation, limits.create_invitation_limit()),
            bulk_create_invitations: keys(
                Budget::BulkCreateInvitations,
                limits.bulk_create_invitations_limit(),
            ),
            max_wait: limiter.max_wait(),
            // One id per client (and its clones): the unit that keeps its own budgets.
            process: format!("{:016x}", fastrand::u64(..)),
            down_until_nanos: AtomicU64::new(0),
            clock,
            budgets: self,
        })
    }
}

/// The namespace of a secret key: the first 16 bytes of HMAC-SHA256 keyed with a fixed label
/// over the key, in hex. One-way, so the key cannot be read back from Redis; the same for every
/// process holding the key.
pub fn namespace_for_key(secret_key: &str) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(NAMESPACE_LABEL) else {
        return "unkeyed".to_owned();
    };
    mac.update(secret_key.as_bytes());
    let digest = mac.finalize().into_bytes();
    digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// One budget's parameters and keys, computed once.
#[derive(Debug)]
struct BudgetKeys {
    budget: Budget,
    limit: Limit,
    /// How long an admission counts: the window plus the headroom, in µs.
    span_us: u64,
    /// How long a process that asked counts in the budget's fleet, in µs.
    fleet_us: u64,
    /// A sorted set: one member per admitted request, scored by its time (µs).
    log: String,
    paused: String,
    /// A sorted set: one member per process that asked within `fleet_us`, scored by when it
    /// last asked (µs).
    fleet: String,
}

/// What one run of the acquire script said.
enum Verdict {
    Admitted,
    /// Budget `which` (an index into the budgets asked) needs `wait`; `paused` when a shared
    /// 429 closes it.
    Refused {
        which: usize,
        wait: Duration,
        paused: bool,
    },
}

/// [`RedisBudgets`] bound to one client: its namespace, budgets and clock.
#[derive(Debug)]
pub(crate) struct Bound {
    budgets: RedisBudgets,
    all_requests: Option<BudgetKeys>,
    create_invitation: Option<BudgetKeys>,
    bulk_create_invitations: Option<BudgetKeys>,
    max_wait: Duration,
    /// This client's member in the fleet sets.
    process: String,
    /// Until when (the client's clock, ns) Redis is not asked again after a failure.
    down_until_nanos: AtomicU64,
    clock: SharedClock,
}

impl Bound {
    pub(crate) fn fails_calls(&self) -> bool {
        self.budgets.on_failure == RedisFailure::FailCall
    }

    fn state(&self) -> &State {
        &self.budgets.state
    }

    fn route(&self, route: Option<Budget>) -> Option<&BudgetKeys> {
        match route? {
            Budget::CreateInvitation => self.create_invitation.as_ref(),
            Budget::BulkCreateInvitations => self.bulk_create_invitations.as_ref(),
            Budget::AllRequests => None,
        }
    }

    /// The script's first argument: now in microseconds, or empty for the server's `TIME`.
    fn now_arg(&self) -> String {
        match self.budgets.time {
            TimeSource::Server => String::new(),
            TimeSource::Client => micros(self.clock.now()).to_string(),
        }
    }

    /// Takes one request from the route's budget and the global one: from Redis in one script,
    /// waiting on the client's clock as long as `mode` and `max_wait` allow; when Redis cannot
    /// answer, by the failure policy (this process's share, or an error). Every admission by
    /// Redis is logged in `limiter` too, with what Redis showed of the fleet.
    pub(crate) async fn admit(
        &self,
        limiter: &ClientLimiter,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<(), Error> {
        let budgets: Vec<&BudgetKeys> = [self.route(route), self.all_requests.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        if budgets.is_empty() {
            return Ok(());
        }
        loop {
            // Back from an outage: this process's share first, so that it rejoins the shared
            // log at its share rather than with a burst on top of what was sent without Redis.
            let reserved = if limiter.rejoining(route) {
                Some(
                    limiter
                        .acquire(route, mode)
                        .await
                        .map_err(Error::BudgetExhausted)?,
                )
            } else {
                None
            };
            let (verdict, seen) = match self.run_acquire(&budgets).await {
                Ok(answer) => answer,
                Err(unavailable) => {
                    if self.fails_calls() {
                        if let Some(at) = reserved {
                            limiter.retime(route, at, None);
                        }
                        return Err(Error::SharedBudgetsUnavailable(unavailable));
                    }
                    for budget in limiter.outage(route).into_iter().flatten() {
                        self.paced(limiter, budget, Pacing::OwnShare);
                    }
                    // Already admitted by the share: sent now, so logged now.
                    if let Some(at) = reserved {
                        limiter.retime(route, at, Some(limiter.now()));
                        return Ok(());
                    }
                    return limiter
                        .acquire(route, mode)
                        .await
                        .map(drop)
                        .map_err(Error::BudgetExhausted);
                }
            };
            let refusal = match verdict {
                Verdict::Admitted => {
                    // Logged before the fleet is read, so that this admission counts as this
                    // process's own, not as another's.
                    let now = limiter.now();
                    match reserved {
                        Some(at) => limiter.retime(route, at, Some(now)),
                        None => limiter.record(route, now),
                    }
                    None
                }
                Verdict::Refused {
                    which,
                    wait,
                    paused,
                } => {
                    if let Some(at) = reserved {
                        limiter.retime(route, at, None);
                    }
                    Some((which, wait, paused))
                }
            };
            for (budget, seen) in budgets.iter().zip(seen) {
                if limiter.observe(budget.budget, seen, RETRY_REDIS_AFTER) {
                    self.paced(limiter, budget.budget, Pacing::Rejoining);
                } else {
                    self.note_share(limiter, budget.budget);
                }
            }
            let Some((which, wait, paused)) = refusal else {
                self.state().acquired.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            };
            let Some(refused) = budgets.get(which).or(budgets.first()) else {
                return Ok(());
            };
            // The cap, and the budget's headroom on top, as in-process.
            let headroom =
                Duration::from_micros(refused.span_us).saturating_sub(refused.limit.window());
            if mode == LimitMode::FailFast || wait > self.max_wait.saturating_add(headroom) {
                return Err(Error::BudgetExhausted(BudgetExhausted::new(
                    refused.budget,
                    wait,
                )));
            }
            self.state().waits.fetch_add(1, Ordering::Relaxed);
            if paused {
                tracing::debug!(
                    budget = refused.budget.as_str(),
                    wait_ms = millis(wait),
                    "the shared budget is paused by a 429 another request saw; waiting"
                );
            } else {
                tracing::debug!(
                    budget = refused.budget.as_str(),
                    wait_ms = millis(wait),
                    "waiting for the shared (fleet-wide) rate limit"
                );
            }
            self.clock.sleep(wait).await;
        }
    }

    /// One run of the acquire script over `budgets`: its verdict, and what it showed of each
    /// budget's fleet.
    async fn run_acquire(
        &self,
        budgets: &[&BudgetKeys],
    ) -> Result<(Verdict, Vec<FleetSeen>), SharedBudgetsUnavailable> {
        let mut invocation = ACQUIRE.prepare_invoke();
        // The member this request adds to each log: unique, so two admissions in the same
        // microsecond are two entries.
        let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        invocation
            .arg(self.now_arg())
            .arg(token)
            .arg(self.process.as_str());
        for budget in budgets {
            invocation
                .key(&budget.log)
                .key(&budget.paused)
                .key(&budget.fleet)
                .arg(budget.span_us)
                .arg(budget.limit.requests())
                .arg(budget.fleet_us);
        }
        let reply: Vec<i64> = self.call(&invocation).await?;
        let unexpected =
            || self.failed("answered the budget script with an unexpected reply", None);
        let (&[allowed, which, wait_us, paused], seen) =
            reply.split_first_chunk::<4>().ok_or_else(unexpected)?;
        if seen.len() != 2 * budgets.len() {
            return Err(unexpected());
        }
        let count = |n: i64| u32::try_from(n).unwrap_or(if n < 0 { 0 } else { u32::MAX });
        let seen = seen
            .chunks_exact(2)
            .map(|seen| FleetSeen {
                logged: count(seen[0]),
                processes: count(seen[1]),
            })
            .collect();
        if allowed == 1 {
            return Ok((Verdict::Admitted, seen));
        }
        let refused = Verdict::Refused {
            which: usize::try_from(which)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .unwrap_or(0),
            // At least a microsecond: a refusal always means "later", never "now".
            wait: Duration::from_micros(u64::try_from(wait_us).unwrap_or(0).max(1)),
            paused: paused == 1,
        };
        Ok((refused, seen))
    }

    /// Keeps `budget`'s fleet and share for the stats (and the pacing, once a rejoining or
    /// outage is over); a `debug` event when the fleet or the share changed.
    fn note_share(&self, limiter: &ClientLimiter, budget: Budget) {
        let Some(share) = limiter
            .share(budget)
            .map(|share| FleetShare::of(budget, share))
        else {
            return;
        };
        let rejoining = limiter.rejoining(Some(budget));
        let mut fleet = self.state().fleet.lock().unwrap_or_else(|e| e.into_inner());
        if fleet.0 != Pacing::Shared && !rejoining {
            fleet.0 = Pacing::Shared;
        }
        let before = fleet.1[slot(budget)].replace(share);
        drop(fleet);
        if before == Some(share) {
            return;
        }
        tracing::debug!(
            budget = budget.as_str(),
            fleet_size = share.fleet_size,
            share_requests = share.requests,
            share_window_ms = millis(share.window),
            "the fleet sharing the budget changed"
        );
    }

    /// `budget` is now paced as `pacing` says: for the stats, and an `info` event with the
    /// fleet and the share.
    fn paced(&self, limiter: &ClientLimiter, budget: Budget, pacing: Pacing) {
        let share = limiter
            .share(budget)
            .map(|share| FleetShare::of(budget, share));
        let mut fleet = self.state().fleet.lock().unwrap_or_else(|e| e.into_inner());
        fleet.0 = pacing;
        fleet.1[slot(budget)] = share;
        drop(fleet);
        let Some(share) = share else {
            return;
        };
        match pacing {
            Pacing::OwnShare => tracing::info!(
                budget = budget.as_str(),
                fleet_size = share.fleet_size,
                share_requests = share.requests,
                share_window_ms = millis(share.window),
                "Redis unavailable: pacing at this process's share of the budget, from what it \
                 has spent"
            ),
            Pacing::Rejoining => tracing::info!(
                budget = budget.as_str(),
                fleet_size = share.fleet_size,
                share_requests = share.requests,
                share_window_ms = millis(share.window),
                "Redis answers again: rejoining the shared budget, keeping to this process's \
                 share until what was sent without Redis has left the window"
            ),
            Pacing::Shared => {}
        }
    }

    /// Clerk answered 429: pause the most specific budget the request drew from (the rule of
    /// the in-process limiter) for every process, for `Retry-After` within `max_wait`.
    pub(crate) async fn pause(&self, route: Option<Budget>, retry_after: Option<Duration>) {
        let Some(budget) = self.route(route).or(self.all_requests.as_ref()) else {
            return;
        };
        let wait = retry_after
            .unwrap_or_else(|| budget.limit.interval())
            .min(self.max_wait);
        let mut invocation = PAUSE.prepare_invoke();
        invocation
            .key(&budget.paused)
            .arg(self.now_arg())
            .arg(micros(wait));
        // On failure the warning is already logged, and this process's own budget is paused
        // regardless.
        if let Ok(left_ms) = self.call::<i64>(&invocation).await {
            self.state().pauses_shared.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                budget = budget.budget.as_str(),
                wait_ms = millis(wait),
                paused_ms = left_ms,
                "Clerk answered 429; the budget is paused for every process sharing it"
            );
        }
    }

    /// One script call, bounded by the timeout and skipped while Redis is known to be down.
    async fn call<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, SharedBudgetsUnavailable> {
        let state = self.state();
        let down_until = Duration::from_nanos(self.down_until_nanos.load(Ordering::Acquire));
        if self.clock.now() < down_until {
            return Err(self.skipped());
        }
        let timeout = self.budgets.timeout;
        let connection = state.connection.get_or_init(|| {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1)
                .set_max_delay(RETRY_REDIS_AFTER);
            // Lazy: connects on first use, inside the runtime, and reconnects after failures.
            // Only a contradictory configuration fails here (this one is fixed).
            ConnectionManager::new_lazy_with_config(state.client.clone(), config).ok()
        });
        let Some(connection) = connection else {
            return Err(self.failed("connection could not be set up", None));
        };
        let mut connection = connection.clone();
        let outcome = tokio::time::timeout(timeout, invocation.invoke_async(&mut connection)).await;
        match outcome {
            Ok(Ok(value)) => {
                if state.down.swap(false, Ordering::AcqRel) {
                    tracing::info!(
                        server = %self.budgets.server,
                        "Redis answers again; budgets are shared with the fleet again"
                    );
                }
                Ok(value)
            }
            Ok(Err(error)) => Err(self.failed("failed", Some(Box::new(error)))),
            Err(_elapsed) => Err(self.failed("did not answer in time", None)),
        }
    }

    /// Records a failed Redis call, warns once per outage, and says what the call does now.
    fn failed(
        &self,
        what: &'static str,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SharedBudgetsUnavailable {
        let state = self.state();
        state.redis_errors.fetch_add(1, Ordering::Relaxed);
        let until = self.clock.now().saturating_add(RETRY_REDIS_AFTER);
        self.down_until_nanos.store(
            u64::try_from(until.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Release,
        );
        let first = !state.down.swap(true, Ordering::AcqRel);
        let error_text = source.as_ref().map(ToString::to_string);
        if first {
            tracing::warn!(
                server = %self.budgets.server,
                timeout_ms = millis(self.budgets.timeout),
                error = error_text.as_deref().unwrap_or(what),
                policy = ?self.budgets.on_failure,
                "shared budgets unavailable (Redis {what}); {}",
                match self.budgets.on_failure {
                    RedisFailure::FallBackToLocal =>
                        "pacing at this process's share of each budget (its own budgets) until \
                         it answers again",
                    RedisFailure::FailCall => "failing calls until it answers again",
                }
            );
        }
        self.unavailable(what, source)
    }

    /// Redis failed within the last second: not asked again yet.
    fn skipped(&self) -> SharedBudgetsUnavailable {
        self.unavailable("failed within the last second (not asked again yet)", None)
    }

    fn unavailable(
        &self,
        what: &'static str,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> SharedBudgetsUnavailable {
        let state = self.state();
        match self.budgets.on_failure {
            RedisFailure::FallBackToLocal => {
                state.fallbacks.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(what, "shared budgets unavailable; using this process's own");
            }
            RedisFailure::FailCall => {
                state.failed_calls.fetch_add(1, Ordering::Relaxed);
            }
        }
        SharedBudgetsUnavailable::new(what, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_namespace_is_a_keyed_hash_never_the_key() {
        let key = "sk_test_abcdefghijklmnopqrstuvwxyz0123456789";
        let namespace = namespace_for_key(key);
        assert_eq!(namespace.len(), 32);
        assert!(namespace.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(namespace, namespace_for_key(key), "stable across processes");
        assert_ne!(namespace, namespace_for_key("sk_test_other"));
        assert!(!namespace.contains("sk_"));
    }

    #[test]
    fn debug_never_shows_the_redis_password() {
        let budgets = RedisBudgets::new("redis://user:hunter2@cache.internal:6380/2").unwrap();
        let debug = format!("{budgets:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("redis://cache.internal:6380/2"), "{debug}");
        let error = RedisBudgets::new("redis://user:hunter2@[bad").unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
