//! Running on several machines: Clerk's budgets shared by a fleet through Redis (feature `redis`).
//!
//! Clerk's limits apply per instance (create 250 per hour, bulk create 50 per hour, all requests
//! 100 per 10 s on `sk_test_` keys and 1000 on `sk_live_` keys), but a
//! [`Client`](crate::Client)'s budgets are per process. Four web servers or workers with their
//! own clients send four times the budget, and learn of it from 429s, which Clerk counts too.
//! With shared budgets they pace together:
//!
//! ```toml
//! clerk-orgs = { version = "0.1", features = ["redis"] }
//! ```
//!
//! ```ignore
//! use clerk_orgs::{Client, RedisBudgets};
//!
//! let client = Client::builder()
//!     .secret_key(std::env::var("CLERK_SECRET_KEY")?)
//!     .shared_budgets(RedisBudgets::new("redis://10.0.0.5:6379")?.namespace("my-app"))
//!     .build()?;
//! ```
//!
//! # Semantics
//!
//! - **The same budgets.** Global, create and bulk, with the limits of the client's
//!   [`RateLimits`](crate::RateLimits) (every process of a fleet must configure the same ones),
//!   waiting or failing fast as [`LimitMode`](crate::LimitMode) says, never waiting past
//!   [`RateLimits::max_wait`](crate::RateLimits::max_wait).
//! - **Atomic.** Each acquire is one Lua script on the Redis server over the route's budget
//!   *and* the global one together. Both allow the request and both log it, or neither does
//!   and the script returns the wait.
//! - **A window log, as in-process.** Each budget is a sliding-window log (a sorted set of the
//!   admission times of its last window): a request is admitted only if fewer than `requests`
//!   were admitted in the `window` before it, so N processes together never admit more than
//!   `requests` within any window, however aligned. What Clerk counts is arrivals, which trail
//!   admissions by the time a request takes to get there: a call admitted at the very end of one
//!   of Clerk's windows can land in the next (the fleet bench saw 11 in one sliding 5 s window at
//!   a limit of 10, and never more than 10 in a fixed window, with no 429). (Until this release the shared budgets were GCRA, which after a burst
//!   let up to `2 × requests − 1` into one fixed window.)
//! - **One clock.** The script reads the Redis server's `TIME`, so hosts whose clocks disagree
//!   still agree on the budget. Tests and benchmarks on a virtual clock pass the client's time
//!   instead ([`RedisBudgets::use_client_clock`](crate::RedisBudgets::use_client_clock)).
//! - **429s are shared.** A 429 one process meets pauses that budget (the route's, or the
//!   global one for reads, as in-process) for every process until its `Retry-After`, capped at
//!   `max_wait`; the log is left as it is, so when the pause ends the budget takes what its
//!   window allows, as the in-process budgets do.
//! - **Consulted before sending only.** Redis decides when a request may leave, never whether
//!   it is sent again: a Redis failure can make a call wait, use the fallback or fail before
//!   sending, but never lose a call or send it twice.
//!
//! # Failure policy
//!
//! Every Redis call is bounded by a timeout ([`RedisBudgets::timeout`], default 250 ms); past
//! it, or when Redis refuses the connection, the call goes by
//! [`RedisBudgets::on_failure`]:
//!
//! | Policy | The call | Events |
//! | --- | --- | --- |
//! | [`RedisFailure::FallBackToLocal`] (default) | takes from this process's own budgets and is sent | `warn` once per outage, `info` when Redis answers again |
//! | [`RedisFailure::FailCall`] | fails before sending with [`Error::SharedBudgetsUnavailable`] ([`Delivery::NotSent`]) | the same |
//!
//! While falling back each process paces only itself, so the fleet may exceed Clerk's limits
//! and meet 429s (handled by the retry policy as always). After a failure Redis is not asked
//! again for one second, so an outage costs one timeout per second, not one per call; the
//! connection reconnects by itself. A 429 that cannot be shared still pauses the process's own
//! budget.
//!
//! [`RedisBudgets::timeout`]: crate::RedisBudgets::timeout
//! [`RedisBudgets::on_failure`]: crate::RedisBudgets::on_failure
//! [`RedisFailure::FallBackToLocal`]: crate::RedisFailure::FallBackToLocal
//! [`RedisFailure::FailCall`]: crate::RedisFailure::FailCall
//! [`Error::SharedBudgetsUnavailable`]: crate::Error::SharedBudgetsUnavailable
//! [`Delivery::NotSent`]: crate::Delivery::NotSent
//!
//! # Key layout
//!
//! ```text
//! clerk-orgs:{<namespace>}:<budget>:log      a sorted set: one member per admitted request,
//!                                            scored by its time (µs), the last window's only
//! clerk-orgs:{<namespace>}:<budget>:paused   until when a 429 closed it (µs)
//! ```
//!
//! - `<budget>` is `all_requests`, `create_invitation` or `bulk_create_invitations`.
//! - `<namespace>` is the one given ([`RedisBudgets::namespace`](crate::RedisBudgets::namespace))
//!   or else derived from the secret key: the first 16 bytes, in hex, of HMAC-SHA256 keyed with
//!   a fixed label over the key ([`namespace_for_key`](crate::namespace_for_key)). Every process
//!   holding the key finds the same budgets, and the key cannot be read back from Redis.
//! - The braces make the namespace a Redis Cluster hash tag: a script's keys share one slot.
//! - Every key has a TTL: a `log` expires one window after its last admission (when nothing in
//!   it counts any more), a `paused` key when the pause ends, so nothing lingers after the fleet
//!   stops. A log holds at most `requests` members.
//!
//! # Observing it
//!
//! `tracing` events: `debug` for each wait on a shared budget (and whether a shared pause caused
//! it), `info` when this process shares a 429's pause, `warn` when Redis stops answering and the
//! policy takes over, `info` when it answers again.
//! [`RedisBudgets::stats`](crate::RedisBudgets::stats) counts acquires, waits, fallbacks,
//! failed calls and shared pauses.
