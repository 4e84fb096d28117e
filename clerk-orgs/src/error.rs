//! [`Error`]: every way a call can fail, classified so callers (and the retry layer) can act.
//!
//! The variants answer "what happened": the request was refused before sending
//! ([`Error::InvalidRequest`]), Clerk answered with an error status ([`Error::Api`],
//! [`Error::RateLimited`]), the network failed ([`Error::Timeout`], [`Error::Transport`]) or a
//! success body did not decode ([`Error::Decode`]). [`Error::delivery`] answers "did Clerk act
//! on it", which decides whether a non-idempotent create may be sent again.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error_code::ErrorCode;
use crate::operation::Operation;

/// A boxed error source.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Raw bodies kept on errors are cut at this size, so a proxy's multi-megabyte page cannot pin
/// memory in an error that is logged and stored.
pub(crate) const MAX_RAW_BODY: usize = 64 * 1024;

/// An error answer is read up to this size and no further (Clerk's own are a few hundred
/// bytes), so a proxy's endless page costs neither memory nor time.
pub(crate) const MAX_ERROR_BODY: usize = 1024 * 1024;

/// Any failure of this crate.
///
/// `Display` is one line meant for people (Clerk's long message and trace id where there is
/// one); [`std::error::Error::source`] keeps the underlying transport or decoding error.
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
    BudgetExhausted(crate::rate_limit::BudgetExhausted),
    /// The fleet-wide budgets in Redis could not be consulted in time and the client is set to
    /// fail rather than fall back (`RedisFailure::FailCall`, feature `redis`); nothing was sent.
    #[error(transparent)]
    SharedBudgetsUnavailable(crate::shared_budgets::SharedBudgetsUnavailable),
    /// An attempt's answer was lost and looking the result up could not settle whether Clerk
    /// acted on it: the request may or may not have been processed. What the last attempt said
    /// and why the lookup did not settle it are on the [`UnresolvedError`].
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
    /// The HTTP status Clerk answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => Some(api.status),
            Error::Decode(decode) => Some(decode.status),
            Error::Timeout(transport) | Error::Transport(transport) => transport.status,
            Error::InvalidRequest(_)
            | Error::Config(_)
            | Error::BudgetExhausted(_)
            | Error::SharedBudgetsUnavailable(_)
            | Error::Unresolved(_)
            | Error::Internal(_) => None,
        }
    }

    /// Clerk's trace id (`clerk_trace_id` in the body, else the `x-clerk-trace-id` header): quote
    /// it to Clerk's support.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) | Error::RateLimited(api) => api.trace_id(),
            Error::Decode(decode) => decode.trace_id.as_deref(),
            Error::Unresolved(unresolved) => unresolved.last_attempt().trace_id(),
            _ => None,
        }
    }

    /// How long Clerk asked to wait (`Retry-After`, seconds or an HTTP date), or how long until
    /// the client's own budget allows the call.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::BudgetExhausted(exhausted) => Some(exhausted.retry_after()),
            _ => self.api().and_then(ApiError::retry_after),
        }
    }

    /// The code of each error in Clerk's answer (empty unless Clerk answered with its JSON).
    pub fn codes(&self) -> impl Iterator<Item = &ErrorCode> + '_ {
        self.api()
            .into_iter()
            .flat_map(|api| api.errors.iter().map(|detail| &detail.code))
    }

    /// Clerk's error answer, for [`Error::Api`] and [`Error::RateLimited`].
    pub fn api(&self) -> Option<&ApiError> {
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
        self.codes().any(|code| wanted.contains(code))
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

    /// The organization, invitation or user does not exist (404 or a not-found code).
    pub fn is_not_found(&self) -> bool {
        self.api()
            .is_some_and(|api| api.status == StatusCode::NOT_FOUND)
            || self.has_code(&[
                ErrorCode::ResourceNotFound,
                ErrorCode::OrganizationNotFoundOrUnauthorized,
            ])
    }

    /// Clerk answered 429 (or with `too_many_requests`).
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited(_)) || self.has_code(&[ErrorCode::TooManyRequests])
    }

    /// The secret key was missing, malformed or not accepted (401 or an authentication code).
    pub fn is_authentication(&self) -> bool {
        self.api()
            .is_some_and(|api| api.status == StatusCode::UNAUTHORIZED)
            || self.has_code(&[
                ErrorCode::AuthenticationInvalid,
                ErrorCode::ClerkKeyInvalid,
                ErrorCode::AuthorizationHeaderFormatInvalid,
            ])
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
    /// | a create or revoke answered with a success status whose body was cut or garbled | never: Clerk acted |
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
            // A 2xx means Clerk acted: asking again is harmless for a read, and can only do harm
            // for a create or a revoke.
            Error::Timeout(transport) | Error::Transport(transport)
                if transport.delivery() == Delivery::Processed =>
            {
                transport
                    .operation
                    .is_idempotent()
                    .then_some(RetryReason::MalformedResponse)
            }
            Error::Decode(decode) => decode
                .operation
                .is_idempotent()
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

/// Why a lost answer could not be settled; see [`UnresolvedError::why`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Unsettled {
    /// The lookup itself failed (its error is [`UnresolvedError::lookup_error`]).
    LookupFailed,
    /// Clerk's answers say an invitation exists, but the lookup found none pending: it may have
    /// been this call's, accepted or revoked since.
    NotFound,
    /// Clerk's answers carried no usable `Date`, so the invitation found cannot be dated
    /// against this call.
    NoClockEvidence,
}

impl Unsettled {
    fn as_str(self) -> &'static str {
        match self {
            Unsettled::LookupFailed => "the lookup failed",
            Unsettled::NotFound => "no pending invitation was found",
            Unsettled::NoClockEvidence => "Clerk's answer had no usable Date to date it by",
        }
    }
}

/// A call whose answer was lost, and why looking up the result did not settle it.
///
/// The request may or may not have been processed: [`Error::delivery`] is
/// [`Delivery::Unknown`]. Running the same create again is safe: Clerk refuses a second pending
/// invitation for an email, so it either creates it or says it exists.
#[derive(Debug)]
pub struct UnresolvedError {
    pub(crate) operation: Operation,
    pub(crate) why: Unsettled,
    pub(crate) last_attempt: Error,
    pub(crate) lookup_error: Option<Error>,
}

impl UnresolvedError {
    /// The operation whose outcome is unknown.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Why the lookup did not settle it.
    pub fn why(&self) -> Unsettled {
        self.why
    }

    /// What the call's last attempt said (for example `duplicate_record`, which alone would
    /// wrongly read as "invited before").
    pub fn last_attempt(&self) -> &Error {
        &self.last_attempt
    }

    /// The lookup's own failure, for [`Unsettled::LookupFailed`].
    pub fn lookup_error(&self) -> Option<&Error> {
        self.lookup_error.as_ref()
    }
}

impl fmt::Display for UnresolvedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: an answer was lost and {}, so the request may or may not have been processed \
             (last attempt: {})",
            self.operation,
            self.why.as_str(),
            self.last_attempt
        )?;
        if let Some(lookup) = &self.lookup_error {
            write!(f, " (lookup: {lookup})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnresolvedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last_attempt)
    }
}

/// A request that breaks one of Clerk's rules, found before sending; names the field and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: Cow<'static, str>,
    rule: Cow<'static, str>,
}

impl ValidationError {
    pub(crate) fn new(
        field: impl Into<Cow<'static, str>>,
        rule: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// The same error with `prefix` (say `invitations[3].`) before the field name; allocates
    /// only when there is a prefix, so the valid path never pays for it.
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.field = Cow::Owned(format!("{prefix}{}", self.field));
        }
        self
    }

    /// The offending field, e.g. `email_address` or `invitations[3].role`.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The rule it breaks, e.g. `must be between 1 and 365`.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

impl From<ValidationError> for Error {
    fn from(invalid: ValidationError) -> Self {
        Error::InvalidRequest(invalid)
    }
}

/// A client configuration that cannot work (missing key, unsafe base URL, TLS setup).
#[derive(Debug)]
pub struct ConfigError {
    setting: &'static str,
    rule: Cow<'static, str>,
    source: Option<BoxError>,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, rule: impl Into<Cow<'static, str>>) -> Self {
        Self {
            setting,
            rule: rule.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The setting at fault, e.g. `base_url` or `CLERK_SECRET_KEY`.
    pub fn setting(&self) -> &str {
        self.setting
    }

    /// What is wrong with it.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid client configuration: `{}` {}",
            self.setting, self.rule
        )
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

impl From<ConfigError> for Error {
    fn from(config: ConfigError) -> Self {
        Error::Config(config)
    }
}

/// One entry of Clerk's error envelope (`{"errors": [...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// The machine-readable code.
    pub code: ErrorCode,
    /// A short message, e.g. `duplicate invitation`.
    pub message: String,
    /// A full sentence for people.
    pub long_message: String,
    /// Details such as `param_name` or `email_addresses`.
    #[serde(default)]
    pub meta: Map<String, Value>,
}

/// Clerk's answer with an error status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<ErrorDetail>,
    pub(crate) meta: Map<String, Value>,
    pub(crate) trace_id: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) raw_body: Option<String>,
    /// The body went past [`MAX_ERROR_BODY`]: reading stopped there and the connection was
    /// dropped.
    pub(crate) body_cut: bool,
}

impl ApiError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Each error Clerk listed; empty when the body was not Clerk's JSON (see [`Self::raw_body`]).
    pub fn errors(&self) -> &[ErrorDetail] {
        &self.errors
    }

    /// The envelope's top-level `meta`.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.meta
    }

    /// Clerk's trace id, from the body or else the `x-clerk-trace-id` header.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// The `Retry-After` delay, if the response had a parsable one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The body as received when it was not Clerk's error JSON (an HTML page from a proxy, an
    /// empty body, ...), lossily decoded and cut at 64 KiB.
    pub fn raw_body(&self) -> Option<&str> {
        self.raw_body.as_deref()
    }

    /// Whether the body was longer than this client reads of an error answer (1 MiB): reading
    /// stopped there, the connection was dropped, and only its start is in [`Self::raw_body`].
    pub fn is_body_cut(&self) -> bool {
        self.body_cut
    }
}

/// Clerk's messages are sentences, but nothing guarantees a single line; `Display` must be one.
fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        Cow::Borrowed(text)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.operation)?;
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            f.write_str("rate limited by Clerk")?;
            if let Some(wait) = self.retry_after {
                write!(f, ", retry after {}s", wait.as_secs())?;
            }
            f.write_str(": ")?;
        }
        if self.errors.is_empty() {
            let body = match self.raw_body.as_deref() {
                None | Some("") => "an empty body",
                Some(body) if body.trim_start().starts_with('<') => "an HTML page",
                Some(_) => "a body that is not Clerk's error JSON",
            };
            write!(f, "Clerk answered HTTP {} with {body}", self.status)?;
            if self.body_cut {
                f.write_str(" (over 1 MiB; cut)")?;
            }
        } else {
            for (n, detail) in self.errors.iter().enumerate() {
                if n > 0 {
                    f.write_str("; ")?;
                }
                let text = if detail.long_message.is_empty() {
                    &detail.message
                } else {
                    &detail.long_message
                };
                write!(f, "{} [{}]", one_line(text), detail.code)?;
            }
            write!(f, " (HTTP {}", self.status.as_u16())?;
            f.write_str(")")?;
        }
        match &self.trace_id {
            Some(trace_id) => write!(f, " (trace id {trace_id})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ApiError {}

/// Where in the exchange a network failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Establishing the connection (DNS, TCP, TLS): the request was not sent.
    Connect,
    /// Sending the request or waiting for the response head: the request may have arrived.
    Request,
    /// Reading the response body, after the status arrived.
    ResponseBody,
}

/// A timeout or connection failure.
#[derive(Debug)]
pub struct TransportError {
    pub(crate) operation: Operation,
    pub(crate) phase: Phase,
    pub(crate) status: Option<StatusCode>,
    pub(crate) source: reqwest::Error,
}

impl TransportError {
    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Where the exchange broke off.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the answer's body was longer than the client reads (16 MiB for a success,
    /// see `clerk_bapi_sys::MAX_RESPONSE_BODY`): reading stopped there and the connection was
    /// dropped.
    pub fn is_body_too_large(&self) -> bool {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&self.source);
        while let Some(error) = source {
            if error.is::<clerk_bapi_sys::BodyTooLarge>() {
                return true;
            }
            source = error.source();
        }
        false
    }

    /// Whether Clerk could have acted on the request.
    pub fn delivery(&self) -> Delivery {
        match (self.phase, self.status) {
            (Phase::Connect, _) => Delivery::NotSent,
            (Phase::ResponseBody, Some(status)) if status.is_success() => Delivery::Processed,
            (Phase::ResponseBody, Some(status)) if status.is_client_error() => Delivery::Rejected,
            _ => Delivery::Unknown,
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timed_out = self.source.is_timeout();
        let what = match (self.phase, timed_out) {
            (Phase::Connect, true) => "timed out connecting to Clerk; nothing was sent",
            (Phase::Connect, false) => "could not connect to Clerk; nothing was sent",
            (Phase::Request, true) => {
                "Clerk did not answer in time; the request may have been processed"
            }
            (Phase::Request, false) => {
                "the connection to Clerk failed before an answer; the request may have been processed"
            }
            (Phase::ResponseBody, true) => "timed out reading Clerk's answer",
            (Phase::ResponseBody, false) if self.is_body_too_large() => {
                "Clerk's answer was too large to read; it was cut and the connection dropped"
            }
            (Phase::ResponseBody, false) => "the connection broke while reading Clerk's answer",
        };
        write!(f, "{}: {what}", self.operation)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {})", status.as_u16())?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// A success status whose body does not decode.
#[derive(Debug)]
pub struct DecodeError {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) trace_id: Option<String>,
    pub(crate) source: serde_json::Error,
}

impl DecodeError {
    /// The operation whose answer did not decode.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The success status Clerk sent.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body as received (cut at 64 KiB).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: Clerk answered HTTP {} (the request was processed) with a body this client cannot decode",
            self.operation,
            self.status.as_u16()
        )?;
        match &self.trace_id {
            Some(trace_id) => write!(f, " (trace id {trace_id})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
