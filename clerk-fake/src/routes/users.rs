//! The users route: `GET /v1/users` (list, filtered by email address or user id).

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;

use crate::app::SharedApp;
use crate::faults::Route;
use crate::params;
use crate::wire;

pub(super) fn routes() -> Router<SharedApp> {
    Router::new().route("/v1/users", get(list_users))
}

async fn list_users(State(app): State<SharedApp>, request: Request) -> Response {
    app.handle(Route::ListUsers, request, |store, call| {
        let query = params::user_list_query(call.query)?;
        let (page, _total) = store.list_users(&query);
        Ok(wire::users(&page))
    })
    .await
}
