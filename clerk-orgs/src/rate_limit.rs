//! Client-side rate limiting: staying inside Clerk's budgets instead of bouncing off them.
//!
//! Clerk limits each instance to 250 invitation creates per hour, 50 bulk creates per hour and
//! 100 requests per 10 s in total for `sk_test_` keys (1000 for `sk_live_` keys), and answers
//! 429 beyond that. A [`Client`](crate::Client) keeps one budget per limit, shared by all its
//! clones, and draws from the route's budget and the global one before each attempt. When a
//! budget is spent the call waits ([`LimitMode::Wait`], the default) or fails at once with an
//! error that says when to retry ([`LimitMode::FailFast`]).
//!
//! The budgets are GCRA limiters from the `governor` crate (well kept, lock-free, and generic over
//! the clock, which lets them run on the client's [`Clock`]): a full budget allows a
//! burst of `requests`, then one request per `window / requests`.
//!
//! Clerk does not say how its windows slide, so a burst can still meet a 429 (`clerk-fake`, for
//! one, counts in fixed windows, and a GCRA budget refills while such a window is still full).
//! The 429 is the ground truth, so it slows the limiter down: the budget the request drew from is
//! blocked until `Retry-After` has passed, and then resumes at its steady rate (one request per
//! `window / requests`, never more than `requests` in any window) instead of bursting into the
//! same wall again.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use crate::clock::SharedClock;
use crate::config::KeyKind;

/// "At most `requests` requests per `window`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    requests: NonZeroU32,
    window: Duration,
}

impl Limit {
    /// `requests` per `window`; `None` if either is zero.
    pub fn new(requests: u32, window: Duration) -> Option<Self> {
        let requests = NonZeroU32::new(requests)?;
        (!window.is_zero()).then_some(Self { requests, window })
    }

    /// `requests` per hour; `None` if zero.
    pub fn per_hour(requests: u32) -> Option<Self> {
        Self::new(requests, Duration::from_secs(3600))
    }

    /// Requests allowed per window.
    pub fn requests(&self) -> u32 {
        self.requests.get()
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The steady-state spacing between requests, `window / requests`.
    pub fn interval(&self) -> Duration {
        self.window / self.requests.get()
    }

    fn quota(&self) -> Quota {
        // `interval` is non-zero unless the window is under a nanosecond per request; treat such
        // a limit as one request per nanosecond rather than panicking.
        Quota::with_period(self.interval().max(Duration::from_nanos(1)))
            .map(|quota| quota.allow_burst(self.requests))
            .unwrap_or_else(|| Quota::per_second(self.requests))
    }
}

/// What a call does when its budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LimitMode {
    /// Wait until the budget allows the call (the default).
    #[default]
    Wait,
    /// Fail at once with [`crate::Error::BudgetExhausted`], which says when to retry.
    FailFast,
}

/// The global budget: Clerk's default for the key's kind, or one chosen by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllRequests {
    ForKey,
    Custom(Option<Limit>),
}

/// The client's budgets; the default is Clerk's documented limits for the secret key in use.
///
/// ```
/// use std::time::Duration;
/// use clerk_orgs::{Limit, LimitMode, RateLimits};
///
/// // An instance whose limits Clerk raised, and a caller that prefers errors to waiting.
/// let limits = RateLimits::default()
///     .create_invitation(Limit::per_hour(1_000))
///     .all_requests(Limit::new(500, Duration::from_secs(10)))
///     .mode(LimitMode::FailFast);
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    all_requests: AllRequests,
    create_invitation: Option<Limit>,
    bulk_create_invitations: Option<Limit>,
    mode: LimitMode,
    max_wait: Duration,
}

/// The default [`RateLimits::max_wait`]: Clerk's longest window. A `Retry-After` past it is not
/// a window reopening but a broken answer, and waiting it out would hang the caller.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);

/// Clerk's global limit for development instances (`sk_test_` keys): 100 requests per 10 s.
const TEST_KEY_LIMIT: u32 = 100;
/// Clerk's global limit for production instances (`sk_live_` keys): 1000 requests per 10 s.
const LIVE_KEY_LIMIT: u32 = 1000;
const GLOBAL_WINDOW: Duration = Duration::from_secs(10);

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            all_requests: AllRequests::ForKey,
            create_invitation: Limit::per_hour(250),
            bulk_create_invitations: Limit::per_hour(50),
            mode: LimitMode::Wait,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

impl RateLimits {
    /// No client-side limits at all; Clerk's 429s are still handled by the retry policy.
    pub fn none() -> Self {
        Self {
            all_requests: AllRequests::Custom(None),
            create_invitation: None,
            bulk_create_invitations: None,
            mode: LimitMode::Wait,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// The budget every request draws from; `None` removes it. The default depends on the key:
    /// 100 per 10 s for `sk_test_` keys, 1000 per 10 s for `sk_live_` keys.
    pub fn all_requests(mut self, limit: Option<Limit>) -> Self {
        self.all_requests = AllRequests::Custom(limit);
        self
    }

    /// The budget of single creates (default 250 per hour); `None` removes it.
    pub fn create_invitation(mut self, limit: Option<Limit>) -> Self {
        self.create_invitation = limit;
        self
    }

    /// The budget of bulk creates (default 50 per hour); `None` removes it.
    pub fn bulk_create_invitations(mut self, limit: Option<Limit>) -> Self {
        self.bulk_create_invitations = limit;
        self
    }

    /// Wait for the budget (default) or fail at once.
    pub fn mode(mut self, mode: LimitMode) -> Self {
        self.mode = mode;
        self
    }

    /// The longest a budget waits (default [`DEFAULT_MAX_WAIT`], one hour). A 429 pauses its
    /// budget for at most this long, whatever its `Retry-After` says, and a call whose budget
    /// would make it wait longer fails at once with [`crate::Error::BudgetExhausted`] instead of
    /// sleeping. `invite_all` stops sending on a budget that Clerk closes for longer.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// The global budget for a kind of key: Clerk's default for it unless overridden.
    pub fn all_requests_for(&self, key_kind: KeyKind) -> Option<Limit> {
        match (self.all_requests, key_kind) {
            (AllRequests::Custom(limit), _) => limit,
            (AllRequests::ForKey, KeyKind::Live) => Limit::new(LIVE_KEY_LIMIT, GLOBAL_WINDOW),
            // Development keys, and anything unrecognised: the stricter limit is the safe guess.
            (AllRequests::ForKey, _) => Limit::new(TEST_KEY_LIMIT, GLOBAL_WINDOW),
        }
    }

    /// The budget of single creates.
    pub fn get_create_invitation(&self) -> Option<Limit> {
        self.create_invitation
    }

    /// The budget of bulk creates.
    pub fn get_bulk_create_invitations(&self) -> Option<Limit> {
        self.bulk_create_invitations
    }

    /// Wait or fail fast.
    pub fn get_mode(&self) -> LimitMode {
        self.mode
    }
}

/// Which of Clerk's budgets a request draws from besides the global one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Budget {
    /// Every request.
    AllRequests,
    /// Single invitation creates.
    CreateInvitation,
    /// Bulk invitation creates.
    BulkCreateInvitations,
}

impl Budget {
    /// A short name for messages and `tracing`, e.g. `bulk_create_invitations`.
    pub fn as_str(self) -> &'static str {
        match self {
            Budget::AllRequests => "all_requests",
            Budget::CreateInvitation => "create_invitation",
            Budget::BulkCreateInvitations => "bulk_create_invitations",
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A call refused by the client's own budget in [`LimitMode::FailFast`]; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "client-side rate limit: the {budget} budget is spent, nothing was sent; retry in {}",
    crate::rate_limit::seconds(*retry_after)
)]
pub struct BudgetExhausted {
    budget: Budget,
    retry_after: Duration,
}

impl BudgetExhausted {
    /// A refusal by `budget`, allowed again after `retry_after` (also used by the shared budgets).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn new(budget: Budget, retry_after: Duration) -> Self {
        Self {
            budget,
            retry_after,
        }
    }

    /// The budget that is spent.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// How long until the budget allows the call.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

/// `1.5 s`-style rendering for messages.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// Adapts the client's [`Clock`] to governor's: instants are durations since the clock's origin.
#[derive(Debug, Clone)]
struct ClockForGovernor(SharedClock);

impl GovernorClock for ClockForGovernor {
    type Instant = Duration;

    fn now(&self) -> Duration {
        self.0.now()
    }
}

type Gcra = RateLimiter<NotKeyed, InMemoryState, ClockForGovernor, NoOpMiddleware<Duration>>;

/// One budget: a GCRA limiter plus what Clerk's 429s taught us.
struct Bucket {
    budget: Budget,
    limit: Limit,
    gcra: Gcra,
    /// Clock time (nanoseconds) before which Clerk said no; 0 when not blocked.
    blocked_until_nanos: AtomicU64,
    /// Set by a 429: when the block ends, resume at the steady rate rather than bursting.
    resume_steady: AtomicBool,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("budget", &self.budget)
            .field("limit", &self.limit)
            .field(
                "blocked_until",
                &Duration::from_nanos(self.blocked_until_nanos.load(Ordering::Acquire)),
            )
            .finish_non_exhaustive()
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Bucket {
    fn new(budget: Budget, limit: Limit, clock: &SharedClock) -> Self {
        Self {
            budget,
            limit,
            gcra: RateLimiter::direct_with_clock(limit.quota(), ClockForGovernor(clock.clone())),
            blocked_until_nanos: AtomicU64::new(0),
            resume_steady: AtomicBool::new(false),
        }
    }

    /// Takes one request from the budget, or says how long until it could.
    fn try_take(&self, now: Duration) -> Result<(), Duration> {
        let blocked_until = Duration::from_nanos(self.blocked_until_nanos.load(Ordering::Acquire));
        if now < blocked_until {
            return Err(blocked_until - now);
        }
        if self.resume_steady.swap(false, Ordering::AcqRel) {
            // Empty the budget (whatever refilled during the block) and let this request have
            // the last cell: from here on requests are spaced by the steady interval.
            let mut took_any = false;
            while self.gcra.check().is_ok() {
                took_any = true;
            }
            if took_any {
                return Ok(());
            }
        }
        self.gcra
            .check()
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Clerk answered 429: nothing more until `retry_after` has passed.
    fn block_for(&self, now: Duration, retry_after: Duration) {
        let until = nanos(now.saturating_add(retry_after));
        self.blocked_until_nanos.fetch_max(until, Ordering::AcqRel);
        self.resume_steady.store(true, Ordering::Release);
    }
}

/// The budgets of one client, shared by its clones.
#[derive(Debug)]
pub(crate) struct ClientLimiter {
    clock: SharedClock,
    mode: LimitMode,
    max_wait: Duration,
    all_requests: Option<Bucket>,
    create_invitation: Option<Bucket>,
    bulk_create_invitations: Option<Bucket>,
}

/// The handle a client keeps.
pub(crate) type SharedLimiter = Arc<ClientLimiter>;

impl ClientLimiter {
    pub(crate) fn new(limits: &RateLimits, key_kind: KeyKind, clock: SharedClock) -> Self {
        let bucket = |budget, limit: Option<Limit>| limit.map(|l| Bucket::new(budget, l, &clock));
        Self {
            mode: limits.mode,
            max_wait: limits.max_wait,
            all_requests: bucket(Budget::AllRequests, limits.all_requests_for(key_kind)),
            create_invitation: bucket(Budget::CreateInvitation, limits.create_invitation),
            bulk_create_invitations: bucket(
                Budget::BulkCreateInvitations,
                limits.bulk_create_invitations,
            ),
            clock,
        }
    }

    /// The configured mode.
    pub(crate) fn mode(&self) -> LimitMode {
        self.mode
    }

    /// The longest any budget makes a call wait.
    pub(crate) fn max_wait(&self) -> Duration {
        self.max_wait
    }

    fn route_bucket(&self, budget: Option<Budget>) -> Option<&Bucket> {
        match budget? {
            Budget::CreateInvitation => self.create_invitation.as_ref(),
            Budget::BulkCreateInvitations => self.bulk_create_invitations.as_ref(),
            Budget::AllRequests => None,
        }
    }

    /// Whether a request drawing from `route` has any budget to take from; with
    /// `RateLimits::none()` it has not, and [`acquire`](Self::acquire) would return at once.
    pub(crate) fn limits(&self, route: Option<Budget>) -> bool {
        self.route_bucket(route).is_some() || self.all_requests.is_some()
    }

    /// Takes one request from the route's budget (if any) and the global one, waiting or failing
    /// as `mode` says. The route's budget goes first: it is the scarce one, and a request that
    /// got it will not wait long for the global one.
    pub(crate) async fn acquire(
        &self,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<(), BudgetExhausted> {
        for bucket in [self.route_bucket(route), self.all_requests.as_ref()]
            .into_iter()
            .flatten()
        {
            loop {
                let now = self.clock.now();
                match bucket.try_take(now) {
                    Ok(()) => break,
                    // Never sleep past the cap: say when instead, and let the caller decide.
                    Err(wait) if mode == LimitMode::FailFast || wait > self.max_wait => {
                        return Err(BudgetExhausted {
                            budget: bucket.budget,
                            retry_after: wait,
                        });
                    }
                    Err(wait) => {
                        tracing::debug!(
                            budget = bucket.budget.as_str(),
                            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                            "waiting for the client-side rate limit"
                        );
                        self.clock.sleep(wait).await;
                    }
                }
            }
        }
        Ok(())
    }

    /// Clerk answered 429 to a request that drew from `route`: block the most specific budget
    /// the request used (Clerk does not say which limit it hit, and blocking the global budget
    /// for an hour-long bulk wait would stall every read) until `retry_after` has passed.
    pub(crate) fn rate_limited(&self, route: Option<Budget>, retry_after: Option<Duration>) {
        let Some(bucket) = self.route_bucket(route).or(self.all_requests.as_ref()) else {
            return;
        };
        // Without a hint, one steady interval is the least that can make a difference; and no
        // answer, however absurd its `Retry-After`, closes a budget for longer than the cap.
        let wait = retry_after
            .unwrap_or_else(|| bucket.limit.interval())
            .min(self.max_wait);
        tracing::debug!(
            budget = bucket.budget.as_str(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            "Clerk answered 429; pausing the budget"
        );
        bucket.block_for(self.clock.now(), wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn limiter(limits: RateLimits, key: KeyKind) -> (Arc<ManualClock>, ClientLimiter) {
        let clock = Arc::new(ManualClock::default());
        let limiter = ClientLimiter::new(&limits, key, clock.clone());
        (clock, limiter)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    const BULK: Option<Budget> = Some(Budget::BulkCreateInvitations);

    #[test]
    fn global_budget_follows_the_key_kind() {
        let limits = RateLimits::default();
        let test = limits.all_requests_for(KeyKind::Test).unwrap();
        let live = limits.all_requests_for(KeyKind::Live).unwrap();
        assert_eq!(
            (test.requests(), test.window()),
            (100, Duration::from_secs(10))
        );
        assert_eq!(
            (live.requests(), live.window()),
            (1000, Duration::from_secs(10))
        );
        let custom = limits.all_requests(Limit::new(7, Duration::from_secs(1)));
        assert_eq!(
            custom.all_requests_for(KeyKind::Live).unwrap().requests(),
            7
        );
        assert_eq!(RateLimits::none().all_requests_for(KeyKind::Live), None);
        assert_eq!(Limit::new(0, Duration::from_secs(1)), None);
        assert_eq!(Limit::new(1, Duration::ZERO), None);
    }

    #[test]
    fn fail_fast_says_when_to_retry() {
        let (clock, limiter) = limiter(RateLimits::default(), KeyKind::Test);
        block_on(async {
            for _ in 0..50 {
                limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            }
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), Budget::BulkCreateInvitations);
            assert_eq!(refused.retry_after(), Duration::from_secs(72));
            clock.advance(Duration::from_secs(72));
            limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
        });
    }

    #[test]
    fn waiting_moves_the_clock_by_exactly_the_steady_interval() {
        let (clock, limiter) = limiter(RateLimits::default(), KeyKind::Test);
        block_on(async {
            for _ in 0..60 {
                limiter.acquire(BULK, LimitMode::Wait).await.unwrap();
            }
        });
        // 50 at once, then 10 more at 72 s each.
        assert_eq!(clock.now(), Duration::from_secs(720));
    }

    #[test]
    fn the_global_budget_applies_to_every_route() {
        let limits = RateLimits::default().all_requests(Limit::new(2, Duration::from_secs(10)));
        let (_clock, limiter) = limiter(limits, KeyKind::Test);
        block_on(async {
            limiter.acquire(None, LimitMode::FailFast).await.unwrap();
            limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            let refused = limiter
                .acquire(Some(Budget::CreateInvitation), LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), Budget::AllRequests);
            assert_eq!(refused.retry_after(), Duration::from_secs(5));
        });
    }

    #[test]
    fn a_429_blocks_the_budget_then_it_resumes_at_the_steady_rate() {
        let (clock, limiter) = limiter(RateLimits::default(), KeyKind::Test);
        block_on(async {
            limiter.acquire(BULK, LimitMode::Wait).await.unwrap();
            limiter.rate_limited(BULK, Some(Duration::from_secs(3528)));
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), Duration::from_secs(3528));
            // Other routes are not blocked by a bulk 429.
            limiter.acquire(None, LimitMode::FailFast).await.unwrap();

            limiter.acquire(BULK, LimitMode::Wait).await.unwrap();
            assert_eq!(clock.now(), Duration::from_secs(3528));
            // The budget refilled during the block, but no burst follows: 72 s apart.
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), Duration::from_secs(72));
        });
    }

    #[test]
    fn a_429_on_a_plain_read_blocks_the_global_budget() {
        let (_clock, limiter) = limiter(RateLimits::default(), KeyKind::Test);
        block_on(async {
            limiter.rate_limited(None, Some(Duration::from_secs(3)));
            let refused = limiter
                .acquire(None, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), Budget::AllRequests);
            assert_eq!(refused.retry_after(), Duration::from_secs(3));
        });
    }

    #[test]
    fn no_limits_never_wait() {
        let (clock, limiter) = limiter(RateLimits::none(), KeyKind::Test);
        block_on(async {
            for _ in 0..10_000 {
                limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            }
            limiter.rate_limited(BULK, Some(Duration::from_secs(60)));
        });
        assert_eq!(clock.now(), Duration::ZERO);
    }
}
