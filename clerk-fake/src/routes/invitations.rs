//! The organization invitation routes.

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::SharedApp;
use crate::errors::ApiError;
use crate::faults::Route;
use crate::params::{self, ListParams};
use crate::state::{InvitationStatus, Scope, Store};
use crate::wire::{self, Shape};

pub(super) fn routes() -> Router<SharedApp> {
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
        Ok(wire::invitations(
            store,
            &invitations,
            invitations.len(),
            Shape::Plain,
        ))
    })
    .await
}

/// What a list route takes and answers: the query parameters it accepts, the shape of its items,
/// and whether it lists pending invitations whatever `status` says (the deprecated route).
struct ListRoute {
    route: Route,
    accepted: ListParams,
    shape: Shape,
    pending_only: bool,
}

/// Paging and `status` only.
const PAGING_AND_STATUS: ListParams = ListParams {
    email_address: false,
    query: false,
    order_by: false,
};

async fn list_invitations(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    let route = ListRoute {
        route: Route::ListInvitations,
        accepted: ListParams {
            email_address: true,
            query: false,
            order_by: true,
        },
        shape: Shape::Plain,
        pending_only: false,
    };
    list(&app, route, Scope::Organization(&organization_id), request).await
}

async fn list_pending_invitations(
    State(app): State<SharedApp>,
    Path(organization_id): Path<String>,
    request: Request,
) -> Response {
    let route = ListRoute {
        route: Route::ListPendingInvitations,
        accepted: PAGING_AND_STATUS,
        shape: Shape::Plain,
        pending_only: true,
    };
    list(&app, route, Scope::Organization(&organization_id), request).await
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
    let route = ListRoute {
        route: Route::ListInstanceInvitations,
        accepted: ListParams {
            email_address: false,
            query: true,
            order_by: true,
        },
        shape: Shape::WithPublicOrganizationData,
        pending_only: false,
    };
    list(&app, route, Scope::Instance, request).await
}

async fn list_user_invitations(
    State(app): State<SharedApp>,
    Path(user_id): Path<String>,
    request: Request,
) -> Response {
    let route = ListRoute {
        route: Route::ListUserInvitations,
        accepted: PAGING_AND_STATUS,
        shape: Shape::WithPublicOrganizationData,
        pending_only: false,
    };
    list(&app, route, Scope::User(&user_id), request).await
}

/// Every list route: the scope must exist (404), then the query is parsed (400) and one page
/// answered.
async fn list(app: &SharedApp, route: ListRoute, scope: Scope<'_>, request: Request) -> Response {
    app.handle(route.route, request, |store, call| {
        match scope {
            Scope::Organization(organization_id) => {
                store.organization(organization_id)?;
            }
            Scope::User(user_id) if store.user(user_id).is_none() => {
                return Err(ApiError::user_not_found(user_id));
            }
            Scope::User(_) | Scope::Instance => {}
        }
        let mut query = params::list_query(call.query, route.accepted)?;
        if route.pending_only {
            query.statuses = vec![InvitationStatus::Pending];
        }
        let (page, total) = store.list_invitations(scope, &query, call.now_ms);
        Ok(wire::invitations(store, &page, total, route.shape))
    })
    .await
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
