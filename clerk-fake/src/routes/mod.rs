//! The HTTP routes under `/v1`, one file per resource, and what each one does with the store.

mod invitations;
mod memberships;
mod roles;
mod users;

use axum::Router;
use axum::extract::State;
use axum::response::Response;

use crate::app::SharedApp;
use crate::errors::ApiError;

pub(crate) fn router(app: SharedApp) -> Router {
    Router::new()
        .merge(invitations::routes())
        .merge(memberships::routes())
        .merge(roles::routes())
        .merge(users::routes())
        .fallback(unknown_route)
        .with_state(app)
}

/// Clerk answers unknown paths with its JSON 404, not an empty body.
async fn unknown_route(State(app): State<SharedApp>) -> Response {
    app.reject(ApiError::not_found("Resource"))
}
