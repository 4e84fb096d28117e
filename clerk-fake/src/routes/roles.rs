//! The instance's organization role routes.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::get;

use crate::app::SharedApp;
use crate::errors::ApiError;
use crate::faults::Route;
use crate::params;
use crate::wire;

pub(super) fn routes() -> Router<SharedApp> {
    Router::new()
        .route("/v1/organization_roles", get(list_roles).post(create_role))
        .route(
            "/v1/organization_roles/{organization_role_id}",
            get(get_role),
        )
}

async fn list_roles(State(app): State<SharedApp>, request: Request) -> Response {
    app.handle(Route::ListRoles, request, |store, call| {
        let query = params::role_list_query(call.query)?;
        let (page, total) = store.list_roles(&query);
        Ok(wire::roles(store, &page, total))
    })
    .await
}

async fn get_role(
    State(app): State<SharedApp>,
    Path(role_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::GetRole, request, |store, _| {
        let role = store
            .role_by_id(&role_id)
            .ok_or_else(|| ApiError::role_not_found("organization_role_id"))?;
        Ok(wire::role(store, role))
    })
    .await
}

async fn create_role(State(app): State<SharedApp>, request: Request) -> Response {
    app.handle(Route::CreateRole, request, |store, call| {
        let new = params::create_role_body(call.body)?;
        let role = store.create_role(new, call.now_ms)?;
        Ok(wire::role(store, &role))
    })
    .await
}
