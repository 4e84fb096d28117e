//! [`RetryPolicy`]: which failed attempts are tried again, and after how long.
//!
//! The policy is data plus one pure function, [`RetryPolicy::decide`], from "attempt number,
//! time spent, why it failed, what `Retry-After` said" to "retry after this delay" or "give up".
//! Everything with side effects (sleeping, logging, rate-limiter feedback) lives in the attempt
//! loop that calls it (`resilience`), and settling lost answers in `invitations::recovery`, so the policy
//! can be tested as a table.
//!
//! What is retried is decided by the error itself (`Error::retry_reason`, the same function
//! behind `Error::is_retryable`): 429 after its `Retry-After` (if that is not longer than
//! [`RetryPolicy::max_retry_after`]), 500/502/503/504, timeouts, failed or dropped connections
//! before a success status, and reads whose success body was cut or garbled. Never a create or
//! revoke answered with a success status (Clerk acted on it), and never any other 4xx: Clerk
//! said no, and asking again will not change its mind.

use std::time::Duration;

pub(crate) use crate::error::RetryReason;

/// How random the wait between attempts is.
///
/// Randomness spreads the retries of many clients that failed at the same moment, so they do not
/// return in lockstep and knock the service over again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly the exponential backoff; predictable, for tests.
    None,
    /// A uniform wait between zero and the exponential backoff ("full jitter").
    #[default]
    Full,
    /// A uniform wait between the base delay and three times the previous wait, capped
    /// ("decorrelated jitter"): grows like the exponential backoff without synchronising.
    Decorrelated,
}

/// When and how often a failed request is tried again.
///
/// The default suits interactive calls: up to 4 attempts within 60 s, backoff from 250 ms to
/// 10 s with full jitter, and a 429 retried only if Clerk asks to wait at most 60 s. Set it on
/// the client builder, or per request with `.retry(..)`; [`RetryPolicy::none`] turns retries off.
///
/// ```
/// use std::time::Duration;
/// use clerk_orgs::{Jitter, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .max_elapsed(Duration::from_secs(300))
///     .max_retry_after(Duration::from_secs(120))
///     .jitter(Jitter::Decorrelated);
/// assert_eq!(patient.attempt_limit(), 8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
    jitter: Jitter,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
            jitter: Jitter::Full,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in total, the first included; 0 is taken as 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff before the first retry; it doubles for each further one.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff between two attempts (not applied to `Retry-After`).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts if it would begin later than this after the first attempt was sent
    /// (default 60 s). Everything between counts: backoff, `Retry-After`, and waiting for the
    /// client's own budgets before a retry (a retry whose budget opens too late is not made; the
    /// call ends with its last answer). The first attempt's own wait for its budget does not
    /// count: that is pacing, bounded by [`RateLimits::max_wait`](crate::RateLimits::max_wait).
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// How the backoff is randomised.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest `Retry-After` this policy waits out; a longer one ends the call with
    /// [`crate::Error::RateLimited`] at once (its `retry_after()` tells when to come back),
    /// rather than retrying early into another 429.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// How long after the first attempt was sent a retry may still start (set with
    /// [`max_elapsed`](Self::max_elapsed)).
    pub(crate) fn elapsed_limit(&self) -> Duration {
        self.max_elapsed
    }

    /// Attempts in total, the first included (set with [`max_attempts`](Self::max_attempts)).
    pub fn attempt_limit(&self) -> u32 {
        self.max_attempts
    }

    /// The longest `Retry-After` this policy waits out (set with
    /// [`max_retry_after`](Self::max_retry_after)).
    pub fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    /// Attempts in total, the first included.
    #[deprecated(
        since = "0.1.0",
        note = "renamed to `attempt_limit` (no `get_` prefix)"
    )]
    pub fn get_max_attempts(&self) -> u32 {
        self.attempt_limit()
    }

    /// The longest `Retry-After` this policy waits out.
    #[deprecated(
        since = "0.1.0",
        note = "renamed to `retry_after_cap` (no `get_` prefix)"
    )]
    pub fn get_max_retry_after(&self) -> Duration {
        self.retry_after_cap()
    }

    /// Whether this policy ever retries.
    pub fn is_enabled(&self) -> bool {
        self.max_attempts > 1
    }

    /// What to do after a failed attempt.
    ///
    /// `random` is a uniform sample from `[0, 1)` for the jitter, passed in so that the decision
    /// stays a pure function; values outside are clamped.
    pub(crate) fn decide(&self, failed: &FailedAttempt, random: f64) -> RetryDecision {
        let Some(reason) = failed.reason else {
            return RetryDecision::GiveUp(GiveUp::NotRetryable);
        };
        if failed.attempt >= self.max_attempts {
            return RetryDecision::GiveUp(GiveUp::AttemptsExhausted);
        }
        let backoff = self.backoff(failed.attempt, failed.previous_delay, random);
        let delay = match failed.retry_after {
            // Clerk said when; earlier is pointless, and too long is the caller's call to make.
            Some(wait) if wait > self.max_retry_after => {
                return RetryDecision::GiveUp(GiveUp::RetryAfterTooLong(wait));
            }
            Some(wait) if reason == RetryReason::RateLimited => wait,
            // A 503 with Retry-After: whichever is later, the hint or our backoff.
            Some(wait) => wait.max(backoff),
            None => backoff,
        };
        if failed.elapsed.saturating_add(delay) > self.max_elapsed {
            return RetryDecision::GiveUp(GiveUp::OutOfTime);
        }
        RetryDecision::Retry { after: delay }
    }

    /// The wait before retry number `attempt` (1 after the first failure).
    fn backoff(&self, attempt: u32, previous: Option<Duration>, random: f64) -> Duration {
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let doublings = attempt.saturating_sub(1).min(31);
        let exponential = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        match self.jitter {
            Jitter::None => exponential,
            Jitter::Full => exponential.mul_f64(random),
            Jitter::Decorrelated => {
                let previous = previous.unwrap_or(self.base_delay).max(self.base_delay);
                let upper = previous.saturating_mul(3);
                let span = upper.saturating_sub(self.base_delay);
                (self.base_delay + span.mul_f64(random)).min(self.max_delay)
            }
        }
    }
}

/// What the policy needs to know about a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailedAttempt {
    /// Which attempt failed, counting from 1.
    pub(crate) attempt: u32,
    /// Time since the first attempt began.
    pub(crate) elapsed: Duration,
    /// Why it failed, or `None` when retrying cannot help.
    pub(crate) reason: Option<RetryReason>,
    /// The answer's `Retry-After`, if it had one.
    pub(crate) retry_after: Option<Duration>,
    /// The wait before this attempt, for decorrelated jitter; `None` before the first retry.
    pub(crate) previous_delay: Option<Duration>,
}

/// The policy's verdict on a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryDecision {
    /// Try again after this delay.
    Retry {
        /// The wait before the next attempt.
        after: Duration,
    },
    /// Return the error to the caller.
    GiveUp(GiveUp),
}

/// Why the policy stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The failure is not one a retry can fix (any 4xx but 429, invalid requests).
    NotRetryable,
    /// The last allowed attempt failed.
    AttemptsExhausted,
    /// Clerk asked to wait longer than the policy's cap.
    RetryAfterTooLong(Duration),
    /// The next retry would start after the policy's time budget.
    OutOfTime,
}

impl GiveUp {
    /// The name used in `tracing` fields.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GiveUp::NotRetryable => "not_retryable",
            GiveUp::AttemptsExhausted => "attempts_exhausted",
            GiveUp::RetryAfterTooLong(_) => "retry_after_too_long",
            GiveUp::OutOfTime => "out_of_time",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const S: fn(u64) -> Duration = Duration::from_secs;

    fn failed(attempt: u32, reason: Option<RetryReason>) -> FailedAttempt {
        FailedAttempt {
            attempt,
            elapsed: Duration::ZERO,
            reason,
            retry_after: None,
            previous_delay: None,
        }
    }

    fn retry(after: Duration) -> RetryDecision {
        RetryDecision::Retry { after }
    }

    fn give_up(why: GiveUp) -> RetryDecision {
        RetryDecision::GiveUp(why)
    }

    /// A policy without jitter, so each row has one right answer.
    fn exact() -> RetryPolicy {
        RetryPolicy::default()
            .jitter(Jitter::None)
            .base_delay(MS(100))
            .max_delay(S(2))
            .max_attempts(6)
            .max_elapsed(S(30))
            .max_retry_after(S(60))
    }

    #[test]
    fn decisions() {
        use RetryReason::*;
        let with = |mut f: FailedAttempt, edit: &dyn Fn(&mut FailedAttempt)| {
            edit(&mut f);
            f
        };
        #[rustfmt::skip]
        let table: Vec<(&str, RetryPolicy, FailedAttempt, RetryDecision)> = vec![
            ("4xx is final", exact(), failed(1, None), give_up(GiveUp::NotRetryable)),
            ("first retry waits the base", exact(), failed(1, Some(Unavailable)), retry(MS(100))),
            ("then doubles", exact(), failed(2, Some(Timeout)), retry(MS(200))),
            ("and doubles", exact(), failed(3, Some(Connection)), retry(MS(400))),
            ("and on", exact(), failed(5, Some(ServerError)), retry(MS(1600))),
            ("up to the cap", exact().max_attempts(10), failed(6, Some(MalformedResponse)), retry(S(2))),
            ("last attempt", exact(), failed(6, Some(Unavailable)), give_up(GiveUp::AttemptsExhausted)),
            ("none never retries", RetryPolicy::none(), failed(1, Some(Timeout)), give_up(GiveUp::AttemptsExhausted)),
            ("429 waits Retry-After", exact(),
                with(failed(1, Some(RateLimited)), &|f| f.retry_after = Some(S(7))), retry(S(7))),
            ("429 Retry-After of zero", exact(),
                with(failed(1, Some(RateLimited)), &|f| f.retry_after = Some(S(0))), retry(S(0))),
            ("429 without Retry-After backs off", exact(), failed(2, Some(RateLimited)), retry(MS(200))),
            ("429 Retry-After past the cap", exact(),
                with(failed(1, Some(RateLimited)), &|f| f.retry_after = Some(S(3528))),
                give_up(GiveUp::RetryAfterTooLong(S(3528)))),
            ("503 Retry-After shorter than backoff", exact(),
                with(failed(3, Some(Unavailable)), &|f| f.retry_after = Some(MS(1))), retry(MS(400))),
            ("503 Retry-After longer than backoff", exact(),
                with(failed(1, Some(Unavailable)), &|f| f.retry_after = Some(S(5))), retry(S(5))),
            ("out of time", exact(),
                with(failed(2, Some(Timeout)), &|f| f.elapsed = S(30) - MS(199)), give_up(GiveUp::OutOfTime)),
            ("just in time", exact(),
                with(failed(2, Some(Timeout)), &|f| f.elapsed = S(30) - MS(200)), retry(MS(200))),
            ("Retry-After counts against time", exact(),
                with(failed(1, Some(RateLimited)), &|f| { f.retry_after = Some(S(20)); f.elapsed = S(11) }),
                give_up(GiveUp::OutOfTime)),
            ("huge attempt numbers saturate", exact().max_attempts(u32::MAX), failed(4_000, Some(Timeout)), retry(S(2))),
            ("zero attempts means one", exact().max_attempts(0), failed(1, Some(Timeout)), give_up(GiveUp::AttemptsExhausted)),
        ];
        for (name, policy, failed, expected) in table {
            assert_eq!(policy.decide(&failed, 0.5), expected, "{name}");
        }
    }

    #[test]
    fn full_jitter_spans_zero_to_the_backoff() {
        let policy = exact().jitter(Jitter::Full);
        let third = failed(3, Some(RetryReason::Timeout));
        for (random, expected) in [
            (0.0, MS(0)),
            (0.25, MS(100)),
            (0.5, MS(200)),
            (1.0, MS(400)),
        ] {
            assert_eq!(policy.decide(&third, random), retry(expected), "{random}");
        }
        // A broken random source never makes a negative or endless wait.
        for random in [-3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(policy.decide(&third, random), retry(MS(0)), "{random}");
        }
        assert_eq!(policy.decide(&third, 7.0), retry(MS(400)));
    }

    #[test]
    fn decorrelated_jitter_grows_from_the_previous_wait() {
        let policy = exact().jitter(Jitter::Decorrelated);
        let mut f = failed(1, Some(RetryReason::Unavailable));
        // First retry: between base and 3 x base.
        assert_eq!(policy.decide(&f, 0.0), retry(MS(100)));
        assert_eq!(policy.decide(&f, 0.5), retry(MS(200)));
        // Later: between base and 3 x the previous wait, capped.
        f.attempt = 2;
        f.previous_delay = Some(MS(300));
        assert_eq!(policy.decide(&f, 0.0), retry(MS(100)));
        assert_eq!(policy.decide(&f, 1.0), retry(MS(900)));
        f.previous_delay = Some(S(5));
        assert_eq!(policy.decide(&f, 1.0), retry(S(2)));
    }

    #[test]
    fn waits_never_exceed_the_caps() {
        for jitter in [Jitter::None, Jitter::Full, Jitter::Decorrelated] {
            let policy = exact().jitter(jitter).max_attempts(50).max_elapsed(S(3600));
            let mut previous = None;
            for attempt in 1..50 {
                let random = f64::from(attempt % 10) / 10.0;
                let mut f = failed(attempt, Some(RetryReason::Connection));
                f.previous_delay = previous;
                match policy.decide(&f, random) {
                    RetryDecision::Retry { after } => {
                        assert!(after <= S(2), "{jitter:?} attempt {attempt}: {after:?}");
                        previous = Some(after);
                    }
                    other => panic!("{jitter:?} attempt {attempt}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn defaults_are_documented() {
        let default = RetryPolicy::default();
        assert_eq!(default.attempt_limit(), 4);
        assert_eq!(default.retry_after_cap(), S(60));
        assert!(default.is_enabled());
        assert!(!RetryPolicy::none().is_enabled());
    }
}
