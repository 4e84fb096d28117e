//! Client-side rate limiting: staying inside Clerk's budgets instead of bouncing off them.
//!
//! Clerk limits each instance to 250 invitation creates per hour, 50 bulk creates per hour and
//! 100 requests per 10 s in total for `sk_test_` keys (1000 for `sk_live_` keys), and answers
//! 429 beyond that. A [`Client`](crate::Client) keeps one budget per limit, shared by all its
//! clones, and draws from the route's budget and the global one before each attempt. When a
//! budget is spent the call waits ([`LimitMode::Wait`], the default) or fails at once with an
//! error that says when to retry ([`LimitMode::FailFast`]).
//!
//! Each budget is a sliding-window log on the client's [`Clock`]: a request is let through when
//! fewer than `requests` went out in the `window` before it, so no window of that length, however
//! it is aligned, ever holds more than `requests`. Clerk does not say how its windows are counted,
//! and this is the one rule that fits all of them (`clerk-fake` counts fixed windows): a full
//! budget still allows a burst of `requests` at once.
//!
//! An earlier version used GCRA limiters (`governor`): they refill one request per
//! `window / requests` after a burst, so a fixed window of Clerk's could see up to
//! `2 × requests − 1` and answer 429. The simulator (`clerk-sim`, seed 157) found it with no fault
//! at all. The log costs one short lock and at most `requests` timestamps per budget.
//!
//! A 429 is still the ground truth (another process may share the instance): the budget the
//! request drew from is blocked until `Retry-After` has passed (never longer than
//! [`RateLimits::max_wait`]).

use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::clock::SharedClock;
use crate::error::BudgetExhausted;
use crate::models::{Budget, KeyKind};

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

    /// The budget of single creates (set with [`create_invitation`](Self::create_invitation)).
    pub fn create_invitation_limit(&self) -> Option<Limit> {
        self.create_invitation
    }

    /// The budget of bulk creates (set with
    /// [`bulk_create_invitations`](Self::bulk_create_invitations)).
    pub fn bulk_create_invitations_limit(&self) -> Option<Limit> {
        self.bulk_create_invitations
    }

    /// Wait or fail fast (set with [`mode`](Self::mode)).
    pub fn limit_mode(&self) -> LimitMode {
        self.mode
    }

    /// The budget of single creates.
    #[deprecated(
        since = "0.1.0",
        note = "renamed to `create_invitation_limit` (no `get_` prefix)"
    )]
    pub fn get_create_invitation(&self) -> Option<Limit> {
        self.create_invitation_limit()
    }

    /// The budget of bulk creates.
    #[deprecated(
        since = "0.1.0",
        note = "renamed to `bulk_create_invitations_limit` (no `get_` prefix)"
    )]
    pub fn get_bulk_create_invitations(&self) -> Option<Limit> {
        self.bulk_create_invitations_limit()
    }

    /// Wait or fail fast.
    #[deprecated(since = "0.1.0", note = "renamed to `limit_mode` (no `get_` prefix)")]
    pub fn get_mode(&self) -> LimitMode {
        self.limit_mode()
    }
}

/// One budget: the send times of its last window, plus what Clerk's 429s taught us.
struct Bucket {
    budget: Budget,
    limit: Limit,
    /// When the requests of the last `limit.window()` went out, oldest first; never more than
    /// `limit.requests()` of them.
    sent: Mutex<VecDeque<Duration>>,
    /// Clock time (nanoseconds) before which Clerk said no; 0 when not blocked.
    blocked_until_nanos: AtomicU64,
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
    fn new(budget: Budget, limit: Limit) -> Self {
        // Room for the whole window up front, within reason: a huge custom limit grows as used.
        let capacity = usize::try_from(limit.requests()).map_or(1024, |n| n.min(1024));
        Self {
            budget,
            limit,
            sent: Mutex::new(VecDeque::with_capacity(capacity)),
            blocked_until_nanos: AtomicU64::new(0),
        }
    }

    /// How long until this budget could take a request at `now` (zero: it can), given its log.
    fn wait(&self, sent: &mut VecDeque<Duration>, now: Duration) -> Duration {
        let blocked_until = Duration::from_nanos(self.blocked_until_nanos.load(Ordering::Acquire));
        if now < blocked_until {
            return blocked_until - now;
        }
        let window = self.limit.window();
        while sent
            .front()
            .is_some_and(|&oldest| oldest.saturating_add(window) <= now)
        {
            sent.pop_front();
        }
        let allowed = usize::try_from(self.limit.requests()).unwrap_or(usize::MAX);
        match sent.front() {
            Some(&oldest) if sent.len() >= allowed => {
                oldest.saturating_add(window).saturating_sub(now)
            }
            _ => Duration::ZERO,
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, VecDeque<Duration>> {
        // A panic elsewhere cannot leave the log inconsistent: it is only ever pushed or popped.
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes one request from every budget in `buckets` at `now`, or from none of them: a request
/// the global budget turns away must not spend the route's (an hour of a bulk slot). On refusal,
/// the budget that makes it wait longest, and how long. Allocates nothing: it runs before every
/// request.
fn take_all(buckets: [Option<&Bucket>; 2], now: Duration) -> Result<(), (Budget, Duration)> {
    // Locked in one fixed order (route, then global), so two callers cannot deadlock.
    let mut logs = buckets.map(|bucket| bucket.map(|bucket| (bucket, bucket.log())));
    let mut longest: Option<(Budget, Duration)> = None;
    for (bucket, log) in logs.iter_mut().flatten() {
        let wait = bucket.wait(log, now);
        if !wait.is_zero() && longest.is_none_or(|(_, longest)| wait > longest) {
            longest = Some((bucket.budget, wait));
        }
    }
    if let Some(refusal) = longest {
        return Err(refusal);
    }
    for (_, log) in logs.iter_mut().flatten() {
        log.push_back(now);
    }
    Ok(())
}

impl Bucket {
    /// Clerk answered 429: nothing more until `retry_after` has passed.
    fn block_for(&self, now: Duration, retry_after: Duration) {
        let until = nanos(now.saturating_add(retry_after));
        self.blocked_until_nanos.fetch_max(until, Ordering::AcqRel);
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
        let bucket = |budget, limit: Option<Limit>| limit.map(|l| Bucket::new(budget, l));
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

    /// Takes one request from the route's budget (if any) and the global one, both or neither,
    /// waiting or failing as `mode` says.
    pub(crate) async fn acquire(
        &self,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<(), BudgetExhausted> {
        let buckets = [self.route_bucket(route), self.all_requests.as_ref()];
        loop {
            match take_all(buckets, self.clock.now()) {
                Ok(()) => return Ok(()),
                // Never sleep past the cap: say when instead, and let the caller decide.
                Err((budget, wait)) if mode == LimitMode::FailFast || wait > self.max_wait => {
                    return Err(BudgetExhausted {
                        budget,
                        retry_after: wait,
                    });
                }
                Err((budget, wait)) => {
                    tracing::debug!(
                        budget = budget.as_str(),
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        "waiting for the client-side rate limit"
                    );
                    self.clock.sleep(wait).await;
                }
            }
        }
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
    use crate::policy::clock::{Clock, ManualClock};

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
            // The first of the 50 leaves the window an hour after it went out.
            assert_eq!(refused.retry_after(), Duration::from_secs(3600));
            clock.advance(Duration::from_secs(3599));
            assert!(limiter.acquire(BULK, LimitMode::FailFast).await.is_err());
            clock.advance(Duration::from_secs(1));
            limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
        });
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        let (clock, limiter) = limiter(RateLimits::default(), KeyKind::Test);
        let mut sent = Vec::new();
        block_on(async {
            for n in 0..160 {
                limiter.acquire(BULK, LimitMode::Wait).await.unwrap();
                sent.push(clock.now());
                // Some time between calls, so the sends do not all fall on window edges.
                clock.advance(Duration::from_secs(n % 7 * 13));
            }
        });
        // 50 at once, then each send waits for the one 50 before it to leave the window.
        for (n, at) in sent.iter().enumerate().skip(50) {
            assert!(
                *at >= sent[n - 50] + Duration::from_secs(3600),
                "send {n} at {at:?}"
            );
        }
        // So any window of an hour, wherever it starts, holds at most 50.
        for start in &sent {
            let in_window = sent
                .iter()
                .filter(|at| *at >= start && **at < *start + Duration::from_secs(3600))
                .count();
            assert!(in_window <= 50, "{in_window} from {start:?}");
        }
    }

    #[test]
    fn the_global_budget_applies_to_every_route() {
        let limits = RateLimits::default()
            .all_requests(Limit::new(2, Duration::from_secs(10)))
            .create_invitation(Limit::per_hour(1));
        let (clock, limiter) = limiter(limits, KeyKind::Test);
        let create = Some(Budget::CreateInvitation);
        block_on(async {
            limiter.acquire(None, LimitMode::FailFast).await.unwrap();
            limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            let refused = limiter
                .acquire(create, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), Budget::AllRequests);
            assert_eq!(refused.retry_after(), Duration::from_secs(10));
            // The refused create did not spend the hour's only create.
            clock.advance(Duration::from_secs(10));
            limiter.acquire(create, LimitMode::FailFast).await.unwrap();
            let refused = limiter
                .acquire(create, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), Budget::CreateInvitation);
        });
    }

    #[test]
    fn a_429_blocks_the_budget_until_retry_after() {
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
            // After the block, the window decides again: two calls in the last hour, 48 left.
            for _ in 0..48 {
                limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            }
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
