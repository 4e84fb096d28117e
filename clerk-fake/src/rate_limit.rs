//! Clerk's per-instance rate limits, as fixed windows on the virtual clock.
//!
//! Clerk documents its limits as "N requests per window" without saying how windows slide. The
//! fake uses fixed windows aligned to the virtual clock's epoch (a 10 s window covers
//! `[k*10s, (k+1)*10s)`), which is easy to reason about in tests: advance the clock to the next
//! boundary and the budget is whole again. Only requests that pass a limit count against it.

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

/// The limits one fake instance enforces; `None` switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every BAPI request, whatever the route.
    pub all_requests: Option<Limit>,
    /// `POST /v1/organizations/{id}/invitations`.
    pub create_invitation: Option<Limit>,
    /// `POST /v1/organizations/{id}/invitations/bulk`.
    pub bulk_create_invitations: Option<Limit>,
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
        }
    }

    /// No limits at all, for benchmarks.
    pub const fn unlimited() -> Self {
        Self {
            all_requests: None,
            create_invitation: None,
            bulk_create_invitations: None,
        }
    }
}

/// Which per-route budget a request draws from, besides the global one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bucket {
    CreateInvitation,
    BulkCreateInvitations,
}

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
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            all: Window::default(),
            create: Window::default(),
            bulk: Window::default(),
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
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(7_001)), 8);
        assert_eq!(retry_after_seconds(Duration::from_millis(7_000)), 7);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
    }
}
