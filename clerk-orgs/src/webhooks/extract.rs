//! [`VerifiedWebhook`], an axum extractor (cargo feature `axum`).

use axum::body::to_bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;

use super::{VerifiedEvent, Webhook};

/// An axum extractor for a verified Clerk webhook: takes the [`Webhook`] from the router's
/// state (the state itself, or a field of it through [`FromRef`]), reads at most
/// [`Webhook::max_body_bytes`] of the body and verifies it. On any failure it answers
/// `400 Bad Request` with a one-line plain-text reason (never the secret); Clerk then retries.
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use clerk_orgs::webhooks::{Event, VerifiedWebhook, Webhook};
///
/// async fn clerk(VerifiedWebhook(verified): VerifiedWebhook) -> &'static str {
///     if let Event::OrganizationInvitationAccepted { invitation, .. } = &verified.event {
///         println!("{} joined", invitation.email_address);
///     }
///     "ok"
/// }
///
/// # fn main() -> Result<(), clerk_orgs::webhooks::WebhookError> {
/// let app: Router = Router::new()
///     .route("/webhooks/clerk", post(clerk))
///     .with_state(Webhook::from_env()?);
/// # let _ = app; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub VerifiedEvent);

impl<S> FromRequest<S> for VerifiedWebhook
where
    Webhook: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = (StatusCode, String);

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let webhook = Webhook::from_ref(state);
        let (parts, body) = request.into_parts();
        // Bounded read: a body over the limit is refused without buffering the rest of it.
        let limit = webhook.max_body_bytes();
        let body = to_bytes(body, limit).await.map_err(|_| {
            let reason = format!("webhook body unreadable or larger than {limit} bytes");
            (StatusCode::BAD_REQUEST, reason)
        })?;
        webhook
            .verify(&parts.headers, &body)
            .map(VerifiedWebhook)
            .map_err(|error| (StatusCode::BAD_REQUEST, error.to_string()))
    }
}
