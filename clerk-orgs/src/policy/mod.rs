//! The policy layer: when a request is tried again ([`RetryPolicy`]), how the client paces itself
//! under Clerk's limits ([`RateLimits`]), the attempt loop that applies both (`resilience`), the
//! [`clock`] they wait on, and how long the role check trusts a fetched list of roles
//! (`role_cache`).
//!
//! It may import `error`, `models` and `operation` only: it decides from an [`Error`]'s
//! classification and an [`Operation`], and never sees HTTP or invitations.
//!
//! [`Error`]: crate::Error
//! [`Operation`]: crate::Operation

pub mod clock;
mod rate_limit;
mod resilience;
mod retry;
mod role_cache;
mod shared_budgets;

pub(crate) use rate_limit::ClientLimiter;
pub use rate_limit::{DEFAULT_HEADROOM, DEFAULT_MAX_WAIT, Limit, LimitMode, RateLimits};
pub(crate) use resilience::{CallFailure, RequestOptions, Resilience, request_option_setters};
pub use retry::{Jitter, RetryPolicy};
pub(crate) use role_cache::{CachedRoles, RoleCache};
pub use role_cache::{DEFAULT_ROLE_CACHE_TTL, MISS_REFRESH_AFTER};
pub(crate) use shared_budgets::SharedConfig;
#[cfg(feature = "redis")]
pub use shared_budgets::{
    DEFAULT_REDIS_TIMEOUT, FleetShare, Pacing, RedisBudgets, RedisFailure, SharedBudgetStats,
    namespace_for_key,
};
