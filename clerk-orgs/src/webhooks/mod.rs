//! Verify Clerk's webhooks and read them as typed events (cargo feature `webhooks`, off by
//! default; `axum` turns it on too).
//!
//! Clerk delivers webhooks through Svix, signed as [Standard Webhooks]: headers `svix-id`,
//! `svix-timestamp` and `svix-signature` (the `webhook-*` names are accepted too), the
//! signature an HMAC-SHA256 of `{id}.{timestamp}.{body}` under the endpoint's signing secret
//! (`whsec_...`, in the Clerk Dashboard). [`Webhook::verify`] checks all of it and returns a
//! [`VerifiedEvent`]: the message id (the same on every retry, so the key to process each
//! message once), Clerk's envelope and a typed [`Event`]:
//!
//! - `organizationInvitation.created`, `.accepted` (with the accepting `user_id`) and
//!   `.revoked`, carrying the same [`OrganizationInvitation`](crate::OrganizationInvitation)
//!   the client returns;
//! - `organizationMembership.created`, `.updated` and `.deleted`, carrying an
//!   [`OrganizationMembership`];
//! - every other type as [`Event::Other`] with its `data` as JSON, so subscribing to more
//!   events never breaks verification. Unknown fields are ignored too.
//!
//! ```no_run
//! use clerk_orgs::webhooks::{Event, Webhook, WebhookError};
//!
//! fn handle(
//!     webhook: &Webhook,
//!     headers: &http::HeaderMap,
//!     body: &[u8],
//! ) -> Result<(), WebhookError> {
//!     // Answer any error with a 400: Clerk retries, and nothing unverified is processed.
//!     let verified = webhook.verify(headers, body)?;
//!     // Deliveries can repeat: skip `verified.id` if it was already processed.
//!     match &verified.event {
//!         Event::OrganizationInvitationAccepted { invitation, user_id } => {
//!             println!("{} accepted as {:?}", invitation.email_address, user_id);
//!         }
//!         Event::OrganizationMembershipDeleted(membership) => {
//!             println!("{} left {}", membership.id, membership.organization.id);
//!         }
//!         other => println!("ignoring {}", other.event_type()),
//!     }
//!     Ok(())
//! }
//!
//! # fn main() -> Result<(), WebhookError> {
//! // CLERK_WEBHOOK_SIGNING_SECRET, as Clerk's own SDKs read it; or Webhook::new("whsec_...").
//! let webhook = Webhook::from_env()?;
//! # let _ = handle; let _ = webhook; Ok(()) }
//! ```
//!
//! Headers are read through [`WebhookHeaders`], implemented for `http::HeaderMap` (axum, hyper),
//! maps and lists of pairs; always pass the raw body bytes, as received. With the `axum` feature,
//! `VerifiedWebhook` is an extractor that does all of this and answers 400 on failure.
//!
//! Checks, in order: the three headers are present; the timestamp is a number within
//! [`TIMESTAMP_TOLERANCE`] (5 minutes) of now in either direction, which bounds replays; the body
//! is at most [`DEFAULT_MAX_BODY_BYTES`] (1 MiB; [`Webhook::with_max_body_bytes`]), checked
//! before hashing; then one of the `v1,<base64>` entries of the space-separated signature
//! header (several during a secret rotation; other versions ignored) must match, compared in
//! constant time. Only then is the body parsed. Each failure is its own [`WebhookError`]
//! variant, and neither it nor [`Webhook`]'s `Debug` ever contains the secret.
//!
//! # Why these crates
//!
//! The HMAC is RustCrypto's `hmac` over `sha2` (already used by the workspace) with its
//! constant-time `verify_slice`, and `base64` is the version already in the tree through
//! reqwest: together they add one small crate (`hmac`) to the build. The `standardwebhooks`
//! crate (1.0.1) was evaluated and not used: it brings a second SHA-256 (`hmac-sha256`), a
//! second time library (`time`) and an older `base64` (0.21) into a tree that has `sha2`,
//! `chrono` and `base64` 0.23; it reads only the `webhook-*` header names, not the `svix-*`
//! ones Clerk sends; it has no body limit; and its secret error keeps base64's decoding error,
//! which names a byte of the secret, as its source.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

mod error;
mod event;
#[cfg(feature = "axum")]
mod extract;
mod headers;
mod verify;

use std::time::Duration;

pub use error::{WebhookError, WebhookHeader};
pub use event::{
    Event, EventAttributes, HttpRequestAttributes, MembershipOrganization,
    MembershipPublicUserData, OrganizationMembership, VerifiedEvent,
};
#[cfg(feature = "axum")]
pub use extract::VerifiedWebhook;
pub use headers::WebhookHeaders;
pub use verify::Webhook;

/// How far a signed timestamp may be from now, in either direction: 5 minutes, as the Svix and
/// Standard Webhooks libraries use.
pub const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The default body limit, 1 MiB: Clerk's events are a few KiB, and the limit keeps a flood
/// of large forged bodies from costing hashing time. [`Webhook::with_max_body_bytes`] changes it.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The environment variable [`Webhook::from_env`] reads, as Clerk's SDKs do.
pub const SIGNING_SECRET_ENV: &str = "CLERK_WEBHOOK_SIGNING_SECRET";
