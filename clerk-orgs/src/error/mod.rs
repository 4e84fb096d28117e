//! [`Error`]: every way a call can fail, classified so callers (and the retry layer) can act.
//!
//! The variants answer "what happened": the request was refused before sending
//! ([`Error::InvalidRequest`]), Clerk answered with an error status ([`Error::Api`],
//! [`Error::RateLimited`]), the network failed ([`Error::Timeout`], [`Error::Transport`]) or a
//! success body did not decode ([`Error::Decode`]). [`Error::delivery`] answers "did Clerk act
//! on it", which decides whether a non-idempotent create may be sent again.

use std::time::Duration;

use reqwest::StatusCode;

use crate::operation::Operation;

mod answer;
mod code;
mod local;
mod unresolved;

pub use answer::{ApiError, DecodeError, ErrorDetail, Phase, TransportError};
pub use code::ErrorCode;
pub use local::{BudgetExhausted, ConfigError, SharedBudgetsUnavailable, ValidationError};
pub use unresolved::{UnresolvedError, Unsettled};

/// Any failure of this crate.
///
/// `Display` is one line meant for people (Clerk's long message and trace id where there is
/// one); [`std::error::Error::source`] keeps the underlying transport or decoding error.
///
/// # Accessors and predicates
///
/// Two kinds of methods, which never mix:
///
/// - **The answer's accessors** read the one answer an error carries: [`Error::status`],
///   [`Error::codes`], [`Error::trace_id`], [`Error::retry_after`] and [`Error::api`]. They
///   always describe the same answer. For [`Error::Unresolved`] that is the call's last answer
///   ([`UnresolvedError::last_attempt`]): a create answered 500 whose lookup also failed gives
///   the 500's status, codes and trace id, for logs and for Clerk's support. Where there was no
///   answer (a timeout, a refused connection, a local error), they all say nothing.
/// - **The predicates** classify the call's outcome: [`Error::delivery`],
///   [`Error::is_retryable`], [`Error::is_duplicate_invitation`] and the other `is_*`. On an
///   [`Error::Unresolved`] they never read its last answer, which did not settle anything: an
///   unresolved create is not "already invited" even if its last attempt met
///   `duplicate_record` (its [`Error::codes`] still list that code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request breaks a rule Clerk enforces; it was not sent.
    #[error("invalid request, nothing was sent: {0}")]
    InvalidRequest(ValidationError),
    /// The client could not be built from the given configuration.
    #[error(transparent)]
    Config(ConfigError),
    /// Clerk answered with an error status other than 429.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Clerk answered 429 Too Many Requests; see [`Error::retry_after`].
    #[error(transparent)]
    RateLimited(Box<ApiError>),
    /// No answer in time (connecting, or waiting for or reading the response).
    #[error(transparent)]
    Timeout(TransportError),
    /// The connection failed, was refused or was dropped.
    #[error(transparent)]
    Transport(TransportError),
    /// Clerk answered with a success status, but the body is not what the spec promises.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The client's own rate limit refused the call in [`crate::LimitMode::FailFast`]; nothing
    /// was sent. [`Error::retry_after`] says when the budget allows it.
    #[error(transparent)]
    BudgetExhausted(BudgetExhausted),
    /// The fleet-wide budgets in Redis could not be consulted in time and the client is set to
    /// fail rather than fall back (`RedisFailure::FailCall`, feature `redis`); nothing was sent.
    #[error(transparent)]
    SharedBudgetsUnavailable(SharedBudgetsUnavailable),
    /// An attempt's answer was lost and looking the result up could not settle whether Clerk
    /// acted on it: the request may or may not have been processed. What the last attempt said
    /// and why the lookup did not settle it are on the [`UnresolvedError`]; the answer
    /// accessors ([`Error::status`], [`Error::codes`], ...) describe that last answer.
    #[error(transparent)]
    Unresolved(Box<UnresolvedError>),
    /// A bug in this crate: an invariant broke after the request was sent, so whether Clerk
    /// acted is unknown. Please report it.
    #[error("internal error in clerk-orgs after sending (a bug; please report it): {0}")]
    Internal(&'static str),
}

/// Why a failed attempt is worth another one; derived from the error alone by
/// [`Error::retry_reason`], which both [`Error::is_retryable`] and the retry loop use.
/// Also the `reason` field of the retry events in `tracing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryReason {
    /// 429 Too Many Requests.
    RateLimited,
    /// 502, 503 or 504: a gateway or an overloaded Clerk.
    Unavailable,
    /// 500: Clerk failed, possibly after acting on the request.
    ServerError,
    /// No answer in time.
    Timeout,
    /// The connection failed or was dropped before a success status arrived.
    Connection,
    /// A read answered with a success status whose body was cut or garbled.
    MalformedResponse,
    /// The client's own budget is spent: later, it will not be.
    ClientBudget,
}

impl RetryReason {
    /// The name used in `tracing` fields.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RetryReason::RateLimited => "rate_limited",
            RetryReason::Unavailable => "unavailable",
            RetryReason::ServerError => "server_error",
            RetryReason::Timeout => "timeout",
            RetryReason::Connection => "connection",
            RetryReason::MalformedResponse => "malformed_response",
            RetryReason::ClientBudget => "client_budget",
        }
    }
}

/// Whether a failed request could have taken effect at Clerk.
///
/// A retry layer may resend anything but [`Delivery::Unknown`] and [`Delivery::Processed`]
/// creates freely; for those, Clerk may already hold the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Never left the machine (validation, configuration, connection not established).
    NotSent,
    /// Clerk answered with a status that means it did not act (4xx, 429).
    Rejected,
    /// Sent, but the outcome is unknown (timeout or dropped connection after sending, 5xx).
    Unknown,
    /// Clerk answered with a success status; only the body was lost or unreadable.
    Processed,
}

impl Error {
    /// The HTTP status Clerk answered with, if it answered; for [`Error::Unresolved`], the
    /// last answer's (see [`Error`]).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => Some(api.status),
            Error::Decode(decode) => Some(decode.status),
            Error::Timeout(transport) | Error::Transport(transport) => transport.status,
            Error::Unresolved(unresolved) => unresolved.last_attempt().status(),
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::BudgetExhausted(_)
            | Error::SharedBudgetsUnavailable(_)
            | Error::Internal(_) => None,
        }
    }

    /// Clerk's trace id (`clerk_trace_id` in the body, else the `x-clerk-trace-id` header): quote
    /// it to Clerk's support. For [`Error::Unresolved`], the last answer's.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => api.trace_id(),
            Error::Decode(decode) => decode.trace_id.as_deref(),
            Error::Unresolved(unresolved) => unresolved.last_attempt().trace_id(),
            _ => None,
        }
    }

    /// How long Clerk asked to wait (`Retry-After`, seconds or an HTTP date), or how long until
    /// the client's own budget allows the call. For [`Error::Unresolved`], what the last answer
    /// asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::BudgetExhausted(exhausted) => Some(exhausted.retry_after()),
            Error::Unresolved(unresolved) => unresolved.last_attempt().retry_after(),
            _ => self.api().and_then(ApiError::retry_after),
        }
    }

    /// The code of each error in Clerk's answer (empty unless Clerk answered with its JSON). For
    /// [`Error::Unresolved`], the last answer's, which the `is_*` predicates do not read.
    pub fn codes(&self) -> impl Iterator<Item = &ErrorCode> + '_ {
        self.api()
            .into_iter()
            .flat_map(|api| api.errors.iter().map(|detail| &detail.code))
    }

    /// Clerk's error answer, for [`Error::Api`] and [`Error::RateLimited`], and for an
    /// [`Error::Unresolved`] whose last answer was one of those.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Unresolved(unresolved) => unresolved.last_attempt().api(),
            _ => self.own_api(),
        }
    }

    /// Clerk's error answer when it is this error's outcome (never an unresolved call's last
    /// answer): what the predicates read.
    fn own_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => Some(api),
            _ => None,
        }
    }

    /// The validation failure, for [`Error::InvalidRequest`].
    pub fn validation(&self) -> Option<&ValidationError> {
        match self {
            Error::InvalidRequest(invalid) => Some(invalid),
            _ => None,
        }
    }

    /// The operation that failed, when a request was attempted.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => Some(api.operation),
            Error::Decode(decode) => Some(decode.operation),
            Error::Timeout(transport) | Error::Transport(transport) => Some(transport.operation),
            Error::Unresolved(unresolved) => Some(unresolved.operation),
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::BudgetExhausted(_)
            | Error::SharedBudgetsUnavailable(_)
            | Error::Internal(_) => None,
        }
    }

    fn has_code(&self, wanted: &[ErrorCode]) -> bool {
        self.own_api().is_some_and(|api| {
            api.errors
                .iter()
                .any(|detail| wanted.contains(&detail.code))
        })
    }

    /// A pending invitation for this email address already exists.
    pub fn is_duplicate_invitation(&self) -> bool {
        self.has_code(&[
            ErrorCode::DuplicateRecord,
            ErrorCode::OrganizationInvitationNotUnique,
        ])
    }

    /// The invitee is already a member of the organization.
    pub fn is_already_member(&self) -> bool {
        self.has_code(&[ErrorCode::AlreadyAMemberInOrganization])
    }

    /// The organization, invitation, membership, role or user does not exist (404 or a
    /// not-found code). Not an invitation that exists but is no longer pending, although Clerk
    /// answers that with a 404 too: see [`Error::is_not_pending`].
    pub fn is_not_found(&self) -> bool {
        if self.is_not_pending() {
            return false;
        }
        self.own_api()
            .is_some_and(|api| api.status == StatusCode::NOT_FOUND)
            || self.has_code(&[
                ErrorCode::ResourceNotFound,
                ErrorCode::OrganizationNotFoundOrUnauthorized,
            ])
    }

    /// The invitation exists but is no longer pending (revoked before, accepted or expired),
    /// so it cannot be revoked: Clerk's 404 `organization_invitation_not_pending`.
    pub fn is_not_pending(&self) -> bool {
        self.has_code(&[ErrorCode::OrganizationInvitationNotPending])
    }

    /// Clerk answered 429 (or with `too_many_requests`).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited(_)) || self.has_code(&[ErrorCode::TooManyRequests])
    }

    /// The secret key was missing, malformed or not accepted (401 or an authentication code).
    pub fn is_authentication(&self) -> bool {
        self.own_api()
            .is_some_and(|api| api.status == StatusCode::UNAUTHORIZED)
            || self.has_code(&[
                ErrorCode::AuthenticationInvalid,
                ErrorCode::ClerkKeyInvalid,
                ErrorCode::AuthorizationHeaderFormatInvalid,
            ])
    }

    /// Clerk refused to leave the organization without an admin: the change would remove the
    /// last member holding the minimum required permissions (demoting or removing the last
    /// admin). Clerk answers 400 `organization_minimum_permissions_needed`
    /// (`at_least_one_admin_needed` in its older documentation); both are recognised.
    pub fn is_last_admin(&self) -> bool {
        self.has_code(&[
            ErrorCode::OrganizationMinimumPermissionsNeeded,
            ErrorCode::AtLeastOneAdminNeeded,
        ])
    }

    /// The role named by an invitation or membership does not exist: the opt-in role check
    /// refused it before sending ([`Error::InvalidRequest`], naming the roles that do), or
    /// Clerk did, with an error about the `role` parameter (`resource_not_found` or
    /// `form_param_value_invalid` whose `meta.param_name` is `role`).
    pub fn is_role_not_found(&self) -> bool {
        if let Error::InvalidRequest(invalid) = self {
            return invalid.is_unknown_role();
        }
        self.api().is_some_and(|api| {
            api.errors.iter().any(|detail| {
                matches!(
                    detail.code,
                    ErrorCode::ResourceNotFound | ErrorCode::FormParamValueInvalid
                ) && detail.meta.get("param_name").and_then(|name| name.as_str()) == Some("role")
            })
        })
    }

    /// The organization's membership limit or the plan's seats are used up.
    pub fn is_quota_exceeded(&self) -> bool {
        self.has_code(&[
            ErrorCode::OrganizationMembershipQuotaExceeded,
            ErrorCode::InsufficientSeats,
        ])
    }

    /// Why another attempt of the same request may succeed, or `None` when it cannot or must
    /// not be sent again. The one classification: [`Error::is_retryable`] is this being `Some`,
    /// and the retry loop retries exactly these errors (within its policy).
    ///
    /// | Error | Retried |
    /// | --- | --- |
    /// | 429 | yes, after `Retry-After` |
    /// | 500, 502, 503, 504 | yes |
    /// | timeout, refused or dropped connection before a success status | yes |
    /// | a read (list, get) answered with a success status whose body was cut or garbled | yes |
    /// | a write (create, revoke, membership update or delete) answered with a success status whose body was cut or garbled | never: Clerk acted |
    /// | a body over the size cap | never: it would be as large again |
    /// | any other 4xx, invalid requests, configuration | never |
    /// | the client's own budget ([`Error::BudgetExhausted`]) | later; the loop does not wait for it in `FailFast` mode |
    /// | the shared budgets unreachable ([`Error::SharedBudgetsUnavailable`]) | later; nothing was sent |
    /// | [`Error::Unresolved`] | never: the outcome must be looked at first |
    pub(crate) fn retry_reason(&self) -> Option<RetryReason> {
        match self {
            Error::RateLimited(_) => Some(RetryReason::RateLimited),
            Error::Api(api) => match api.status.as_u16() {
                500 => Some(RetryReason::ServerError),
                502..=504 => Some(RetryReason::Unavailable),
                _ => None,
            },
            Error::Timeout(transport) | Error::Transport(transport)
                if transport.is_body_too_large() =>
            {
                None
            }
            // A 2xx means Clerk acted: asking again is harmless for a read, and a write answered
            // with a success status is never sent again (even an idempotent one: its outcome is
            // settled by a lookup instead).
            Error::Timeout(transport) | Error::Transport(transport)
                if transport.delivery() == Delivery::Processed =>
            {
                transport
                    .operation
                    .is_read()
                    .then_some(RetryReason::MalformedResponse)
            }
            Error::Decode(decode) => decode
                .operation
                .is_read()
                .then_some(RetryReason::MalformedResponse),
            Error::Timeout(_) => Some(RetryReason::Timeout),
            Error::Transport(_) => Some(RetryReason::Connection),
            Error::BudgetExhausted(_) | Error::SharedBudgetsUnavailable(_) => {
                Some(RetryReason::ClientBudget)
            }
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::Unresolved(_)
            | Error::Internal(_) => None,
        }
    }

    /// Whether the same request may succeed later: 429, 500, 502, 503, 504, timeouts and
    /// connection failures before a success status, and the client's own rate limit. The retry
    /// layer retries exactly these (see the [reliability guide](crate::reliability)).
    ///
    /// This says nothing about safety: a create that timed out is retryable *and* may already
    /// exist at Clerk. Check [`Error::delivery`] before resending non-idempotent calls.
    pub fn is_retryable(&self) -> bool {
        self.retry_reason().is_some()
    }

    /// Whether Clerk could have acted on the request; see [`Delivery`].
    pub fn delivery(&self) -> Delivery {
        match self {
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::BudgetExhausted(_)
            | Error::SharedBudgetsUnavailable(_) => Delivery::NotSent,
            Error::RateLimited(_) => Delivery::Rejected,
            Error::Api(api) if api.status.is_server_error() => Delivery::Unknown,
            Error::Api(_) => Delivery::Rejected,
            Error::Decode(_) => Delivery::Processed,
            Error::Timeout(transport) | Error::Transport(transport) => transport.delivery(),
            Error::Unresolved(_) | Error::Internal(_) => Delivery::Unknown,
        }
    }

    /// Whether Clerk may have acted on the request ([`Delivery::Unknown`] or
    /// [`Delivery::Processed`]): a create failing this way must not be blindly resent.
    pub fn maybe_processed(&self) -> bool {
        matches!(self.delivery(), Delivery::Unknown | Delivery::Processed)
    }

    /// What settling a lost answer found, for [`Error::Unresolved`].
    pub fn unresolved(&self) -> Option<&UnresolvedError> {
        match self {
            Error::Unresolved(unresolved) => Some(unresolved),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;

    fn api(status: u16, code: Option<ErrorCode>, retry_after: Option<u64>) -> Box<ApiError> {
        Box::new(ApiError {
            operation: Operation::CreateInvitation,
            status: StatusCode::from_u16(status).unwrap(),
            errors: code
                .into_iter()
                .map(|code| ErrorDetail {
                    code,
                    message: "m".to_owned(),
                    long_message: "long m".to_owned(),
                    meta: Map::new(),
                })
                .collect(),
            meta: Map::new(),
            trace_id: Some(format!("trace-{status}")),
            retry_after: retry_after.map(Duration::from_secs),
            raw_body: None,
            body_cut: false,
        })
    }

    fn unresolved(last_attempt: Error) -> Error {
        Error::Unresolved(Box::new(UnresolvedError {
            operation: Operation::CreateInvitation,
            why: Unsettled::LookupFailed,
            last_attempt,
            lookup_error: Some(Error::Api(api(503, None, None))),
        }))
    }

    /// Every kind of last answer an unresolved call can end on: the accessors give exactly that
    /// answer (or all nothing), the predicates never read it.
    #[test]
    fn an_unresolved_errors_accessors_describe_its_last_answer() {
        let decode = DecodeError {
            operation: Operation::CreateInvitation,
            status: StatusCode::OK,
            body: b"{".to_vec(),
            trace_id: Some("trace-200".to_owned()),
            source: serde_json::from_slice::<serde_json::Value>(b"{").unwrap_err(),
        };
        let cases = [
            Error::Api(api(
                500,
                Some(ErrorCode::Unknown("internal_clerk_error".into())),
                None,
            )),
            Error::Api(api(400, Some(ErrorCode::DuplicateRecord), None)),
            Error::Api(api(404, Some(ErrorCode::ResourceNotFound), None)),
            Error::Api(api(401, Some(ErrorCode::AuthenticationInvalid), None)),
            Error::RateLimited(api(429, Some(ErrorCode::TooManyRequests), Some(7))),
            Error::Decode(Box::new(decode)),
            Error::Internal("no answer at all"),
        ];
        for last in cases {
            let expected = (
                last.status(),
                last.codes().cloned().collect::<Vec<_>>(),
                last.trace_id().map(str::to_owned),
                last.retry_after(),
                last.api().map(|api| api.status()),
            );
            let error = unresolved(last);
            let got = (
                error.status(),
                error.codes().cloned().collect::<Vec<_>>(),
                error.trace_id().map(str::to_owned),
                error.retry_after(),
                error.api().map(|api| api.status()),
            );
            assert_eq!(got, expected, "{error:?}");
            assert!(
                !(error.is_duplicate_invitation()
                    || error.is_already_member()
                    || error.is_not_found()
                    || error.is_rate_limited()
                    || error.is_authentication()
                    || error.is_quota_exceeded()
                    || error.is_retryable()),
                "a predicate read the last answer: {error:?}"
            );
            assert_eq!(error.delivery(), Delivery::Unknown);
        }
    }
}
