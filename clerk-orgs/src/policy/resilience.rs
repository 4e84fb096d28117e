//! The attempt loop every request runs through: take from the rate-limit budgets, attempt,
//! classify the failure, let the [`RetryPolicy`] decide, wait on the client's clock, repeat.
//!
//! The loop also remembers whether an earlier attempt may have taken effect at Clerk (its answer
//! was lost: a timeout, a dropped connection, a 5xx, a garbled success). Clerk has no idempotency
//! keys, so a retried create can then meet its own invitation as `duplicate_record`; the caller
//! of the loop uses [`CallFailure::earlier_attempt_may_have_landed`] to resolve that
//! (see `invitations::recovery`).

use std::future::Future;
use std::time::Duration;

use tracing::Instrument;

use super::clock::SharedClock;
use super::rate_limit::{LimitMode, SharedLimiter};
use super::retry::{FailedAttempt, RetryDecision, RetryPolicy, RetryReason};
use super::shared_budgets::SharedHook;
use crate::error::Error;
use crate::models::Budget;
use crate::operation::Operation;

/// Per-request overrides of the client's retry policy and rate-limit mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RequestOptions {
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) limit_mode: Option<LimitMode>,
}

/// The setters every request builder gets; they write to its `options: RequestOptions` field,
/// or to the field at the path given (`request_option_setters!(core.options)`).
macro_rules! request_option_setters {
    () => {
        $crate::policy::request_option_setters!(options);
    };
    ($($field:ident).+) => {
        /// This request's retry policy, instead of the client's; `RetryPolicy::none()` sends it
        /// exactly once.
        pub fn retry(mut self, policy: $crate::policy::RetryPolicy) -> Self {
            self.$($field).+.retry = Some(policy);
            self
        }

        /// Whether this request waits for the client-side rate limit or fails at once,
        /// instead of the client's mode.
        pub fn rate_limit_mode(mut self, mode: $crate::policy::LimitMode) -> Self {
            self.$($field).+.limit_mode = Some(mode);
            self
        }
    };
}
pub(crate) use request_option_setters;

/// What a client needs to run the loop; shared by its clones.
#[derive(Debug)]
pub(crate) struct Resilience {
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: SharedLimiter,
    /// Fleet-wide budgets (feature `redis`), consulted before the in-process ones.
    pub(crate) shared: SharedHook,
    pub(crate) clock: SharedClock,
}

/// A call that failed for good.
#[derive(Debug)]
pub(crate) struct CallFailure {
    /// The last attempt's error.
    pub(crate) error: Error,
    /// Whether an attempt before the last may have been processed by Clerk even though its
    /// answer never arrived.
    pub(crate) earlier_attempt_may_have_landed: bool,
    /// The client's clock when the first attempt began: an invitation this call created cannot
    /// be older (see `duplicates`).
    pub(crate) started: Duration,
}

impl CallFailure {
    /// Whether any attempt, the last included, may have been processed.
    pub(crate) fn may_have_landed(&self) -> bool {
        self.earlier_attempt_may_have_landed || self.error.maybe_processed()
    }
}

impl From<CallFailure> for Error {
    fn from(failure: CallFailure) -> Self {
        failure.error
    }
}

/// The budget an operation draws from besides the global one.
pub(crate) fn budget_of(operation: Operation) -> Option<Budget> {
    match operation {
        Operation::CreateInvitation => Some(Budget::CreateInvitation),
        Operation::CreateInvitationsBulk => Some(Budget::BulkCreateInvitations),
        _ => None,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Resilience {
    /// Runs `attempt` until it succeeds or the policy gives up. Each attempt first takes from
    /// the operation's budgets; each retry is an `info` event (attempt, reason, delay) in the
    /// caller's span.
    ///
    /// The first attempt's wait for its budget is pacing: in `LimitMode::Wait` it lasts up to
    /// `RateLimits::max_wait` and is not retrying, so the policy's `max_elapsed` counts from the
    /// moment that attempt is sent. Everything after it counts: backoff, `Retry-After`, and the
    /// waits for the budget before each retry, which therefore never run past `max_elapsed`
    /// (a bulk retry after a 429 without `Retry-After` would otherwise wait 72 s for its turn).
    pub(crate) async fn run<T, F, Fut>(
        &self,
        operation: Operation,
        options: &RequestOptions,
        mut attempt: F,
    ) -> Result<T, CallFailure>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let policy = options.retry.as_ref().unwrap_or(&self.retry);
        let mode = options.limit_mode.unwrap_or_else(|| self.limiter.mode());
        let budget = budget_of(operation);
        let started = self.clock.now();
        // When the first attempt was sent, after its budget: what `max_elapsed` counts from.
        let mut first_sent = started;
        let mut previous_delay = None;
        let mut may_have_landed = false;
        let mut number = 1;
        let mut previous_error: Option<Error> = None;
        // Without budgets there is nothing to wait for: skip the limiter and the two clock reads
        // around it, which every request would otherwise pay for (`RateLimits::none()`).
        let limited = self.limiter.limits(budget);
        loop {
            let admitted = if !limited {
                Ok(())
            } else if number == 1 {
                let admitted = self.shared.admit(&self.limiter, budget, mode).await;
                first_sent = self.clock.now();
                admitted
            } else {
                let deadline = first_sent.saturating_add(policy.elapsed_limit());
                self.admit_retry(operation, budget, mode, deadline).await
            };
            let outcome = match admitted {
                Ok(()) => {
                    // Without a subscriber that wants it, the span is skipped rather than
                    // entered and left on every poll: the attempt future then stays where it
                    // is instead of being moved into an `Instrumented` wrapper.
                    let span = tracing::debug_span!("clerk_orgs.attempt", attempt = number);
                    if span.is_disabled() {
                        attempt(number).await
                    } else {
                        attempt(number).instrument(span).await
                    }
                }
                Err(refused) => match previous_error.take() {
                    // Failing fast is about not starting a call. A retry refused by the budget
                    // ends the call with what its last attempt said (it may have landed).
                    Some(last) => {
                        return Err(CallFailure {
                            error: last,
                            earlier_attempt_may_have_landed: may_have_landed,
                            started,
                        });
                    }
                    // Nothing was sent: in `FailFast` the caller asked not to wait, or the shared
                    // budgets could not be consulted and the client is set to fail then.
                    None => {
                        return Err(CallFailure {
                            error: refused,
                            earlier_attempt_may_have_landed: may_have_landed,
                            started,
                        });
                    }
                },
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if error.is_rate_limited() {
                self.shared
                    .rate_limited(&self.limiter, budget, error.retry_after())
                    .await;
            }
            let reason = error.retry_reason();
            let failed = FailedAttempt {
                attempt: number,
                elapsed: self.clock.now().saturating_sub(first_sent),
                reason,
                retry_after: error.retry_after(),
                previous_delay,
            };
            match policy.decide(&failed, fastrand::f64()) {
                RetryDecision::Retry { after } => {
                    tracing::info!(
                        operation = operation.id(),
                        attempt = number,
                        reason = reason.map_or("none", RetryReason::as_str),
                        status = error.status().map(|s| s.as_u16()),
                        delay_ms = millis(after),
                        "retrying clerk request"
                    );
                    may_have_landed |= error.maybe_processed();
                    previous_delay = Some(after);
                    previous_error = Some(error);
                    self.clock.sleep(after).await;
                    number += 1;
                }
                RetryDecision::GiveUp(why) => {
                    if number > 1 || reason.is_some() {
                        tracing::debug!(
                            operation = operation.id(),
                            attempt = number,
                            reason = reason.map_or("none", RetryReason::as_str),
                            gave_up = why.as_str(),
                            "not retrying clerk request"
                        );
                    }
                    return Err(CallFailure {
                        error,
                        earlier_attempt_may_have_landed: may_have_landed,
                        started,
                    });
                }
            }
        }
    }

    /// Takes from the budgets for a retry: as the caller's mode says, but in `Wait` mode only as
    /// long as the retry still starts by `deadline` (the policy's `max_elapsed`). A longer wait
    /// is refused at once, without sleeping, and the call ends with its last answer.
    async fn admit_retry(
        &self,
        operation: Operation,
        budget: Option<Budget>,
        mode: LimitMode,
        deadline: Duration,
    ) -> Result<(), Error> {
        loop {
            let refused = match self
                .shared
                .admit(&self.limiter, budget, LimitMode::FailFast)
                .await
            {
                Ok(()) => return Ok(()),
                Err(refused) => refused,
            };
            let Error::BudgetExhausted(exhausted) = &refused else {
                return Err(refused);
            };
            let wait = exhausted.retry_after();
            let in_time = self.clock.now().saturating_add(wait) <= deadline;
            if mode == LimitMode::FailFast || wait > self.limiter.max_wait() || !in_time {
                tracing::debug!(
                    operation = operation.id(),
                    budget = exhausted.budget().as_str(),
                    wait_ms = millis(wait),
                    "not retrying clerk request: its budget opens too late"
                );
                return Err(refused);
            }
            tracing::debug!(
                operation = operation.id(),
                budget = exhausted.budget().as_str(),
                wait_ms = millis(wait),
                "waiting for the client-side rate limit before a retry"
            );
            self.clock.sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_draw_from_their_own_budget_and_reads_only_from_the_global_one() {
        let table = [
            (Operation::CreateInvitation, Some(Budget::CreateInvitation)),
            (
                Operation::CreateInvitationsBulk,
                Some(Budget::BulkCreateInvitations),
            ),
            (Operation::ListInvitations, None),
            (Operation::GetInvitation, None),
            (Operation::RevokeInvitation, None),
            (Operation::ListInstanceInvitations, None),
        ];
        for (operation, budget) in table {
            assert_eq!(budget_of(operation), budget, "{operation}");
        }
    }
}
