//! [`RedisBudgets`]: Clerk's budgets kept in Redis, so N processes together stay inside them.
//!
//! Each acquire is one Lua script (`acquire.lua`: a sliding-window log per budget, a sorted set
//! of admission times, the same rule as the in-process budgets) over the route's budget and the
//! global one: both allow the request and both log it, or nothing is logged and the script says
//! how long to wait. Time is the Redis server's `TIME`, so hosts with skewed clocks agree. A 429
//! runs `pause.lua`, which closes the budget for everyone until `Retry-After`. See
//! [`crate::fleet`].

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::Sha256;

use super::super::clock::SharedClock;
use super::super::rate_limit::{ClientLimiter, Limit, LimitMode, RateLimits};
use crate::error::{BudgetExhausted, ConfigError, Error, SharedBudgetsUnavailable};
use crate::models::{Budget, KeyKind};

/// How long one Redis call may take before the client gives up on it (the default of
/// [`RedisBudgets::timeout`]): a loopback or same-zone round trip is well under a millisecond,
/// so 250 ms only trips on a Redis that is down, overloaded or partitioned away.
pub const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(250);

/// After a failed Redis call, calls go straight to the failure policy for this long instead of
/// each paying the timeout again; then Redis is tried anew.
const RETRY_REDIS_AFTER: Duration = Duration::from_secs(1);

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
    /// Take from this process's own budgets for that call, with a `tracing` warning (the
    /// default). The fleet may then exceed Clerk's limits (each process paces only itself) and
    /// meet 429s, which the retry policy handles; nothing is lost or sent twice.
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

/// Counters of one [`RedisBudgets`] (and every client it was given to), for tests, benchmarks
/// and metrics.
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
    /// Until when Redis is not asked again after a failure.
    down_until: Mutex<Option<Instant>>,
    /// Whether the last Redis call failed, so the warning is once per outage, not per call.
    down: AtomicBool,
    acquired: AtomicU64,
    waits: AtomicU64,
    fallbacks: AtomicU64,
    failed_calls: AtomicU64,
    pauses_shared: AtomicU64,
    redis_errors: AtomicU64,
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
                down_until: Mutex::new(None),
                down: AtomicBool::new(false),
                acquired: AtomicU64::new(0),
                waits: AtomicU64::new(0),
                fallbacks: AtomicU64::new(0),
                failed_calls: AtomicU64::new(0),
                pauses_shared: AtomicU64::new(0),
                redis_errors: AtomicU64::new(0),
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

    /// The counters so far, over every client given this value or a clone of it.
    pub fn stats(&self) -> SharedBudgetStats {
        let state = &self.state;
        SharedBudgetStats {
            acquired: state.acquired.load(Ordering::Relaxed),
            waits: state.waits.load(Ordering::Relaxed),
            fallbacks: state.fallbacks.load(Ordering::Relaxed),
            failed_calls: state.failed_calls.load(Ordering::Relaxed),
            pauses_shared: state.pauses_shared.load(Ordering::Relaxed),
            redis_errors: state.redis_errors.load(Ordering::Relaxed),
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
                window_us: micros(limit.window()).max(1),
                limit,
                log: format!("{prefix}:{}:log", budget.as_str()),
                paused: format!("{prefix}:{}:paused", budget.as_str()),
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
    window_us: u64,
    /// A sorted set: one member per admitted request, scored by its time (µs).
    log: String,
    paused: String,
}

/// Why the shared budgets did not admit a request.
pub(crate) enum Refusal {
    /// Spent, and the caller may not wait (fail fast, or past `max_wait`).
    Exhausted(BudgetExhausted),
    /// Redis could not be consulted in time.
    Unavailable(SharedBudgetsUnavailable),
}

/// [`RedisBudgets`] bound to one client: its namespace, budgets and clock.
#[derive(Debug)]
pub(crate) struct Bound {
    budgets: RedisBudgets,
    all_requests: Option<BudgetKeys>,
    create_invitation: Option<BudgetKeys>,
    bulk_create_invitations: Option<BudgetKeys>,
    max_wait: Duration,
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

    /// Takes one request from the route's budget and the global one in one script, waiting on
    /// the client's clock as long as `mode` and `max_wait` allow.
    pub(crate) async fn acquire(
        &self,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<(), Refusal> {
        let budgets: Vec<&BudgetKeys> = [self.route(route), self.all_requests.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        if budgets.is_empty() {
            return Ok(());
        }
        loop {
            let mut invocation = ACQUIRE.prepare_invoke();
            // The member this request adds to each log: unique, so two admissions in the same
            // microsecond are two entries.
            let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
            invocation.arg(self.now_arg()).arg(token);
            for budget in &budgets {
                invocation
                    .key(&budget.log)
                    .key(&budget.paused)
                    .arg(budget.window_us)
                    .arg(budget.limit.requests());
            }
            let reply: Vec<i64> = self.call(&invocation).await.map_err(Refusal::Unavailable)?;
            let [allowed, which, wait_us, paused] = reply[..] else {
                return Err(Refusal::Unavailable(self.failed(
                    "answered the budget script with an unexpected reply",
                    None,
                )));
            };
            if allowed == 1 {
                self.state().acquired.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            let refused = usize::try_from(which)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|n| budgets.get(n))
                .or(budgets.first());
            let Some(refused) = refused else {
                return Ok(());
            };
            // At least a microsecond: a refusal always means "later", never "now".
            let wait = Duration::from_micros(u64::try_from(wait_us).unwrap_or(0).max(1));
            if mode == LimitMode::FailFast || wait > self.max_wait {
                return Err(Refusal::Exhausted(BudgetExhausted::new(
                    refused.budget,
                    wait,
                )));
            }
            self.state().waits.fetch_add(1, Ordering::Relaxed);
            if paused == 1 {
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
        if let Ok(down_until) = state.down_until.lock()
            && down_until.is_some_and(|until| Instant::now() < until)
        {
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
        if let Ok(mut down_until) = state.down_until.lock() {
            *down_until = Some(Instant::now() + RETRY_REDIS_AFTER);
        }
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
                        "using this process's own budgets until it answers again",
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
