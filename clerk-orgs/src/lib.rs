//! A typed, validating client for the organization APIs of [Clerk](https://clerk.com)'s
//! Backend API (BAPI): invitations, memberships and roles, and roster sync built on them.
//!
//! - Every rule Clerk enforces is checked before a request leaves the machine; a failure names
//!   the field and the rule ([`Error::InvalidRequest`]).
//! - Every failure is classified ([`Error`]): Clerk's error codes as [`ErrorCode`], trace id,
//!   `Retry-After`, and whether the request may have been processed ([`Error::delivery`]).
//! - Models are typed ([`OrganizationInvitation`], [`InvitationStatus`], [`Role`],
//!   [`OrganizationMembership`], [`OrganizationRole`]) and never fail on fields or values Clerk
//!   adds later.
//! - TLS by rustls with the `ring` provider and the OS trust store; `Client` is cheap to clone
//!   and shares one connection pool.
//!
//! Built on the generated `clerk-bapi-sys` bindings (only their `organization-invitations`,
//! `organization-memberships` and `organization-roles` tags). Every request goes through one internal path that opens a `tracing` span named
//! `clerk_orgs.request` with the `operation`, `status` and `trace_id` (never bodies or keys).
//!
//! # Client
//!
//! ```no_run
//! # fn main() -> Result<(), clerk_orgs::Error> {
//! use std::time::Duration;
//!
//! // CLERK_SECRET_KEY, and CLERK_API_URL if set (default https://api.clerk.com).
//! let client = clerk_orgs::Client::from_env()?;
//!
//! // Or explicitly; http:// is only accepted for loopback hosts.
//! let client = clerk_orgs::Client::builder()
//!     .secret_key("sk_test_...")
//!     .base_url("http://127.0.0.1:8787")
//!     .timeout(Duration::from_secs(10))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! # Create an invitation
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::Role;
//! use serde_json::json;
//!
//! let invitations = client.organization("org_123").invitations();
//! let invitation = invitations
//!     .create("alice@example.com", Role::MEMBER) // or any role key, e.g. "org:billing"
//!     .inviter_user_id("user_123")
//!     .redirect_url("https://app.example.com/accept")
//!     .public_metadata(json!({"team": "core"}))
//!     .private_metadata(json!({"plan": "pro"}))
//!     .expires_in_days(7)
//!     .notify(false)
//!     .send()
//!     .await?;
//! println!("{} is {}", invitation.id, invitation.status);
//! # Ok(()) }
//! ```
//!
//! # Create up to ten in one request
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::{NewInvitation, Role};
//!
//! let created = client
//!     .organization("org_123")
//!     .invitations()
//!     .create_bulk(vec![
//!         NewInvitation::new("bob@example.com", Role::MEMBER),
//!         NewInvitation::new("carol@example.com", "org:billing").expires_in_days(14),
//!     ])
//!     .send()
//!     .await?; // all or none
//! assert_eq!(created.len(), 2);
//! # Ok(()) }
//! ```
//!
//! # List one page, or stream every page
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::InvitationStatus;
//! use futures::TryStreamExt;
//!
//! let invitations = client.organization("org_123").invitations();
//! let page = invitations
//!     .list()
//!     .status(InvitationStatus::Pending)
//!     .order_by("-created_at")
//!     .limit(100)
//!     .send()
//!     .await?;
//! println!("{} of {}", page.data.len(), page.total_count);
//!
//! // Lazily, page by page (offset pagination), until the list is exhausted.
//! let mut all = invitations.list().status(InvitationStatus::Pending).stream();
//! while let Some(invitation) = all.try_next().await? {
//!     println!("{}", invitation.email_address);
//! }
//! # Ok(()) }
//! ```
//!
//! # Get and revoke
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! let invitations = client.organization("org_123").invitations();
//! let invitation = invitations.get("orginv_123").send().await?;
//! let revoked = invitations
//!     .revoke(&invitation.id)
//!     .requesting_user_id("user_123")
//!     .send()
//!     .await?;
//! # let _ = revoked; Ok(()) }
//! ```
//!
//! # Across the instance, and for one user
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::InvitationStatus;
//!
//! let everywhere = client
//!     .organization_invitations()
//!     .list()
//!     .query("@example.com")
//!     .status(InvitationStatus::Pending)
//!     .send()
//!     .await?;
//! for invitation in &everywhere.data {
//!     let organization = invitation.public_organization_data.as_ref();
//!     println!("{} -> {:?}", invitation.email_address, organization.map(|o| &o.name));
//! }
//!
//! let mine = client
//!     .user("user_123")
//!     .organization_invitations()
//!     .list()
//!     .status(InvitationStatus::Pending)
//!     .send()
//!     .await?;
//! # let _ = mine; Ok(()) }
//! ```
//!
//! # Members
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::{Removal, Role};
//! use futures::TryStreamExt;
//! use serde_json::json;
//!
//! let members = client.organization("org_123").memberships();
//!
//! // Add an existing user of the instance (no email is sent; to ask someone, invite them).
//! let membership = members
//!     .create("user_456", Role::MEMBER)
//!     .public_metadata(json!({"team": "core"}))
//!     .send()
//!     .await?;
//!
//! // Set the role; merge metadata (Clerk merges deeply, and `null` removes a key).
//! members.update_role("user_456", "org:billing").send().await?;
//! members
//!     .update_metadata("user_456")
//!     .public_metadata(json!({"team": null, "seat": 12}))
//!     .send()
//!     .await?;
//!
//! // Every filter Clerk offers, one page or all of them.
//! let mut admins = members
//!     .list()
//!     .role(Role::ADMIN)
//!     .email_address_query("@example.com")
//!     .order_by("+email_address")
//!     .stream();
//! while let Some(admin) = admins.try_next().await? {
//!     println!("{:?} since {}", admin.identifier(), admin.created_at);
//! }
//!
//! // Remove; the last admin can be neither removed nor demoted.
//! match members.delete("user_456").send().await {
//!     Ok(Removal::Removed(removed)) => println!("removed {}", removed.id),
//!     Ok(_) => println!("removed (Clerk's answer was lost, the lookup found no membership)"),
//!     Err(e) if e.is_last_admin() => println!("promote someone else first"),
//!     Err(e) if e.is_not_found() => println!("not a member"),
//!     Err(e) => return Err(e),
//! }
//! # let _ = membership; Ok(()) }
//! ```
//!
//! Across the instance: `client.organization_memberships().list()`.
//!
//! # Roster sync
//!
//! Make an organization match a list of people, as a reviewable plan and a safe apply (see
//! [`roster`]):
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_orgs::roster::Rail;
//! use clerk_orgs::{Role, RosterRow};
//! use futures::StreamExt;
//!
//! let roster = client.organization("org_123").roster();
//! let plan = roster
//!     .plan([
//!         RosterRow::new("ann@example.com", Role::ADMIN),
//!         RosterRow::new("bob@example.com", Role::MEMBER),
//!     ])
//!     .prune(true) // remove members and revoke invitations not on the list
//!     .inviter_user_id("user_123")
//!     .send()
//!     .await?; // reads the organization; changes nothing
//! println!("{}", plan.summary());
//! for violation in plan.violations() {
//!     println!("refused unless allowed: {violation}");
//! }
//!
//! let mut run = plan.apply().allow(Rail::MaxRemovals).send().await?;
//! while let Some(outcome) = run.next().await {
//!     println!("{:?} {:?}: {:?}", outcome.kind, outcome.email_address, outcome.result);
//! }
//! # Ok(()) }
//! ```
//!
//! # Roles
//!
//! ```no_run
//! # async fn demo() -> Result<(), clerk_orgs::Error> {
//! use clerk_orgs::{Client, Role};
//! use futures::TryStreamExt;
//!
//! // Check every role a write names against the instance's roles before sending (a cached
//! // list, trusted for five minutes by default).
//! let client = Client::builder()
//!     .secret_key("sk_test_...")
//!     .check_roles(true)
//!     .build()?;
//!
//! let mut roles = client.organization_roles().list().stream();
//! while let Some(role) = roles.try_next().await? {
//!     println!("{} ({} permissions)", role.key, role.permissions.len());
//! }
//!
//! let refused = client
//!     .organization("org_123")
//!     .invitations()
//!     .create("alice@example.com", "org:no_such_role")
//!     .send()
//!     .await
//!     .unwrap_err();
//! assert!(refused.is_role_not_found()); // nothing was sent; the error names the roles there are
//! # let _ = Role::MEMBER; Ok(()) }
//! ```
//!
//! # Errors
//!
//! ```no_run
//! # async fn demo(client: clerk_orgs::Client) {
//! use clerk_orgs::{Delivery, Error, Role};
//!
//! let invitations = client.organization("org_123").invitations();
//! match invitations.create("alice@example.com", Role::MEMBER).send().await {
//!     Ok(invitation) => println!("invited: {}", invitation.id),
//!     Err(e) if e.is_duplicate_invitation() => println!("already invited"),
//!     Err(e) if e.is_already_member() => println!("already a member"),
//!     Err(Error::InvalidRequest(invalid)) => {
//!         // Nothing was sent.
//!         println!("fix `{}`: {}", invalid.field(), invalid.rule());
//!     }
//!     Err(e) if e.is_rate_limited() => println!("retry in {:?}", e.retry_after()),
//!     Err(e) if e.delivery() == Delivery::Unknown => {
//!         // A create that timed out may exist at Clerk: look it up before resending.
//!         println!("unknown outcome: {e}");
//!     }
//!     Err(e) => eprintln!("{e} (status {:?}, trace id {:?})", e.status(), e.trace_id()),
//! }
//! # }
//! ```
//!
//! `Display` is one line for people (Clerk's long message, code and trace id);
//! [`std::error::Error::source`] keeps the transport or decoding error underneath.
//! [`Error::is_retryable`] says whether the same request may succeed later (429, 5xx, timeouts,
//! connection failures; never a create answered with a success status), and it is the very
//! classification the retry loop uses; for creates, which Clerk cannot deduplicate, also check
//! [`Error::maybe_processed`]. [`Error::Unresolved`] is a lost answer the client could not
//! settle: the request may or may not have been processed.
//!
//! # Retries, rate limits and bulk invitations
//!
//! Requests are retried when that can help (429 after `Retry-After`, 5xx, timeouts, dropped
//! connections), creates are never duplicated when an answer is lost, every client paces itself
//! under Clerk's rate limits, and [`Invitations::invite_all`] invites any number of people at
//! Clerk's limit. Each membership write settles a lost answer by looking the membership up. See
//! [`reliability`] for the rules per operation, the defaults and an example.
//!
//! # Running on several machines
//!
//! With the `redis` feature, `ClientBuilder::shared_budgets(RedisBudgets::new(url)?)` keeps the
//! budgets in Redis, so any number of processes together stay inside Clerk's limits, and a 429
//! one of them meets pauses the budget for all. See [`fleet`] for the semantics, the failure
//! policy and the key layout.
//!
//! # Webhooks
//!
//! With the `webhooks` feature (off by default), `webhooks::Webhook` verifies the Svix-signed
//! webhooks Clerk sends and types the organization-invitation and membership events; see
//! the `webhooks` module.
//!
//! # Cargo features
//!
//! None is on by default: an app that only sends invitations compiles no webhook, Redis or
//! schema code. TLS is always rustls with the `ring` provider and the OS trust store. On docs.rs
//! every feature is on, and each item that needs one says so.
//!
//! | feature | adds | brings into the build |
//! | --- | --- | --- |
//! | `webhooks` | the `webhooks` module: `Webhook` verifies Clerk's Svix-signed webhooks and types the invitation and membership events | `hmac`, `sha2`, `base64`, `http` |
//! | `axum` | `webhooks::VerifiedWebhook`, an axum extractor that verifies before the handler runs; includes `webhooks` | `axum` |
//! | `redis` | `RedisBudgets`: rate-limit budgets shared by many processes through Redis (see [`fleet`]) | `redis`, `hmac`, `sha2` |
//! | `schemars` | `schemars::JsonSchema` on the public models and errors (derived, so the docs show these impls without the feature's mark) | `schemars` |
//!
//! # Testing with `clerk-fake`
//!
//! The workspace's `clerk-fake` crate (a dev-dependency) serves Clerk's organization-invitation
//! routes on 127.0.0.1 with Clerk's shapes, error envelope and rate limits, plus scripted faults
//! and a request log, so code built on this crate can be tested over real HTTP without Clerk:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_fake::{ADMIN_ROLE, FakeClerk, Organization, User};
//! use clerk_orgs::{Client, Role};
//!
//! let fake = FakeClerk::start().await;
//! fake.add_organization(Organization::new("org_123", "Acme"));
//! fake.add_user(User::new("user_123", "admin@acme.test"));
//! fake.add_membership("org_123", "user_123", ADMIN_ROLE)?;
//!
//! let client = Client::builder()
//!     .secret_key(fake.secret_key().to_owned())
//!     .base_url(fake.base_url())
//!     .build()?;
//! client
//!     .organization("org_123")
//!     .invitations()
//!     .create("alice@example.com", Role::MEMBER)
//!     .inviter_user_id("user_123")
//!     .send()
//!     .await?;
//!
//! assert_eq!(fake.invitations().len(), 1);
//! assert_eq!(fake.request_log().requests().len(), 1);
//! # Ok(()) }
//! ```
//!
//! `fake.faults()` scripts 5xx answers, 429s, dropped connections and lost answers per route.
//! Giving the client a [`clock::Clock`] that advances the fake's virtual clock plays hours of
//! rate-limit windows and backoff in milliseconds, with no sleeps in tests.

#![forbid(unsafe_code)]
// docs.rs (and `.ci/package docs`) pass `--cfg docsrs`: `doc_cfg` then marks every item behind a
// feature as such. Nightly-only, hence never on for a build.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// One folder or file per layer; each imports only from the layers below it, in the order
// models, operation < error, webhooks < validate, policy < http < lookup < invitations,
// memberships, roles < roster < organization < client (see ARCHITECTURE.md).
mod client;
mod error;
pub mod fleet;
mod http;
mod invitations;
mod lookup;
mod memberships;
mod models;
mod operation;
mod organization;
mod policy;
pub mod reliability;
mod roles;
pub mod roster;
mod validate;
#[cfg(feature = "webhooks")]
pub mod webhooks;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use error::{
    ApiError, BudgetExhausted, ConfigError, DecodeError, Delivery, Error, ErrorCode, ErrorDetail,
    Phase, SharedBudgetsUnavailable, TransportError, UnresolvedError, Unsettled, ValidationError,
};
pub use invitations::{
    CreateInvitation, CreateInvitationsBulk, GetInvitation, InstanceInvitations, Invitations,
    InviteAll, InviteOutcome, InviteResult, ListInstanceInvitations, ListInvitations,
    ListPendingInvitations, ListUserInvitations, NewInvitation, Progress, RevokeInvitation,
    UserHandle, UserInvitations,
};
pub use memberships::{
    CreateMembership, DeleteMembership, FindMembership, InstanceMemberships,
    ListInstanceMemberships, ListMemberships, Memberships, Removal, UpdateMembershipMetadata,
    UpdateMembershipRole,
};
pub use models::{
    Budget, InvitationStatus, KeyKind, Organization, OrganizationInvitation,
    OrganizationMembership, OrganizationRole, Page, Permission, PublicInviterData,
    PublicOrganizationData, PublicUserData, Role,
};
pub use operation::Operation;
pub use organization::OrganizationHandle;
pub use policy::clock;
pub use policy::{
    DEFAULT_HEADROOM, DEFAULT_MAX_WAIT, DEFAULT_ROLE_CACHE_TTL, Jitter, Limit, LimitMode,
    MISS_REFRESH_AFTER, RateLimits, RetryPolicy,
};
#[cfg(feature = "redis")]
pub use policy::{
    DEFAULT_REDIS_TIMEOUT, FleetShare, Pacing, RedisBudgets, RedisFailure, SharedBudgetStats,
    namespace_for_key,
};
pub use roles::{CheckRole, ListRoles, OrganizationRoles};
pub use roster::{Plan, Rail, Roster, RosterRow};
pub use validate::MAX_BULK_SIZE;

// The README's Rust examples, compiled as doctests so that it stays true as written.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
#[cfg(feature = "webhooks")]
pub use webhooks::{Event, VerifiedEvent, Webhook, WebhookError, WebhookHeaders};
