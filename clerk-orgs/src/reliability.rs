//! # Retries, rate limits, bulk invitations, memberships and roles
//!
//! Clerk limits invitation creates to 250 per hour and bulk creates to 50 per hour per instance,
//! answers 429 with `Retry-After`, and has no idempotency keys. This client retries what is worth
//! retrying, never invites anyone twice, paces itself under Clerk's limits, and invites any number
//! of people unattended. Memberships and roles get the same guarantees, decided per operation
//! (see [Memberships and roles](#memberships-and-roles-per-operation)).
//!
//! ## Retries
//!
//! Every request runs under a [`RetryPolicy`], set on the client builder and overridable per
//! request with `.retry(..)`. The default makes up to 4 attempts within 60 s:
//!
//! | Failure | Retried? | Wait |
//! | --- | --- | --- |
//! | 429 Too Many Requests | yes, if `Retry-After` ≤ 60 s ([`RetryPolicy::max_retry_after`]) | `Retry-After` (seconds or an HTTP date) |
//! | 500, 502, 503, 504 | yes | exponential backoff from 250 ms, at most 10 s, full jitter |
//! | timeout, refused or dropped connection | yes | the same backoff |
//! | a read (list, get) answered with a cut or garbled success body | yes | the same backoff |
//! | a write (create, bulk create, revoke, membership create, role change, metadata merge, delete) answered with a success status | **never**: Clerk acted; the answer is settled by a lookup |
//! | a body over the size cap (16 MiB for a success, 1 MiB read of an error) | never | |
//! | any other 4xx | never | |
//!
//! This table is one function, on the error itself: [`Error::is_retryable`] is true exactly for
//! the rows the loop retries, so the two cannot disagree.
//!
//! A 429 whose `Retry-After` is past the cap ends the call with [`Error::RateLimited`] at once;
//! [`Error::retry_after`] says when to come back. [`RetryPolicy::none`] sends each request exactly
//! once. Each retry is an `info` event in the request's `clerk_orgs.request` span, with the
//! `attempt` that failed, the `reason` (`rate_limited`, `unavailable`, `server_error`, `timeout`,
//! `connection`, `malformed_response`) and the `delay_ms` before the next one.
//!
//! ## Lost answers: the decision rules
//!
//! A create whose answer was lost (a timeout after sending, a dropped connection, a 5xx, a success
//! whose body did not arrive whole) may or may not have created the invitation, and Clerk has no
//! idempotency keys. A success status is never sent again; anything else is retried, which is
//! safe because Clerk refuses a second pending invitation for one email (`duplicate_record`).
//! When the call still ends without a usable answer, the pending invitation for each email is
//! looked up (under the call's own retry policy) and the call's outcome decided on evidence:
//!
//! 1. **Created by this call**: the invitation's `created_at` is no earlier than the call's first
//!    attempt on Clerk's clock (the lookup's `Date` header, less the time the client's clock says
//!    passed since the first attempt, less a 2 s margin for skew between Clerk's servers), *and*
//!    its role, inviter and metadata are exactly what was asked. The call returns it, once.
//! 2. **Already there**: a pending invitation that is older or differs from what was asked was not
//!    created by this call. The call returns its last answer: `duplicate_record`, that is
//!    "already invited", is then true. Never `Ok` with other data than asked.
//! 3. **Nothing pending**: none was created; the call returns its last answer as it was.
//! 4. **Cannot tell**: the lookup failed, found nothing although Clerk said `duplicate_record`, or
//!    Clerk's answer had no usable `Date`. The call fails with [`Error::Unresolved`]:
//!    [`Error::delivery`] is [`Delivery::Unknown`], [`Error::maybe_processed`] is true, and the
//!    error keeps what the last attempt and the lookup said. Its answer accessors
//!    ([`Error::status`], [`Error::codes`], [`Error::trace_id`], [`Error::retry_after`],
//!    [`Error::api`]) all describe the last attempt's answer, for logs and Clerk's support; its
//!    predicates (`is_duplicate_invitation()` and the rest) never read that answer, so an
//!    unresolved create is never "already invited". A success whose body was lost and could not
//!    be looked up stays [`Error::Decode`] with [`Delivery::Processed`].
//!
//! A bulk create is all or nothing: it is this call's only if every email's invitation is; one
//! that is not shows Clerk refused the batch.
//!
//! A revoke whose answer was lost, and whose retry Clerk answered "not pending"
//! (`organization_invitation_not_pending`), is settled by fetching the invitation and dating its
//! revocation (its `updated_at`) by the same clock rule as a create:
//!
//! - revoked no earlier than the call's first attempt: revoked during this call; the call returns
//!   it;
//! - revoked before the call, accepted or expired: this call revoked nothing, and it returns
//!   Clerk's "not pending", as it would have without the lost answer. `Ok` from a revoke always
//!   means the invitation was revoked while the call ran, never that it already was;
//! - the fetch failed, or had no usable `Date`: [`Error::Unresolved`].
//!
//! A revoke answered with a success status whose body was lost revoked it: the fetch returns the
//! invitation, or the call keeps its [`Delivery::Processed`] error.
//!
//! What no client can tell apart without idempotency keys: someone else inviting the same email
//! with the same role, inviter and metadata within the same few seconds, or revoking the same
//! invitation while this revoke's answer was being lost.
//!
//! ## Memberships and roles, per operation
//!
//! The same machinery (one retry loop, one classification, the same budgets) serves
//! [`Memberships`] and [`OrganizationRoles`]. What differs per operation is whether repeating it
//! is safe, and how a lost answer is settled. A request answered with a success status is never
//! sent again, whatever the operation; reads are asked again only if the success body was cut
//! or garbled.
//!
//! | Operation | Retried (429, 5xx, timeouts, dropped connections) | Why that is safe | A lost answer is settled by | Outcomes |
//! | --- | --- | --- | --- | --- |
//! | `memberships().list()` / `find()`, `organization_memberships().list()`, `organization_roles().list()` / `check()` | yes, and a garbled success too | reads | asking again | the page (or membership, role); the error |
//! | `memberships().create(user, role)` (POST) | yes | Clerk refuses a second membership for one user (`already_a_member_in_organization`) | the user's membership, looked up and dated by Clerk's clock (below) | `Ok`: created by this call; `Err` with [`Error::is_already_member`]: they were a member before; [`Error::Unresolved`]: may have been created; [`Delivery::NotSent`]: nothing left the machine |
//! | `memberships().update_role(user, role)` (PATCH) | yes | setting a role twice leaves it set once | the membership: has it the role asked for? | `Ok`: the membership with the role; `Err`: refused ([`Error::is_last_admin`], [`Error::is_role_not_found`], [`Error::is_not_found`]) or the last answer; [`Error::Unresolved`] |
//! | `memberships().update_metadata(user)` (PATCH, Clerk's deep merge) | yes | merging the same metadata twice leaves it as once | the membership: does its metadata hold the merge (every key as given, every `null` key gone)? | as for the role |
//! | `memberships().delete(user)` (DELETE) | yes | a second delete finds nothing to remove (404) | a success whose body was lost is already settled; otherwise the membership is looked up: none left is [`Removal::Gone`] | [`Removal::Removed`] (Clerk's answer), [`Removal::Gone`], `Err` ([`Error::is_last_admin`], [`Error::is_not_found`]), [`Error::Unresolved`] |
//!
//! The settling rules, applied after the retries when the call still has no usable answer and an
//! attempt may have been processed:
//!
//! 1. **Create.** A membership of the user created no earlier than the call's first attempt on
//!    Clerk's clock (the lookup's `Date` less the time passed since the first attempt, less a
//!    2 s margin), with the role and metadata asked for, is this call's: `Ok`, once. One older
//!    than the call was there before: the last answer stands, so a retry that met
//!    `already_a_member_in_organization` says "already a member", which is then true. No
//!    membership at all: nothing was created, the last answer stands, unless that answer said
//!    "already a member", which the lookup contradicts ([`Error::Unresolved`],
//!    [`Unsettled::NotFound`]). One created during the call but with other contents is someone
//!    else's if it was never changed since (`updated_at` equals `created_at`); if it was
//!    changed, it may be this call's, changed by someone else: [`Error::Unresolved`],
//!    [`Unsettled::Changed`].
//! 2. **Role change, metadata merge.** The membership now as asked: `Ok` with it (a role that
//!    already was the one asked for counts too: what the call asked for holds, and Clerk
//!    documents no refusal of a role a member already has). Not as asked, or no membership: the
//!    last answer stands. A readable refusal (4xx) is the answer
//!    as it is: no earlier attempt of an update can cause one.
//! 3. **Delete.** No membership left: [`Removal::Gone`] (this call removed it, or someone else
//!    did meanwhile: either way the user is not a member). Still a member: the last answer
//!    stands. A 404 after an earlier attempt that may have landed is settled the same way.
//! 4. **Cannot tell.** The lookup failed or its answer had no usable `Date`: [`Error::Unresolved`]
//!    (delivery unknown), except after a success whose body was lost, which keeps its
//!    [`Delivery::Processed`] error (for a delete, [`Removal::Gone`]).
//!
//! What each error says about delivery, for every operation alike:
//!
//! | Error | [`Error::delivery`] |
//! | --- | --- |
//! | [`Error::InvalidRequest`] (a rule checked locally, the role check) | `NotSent` |
//! | [`Error::BudgetExhausted`], `SharedBudgetsUnavailable`, a connection that could not be established | `NotSent` |
//! | a 4xx (`already_a_member_in_organization`, `organization_minimum_permissions_needed`, `resource_not_found`, a 422), a 429 | `Rejected` |
//! | a 5xx, a timeout or dropped connection after sending, [`Error::Unresolved`] | `Unknown` |
//! | a success status whose body was cut or garbled (what remains of it after settling) | `Processed` |
//!
//! Budgets: every membership and role call draws from the global budget only
//! ([`Budget::AllRequests`]); Clerk documents no other limit for creating, listing or deleting
//! memberships or listing roles. Clerk does limit the two PATCH routes to 10 requests per 10 s
//! *per membership*; the client does not pace that limit (it is one per membership, and a client
//! updating one membership ten times in ten seconds is rare), so an eleventh update of one
//! membership meets Clerk's 429, which is retried after its `Retry-After` like any 429 (and,
//! as for any route without a budget of its own, pauses the global budget for that long).
//!
//! ### The role check
//!
//! Off by default. With [`ClientBuilder::check_roles`] (or a request's `.check_role(true)`),
//! every write that names a role (invitation creates, bulk creates and `invite_all`, membership
//! creates and role changes) first checks that the role is one of the instance's roles; one
//! that is not fails at once with [`Error::InvalidRequest`] ([`Error::is_role_not_found`]) naming
//! the roles there are, and nothing is sent. `invite_all` checks each role of the run once and
//! gives the people with an unknown role [`InviteResult::Rejected`] without a request.
//!
//! The roles come from one list per client, fetched from `GET /v1/organization_roles` on first
//! use and trusted for [`DEFAULT_ROLE_CACHE_TTL`] (five minutes; [`ClientBuilder::role_cache_ttl`]
//! changes it). A role missing from a list older than [`MISS_REFRESH_AFTER`] (10 s) is looked up
//! in a list fetched again first, so a role created a moment ago in Clerk's dashboard is found,
//! and a run naming a role that does not exist costs at most one fetch per 10 s. Concurrent
//! checks wait for one fetch. If the list cannot be fetched, the write is sent unchecked (a
//! `warn` event) and Clerk judges the role: the check never turns a call into the failure of a
//! lookup it did not need. [`OrganizationRoles::check`] runs the same check on its own and
//! returns the fetch's error instead. The check says a role exists in the instance; an
//! organization with a role set may still refuse a role outside its set.
//!
//! ## Waits and caps
//!
//! Nothing waits without bound:
//!
//! - A 429 is waited out in the call only if its `Retry-After` is at most
//!   [`RetryPolicy::max_retry_after`] (60 s); a longer one ends the call with
//!   [`Error::RateLimited`] at once, with the value.
//! - A 429 pauses the budget it drew from for its `Retry-After`, but never longer than
//!   [`RateLimits::max_wait`] (one hour, Clerk's longest window), whatever it says.
//! - A call whose budget would make it wait longer than `max_wait` (plus the budget's headroom,
//!   below) fails at once with [`Error::BudgetExhausted`] instead of sleeping. That wait, before
//!   a call's first attempt, is pacing ([`LimitMode::Wait`]): [`RetryPolicy::max_elapsed`] does
//!   not count it.
//! - No retry starts later than [`RetryPolicy::max_elapsed`] (60 s) after the first attempt was
//!   sent. Everything in between counts: backoff, `Retry-After`, and the wait for the client's
//!   budgets before each retry. A retry whose budget opens too late is not made (after a 429
//!   without a usable `Retry-After`, the bulk budget pauses for one steady interval, 72 s): the
//!   call ends with its last answer, and [`Invitations::invite_all`] sends that batch again later.
//! - Every attempt has the client's timeout (30 s by default). So a call ends within its first
//!   attempt's budget wait (at most `max_wait` plus the headroom) plus `max_elapsed` plus one
//!   timeout; a write whose answer was lost adds its lookups (one per email, one fetch, or one
//!   membership list), each bounded the same way.
//! - A role check that finds another check fetching the instance's roles waits for that fetch,
//!   which is one call like any other, bounded by the same retry policy and timeouts.
//! - Bodies are read with a cap: a success up to 16 MiB, an error up to 1 MiB; past it the
//!   connection is dropped and the error says the body was cut.
//!
//! ## Client-side rate limits
//!
//! Each client keeps one budget per Clerk limit, shared by all its clones, and takes from the
//! route's budget and the global one before every attempt:
//!
//! | Budget | Default |
//! | --- | --- |
//! | [`Budget::CreateInvitation`] | 250 per hour |
//! | [`Budget::BulkCreateInvitations`] | 50 per hour |
//! | [`Budget::AllRequests`] | 100 per 10 s for `sk_test_` keys, 1000 per 10 s for `sk_live_` keys |
//!
//! When a budget is spent the call waits ([`LimitMode::Wait`], the default) or fails at once with
//! [`Error::BudgetExhausted`], which says when to retry ([`LimitMode::FailFast`], on the client's
//! [`RateLimits`] or per request with `.rate_limit_mode(..)`). Each budget lets a request through
//! only when fewer than its limit went out in the window and a small headroom before it (50 ms,
//! or a thousandth of the window if longer: [`RateLimits::headroom`]), so a full budget allows a
//! burst of the whole limit, and no window of Clerk's, however Clerk aligns it, sees more than
//! the limit even though requests take different times to get there: one client alone never
//! meets a 429. A 429 from Clerk (another process sharing the instance, say) pauses the budget
//! the request drew from until `Retry-After` has passed.
//!
//! ## Inviting many people
//!
//! [`Invitations::invite_all`] takes any number of [`NewInvitation`]s. It checks each one first (an
//! invalid one is [`InviteResult::Rejected`] without a request), packs the rest into bulk calls of
//! up to 10, waits for the bulk and global budgets, and when Clerk refuses a bulk call because of
//! some of its entries (already invited, already a member: Clerk names their emails) settles those
//! and sends the others again; a refusal that names nobody (an unknown role, the membership quota)
//! sends that batch one by one. It yields one [`InviteOutcome`] per person, carrying the input's
//! index and email, and [`InviteAll::progress`] says how far it has got. At Clerk's limits, 5,000
//! people take 500 bulk calls: 50 at the start of each hour, ten hours in all.
//!
//! The outcome kinds, each said only with the certainty the client has:
//!
//! | Outcome | Meaning | Final |
//! | --- | --- | --- |
//! | `Invited` | created by this run | yes |
//! | `AlreadyInvited` | a pending invitation was there and is not this run's | yes |
//! | `AlreadyMember` | the person is a member | yes |
//! | `Rejected` | the invitation breaks a rule (checked here or by Clerk) | yes |
//! | `MaybeInvited` | the answer was lost and could not be settled: it may exist | no |
//! | `RateLimited` | Clerk kept answering 429, or closed the budget past the cap; nothing created | no |
//! | `NotSent` | the run stopped before this person: Clerk unreachable, or a refusal that dooms every request | no |
//! | `Failed` | Clerk refused the request for a reason about the whole run (key, organization, quota) | no |
//!
//! The run stops sending, and gives everyone not yet sent `NotSent` (or `RateLimited`), when a
//! batch exhausted its retries on timeouts, dropped connections or 502/503/504 (a down Clerk costs
//! one batch's retry cycle, not one per batch), when Clerk closes a budget for longer than
//! [`RateLimits::max_wait`], or when a refusal dooms every request (an invalid key, a missing
//! organization, the membership quota).
//!
//! To resume after a crash or a stop, persist the outcomes and run again with the people whose
//! result is not [`final`]: running again is safe, since Clerk refuses a second pending
//! invitation, so anyone a lost answer had invited comes back as [`InviteResult::AlreadyInvited`].
//!
//! ```no_run
//! use std::time::Duration;
//! use clerk_orgs::{
//!     Client, InviteResult, Jitter, LimitMode, NewInvitation, RateLimits, RetryPolicy, Role,
//! };
//! use futures::StreamExt;
//!
//! # async fn demo() -> Result<(), clerk_orgs::Error> {
//! let client = Client::builder()
//!     .secret_key("sk_live_...")
//!     .retry(
//!         RetryPolicy::default()
//!             .max_attempts(6)
//!             .max_elapsed(Duration::from_secs(120))
//!             .jitter(Jitter::Decorrelated),
//!     )
//!     .rate_limits(RateLimits::default().mode(LimitMode::Wait))
//!     .build()?;
//! let invitations = client.organization("org_123").invitations();
//!
//! // One call, sent exactly once, failing at once if the budget is spent.
//! let one = invitations
//!     .create("alice@example.com", Role::MEMBER)
//!     .retry(RetryPolicy::none())
//!     .rate_limit_mode(LimitMode::FailFast)
//!     .send()
//!     .await;
//! if let Err(error) = &one {
//!     if let Some(wait) = error.retry_after() {
//!         println!("come back in {wait:?}");
//!     }
//! }
//!
//! // Everyone, paced under Clerk's limits.
//! let staff = ["bob@example.com", "carol@example.com" /* , ... thousands more */];
//! let mut run = invitations.invite_all(
//!     staff.iter().map(|email| NewInvitation::new(*email, Role::MEMBER)),
//! );
//! while let Some(outcome) = run.next().await {
//!     match &outcome.result {
//!         InviteResult::Invited(invitation) => {
//!             println!("{} invited: {}", outcome.email_address, invitation.id)
//!         }
//!         InviteResult::AlreadyInvited(_) | InviteResult::AlreadyMember => {}
//!         InviteResult::Rejected { reason, .. } => {
//!             eprintln!("#{} rejected: {reason}", outcome.index)
//!         }
//!         InviteResult::MaybeInvited(error) => {
//!             eprintln!("#{} may have been invited; run again to settle it: {error}", outcome.index)
//!         }
//!         other => {
//!             if let Some(error) = other.error() {
//!                 eprintln!("#{} not invited, run again later: {error}", outcome.index)
//!             }
//!         }
//!     }
//!     let progress = run.progress();
//!     println!("{}/{}", progress.done, progress.total);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Virtual time
//!
//! Retries and budgets read and wait on a [`Clock`] (real time by default). Pass another with
//! [`ClientBuilder::clock`] to run them on virtual time, for example `clerk-fake`'s clock advanced
//! on every `sleep`: this crate's tests and benchmark play hours of Clerk's limits in milliseconds
//! that way.
//!
//! [`RetryPolicy`]: crate::RetryPolicy
//! [`RetryPolicy::max_retry_after`]: crate::RetryPolicy::max_retry_after
//! [`Error::RateLimited`]: crate::Error::RateLimited
//! [`Error::retry_after`]: crate::Error::retry_after
//! [`RetryPolicy::none`]: crate::RetryPolicy::none
//! [`Error::maybe_processed`]: crate::Error::maybe_processed
//! [`Error::is_retryable`]: crate::Error::is_retryable
//! [`Error::Unresolved`]: crate::Error::Unresolved
//! [`Error::delivery`]: crate::Error::delivery
//! [`Delivery::Unknown`]: crate::Delivery::Unknown
//! [`Delivery::Processed`]: crate::Delivery::Processed
//! [`Error::Decode`]: crate::Error::Decode
//! [`Error::status`]: crate::Error::status
//! [`Error::codes`]: crate::Error::codes
//! [`Error::trace_id`]: crate::Error::trace_id
//! [`Error::api`]: crate::Error::api
//! [`RateLimits::max_wait`]: crate::RateLimits::max_wait
//! [`RateLimits::headroom`]: crate::RateLimits::headroom
//! [`RetryPolicy::max_elapsed`]: crate::RetryPolicy::max_elapsed
//! [`Budget::CreateInvitation`]: crate::Budget::CreateInvitation
//! [`Budget::BulkCreateInvitations`]: crate::Budget::BulkCreateInvitations
//! [`Budget::AllRequests`]: crate::Budget::AllRequests
//! [`LimitMode::Wait`]: crate::LimitMode::Wait
//! [`Error::BudgetExhausted`]: crate::Error::BudgetExhausted
//! [`LimitMode::FailFast`]: crate::LimitMode::FailFast
//! [`RateLimits`]: crate::RateLimits
//! [`Invitations::invite_all`]: crate::Invitations::invite_all
//! [`NewInvitation`]: crate::NewInvitation
//! [`InviteResult::Rejected`]: crate::InviteResult::Rejected
//! [`InviteOutcome`]: crate::InviteOutcome
//! [`InviteAll::progress`]: crate::InviteAll::progress
//! [`final`]: crate::InviteResult::is_final
//! [`InviteResult::AlreadyInvited`]: crate::InviteResult::AlreadyInvited
//! [`Clock`]: crate::clock::Clock
//! [`Memberships`]: crate::Memberships
//! [`OrganizationRoles`]: crate::OrganizationRoles
//! [`OrganizationRoles::check`]: crate::OrganizationRoles::check
//! [`Error::is_already_member`]: crate::Error::is_already_member
//! [`Error::is_last_admin`]: crate::Error::is_last_admin
//! [`Error::is_role_not_found`]: crate::Error::is_role_not_found
//! [`Error::is_not_found`]: crate::Error::is_not_found
//! [`Error::InvalidRequest`]: crate::Error::InvalidRequest
//! [`Delivery::NotSent`]: crate::Delivery::NotSent
//! [`Unsettled::NotFound`]: crate::Unsettled::NotFound
//! [`Unsettled::Changed`]: crate::Unsettled::Changed
//! [`Removal::Gone`]: crate::Removal::Gone
//! [`Removal::Removed`]: crate::Removal::Removed
//! [`ClientBuilder::check_roles`]: crate::ClientBuilder::check_roles
//! [`ClientBuilder::role_cache_ttl`]: crate::ClientBuilder::role_cache_ttl
//! [`DEFAULT_ROLE_CACHE_TTL`]: crate::DEFAULT_ROLE_CACHE_TTL
//! [`MISS_REFRESH_AFTER`]: crate::MISS_REFRESH_AFTER
//! [`ClientBuilder::clock`]: crate::ClientBuilder::clock
