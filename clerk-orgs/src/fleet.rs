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
//! - **A window log with headroom, as in-process.** Each budget is a sliding-window log (a
//!   sorted set of admission times): a request is admitted only if fewer than `requests` were
//!   admitted in the `window` plus the [headroom](crate::RateLimits::headroom) before it, so N
//!   processes together never admit more than `requests` within any window, however aligned.
//!   What Clerk counts is arrivals, which trail admissions by a time that varies (a pooled
//!   connection or a new one, a busy host): the headroom (by default 50 ms, or a thousandth of
//!   the window if longer) is room for that, so a call admitted at the very edge of a window
//!   still reaches Clerk after the call it replaces has left Clerk's window, sliding or fixed.
//!   A full budget then admits `requests` per `window + headroom`: 0.5 % less for the 10 s
//!   global budget, 0.1 % for the hourly ones. (Counting the bare window, the fleet bench saw
//!   up to 14 calls within one sliding 5 s window at a limit of 10; `BENCHMARKS.md`.)
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
//! | [`RedisFailure::FallBackToLocal`] (default) | takes from this process's own budgets, at its share of the fleet, and is sent | `warn` once per outage, `info` per budget with the fleet and the share, `info` when Redis answers again |
//! | [`RedisFailure::FailCall`] | fails before sending with [`Error::SharedBudgetsUnavailable`] ([`Delivery::NotSent`]) | `warn` once per outage, `info` when Redis answers again |
//!
//! After a failure Redis is not asked again for one second (on the client's clock), so an
//! outage costs one timeout per second, not one per call; the connection reconnects by itself.
//! A 429 that cannot be shared still pauses the process's own budget.
//!
//! ## The fleet's share
//!
//! Falling back, a process does not take the whole budget (four processes doing that send four
//! times the limit, the stampede this feature exists to prevent): it takes its **share**.
//!
//! - **The fleet, as Redis last showed it.** Every answer of the acquire script says, per
//!   budget, how many admissions its log holds within the window and how many processes asked
//!   for it lately (within its window, or the last minute if that is longer; a client and its
//!   clones are one process). The process keeps that, and logs every admission Redis made for
//!   it in its own budgets.
//! - **The share.** With `k` processes and `o` admissions of the others still in the window
//!   (counted, to be safe, until a window after the answer that showed them), a process takes
//!   `⌊(requests − o) / k⌋` per window and headroom, counting what it already spent: right
//!   after the outage it waits for the fleet's last calls to leave the window, then takes its
//!   `⌊requests / k⌋`. Each process keeping to that, the fleet together stays within the
//!   budget: the shares add up to at most `requests − o`. With more processes than requests,
//!   each takes one per `⌈k / requests⌉` windows. A process that never reached Redis knows no
//!   fleet and takes the whole budget, as before.
//! - **Rejoining.** When Redis answers again (perhaps restarted and empty), the process keeps
//!   to its share, of the fleet it knew, for one more window and headroom plus the second in
//!   which another process may still go on without Redis: by then every call sent without
//!   Redis has left the window and the shared log knows all the rest, so Redis alone decides
//!   again with no burst on top of what was sent meanwhile.
//! - **What it cannot know.** The share is as good as the process's last answer. Calls other
//!   processes made between that answer and the outage, a process that did not call during
//!   the outage (and so does not know to rejoin), one that joined while Redis was down, or a
//!   partition that cuts off only some processes, can put a few more calls than the limit in
//!   the windows around an outage; Clerk then answers 429, which is handled as always. The unit
//!   model in `policy::rate_limit` stays within the limit for a busy fleet, and finds up to 3
//!   more when one process asks only about once a window; the fleet test allows 1 more after
//!   Redis is killed under four busy processes.
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
//! clerk-orgs:{<namespace>}:<budget>:fleet    a sorted set: one member per process (a random id
//!                                            per client), scored by when it last asked (µs)
//! ```
//!
//! - `<budget>` is `all_requests`, `create_invitation` or `bulk_create_invitations`.
//! - `<namespace>` is the one given ([`RedisBudgets::namespace`](crate::RedisBudgets::namespace))
//!   or else derived from the secret key: the first 16 bytes, in hex, of HMAC-SHA256 keyed with
//!   a fixed label over the key ([`namespace_for_key`](crate::namespace_for_key)). Every process
//!   holding the key finds the same budgets, and the key cannot be read back from Redis.
//! - The braces make the namespace a Redis Cluster hash tag: a script's keys share one slot.
//! - Every key has a TTL: a `log` expires one window and headroom after its last admission
//!   (when nothing in it counts any more), a `fleet` when its last process would leave it, a
//!   `paused` key when the pause ends, so nothing lingers after the fleet stops. A log holds at
//!   most `requests` members.
//!
//! # Observing it
//!
//! `tracing` events: `debug` for each wait on a shared budget (and whether a shared pause caused
//! it) and when a budget's fleet or share changes; `info` when this process shares a 429's
//! pause; `warn` when Redis stops answering and the policy takes over; `info`, per budget, when
//! the process starts pacing at its share and when it rejoins (both with `fleet_size`,
//! `share_requests`, `share_window_ms`); `info` when Redis answers again.
//! [`RedisBudgets::stats`](crate::RedisBudgets::stats) counts acquires, waits, fallbacks,
//! failed calls and shared pauses, and gives the fleet size seen, the pacing in use
//! ([`Pacing`](crate::Pacing): shared, own share, rejoining) and, per budget, the fleet and the
//! share ([`SharedBudgetStats::share`](crate::SharedBudgetStats::share)).
