//! The virtual clock that every timestamp, expiry and rate-limit window reads.
//!
//! Time only moves when a test says so, so an hour of rate limits or a month of invitation
//! expiry plays out in microseconds and every run sees the same timestamps.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// Where the virtual clock starts: 2026-01-01T00:00:00Z, in Unix milliseconds.
///
/// A fixed start keeps timestamps in responses and snapshots reproducible.
pub const DEFAULT_START_MS: i64 = 1_767_225_600_000;

/// A shared handle on the fake's virtual clock; clones see the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    now_ms: Arc<AtomicI64>,
}

impl Clock {
    pub(crate) fn starting_at(unix_ms: i64) -> Self {
        Self {
            now_ms: Arc::new(AtomicI64::new(unix_ms)),
        }
    }

    /// The current virtual time in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward; time never goes backwards.
    pub fn advance(&self, by: Duration) {
        let by_ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.now_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(by_ms))
            })
            .ok();
    }
}
