//! Fake-only routes under `/__fake`: what an invitee or Clerk's dashboard would do, for clients
//! that cannot call [`FakeClerk`](crate::FakeClerk)'s Rust methods (curl, the standalone
//! binary's users).
//!
//! - `POST /__fake/invitations/{invitation_id}/accept`: accepts a pending invitation as its
//!   invitee would ([`FakeClerk::accept_invitation`](crate::FakeClerk::accept_invitation)) and
//!   answers the invitation, now `accepted`, plus the member's `user_id`. 404 for an unknown id,
//!   400 `not_pending` for one that is not pending; both with Clerk's error envelope.
//!
//! They take no key and bypass faults, rate limits and the request log: they stand for people
//! and Clerk itself, not for a Backend API client.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::app::SharedApp;
use crate::errors::ApiError;
use crate::state::SeedError;
use crate::wire::{self, Shape};

pub(crate) fn router(app: SharedApp) -> Router {
    Router::new()
        .route(
            "/__fake/invitations/{invitation_id}/accept",
            post(accept_invitation),
        )
        .with_state(app)
}

async fn accept_invitation(
    State(app): State<SharedApp>,
    Path(invitation_id): Path<String>,
) -> Response {
    let now_ms = app.clock.now_ms();
    let accepted = app.transact(|store| store.accept_invitation(&invitation_id, now_ms));
    let user_id = match accepted {
        Ok(user_id) => user_id,
        Err(SeedError::InvitationNotPending(_)) => return app.reject(ApiError::not_pending()),
        Err(_) => return app.reject(ApiError::not_found("Organization invitation")),
    };
    let store = app.store();
    let body = store
        .invitation(&invitation_id, now_ms)
        .map(|invitation| wire::invitation(&store, &invitation, Shape::Plain))
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .map(|mut body| {
            if let Value::Object(fields) = &mut body {
                fields.insert("user_id".into(), json!(user_id));
            }
            body
        })
        .unwrap_or_else(|| json!({ "user_id": user_id }));
    drop(store);
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
