//! Budgets shared by every process of a fleet (feature `redis`), and the hooks the attempt loop
//! calls before sending and after a 429.
//!
//! Without a shared store, or with the `redis` feature off, the hooks are the client's own
//! in-process budgets ([`ClientLimiter`]) and nothing else. With [`RedisBudgets`] set on the
//! builder, each acquire is one Lua script on the Redis server over the route's budget and the
//! global one together, and a 429 pauses the budget for every process; the in-process budgets
//! remain the fallback when Redis cannot answer in time, paced at this process's share of the
//! fleet that Redis last showed (see [`crate::fleet`]).
//!
//! This lives apart from `rate_limit` on purpose: the in-process limiter only keeps what Redis
//! tells it (admissions, the fleet) and applies the share rule, and the whole shared layer is a
//! few calls from the attempt loop into this module.

use std::time::Duration;

use super::clock::SharedClock;
use super::rate_limit::{ClientLimiter, LimitMode, RateLimits};
use crate::error::{ConfigError, Error};
use crate::models::{Budget, KeyKind};

#[cfg(feature = "redis")]
mod redis_budgets;
#[cfg(feature = "redis")]
pub use redis_budgets::{
    DEFAULT_REDIS_TIMEOUT, FleetShare, Pacing, RedisBudgets, RedisFailure, SharedBudgetStats,
    namespace_for_key,
};

/// The shared store set on the builder, if any; bound to the key and limits by `build`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedConfig {
    #[cfg(feature = "redis")]
    pub(crate) redis: Option<RedisBudgets>,
}

impl SharedConfig {
    /// Ties the store to this client: its namespace (from the secret key unless named), its
    /// budgets (the same [`RateLimits`] as the in-process ones) and its clock.
    #[cfg_attr(not(feature = "redis"), allow(unused_variables))]
    pub(crate) fn bind(
        self,
        secret_key: &str,
        limits: &RateLimits,
        key_kind: KeyKind,
        limiter: &ClientLimiter,
        clock: &SharedClock,
    ) -> Result<SharedHook, ConfigError> {
        #[cfg(feature = "redis")]
        if let Some(redis) = self.redis {
            return Ok(SharedHook {
                redis: Some(redis.bind(secret_key, limits, key_kind, limiter, clock.clone())?),
            });
        }
        Ok(SharedHook::default())
    }
}

/// What the attempt loop calls; a client's clones share it.
#[derive(Debug, Default)]
pub(crate) struct SharedHook {
    #[cfg(feature = "redis")]
    redis: Option<redis_budgets::Bound>,
}

impl SharedHook {
    /// Takes one request from the route's budget and the global one: from Redis when shared
    /// budgets are set and answer in time, else from the in-process budgets (at this process's
    /// share of the fleet Redis last showed, when shared budgets are set).
    pub(crate) async fn admit(
        &self,
        limiter: &ClientLimiter,
        route: Option<Budget>,
        mode: LimitMode,
    ) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            return redis.admit(limiter, route, mode).await;
        }
        limiter
            .acquire(route, mode)
            .await
            .map(drop)
            .map_err(Error::BudgetExhausted)
    }

    /// Clerk answered 429 to a request that drew from `route`: pause the budget in-process
    /// (the fallback must know too) and, when shared, for every process.
    pub(crate) async fn rate_limited(
        &self,
        limiter: &ClientLimiter,
        route: Option<Budget>,
        retry_after: Option<Duration>,
    ) {
        limiter.rate_limited(route, retry_after);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.redis {
            redis.pause(route, retry_after).await;
        }
    }
}
