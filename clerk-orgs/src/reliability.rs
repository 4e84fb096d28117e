//! # Retries, rate limits and bulk invitations
//!
//! Clerk limits invitation creates to 250 per hour and bulk creates to 50 per hour per instance,
//! answers 429 with `Retry-After`, and has no idempotency keys. This client retries what is worth
//! retrying, never invites anyone twice, paces itself under Clerk's limits, and invites any number
//! of people unattended.
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
//! | success with a cut or garbled body | yes | the same backoff |
//! | any other 4xx | never | |
//!
//! A 429 whose `Retry-After` is past the cap ends the call with [`Error::RateLimited`] at once;
//! [`Error::retry_after`] says when to come back. [`RetryPolicy::none`] sends each request exactly
//! once. Each retry is an `info` event in the request's `clerk_orgs.request` span, with the
//! `attempt` that failed, the `reason` (`rate_limited`, `unavailable`, `server_error`, `timeout`,
//! `connection`, `malformed_response`) and the `delay_ms` before the next one.
//!
//! ## Creates are never duplicated
//!
//! A create whose answer was lost (a timeout after sending, a dropped connection, a 500) may or may
//! not have created the invitation. It is retried, and if the retry meets Clerk's
//! `duplicate_record`, or the retries run out (429s, 5xx, timeouts), the pending invitation for
//! that email is fetched and returned as the one created: reported once, never twice, never as a
//! failure. A bulk create is all or nothing, so it is settled the same way when every one of its
//! emails has a pending invitation with the role asked for. A revoke whose answer was lost is
//! settled likewise when its retry finds the invitation no longer pending. Without retries,
//! [`Error::maybe_processed`] tells such a failure apart. Clerk has no idempotency keys, so one case
//! stays indistinguishable: someone else inviting the same email with the same role between the
//! lost attempt and its retry.
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
//! [`RateLimits`] or per request with `.rate_limit_mode(..)`). A 429 from Clerk pauses the budget
//! the request drew from until `Retry-After` has passed; then it resumes at its steady rate (for
//! bulk creates, one call per 72 s), which keeps inside Clerk's windows however they are counted.
//! Budgets are GCRA limiters from the `governor` crate.
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
//! people take 500 bulk calls in ten hourly windows (see `BENCHMARKS.md`).
//!
//! To resume after a crash, persist the outcomes and run again with the people whose result is not
//! [`final`]; anyone a lost answer had already invited comes back as
//! [`InviteResult::AlreadyInvited`].
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
//!         InviteResult::Failed(error) => {
//!             eprintln!("#{} failed, retry later: {error}", outcome.index)
//!         }
//!         _ => {}
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
//! [`ClientBuilder::clock`]: crate::ClientBuilder::clock
