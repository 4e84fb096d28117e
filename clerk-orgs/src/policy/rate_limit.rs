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
//! fewer than `requests` went out in the `window` plus the [headroom](RateLimits::headroom)
//! before it. Clerk does not say how its windows are counted, and this is the one rule that fits
//! all of them (`clerk-fake` counts fixed windows): a full budget still allows a burst of
//! `requests` at once.
//!
//! **Headroom.** What Clerk counts is arrivals, and a request arrives some time after its budget
//! let it go: a few milliseconds on loopback, more over the internet, and never the same twice.
//! A budget that counted admissions over exactly the window would, when full, let the next
//! request go at the very moment the oldest leaves the window; if that one reaches Clerk a
//! little faster than the oldest did, Clerk sees `requests + 1` within one of its windows. So an
//! admission counts for `window + headroom` ([`RateLimits::headroom_for`]: by default 50 ms or a
//! thousandth of the window, whichever is longer): as long as arrival delays vary by less than
//! the headroom, no window of Clerk's, sliding or fixed, sees more than `requests`. The cost is
//! paid only by a budget kept full: it then admits `requests` per `window + headroom` instead of
//! per `window`, 0.5 % less for the 10 s global budget and 0.1 % less for the hourly ones
//! (`BENCHMARKS.md`, fleet, has the measurement).
//!
//! **The fleet's share.** With shared budgets (feature `redis`) the in-process budgets are the
//! fallback when Redis cannot answer: a process then paces at its share of each budget (the
//! budget divided among the processes Redis last showed), starting from what it has spent. See
//! [`crate::fleet`].
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
    /// A fixed headroom for every budget; `None`: [`DEFAULT_HEADROOM`] or a thousandth of the
    /// window, whichever is longer.
    headroom: Option<Duration>,
}

/// The default [`RateLimits::max_wait`]: Clerk's longest window. A `Retry-After` past it is not
/// a window reopening but a broken answer, and waiting it out would hang the caller.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);

/// The least headroom a budget gets by default (see [`RateLimits::headroom_for`]): 50 ms, past
/// the spread of admission-to-arrival delays measured on loopback with four processes sharing
/// budgets on a busy machine (p99.9 8 ms, one stall of 115 ms in about 27,000 calls;
/// `BENCHMARKS.md`, fleet), and 0.5 % of Clerk's shortest window (10 s).
pub const DEFAULT_HEADROOM: Duration = Duration::from_millis(50);

/// By default a budget's headroom is at least this fraction of its window: 3.6 s for an hourly
/// budget, room for new connections to Clerk over any network at a cost of 0.1 %.
const DEFAULT_HEADROOM_PER_WINDOW: u32 = 1000;

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
            headroom: None,
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
            headroom: None,
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

    /// The longest a budget waits (default [`DEFAULT_MAX_WAIT`], one hour), plus the budget's
    /// [headroom](Self::headroom_for) when the wait is for its own window (so a full hourly
    /// budget still waits for its turn). A 429 pauses its budget for at most this long, whatever
    /// its `Retry-After` says, and a call whose budget would make it wait longer fails at once
    /// with [`crate::Error::BudgetExhausted`] instead of sleeping. `invite_all` stops sending on
    /// a budget that Clerk closes for longer.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// How much longer than its window each request counts against every budget: room for
    /// requests to take different times to reach Clerk, so that a full budget's next request,
    /// let go as the oldest leaves the window, still arrives after the oldest's arrival has left
    /// Clerk's window. By default a budget gets [`DEFAULT_HEADROOM`] (50 ms) or a thousandth of
    /// its window, whichever is longer ([`headroom_for`](Self::headroom_for)). Set it to at
    /// least the spread of your requests' travel times to Clerk (slowest minus fastest, new
    /// connections included); `Duration::ZERO` counts the bare window. A full budget admits
    /// `requests` per `window + headroom`.
    pub fn headroom(mut self, headroom: Duration) -> Self {
        self.headroom = Some(headroom);
        self
    }

    /// The headroom of a budget of `limit`: the one set with [`headroom`](Self::headroom), or
    /// else [`DEFAULT_HEADROOM`] or a thousandth of the window, whichever is longer (50 ms for
    /// the 10 s global budget, 3.6 s for the hourly ones).
    pub fn headroom_for(&self, limit: Limit) -> Duration {
        self.headroom
            .unwrap_or_else(|| DEFAULT_HEADROOM.max(limit.window() / DEFAULT_HEADROOM_PER_WINDOW))
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

/// One budget's fleet, as the shared budgets last showed it (feature `redis`).
#[cfg(feature = "redis")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FleetSeen {
    /// Processes that asked for the budget lately, this one included.
    pub(crate) processes: u32,
    /// Admissions in the shared log within the window, this process's included.
    pub(crate) logged: u32,
}

/// What this process knows of the rest of the fleet for one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FleetView {
    /// Processes sharing the budget, this one included (at least 1).
    processes: u32,
    /// The other processes' admissions still in the window when last seen. They were made no
    /// later than `seen_at`, so counting them until `seen_at` + the window never undercounts.
    others: u32,
    seen_at: Duration,
}

/// What one process may take of a budget when it paces on its own (Redis unavailable, or
/// rejoining after an outage): `requests` within any `span`.
#[cfg(feature = "redis")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Share {
    /// Processes the budget is shared by, as last seen (1 when alone or never seen).
    pub(crate) processes: u32,
    /// Requests this process takes per `window`.
    pub(crate) requests: u32,
    /// The limit's window, or a multiple of it when the fleet outnumbers the limit's requests.
    pub(crate) window: Duration,
}

/// One budget: this process's admissions of the last window, what Clerk's 429s taught us, and
/// what the shared budgets showed of the fleet.
struct Bucket {
    budget: Budget,
    limit: Limit,
    /// How long an admission counts: the window plus the headroom.
    span: Duration,
    headroom: Duration,
    log: Mutex<Log>,
    /// Clock time (nanoseconds) before which Clerk said no; 0 when not blocked.
    blocked_until_nanos: AtomicU64,
}

#[derive(Debug, Default)]
struct Log {
    /// When this process's requests of the last span went out (admitted here or by the shared
    /// budgets), oldest first.
    sent: VecDeque<Duration>,
    /// The fleet as the shared budgets last showed it; `None` without them (or before their
    /// first answer): the whole budget is this process's.
    fleet: Option<FleetView>,
    /// The shared budgets could not be consulted since they last answered.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    outage: bool,
    /// Until when admissions by the shared budgets also take this process's share: after an
    /// outage, until every admission made without Redis (here or elsewhere) has left the window.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    rejoin_until: Option<Duration>,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("budget", &self.budget)
            .field("limit", &self.limit)
            .field("headroom", &self.headroom)
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

fn count(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

impl Log {
    /// This process's admissions that still count at `at` within `span`.
    fn counted(&self, at: Duration, span: Duration) -> usize {
        let gone = self
            .sent
            .partition_point(|&sent| sent.saturating_add(span) <= at);
        self.sent.len() - gone
    }

    /// The first time from `at` on when fewer than `requests` of this process's admissions
    /// count within `span`; `None` when `requests` is zero.
    fn free_from(&self, at: Duration, requests: u32, span: Duration) -> Option<Duration> {
        let requests = count(requests);
        if requests == 0 {
            return None;
        }
        if self.counted(at, span) < requests {
            return Some(at);
        }
        // The admission whose leaving brings the count under `requests`.
        let leaving = self.sent[self.sent.len() - requests];
        Some(leaving.saturating_add(span))
    }

    /// Logs an admission at `at`, in time order (two callers may read the clock in one order
    /// and take the lock in the other).
    fn insert(&mut self, at: Duration) {
        let position = self.sent.partition_point(|&sent| sent <= at);
        self.sent.insert(position, at);
    }

    /// Forgets one admission logged at `at`.
    #[cfg(feature = "redis")]
    fn remove(&mut self, at: Duration) {
        if let Some(position) = self.sent.iter().rposition(|&sent| sent == at) {
            self.sent.remove(position);
        }
    }
}

impl Bucket {
    fn new(budget: Budget, limit: Limit, headroom: Duration) -> Self {
        // Room for the whole window up front, within reason: a huge custom limit grows as used.
        let capacity = count(limit.requests()).min(1024);
        Self {
            budget,
            limit,
            span: limit.window().saturating_add(headroom),
            headroom,
            log: Mutex::new(Log {
                sent: VecDeque::with_capacity(capacity),
                ..Log::default()
            }),
            blocked_until_nanos: AtomicU64::new(0),
        }
    }

    /// This process's share at `at` given what it knows of the fleet: with `k` processes and
    /// others' admissions `o` still in the window, `⌊(requests − o) / k⌋` per span. Each process
    /// keeping to that, the fleet together never exceeds `requests` (see `crate::fleet`). With
    /// more processes than requests, one per `⌈k / requests⌉` windows.
    fn share(&self, fleet: Option<&FleetView>, at: Duration) -> (u32, Duration) {
        let requests = self.limit.requests();
        let Some(view) = fleet else {
            return (requests, self.span);
        };
        let processes = view.processes.max(1);
        let others = if at < view.seen_at.saturating_add(self.span) {
            view.others.min(requests)
        } else {
            0
        };
        if processes <= requests {
            ((requests - others) / processes, self.span)
        } else {
            let windows = processes.div_ceil(requests);
            let span = self
                .limit
                .window()
                .saturating_mul(windows)
                .saturating_add(self.headroom);
            (u32::from(others == 0), span)
        }
    }

    /// How long until this budget could take a request at `now` (zero: it can), given its log.
    fn wait(&self, log: &mut Log, now: Duration) -> Duration {
        let blocked_until = Duration::from_nanos(self.blocked_until_nanos.load(Ordering::Acquire));
        if now < blocked_until {
            return blocked_until - now;
        }
        let (requests, span) = self.share(log.fleet.as_ref(), now);
        self.forget_old(log, now);
        let soonest = log.free_from(now, requests, span);
        if soonest == Some(now) {
            return Duration::ZERO;
        }
        // The others' admissions leave the window together (as counted): the share grows then.
        let when_others_leave = log.fleet.and_then(|view| {
            let leave = view.seen_at.saturating_add(self.span);
            if leave <= now || view.others == 0 {
                return None;
            }
            let (requests, span) = self.share(Some(&view), leave);
            log.free_from(leave, requests, span)
        });
        let at = match (soonest, when_others_leave) {
            (Some(a), Some(b)) => a.min(b),
            (Some(at), None) | (None, Some(at)) => at,
            // Not reachable (a share without others is at least one), but never "now".
            (None, None) => now.saturating_add(span),
        };
        at.saturating_sub(now).max(Duration::from_nanos(1))
    }

    /// Drops the admissions that count for no rule any more at `now`, so the log holds at most
    /// a window's worth (also when the shared budgets do the admitting).
    fn forget_old(&self, log: &mut Log, now: Duration) {
        let keep = self.share(log.fleet.as_ref(), now).1.max(self.span);
        while log
            .sent
            .front()
            .is_some_and(|&oldest| oldest.saturating_add(keep) <= now)
        {
            log.sent.pop_front();
        }
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        // A panic elsewhere cannot leave the log inconsistent: each change is one push or pop.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Takes one request from every budget in `buckets` at `now`, or from none of them: a request
/// the global budget turns away must not spend the route's (an hour of a bulk slot). On refusal,
/// the budget that makes it wait longest, how long, and its headroom. Allocates nothing: it
/// runs before every request.
fn take_all(
    buckets: [Option<&Bucket>; 2],
    now: Duration,
) -> Result<(), (Budget, Duration, Duration)> {
    // Locked in one fixed order (route, then global), so two callers cannot deadlock.
    let mut logs = buckets.map(|bucket| bucket.map(|bucket| (bucket, bucket.log())));
    let mut longest: Option<(Budget, Duration, Duration)> = None;
    for (bucket, log) in logs.iter_mut().flatten() {
        let wait = bucket.wait(log, now);
        if !wait.is_zero() && longest.is_none_or(|(_, longest, _)| wait > longest) {
            longest = Some((bucket.budget, wait, bucket.headroom));
        }
    }
    if let Some(refusal) = longest {
        return Err(refusal);
    }
    for (_, log) in logs.iter_mut().flatten() {
        log.insert(now);
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
        let bucket = |budget, limit: Option<Limit>| {
            limit.map(|l| Bucket::new(budget, l, limits.headroom_for(l)))
        };
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

    /// The budgets a request drawing from `route` takes from: the route's, then the global one.
    fn buckets(&self, route: Option<Budget>) -> [Option<&Bucket>; 2] {
        [self.route_bucket(route), self.all_requests.as_ref()]
    }

    /// Takes one request from the route's budget (if any) and the global one, both or neither,
    /// waiting or failing as `mode` says; returns the clock's time it was taken at.
    pub(crate) async fn acquire(
        &self,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<Duration, BudgetExhausted> {
        let buckets = self.buckets(route);
        loop {
            let now = self.clock.now();
            match take_all(buckets, now) {
                Ok(()) => return Ok(now),
                // Never sleep past the cap (and the budget's headroom, so that a full budget of
                // the longest window still waits for its turn): say when instead, and let the
                // caller decide.
                Err((budget, wait, headroom))
                    if mode == LimitMode::FailFast
                        || wait > self.max_wait.saturating_add(headroom) =>
                {
                    return Err(BudgetExhausted {
                        budget,
                        retry_after: wait,
                    });
                }
                Err((budget, wait, _)) => {
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

/// What the shared budgets (feature `redis`) tell the in-process ones, so that without Redis a
/// process paces at its share of each budget, starting from what it has spent.
#[cfg(feature = "redis")]
impl ClientLimiter {
    /// The client's clock.
    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    fn bucket(&self, budget: Budget) -> Option<&Bucket> {
        match budget {
            Budget::AllRequests => self.all_requests.as_ref(),
            other => self.route_bucket(Some(other)),
        }
    }

    /// The shared budgets admitted a request drawing from `route` at `at`: this process spent it.
    pub(crate) fn record(&self, route: Option<Budget>, at: Duration) {
        for bucket in self.buckets(route).into_iter().flatten() {
            let mut log = bucket.log();
            bucket.forget_old(&mut log, at);
            log.insert(at);
        }
    }

    /// Forgets an admission [`acquire`](Self::acquire) made at `at` (the shared budgets then
    /// refused the request), or moves it to `to` (they admitted it later).
    pub(crate) fn retime(&self, route: Option<Budget>, at: Duration, to: Option<Duration>) {
        for bucket in self.buckets(route).into_iter().flatten() {
            let mut log = bucket.log();
            log.remove(at);
            if let Some(to) = to {
                bucket.forget_old(&mut log, to);
                log.insert(to);
            }
        }
    }

    /// The shared budgets could not be consulted for a request drawing from `route`. Returns
    /// the budgets for which this begins an outage.
    pub(crate) fn outage(&self, route: Option<Budget>) -> [Option<Budget>; 2] {
        self.buckets(route).map(|bucket| {
            let bucket = bucket?;
            let mut log = bucket.log();
            (!std::mem::replace(&mut log.outage, true)).then_some(bucket.budget)
        })
    }

    /// Whether requests drawing from `route` must take this process's share first: Redis could
    /// not be consulted since it last answered, or it answers again after an outage and
    /// admissions made without it may still be in the window.
    pub(crate) fn rejoining(&self, route: Option<Budget>) -> bool {
        let now = self.clock.now();
        self.buckets(route).into_iter().flatten().any(|bucket| {
            let log = bucket.log();
            log.outage || log.rejoin_until.is_some_and(|until| now < until)
        })
    }

    /// The shared budgets answered for `budget` and showed `seen`. After an outage, the process
    /// keeps to its share for the budget's span plus `rejoin_for` (how long another process
    /// may go on without Redis after it answers again), so that every admission made without
    /// Redis has left the window before Redis alone decides. Meanwhile the fleet it knew from
    /// before the outage stands (a Redis that restarted empty has forgotten it); what Redis now
    /// shows of the others is left aside, as they keep to their shares too. Returns whether
    /// this answer ends an outage.
    pub(crate) fn observe(&self, budget: Budget, seen: FleetSeen, rejoin_for: Duration) -> bool {
        let Some(bucket) = self.bucket(budget) else {
            return false;
        };
        let now = self.clock.now();
        let mut log = bucket.log();
        let rejoined = std::mem::replace(&mut log.outage, false);
        if rejoined {
            log.rejoin_until = Some(now.saturating_add(bucket.span).saturating_add(rejoin_for));
        }
        let rejoining = log.rejoin_until.is_some_and(|until| now < until);
        let view = match log.fleet {
            Some(before) if rejoining => FleetView {
                processes: before.processes.max(seen.processes),
                ..before
            },
            _ => {
                let own = u32::try_from(log.counted(now, bucket.span)).unwrap_or(u32::MAX);
                FleetView {
                    processes: seen.processes.max(1),
                    others: seen.logged.saturating_sub(own),
                    seen_at: now,
                }
            }
        };
        log.fleet = Some(view);
        rejoined
    }

    /// This process's share of `budget` when it paces on its own, with the fleet as last seen
    /// (others' admissions left aside); `None` when the client has no such budget.
    pub(crate) fn share(&self, budget: Budget) -> Option<Share> {
        let bucket = self.bucket(budget)?;
        let log = bucket.log();
        let processes = log.fleet.map_or(1, |view| view.processes.max(1));
        let view = log.fleet.map(|view| FleetView { others: 0, ..view });
        let (requests, span) = bucket.share(view.as_ref(), Duration::ZERO);
        Some(Share {
            processes,
            requests,
            window: span.saturating_sub(bucket.headroom),
        })
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

    /// The most of `times` (sorted) within any window of `window` starting at one of them.
    fn most_in_a_window(times: &[Duration], window: Duration) -> usize {
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|&&t| t < times[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn the_headroom_is_fifty_ms_or_a_thousandth_of_the_window() {
        let limits = RateLimits::default();
        let ten_seconds = Limit::new(100, Duration::from_secs(10)).unwrap();
        let hour = Limit::per_hour(50).unwrap();
        assert_eq!(limits.headroom_for(ten_seconds), Duration::from_millis(50));
        assert_eq!(limits.headroom_for(hour), Duration::from_millis(3600));
        let fixed = limits.headroom(Duration::from_millis(250));
        assert_eq!(fixed.headroom_for(hour), Duration::from_millis(250));
        assert_eq!(fixed.headroom_for(ten_seconds), Duration::from_millis(250));
    }

    /// Requests reach Clerk some time after their budget lets them go, never the same time
    /// twice. With delays that vary by less than the headroom, no window of Clerk's (sliding,
    /// so fixed ones too) ever sees more than the limit; counting the bare window, it does.
    #[test]
    fn the_headroom_keeps_clerks_windows_within_the_limit_when_delays_vary() {
        let window = Duration::from_secs(10);
        let most_at_clerk = |headroom: Duration| {
            let limits = RateLimits::none()
                .all_requests(Limit::new(10, window))
                .headroom(headroom);
            let (clock, limiter) = limiter(limits, KeyKind::Test);
            let mut rng = fastrand::Rng::with_seed(21);
            let mut arrivals = Vec::new();
            block_on(async {
                for _ in 0..200 {
                    limiter.acquire(None, LimitMode::Wait).await.unwrap();
                    // Up to 40 ms on the way to Clerk.
                    arrivals.push(clock.now() + Duration::from_micros(rng.u64(0..40_000)));
                }
                // A full budget: ten per window and its headroom.
                assert_eq!(clock.now(), (window + headroom) * 19);
            });
            arrivals.sort();
            most_in_a_window(&arrivals, window)
        };
        assert!(most_at_clerk(Duration::ZERO) > 10, "the edge shows");
        assert_eq!(most_at_clerk(Duration::from_millis(50)), 10);
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
            // The first of the 50 leaves the window an hour and its headroom (a thousandth of
            // the hour, 3.6 s) after it went out.
            assert_eq!(refused.retry_after(), Duration::from_millis(3_603_600));
            clock.advance(Duration::from_millis(3_603_599));
            assert!(limiter.acquire(BULK, LimitMode::FailFast).await.is_err());
            clock.advance(Duration::from_millis(1));
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
            // 10 s and the least headroom, 50 ms.
            assert_eq!(refused.retry_after(), Duration::from_millis(10_050));
            // The refused create did not spend the hour's only create.
            clock.advance(Duration::from_millis(10_050));
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
            // The first leaves an hour and 3.6 s after it went out, at 3603.6 s.
            assert_eq!(refused.retry_after(), Duration::from_millis(75_600));
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

    #[cfg(feature = "redis")]
    const FLEET_LIMIT: u32 = 10;
    #[cfg(feature = "redis")]
    const FLEET_MEMORY: Duration = Duration::from_secs(60);

    /// A bulk budget of 10 per 5 s (and no global one), with the least headroom: 5.05 s.
    #[cfg(feature = "redis")]
    fn fleet_member() -> (Arc<ManualClock>, ClientLimiter) {
        let limits = RateLimits::none()
            .bulk_create_invitations(Limit::new(FLEET_LIMIT, Duration::from_secs(5)));
        limiter(limits, KeyKind::Test)
    }

    #[cfg(feature = "redis")]
    const SPAN: Duration = Duration::from_millis(5050);

    #[cfg(feature = "redis")]
    fn seen(processes: u32, logged: u32) -> FleetSeen {
        FleetSeen { processes, logged }
    }

    #[cfg(feature = "redis")]
    #[test]
    fn without_redis_a_process_takes_its_share_from_what_it_spent() {
        let (clock, limiter) = fleet_member();
        block_on(async {
            // Through Redis: this process sent 3 of the fleet's 10; four processes.
            for _ in 0..3 {
                limiter.record(BULK, clock.now());
            }
            let bulk = Budget::BulkCreateInvitations;
            assert!(!limiter.observe(bulk, seen(4, 10), Duration::from_secs(1)));
            let share = limiter.share(bulk).unwrap();
            assert_eq!(
                (share.processes, share.requests, share.window),
                (4, 2, Duration::from_secs(5))
            );
            // Redis is gone: one outage, however many calls see it.
            assert_eq!(limiter.outage(BULK), [Some(bulk), None]);
            assert_eq!(limiter.outage(BULK), [None, None]);
            // The fleet's 10 are still in the window: nothing until they have left it...
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), SPAN);
            clock.advance(SPAN);
            // ...then 2 per window: a fourth of 10, rounded down.
            for _ in 0..2 {
                limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            }
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), SPAN);
        });

        // A fleet that had spent less: 5 of 10, 3 of them this process's. The others' 2 leave
        // room for 2 each, but this process has spent 3: it waits for its own to leave.
        let (clock, limiter) = fleet_member();
        block_on(async {
            for _ in 0..3 {
                limiter.record(BULK, clock.now());
            }
            clock.advance(Duration::from_secs(1));
            limiter.observe(Budget::BulkCreateInvitations, seen(4, 5), Duration::ZERO);
            limiter.outage(BULK);
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), SPAN - Duration::from_secs(1));
        });
    }

    /// With Redis admitting, the in-process log only records: it still holds no more than the
    /// last window's admissions.
    #[cfg(feature = "redis")]
    #[test]
    fn recording_shared_admissions_keeps_only_the_last_window() {
        let (clock, limiter) = fleet_member();
        for _ in 0..1_000 {
            limiter.record(BULK, clock.now());
            clock.advance(Duration::from_millis(700));
        }
        let bucket = limiter.bulk_create_invitations.as_ref().unwrap();
        // 5.05 s at one per 0.7 s: the last 8.
        assert_eq!(bucket.log().sent.len(), 8);
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_fleet_larger_than_the_limit_takes_one_each_per_so_many_windows() {
        let limits = RateLimits::none()
            .bulk_create_invitations(Limit::new(2, Duration::from_secs(10)))
            .headroom(Duration::from_millis(50));
        let (_clock, limiter) = limiter(limits, KeyKind::Test);
        let bulk = Budget::BulkCreateInvitations;
        limiter.observe(bulk, seen(5, 0), Duration::ZERO);
        let share = limiter.share(bulk).unwrap();
        // Five processes, two requests a window: one each per three windows.
        assert_eq!(
            (share.processes, share.requests, share.window),
            (5, 1, Duration::from_secs(30))
        );
        limiter.outage(BULK);
        block_on(async {
            limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.retry_after(), Duration::from_millis(30_050));
        });
    }

    #[cfg(feature = "redis")]
    #[test]
    fn back_from_an_outage_a_process_keeps_to_its_share_until_the_outage_has_left_the_window() {
        let (clock, limiter) = fleet_member();
        let bulk = Budget::BulkCreateInvitations;
        let rejoin_for = Duration::from_secs(1);
        block_on(async {
            limiter.record(BULK, clock.now());
            limiter.observe(bulk, seen(4, 10), rejoin_for);
            assert!(!limiter.rejoining(BULK));
            limiter.outage(BULK);
            // Out of touch: every call takes the share first.
            assert!(limiter.rejoining(BULK));
            clock.advance(SPAN);
            for _ in 0..2 {
                limiter.acquire(BULK, LimitMode::FailFast).await.unwrap();
            }
            // Redis is back, and restarted empty: it shows this process alone, with the one
            // call it just admitted (logged here first, as `RedisBudgets` does).
            clock.advance(Duration::from_secs(1));
            let now = clock.now();
            limiter.record(BULK, now);
            assert!(
                limiter.observe(bulk, seen(1, 1), rejoin_for),
                "the outage ends"
            );
            // Until the calls sent without Redis (by anyone, until a second after it came
            // back) have left the window, the share of four still holds.
            assert!(limiter.rejoining(BULK));
            assert_eq!(limiter.share(bulk).unwrap().processes, 4);
            let refused = limiter
                .acquire(BULK, LimitMode::FailFast)
                .await
                .unwrap_err();
            assert_eq!(refused.budget(), bulk, "two of its share in the window");
            clock.advance(SPAN + rejoin_for - Duration::from_nanos(1));
            assert!(limiter.rejoining(BULK));
            clock.advance(Duration::from_nanos(1));
            assert!(!limiter.rejoining(BULK));
            // Then Redis decides alone, and shows the fleet as it now is.
            limiter.observe(bulk, seen(1, 1), rejoin_for);
            assert_eq!(limiter.share(bulk).unwrap().processes, 1);
        });
    }

    /// A stand-in for the Redis log: the script's rule (admit while fewer than `requests` in
    /// the span), which processes it admitted, and what it shows of the fleet.
    #[cfg(feature = "redis")]
    struct SharedLog {
        admitted: Vec<(Duration, usize)>,
        asked: Vec<(Duration, usize)>,
        span: Duration,
    }

    #[cfg(feature = "redis")]
    impl SharedLog {
        fn try_admit(&mut self, now: Duration, process: usize) -> (bool, FleetSeen) {
            let span = self.span;
            self.admitted.retain(|&(at, _)| at + span > now);
            self.asked
                .retain(|&(at, _)| at + FLEET_MEMORY.max(span) > now);
            self.asked.push((now, process));
            let mut processes: Vec<usize> = self.asked.iter().map(|&(_, p)| p).collect();
            processes.sort_unstable();
            processes.dedup();
            let admit = self.admitted.len() < count(FLEET_LIMIT);
            if admit {
                self.admitted.push((now, process));
            }
            let logged = u32::try_from(self.admitted.len()).unwrap();
            let processes = u32::try_from(processes.len()).unwrap();
            (admit, FleetSeen { processes, logged })
        }
    }

    /// Four processes that always want to send, a shared log standing in for Redis, Redis down
    /// from 3 s to 6 s and back (keeping its log, or restarted empty), turns drawn by `turn`:
    /// at each turn a process does what `RedisBudgets` does (its share first when out of touch
    /// or rejoining; the shared log's rule otherwise, then what it showed of the fleet). Per
    /// seed, the most calls in a window that ends after the outage began; and it checks that the
    /// log kept the limit before the outage and that the fleet kept sending without Redis.
    #[cfg(feature = "redis")]
    fn fleet_through_an_outage(seed: u64, turn: impl Fn(&mut fastrand::Rng) -> usize) -> usize {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let window = Duration::from_secs(1);
        let mut rng = fastrand::Rng::with_seed(seed);
        let clock = Arc::new(ManualClock::default());
        let limits = RateLimits::none()
            .bulk_create_invitations(Limit::new(FLEET_LIMIT, window))
            .headroom(Duration::ZERO);
        let fleet: Vec<ClientLimiter> = (0..4)
            .map(|_| ClientLimiter::new(&limits, KeyKind::Test, clock.clone()))
            .collect();
        let mut log = SharedLog {
            admitted: Vec::new(),
            asked: Vec::new(),
            span: window,
        };
        let (down_at, back_at) = (Duration::from_secs(3), Duration::from_secs(6));
        let restarts_empty = seed.is_multiple_of(2);
        let mut sent = Vec::new();
        while clock.now() < Duration::from_secs(10) {
            clock.advance(Duration::from_millis(rng.u64(0..40)));
            let now = clock.now();
            if now >= back_at && restarts_empty {
                log.admitted.retain(|&(at, _)| at >= back_at);
                log.asked.retain(|&(at, _)| at >= back_at);
            }
            let process = turn(&mut rng);
            let limiter = &fleet[process];
            let reserved = if limiter.rejoining(BULK) {
                match runtime.block_on(limiter.acquire(BULK, LimitMode::FailFast)) {
                    Ok(at) => Some(at),
                    Err(_) => continue,
                }
            } else {
                None
            };
            let admitted = if now < down_at || now >= back_at {
                let (admitted, seen) = log.try_admit(now, process);
                match (admitted, reserved) {
                    (true, Some(at)) => limiter.retime(BULK, at, Some(now)),
                    (true, None) => limiter.record(BULK, now),
                    (false, Some(at)) => limiter.retime(BULK, at, None),
                    (false, None) => {}
                }
                limiter.observe(Budget::BulkCreateInvitations, seen, Duration::ZERO);
                admitted
            } else {
                limiter.outage(BULK);
                reserved.is_some()
                    || runtime
                        .block_on(limiter.acquire(BULK, LimitMode::FailFast))
                        .is_ok()
            };
            if admitted {
                sent.push(now);
            }
        }
        let before: Vec<Duration> = sent.iter().copied().filter(|&t| t < down_at).collect();
        assert_eq!(most_in_a_window(&before, window), 10, "seed {seed}");
        // Kept busy throughout: an outage costs throughput, not the whole budget.
        let during = sent
            .iter()
            .filter(|&&t| t >= down_at && t < back_at)
            .count();
        assert!(
            during >= 8,
            "seed {seed}: {during} sent while Redis was down"
        );
        let from = sent.partition_point(|&t| t + window <= down_at);
        most_in_a_window(&sent[from..], window)
    }

    #[cfg(feature = "redis")]
    #[test]
    fn a_busy_fleet_keeping_to_its_shares_stays_within_the_limit_through_an_outage() {
        for seed in 0..200 {
            let most = fleet_through_an_outage(seed, |rng| rng.usize(0..4));
            assert!(most <= 10, "seed {seed}: {most} in one window");
        }
    }

    /// The known limit: a process that asks rarely (here 2 % of the turns, about once a
    /// window) sees the fleet from an answer older than the outage, and counts none of what the
    /// others sent since; its share can then go out while their last calls are still in the
    /// window.
    #[cfg(feature = "redis")]
    #[test]
    fn a_rarely_asking_process_may_overshoot_after_an_outage_by_a_few() {
        let mut most = 0;
        for seed in 0..200 {
            most = most.max(fleet_through_an_outage(seed, |rng| {
                if rng.f64() < 0.02 { 3 } else { rng.usize(0..3) }
            }));
        }
        assert!(most <= 13, "{most}");
    }
}
