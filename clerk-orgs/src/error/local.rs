//! Failures found before anything is sent: an invalid request, an unusable configuration, the
//! client's own rate-limit budget.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use super::Error;
use crate::models::Budget;

/// A boxed error source.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A request that breaks one of Clerk's rules, found before sending; names the field and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: Cow<'static, str>,
    rule: Cow<'static, str>,
    /// Refused by the role check: the role is not one of the instance's.
    unknown_role: bool,
}

impl ValidationError {
    pub(crate) fn new(
        field: impl Into<Cow<'static, str>>,
        rule: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
            unknown_role: false,
        }
    }

    /// The role check's refusal of `field`: the role is not one of the instance's roles.
    pub(crate) fn unknown_role(
        field: impl Into<Cow<'static, str>>,
        rule: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            unknown_role: true,
            ..Self::new(field, rule)
        }
    }

    /// Whether the role check refused the role as not one of the instance's roles (see
    /// [`Error::is_role_not_found`]).
    pub fn is_unknown_role(&self) -> bool {
        self.unknown_role
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

/// A call refused by the client's own budget in [`LimitMode::FailFast`](crate::LimitMode::FailFast); nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "client-side rate limit: the {budget} budget is spent, nothing was sent; retry in {}",
    seconds(*retry_after)
)]
pub struct BudgetExhausted {
    pub(crate) budget: Budget,
    pub(crate) retry_after: Duration,
}

impl BudgetExhausted {
    /// A refusal by `budget`, allowed again after `retry_after` (also used by the shared budgets).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn new(budget: Budget, retry_after: Duration) -> Self {
        Self {
            budget,
            retry_after,
        }
    }

    /// The budget that is spent.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// How long until the budget allows the call.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

/// `1.5 s`-style rendering for messages.
fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// The shared budgets (Redis) could not be consulted in time and the client is set to fail
/// rather than fall back to its in-process budgets (`RedisFailure::FailCall`). Nothing was sent.
#[derive(Debug)]
pub struct SharedBudgetsUnavailable {
    what: &'static str,
    source: Option<BoxError>,
}

impl SharedBudgetsUnavailable {
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn new(what: &'static str, source: Option<BoxError>) -> Self {
        Self { what, source }
    }

    /// What went wrong, e.g. `did not answer within 250 ms`.
    pub fn what(&self) -> &str {
        self.what
    }
}

impl fmt::Display for SharedBudgetsUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "shared rate-limit budgets unavailable: Redis {}; nothing was sent (the client is \
             set to fail calls rather than use per-process budgets)",
            self.what
        )
    }
}

impl std::error::Error for SharedBudgetsUnavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
