//! What settling a lost answer rests on, for every feature: Clerk's clock as a lookup's answer
//! states it ([`ClerkClock`]), whether a refusal could be the echo of an earlier attempt of the
//! same call ([`refused_on_its_own`]), and the error a call ends with when its lookup could not
//! settle it ([`unsettled`]).
//!
//! Clerk has no idempotency keys. When an attempt's answer is lost, the call looks the record up
//! and decides whether the record it finds is the call's own by its `created_at`: a record this
//! call created cannot be older than the call's first attempt, on Clerk's clock. The client's
//! clock is not Clerk's, so Clerk's is read from the lookup's `Date` header, less the time the
//! client's clock says passed since the first attempt, less [`CLOCK_MARGIN`].

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

use crate::error::{Delivery, Error, ErrorCode, UnresolvedError, Unsettled};
use crate::operation::Operation;
use crate::policy::CallFailure;
use crate::policy::clock::SharedClock;

/// Allowance for skew between the Clerk servers that stamped `created_at` and the `Date` of the
/// lookup's answer. `Date` itself is truncated to the second, which only makes the rule stricter
/// against old records, never looser.
pub(crate) const CLOCK_MARGIN: Duration = Duration::from_secs(2);

/// Clerk's clock and the client's, read when a lookup was answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClerkClock {
    /// Clerk's `Date` on the answer, if it had a valid one.
    clerk_now: Option<SystemTime>,
    /// The client's clock when the answer arrived.
    local_now: Duration,
}

impl ClerkClock {
    /// Reads `Date` from a lookup's answer headers, and the client's clock now.
    pub(crate) fn read(headers: &HeaderMap, clock: &SharedClock) -> Self {
        let local_now = clock.now();
        let clerk_now = headers
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        Self {
            clerk_now,
            local_now,
        }
    }

    /// The earliest `created_at` a record made by a call whose first attempt began at
    /// `started` (on the client's clock) can have, on Clerk's clock; `None` when Clerk's answer
    /// had no usable `Date`, so nothing found can be dated.
    pub(crate) fn earliest_ours(&self, started: Duration) -> Option<DateTime<Utc>> {
        let clerk_now = self.clerk_now?;
        let since_first_attempt = self.local_now.saturating_sub(started);
        Some(
            DateTime::<Utc>::from(clerk_now)
                - chrono::Duration::from_std(since_first_attempt + CLOCK_MARGIN)
                    .unwrap_or(chrono::Duration::MAX),
        )
    }
}

/// Whether the last answer is Clerk refusing the request on its own merits, for a reason no
/// earlier attempt of the same call could have caused: a 4xx (not 429) whose codes are readable
/// and none of them in `caused_by_an_earlier_attempt` (for a create: "already exists", "quota
/// used up"). A refusal whose codes cannot be read proves nothing.
pub(crate) fn refused_on_its_own(
    error: &Error,
    caused_by_an_earlier_attempt: &[ErrorCode],
) -> bool {
    let Some(api) = error.api() else {
        return false;
    };
    let status = api.status();
    status.is_client_error()
        && status != reqwest::StatusCode::TOO_MANY_REQUESTS
        && !api.errors().is_empty()
        && !error
            .codes()
            .any(|code| caused_by_an_earlier_attempt.contains(code))
}

/// The error of a call whose lost answer the lookup could not settle (`why`, with the lookup's
/// own failure if it failed): [`Error::Unresolved`], whose delivery is unknown, never a
/// certainty the call does not have. A success whose body was lost keeps its own error, which
/// says Clerk acted ([`Delivery::Processed`]).
pub(crate) fn unsettled(
    operation: Operation,
    why: Unsettled,
    failure: CallFailure,
    lookup_error: Option<Error>,
) -> Error {
    if failure.error.delivery() == Delivery::Processed {
        return failure.error;
    }
    tracing::warn!(
        operation = operation.id(),
        why = ?why,
        "an answer was lost and the lookup could not settle it"
    );
    Error::Unresolved(Box::new(UnresolvedError {
        operation,
        why,
        last_attempt: failure.error,
        lookup_error,
    }))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use reqwest::header::{DATE, HeaderValue};

    use super::*;
    use crate::policy::clock::ManualClock;

    #[test]
    fn ours_is_no_older_than_the_first_attempt_less_the_margin() {
        let clock = Arc::new(ManualClock::default());
        clock.advance(Duration::from_secs(100));
        let mut headers = HeaderMap::new();
        headers.insert(
            DATE,
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:10 GMT"),
        );
        let shared: SharedClock = clock.clone();
        let read = ClerkClock::read(&headers, &shared);
        // The call began 4 s before the lookup's answer, on the client's clock.
        let earliest = read.earliest_ours(Duration::from_secs(96)).unwrap();
        assert_eq!(earliest.to_rfc3339(), "2026-01-01T00:00:04+00:00");
        assert!(
            ClerkClock::read(&HeaderMap::new(), &shared)
                .earliest_ours(Duration::ZERO)
                .is_none()
        );
    }
}
