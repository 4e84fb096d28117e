//! Clerk's per-instance rate limits, as fixed windows on the fake's clock.
//!
//! Clerk documents its limits as "N requests per window" without saying how windows slide. The
//! fake uses fixed windows aligned to the clock's epoch (a 10 s window covers
//! `[k*10s, (k+1)*10s)`), which is easy to reason about in tests: advance the clock to the next
//! boundary and the budget is whole again. On a real clock the boundaries are those of Unix
//! time. Only requests that pass a limit count against it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which kind of secret key the instance issues; it sets the default global limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyKind {
    /// A development instance key, `sk_test_...`: 100 requests per 10 s.
    #[default]
    Test,
    /// A production instance key, `sk_live_...`: 1000 requests per 10 s.
    Live,
}

/// "At most `requests` requests in each `window`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window length; a zero window disables the limit.
    pub window: Duration,
}

impl Limit {
    /// A limit of `requests` per `window`.
    pub const fn new(requests: u32, window: Duration) -> Self {
        Self { requests, window }
    }
}

/// Parses `N/DUR`, the form the standalone binary's limit flags take: `10/5s`, `250/1h`,
/// `100/10s`, `3/500ms`. `DUR` is a whole number followed by `ms`, `s`, `m` or `h`.
///
/// Both parts must be positive: a zero window would silently switch the limit off (use
/// [`RateLimits::unlimited`] or leave the limit `None` for that), and zero requests would
/// refuse every request.
impl FromStr for Limit {
    type Err = ParseLimitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| ParseLimitError {
            input: text.to_owned(),
            reason,
        };
        let (requests, window) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| error("expected N/DURATION, e.g. 10/5s or 250/1h".into()))?;
        let requests: u32 = requests.trim().parse().map_err(|_| {
            error(format!(
                "`{}` is not a number of requests (a whole number up to {})",
                requests.trim(),
                u32::MAX
            ))
        })?;
        if requests == 0 {
            return Err(error("the number of requests must be at least 1".into()));
        }
        let window = window.trim();
        let digits = window.bytes().take_while(u8::is_ascii_digit).count();
        let (amount, unit) = window.split_at(digits);
        if amount.is_empty() {
            return Err(error(format!(
                "`{window}` is not a duration (a whole number followed by ms, s, m or h)"
            )));
        }
        let unit_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(error(format!("`{window}` needs a unit: ms, s, m or h"))),
            other => {
                return Err(error(format!(
                    "unknown unit `{other}` in `{window}`: use ms, s, m or h"
                )));
            }
        };
        let window_ms = amount
            .parse::<u64>()
            .ok()
            .and_then(|amount| amount.checked_mul(unit_ms))
            .filter(|&ms| i64::try_from(ms).is_ok())
            .ok_or_else(|| error(format!("`{window}` is too long")))?;
        if window_ms == 0 {
            return Err(error("the window must be longer than zero".into()));
        }
        Ok(Limit::new(requests, Duration::from_millis(window_ms)))
    }
}

/// `N/DUR` in the largest unit that divides the window exactly (`250/1h`, `10/5s`, `3/500ms`),
/// so it parses back to the same limit.
impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.window.as_millis();
        let (amount, unit) = [(3_600_000, "h"), (60_000, "m"), (1_000, "s")]
            .into_iter()
            .find(|&(unit_ms, _)| ms > 0 && ms.is_multiple_of(unit_ms))
            .map_or((ms, "ms"), |(unit_ms, unit)| (ms / unit_ms, unit));
        write!(f, "{}/{amount}{unit}", self.requests)
    }
}

/// Why a [`Limit`] could not be parsed from `N/DUR`; the message names the input and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseLimitError {
    input: String,
    reason: String,
}

impl fmt::Display for ParseLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid limit `{}`: {}", self.input, self.reason)
    }
}

impl std::error::Error for ParseLimitError {}

/// The limits one fake instance enforces; `None` switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every BAPI request, whatever the route.
    pub all_requests: Option<Limit>,
    /// `POST /v1/organizations/{id}/invitations`.
    pub create_invitation: Option<Limit>,
    /// `POST /v1/organizations/{id}/invitations/bulk`.
    pub bulk_create_invitations: Option<Limit>,
    /// `PATCH /v1/organizations/{id}/memberships/{user_id}` and `.../metadata`, counted per
    /// membership (one budget for both routes).
    pub update_membership: Option<Limit>,
}

impl RateLimits {
    /// Clerk's documented defaults for an instance with this kind of key.
    pub const fn clerk_defaults(key: KeyKind) -> Self {
        let all = match key {
            KeyKind::Test => 100,
            KeyKind::Live => 1000,
        };
        Self {
            all_requests: Some(Limit::new(all, Duration::from_secs(10))),
            create_invitation: Some(Limit::new(250, Duration::from_secs(3600))),
            bulk_create_invitations: Some(Limit::new(50, Duration::from_secs(3600))),
            update_membership: Some(Limit::new(10, Duration::from_secs(10))),
        }
    }

    /// No limits at all, for benchmarks.
    pub const fn unlimited() -> Self {
        Self {
            all_requests: None,
            create_invitation: None,
            bulk_create_invitations: None,
            update_membership: None,
        }
    }

    /// Replaces the limit on every request, whatever the route (`all_requests`).
    pub const fn global(mut self, requests: u32, window: Duration) -> Self {
        self.all_requests = Some(Limit::new(requests, window));
        self
    }

    /// Replaces the limit on creating one invitation (`create_invitation`).
    pub const fn create(mut self, requests: u32, window: Duration) -> Self {
        self.create_invitation = Some(Limit::new(requests, window));
        self
    }

    /// Replaces the limit on bulk creates (`bulk_create_invitations`), e.g.
    /// `RateLimits::default().bulk(10, Duration::from_secs(5))` for a test that should reach
    /// the limit quickly.
    pub const fn bulk(mut self, requests: u32, window: Duration) -> Self {
        self.bulk_create_invitations = Some(Limit::new(requests, window));
        self
    }

    /// Replaces the per-membership limit on role and metadata updates (`update_membership`).
    pub const fn membership_update(mut self, requests: u32, window: Duration) -> Self {
        self.update_membership = Some(Limit::new(requests, window));
        self
    }
}

/// Clerk's defaults for a development (`sk_test_`) instance, the fake's default key kind.
impl Default for RateLimits {
    fn default() -> Self {
        Self::clerk_defaults(KeyKind::default())
    }
}

/// One line for logs and start-up banners:
/// `global 100/10s, create 250/1h, bulk 50/1h, membership update 10/10s`, with `off` for a
/// limit that is switched off.
impl fmt::Display for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            ("global", self.all_requests),
            ("create", self.create_invitation),
            ("bulk", self.bulk_create_invitations),
            ("membership update", self.update_membership),
        ];
        for (i, (name, limit)) in parts.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match limit {
                Some(limit) if !limit.window.is_zero() => write!(f, "{name} {limit}")?,
                _ => write!(f, "{name} off")?,
            }
        }
        Ok(())
    }
}

/// Which per-route budget a request draws from, besides the global one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bucket {
    CreateInvitation,
    BulkCreateInvitations,
    /// One membership's updates, keyed by organization and user.
    UpdateMembership(String, String),
}

/// Per-membership windows kept before the stale ones are swept.
const MEMBERSHIP_WINDOWS_SWEEP_AT: usize = 10_000;

#[derive(Debug, Default)]
struct Window {
    index: i64,
    used: u32,
}

impl Window {
    /// Takes one request from the budget, or says how long until the window resets.
    fn try_take(&mut self, limit: Limit, now_ms: i64) -> Result<(), Duration> {
        let window_ms = i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX);
        if window_ms <= 0 {
            return Ok(());
        }
        let index = now_ms.div_euclid(window_ms);
        if index != self.index {
            *self = Window { index, used: 0 };
        }
        if self.used >= limit.requests {
            let reset_ms = (index + 1).saturating_mul(window_ms) - now_ms;
            return Err(Duration::from_millis(u64::try_from(reset_ms).unwrap_or(0)));
        }
        self.used += 1;
        Ok(())
    }
}

/// The counters of one instance.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    all: Window,
    create: Window,
    bulk: Window,
    memberships: HashMap<(String, String), Window>,
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            all: Window::default(),
            create: Window::default(),
            bulk: Window::default(),
            memberships: HashMap::new(),
        }
    }

    /// Admits a request or returns how long until it would be admitted.
    pub(crate) fn admit(&mut self, bucket: Option<Bucket>, now_ms: i64) -> Result<(), Duration> {
        if let Some(limit) = self.limits.all_requests {
            self.all.try_take(limit, now_ms)?;
        }
        let (limit, window) = match bucket {
            Some(Bucket::CreateInvitation) => (self.limits.create_invitation, &mut self.create),
            Some(Bucket::BulkCreateInvitations) => {
                (self.limits.bulk_create_invitations, &mut self.bulk)
            }
            Some(Bucket::UpdateMembership(organization_id, user_id)) => {
                let Some(limit) = self.limits.update_membership else {
                    return Ok(());
                };
                if self.memberships.len() >= MEMBERSHIP_WINDOWS_SWEEP_AT {
                    // Windows of earlier periods hold nothing any more.
                    let window_ms = i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX);
                    let current = now_ms.div_euclid(window_ms.max(1));
                    self.memberships.retain(|_, w| w.index == current);
                }
                let window = self
                    .memberships
                    .entry((organization_id, user_id))
                    .or_default();
                return window.try_take(limit, now_ms);
            }
            None => (None, &mut self.bulk),
        };
        match limit {
            Some(limit) => window.try_take(limit, now_ms),
            None => Ok(()),
        }
    }
}

/// `Retry-After` in whole seconds, rounded up so a client that obeys it is never early.
pub(crate) fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_resets_at_the_boundary() {
        let limit = Limit::new(2, Duration::from_secs(10));
        let mut window = Window::default();
        assert_eq!(window.try_take(limit, 1_000), Ok(()));
        assert_eq!(window.try_take(limit, 2_000), Ok(()));
        assert_eq!(
            window.try_take(limit, 2_500),
            Err(Duration::from_millis(7_500))
        );
        assert_eq!(window.try_take(limit, 10_000), Ok(()));
    }

    #[test]
    fn limits_display_as_they_parse() {
        for text in ["250/1h", "10/5s", "3/500ms", "7/90s", "100/2m"] {
            assert_eq!(text.parse::<Limit>().unwrap().to_string(), text);
        }
        assert_eq!(
            RateLimits::default().to_string(),
            "global 100/10s, create 250/1h, bulk 50/1h, membership update 10/10s"
        );
        assert_eq!(
            RateLimits::unlimited().to_string(),
            "global off, create off, bulk off, membership update off"
        );
    }

    #[test]
    fn each_membership_has_its_own_update_budget() {
        let limits = RateLimits::unlimited().membership_update(2, Duration::from_secs(10));
        let mut limiter = RateLimiter::new(limits);
        let update = |user: &str| Some(Bucket::UpdateMembership("org_a".into(), user.into()));
        assert_eq!(limiter.admit(update("user_1"), 0), Ok(()));
        assert_eq!(limiter.admit(update("user_1"), 1), Ok(()));
        assert_eq!(
            limiter.admit(update("user_1"), 2),
            Err(Duration::from_millis(9_998))
        );
        assert_eq!(limiter.admit(update("user_2"), 3), Ok(()));
        assert_eq!(limiter.admit(update("user_1"), 10_000), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(7_001)), 8);
        assert_eq!(retry_after_seconds(Duration::from_millis(7_000)), 7);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
    }
}
