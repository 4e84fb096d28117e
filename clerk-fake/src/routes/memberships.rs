//! The organization membership routes.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, patch, post};

use crate::app::SharedApp;
use crate::errors::ApiError;
use crate::faults::Route;
use crate::params;
use crate::rate_limit::Bucket;
use crate::state::MemberScope;
use crate::wire;

pub(super) fn routes() -> Router<SharedApp> {
    Router::new()
        .route(
            "/v1/organizations/{organization_id}/memberships",
            post(create_membership).get(list_memberships),
        )
        .route(
            "/v1/organizations/{organization_id}/memberships/{user_id}",
            patch(update_membership).delete(delete_membership),
        )
        .route(
            "/v1/organizations/{organization_id}/memberships/{user_id}/metadata",
            patch(update_membership_metadata),
        )
        .route(
            "/v1/organization_memberships",
            get(list_instance_memberships),
        )
        .route(
            "/v1/users/{user_id}/organization_memberships",
            get(list_user_memberships),
        )
}

async fn create_membership(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::CreateMembership, request, |store, call| {
        store.organization(&organization_id)?;
        let new = params::create_membership_body(call.body)?;
        let membership = store.create_membership(&organization_id, new, call.now_ms)?;
        Ok(wire::membership(store, &membership, call.now_ms))
    })
    .await
}

/// Role changes and metadata updates share one budget per membership (Clerk: 10 per 10 s).
fn membership_bucket(organization_id: &str, user_id: &str) -> Option<Bucket> {
    Some(Bucket::UpdateMembership(
        organization_id.to_owned(),
        user_id.to_owned(),
    ))
}

async fn update_membership(
    State(app): State<SharedApp>,
    Path((organization_id, user_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    let bucket = membership_bucket(&organization_id, &user_id);
    app.handle_in(Route::UpdateMembership, bucket, request, |store, call| {
        store.organization(&organization_id)?;
        let role = params::role_body(call.body)?;
        let membership =
            store.update_membership_role(&organization_id, &user_id, &role, call.now_ms)?;
        Ok(wire::membership(store, &membership, call.now_ms))
    })
    .await
}

async fn update_membership_metadata(
    State(app): State<SharedApp>,
    Path((organization_id, user_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    let bucket = membership_bucket(&organization_id, &user_id);
    app.handle_in(
        Route::UpdateMembershipMetadata,
        bucket,
        request,
        |store, call| {
            store.organization(&organization_id)?;
            let patch = params::metadata_body(call.body)?;
            let membership =
                store.update_membership_metadata(&organization_id, &user_id, patch, call.now_ms)?;
            Ok(wire::membership(store, &membership, call.now_ms))
        },
    )
    .await
}

async fn delete_membership(
    State(app): State<SharedApp>,
    Path((organization_id, user_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    app.handle(Route::DeleteMembership, request, |store, call| {
        store.organization(&organization_id)?;
        let membership = store.delete_membership(&organization_id, &user_id, call.now_ms)?;
        Ok(wire::membership(store, &membership, call.now_ms))
    })
    .await
}

async fn list_memberships(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::ListMemberships, request, |store, call| {
        store.organization(&organization_id)?;
        let query = params::membership_list_query(call.query)?;
        let (page, total) =
            store.list_memberships(MemberScope::Organization(&organization_id), &query);
        Ok(wire::memberships(store, &page, total, call.now_ms))
    })
    .await
}

async fn list_instance_memberships(State(app): State<SharedApp>, request: Request) -> Response {
    app.handle(Route::ListInstanceMemberships, request, |store, call| {
        let query = params::sort_query(call.query)?;
        let (page, total) = store.list_memberships(MemberScope::Instance, &query);
        Ok(wire::memberships(store, &page, total, call.now_ms))
    })
    .await
}

async fn list_user_memberships(
    State(app): State<SharedApp>,
    Path(user_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::ListUserMemberships, request, |store, call| {
        if store.user(&user_id).is_none() {
            return Err(ApiError::user_not_found(&user_id));
        }
        let query = params::paging_query(call.query)?;
        let (page, total) = store.list_memberships(MemberScope::User(&user_id), &query);
        Ok(wire::memberships(store, &page, total, call.now_ms))
    })
    .await
}
