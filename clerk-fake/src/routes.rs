//! The HTTP routes under `/v1` and what each one does with the store.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::{Call, SharedApp};
use crate::errors::ApiError;
use crate::faults::Route;
use crate::params::{self, ListParams};
use crate::state::{Scope, Store};
use crate::wire::{self, Shape};

pub(crate) fn router(app: SharedApp) -> Router {
    Router::new()
        .route(
            "/v1/organizations/{organization_id}/invitations",
            post(create_invitation).get(list_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/bulk",
            post(bulk_create_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/pending",
            get(list_pending_invitations),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/{invitation_id}",
            get(get_invitation),
        )
        .route(
            "/v1/organizations/{organization_id}/invitations/{invitation_id}/revoke",
            post(revoke_invitation),
        )
        .route(
            "/v1/organization_invitations",
            get(list_instance_invitations),
        )
        .route(
            "/v1/users/{user_id}/organization_invitations",
            get(list_user_invitations),
        )
        .fallback(unknown_route)
        .with_state(app)
}

/// Clerk answers unknown paths with its JSON 404, not an empty body.
async fn unknown_route(State(app): State<SharedApp>) -> Response {
    app.reject(ApiError::not_found("Resource"))
}

async fn create_invitation(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::CreateInvitation, request, |store, call| {
        store.organization(&organization_id)?;
        let new = params::create_body(call.body)?;
        let ids = store.create_invitations(&organization_id, vec![new], call.now_ms)?;
        single(store, ids.first().map_or("", String::as_str), call.now_ms)
    })
    .await
}

async fn bulk_create_invitations(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::BulkCreateInvitations, request, |store, call| {
        store.organization(&organization_id)?;
        let new = params::bulk_body(call.body)?;
        let ids = store.create_invitations(&organization_id, new, call.now_ms)?;
        let invitations: Vec<_> = ids
            .iter()
            .filter_map(|id| store.invitation(id, call.now_ms))
            .collect();
        Ok(wire::list(
            store,
            &invitations,
            invitations.len(),
            Shape::Plain,
        ))
    })
    .await
}

const ORGANIZATION_LIST: ListParams = ListParams {
    email_address: true,
    query: false,
    order_by: true,
};

async fn list_invitations(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::ListInvitations, request, |store, call| {
        store.organization(&organization_id)?;
        let query = params::list_query(call.query, ORGANIZATION_LIST)?;
        list(
            store,
            Scope::Organization(&organization_id),
            query,
            &call,
            Shape::Plain,
        )
    })
    .await
}

async fn list_pending_invitations(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::ListPendingInvitations, request, |store, call| {
        store.organization(&organization_id)?;
        let paging_only = ListParams {
            email_address: false,
            query: false,
            order_by: false,
        };
        let mut query = params::list_query(call.query, paging_only)?;
        // The deprecated route lists pending ones whatever `status` says.
        query.statuses = vec![crate::state::InvitationStatus::Pending];
        list(
            store,
            Scope::Organization(&organization_id),
            query,
            &call,
            Shape::Plain,
        )
    })
    .await
}

async fn get_invitation(
    State(app): State<SharedApp>,
    Path((organization_id, invitation_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    app.handle(Route::GetInvitation, request, |store, call| {
        store.organization(&organization_id)?;
        single_in(store, &organization_id, &invitation_id, call.now_ms)
    })
    .await
}

async fn revoke_invitation(
    State(app): State<SharedApp>,
    Path((organization_id, invitation_id)): Path<(String, String)>,
    request: Request,
) -> Response {
    app.handle(Route::RevokeInvitation, request, |store, call| {
        store.organization(&organization_id)?;
        let requesting_user_id = params::revoke_body(call.body)?;
        store.revoke_invitation(
            &organization_id,
            &invitation_id,
            requesting_user_id.as_deref(),
            call.now_ms,
        )?;
        single_in(store, &organization_id, &invitation_id, call.now_ms)
    })
    .await
}

async fn list_instance_invitations(State(app): State<SharedApp>, request: Request) -> Response {
    app.handle(Route::ListInstanceInvitations, request, |store, call| {
        let accepted = ListParams {
            email_address: false,
            query: true,
            order_by: true,
        };
        let query = params::list_query(call.query, accepted)?;
        list(
            store,
            Scope::Instance,
            query,
            &call,
            Shape::WithPublicOrganizationData,
        )
    })
    .await
}

async fn list_user_invitations(
    State(app): State<SharedApp>,
    Path(user_id): Path<String>,
    request: Request,
) -> Response {
    app.handle(Route::ListUserInvitations, request, |store, call| {
        if store.user(&user_id).is_none() {
            return Err(ApiError::not_found("User"));
        }
        let paging_and_status = ListParams {
            email_address: false,
            query: false,
            order_by: false,
        };
        let query = params::list_query(call.query, paging_and_status)?;
        list(
            store,
            Scope::User(&user_id),
            query,
            &call,
            Shape::WithPublicOrganizationData,
        )
    })
    .await
}

fn list(
    store: &Store,
    scope: Scope<'_>,
    query: crate::state::ListQuery,
    call: &Call<'_>,
    shape: Shape,
) -> Result<Vec<u8>, ApiError> {
    let (page, total) = store.list_invitations(scope, &query, call.now_ms);
    Ok(wire::list(store, &page, total, shape))
}

fn single(store: &Store, invitation_id: &str, now_ms: i64) -> Result<Vec<u8>, ApiError> {
    store
        .invitation(invitation_id, now_ms)
        .map(|invitation| wire::invitation(store, &invitation, Shape::Plain))
        .ok_or_else(|| ApiError::not_found("Organization invitation"))
}

/// An invitation of this organization; one of another organization is "not found".
fn single_in(
    store: &Store,
    organization_id: &str,
    invitation_id: &str,
    now_ms: i64,
) -> Result<Vec<u8>, ApiError> {
    match store.invitation(invitation_id, now_ms) {
        Some(invitation) if invitation.organization_id == organization_id => {
            Ok(wire::invitation(store, &invitation, Shape::Plain))
        }
        _ => Err(ApiError::not_found("Organization invitation")),
    }
}
