//! The clock that every timestamp, expiry, rate-limit window and `Date` header reads.
//!
//! Two sources behind one handle:
//!
//! - **Virtual** (the default for [`FakeClerk`](crate::FakeClerk)): time only moves when a test
//!   says so, so an hour of rate limits or a month of invitation expiry plays out in
//!   microseconds and every run sees the same timestamps.
//! - **Real** (the standalone binary's default): now is the system time, so rate-limit windows
//!   reopen by themselves for clients that cannot advance a clock (curl, other languages, a
//!   client under benchmark in another process).
//!
//! [`Clock::advance`] works on both: on a real clock it adds an offset on top of system time, so
//! a test can still skip a month of expiry without waiting for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the virtual clock starts: 2026-01-01T00:00:00Z, in Unix milliseconds.
///
/// A fixed start keeps timestamps in responses and snapshots reproducible.
pub const DEFAULT_START_MS: i64 = 1_767_225_600_000;

/// A shared handle on the fake's clock; clones see the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    real: bool,
    /// Virtual: the time itself. Real: what [`Clock::advance`] has added to system time.
    offset_ms: AtomicI64,
    /// Real only: the latest time handed out. A system clock stepped back (NTP, a VM resumed)
    /// would otherwise move the fake's time backwards, re-opening a rate-limit window that
    /// already closed and un-expiring invitations.
    latest_ms: AtomicI64,
}

impl Clock {
    /// A virtual clock standing at `unix_ms` until advanced.
    pub(crate) fn starting_at(unix_ms: i64) -> Self {
        Self::with(false, unix_ms)
    }

    /// A clock that follows system time.
    pub(crate) fn real() -> Self {
        Self::with(true, 0)
    }

    fn with(real: bool, offset_ms: i64) -> Self {
        Self {
            inner: Arc::new(Inner {
                real,
                offset_ms: AtomicI64::new(offset_ms),
                latest_ms: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// Whether this clock follows system time (see [`FakeClerkBuilder::real_clock`]) rather
    /// than moving only when advanced.
    ///
    /// [`FakeClerkBuilder::real_clock`]: crate::FakeClerkBuilder::real_clock
    pub fn is_real(&self) -> bool {
        self.inner.real
    }

    /// The current time in Unix milliseconds: the virtual time, or system time plus whatever
    /// [`advance`](Self::advance) added. It never goes backwards, even if the system clock does.
    pub fn now_ms(&self) -> i64 {
        let offset = self.inner.offset_ms.load(Ordering::SeqCst);
        if !self.inner.real {
            return offset;
        }
        let now = system_now_ms().saturating_add(offset);
        let latest = self.inner.latest_ms.fetch_max(now, Ordering::SeqCst);
        latest.max(now)
    }

    /// Moves the clock forward; time never goes backwards.
    ///
    /// On a virtual clock this is the only way time moves. On a real clock it adds to an
    /// offset over system time, which keeps running as well.
    pub fn advance(&self, by: Duration) {
        let by_ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.inner
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by_ms))
            })
            .ok();
    }
}

/// System time in Unix milliseconds; a clock set before 1970 reads as 1970, not as a panic.
fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_when_advanced() {
        let clock = Clock::starting_at(DEFAULT_START_MS);
        assert!(!clock.is_real());
        assert_eq!(clock.now_ms(), DEFAULT_START_MS);
        clock.advance(Duration::from_millis(1_500));
        assert_eq!(clock.now_ms(), DEFAULT_START_MS + 1_500);
    }

    #[test]
    fn real_clock_reads_system_time_plus_what_was_advanced() {
        let clock = Clock::real();
        assert!(clock.is_real());
        let before = system_now_ms();
        let now = clock.now_ms();
        let after = system_now_ms();
        assert!(
            (before..=after).contains(&now),
            "{before} <= {now} <= {after}"
        );

        let day = Duration::from_secs(24 * 3600);
        clock.advance(day);
        let before = system_now_ms();
        let now = clock.now_ms() - 24 * 3600 * 1000;
        let after = system_now_ms();
        assert!(
            (before..=after).contains(&now),
            "{before} <= {now} <= {after}"
        );
    }

    #[test]
    fn real_clock_never_goes_backwards() {
        let clock = Clock::real();
        // Stands in for a system clock stepped back after a read far in the future.
        clock.inner.latest_ms.store(i64::MAX - 1, Ordering::SeqCst);
        assert_eq!(clock.now_ms(), i64::MAX - 1);
    }
}
