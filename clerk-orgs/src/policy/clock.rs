//! [`Clock`]: the time the retry and rate-limit layers read and wait on.
//!
//! Both layers only ever ask two things of time: "what time is it" and "wait this long". Putting
//! those behind a trait lets a test or benchmark play hours of Clerk's hourly limits in
//! milliseconds: its clock's `sleep` moves a virtual clock forward (for instance `clerk-fake`'s)
//! instead of waiting. The default, [`TokioClock`], is real time.
//!
//! tokio's own paused clock is not used for this: with real loopback I/O its auto-advance fires
//! request timeouts while the server is still answering.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A future returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A monotonic time source with a way to wait on it.
///
/// Implement it to run the client on virtual time. `now` must never go backwards, and `sleep(d)`
/// must complete once `now` has advanced by at least `d` (a virtual clock can simply advance
/// itself by `d` and complete at once).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::Duration;
/// use clerk_orgs::clock::{Clock, Sleep};
///
/// /// Time that passes only when someone sleeps.
/// #[derive(Debug, Default)]
/// struct VirtualClock(Arc<AtomicU64>);
///
/// impl Clock for VirtualClock {
///     fn now(&self) -> Duration {
///         Duration::from_nanos(self.0.load(Ordering::SeqCst))
///     }
///     fn sleep(&self, duration: Duration) -> Sleep {
///         let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
///         self.0.fetch_add(nanos, Ordering::SeqCst);
///         Box::pin(std::future::ready(()))
///     }
/// }
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The time elapsed since an origin of the clock's choosing.
    fn now(&self) -> Duration;

    /// Completes after `duration` has passed on this clock.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// Real time through tokio's timer; the default.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// The shared handle the client keeps; clones of a client read the same clock.
pub(crate) type SharedClock = Arc<dyn Clock>;

/// A clock that only moves when something sleeps on it, for unit tests of the layers above.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct ManualClock {
    nanos: std::sync::atomic::AtomicU64,
}

#[cfg(test)]
impl ManualClock {
    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos
            .fetch_add(nanos, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }
}
