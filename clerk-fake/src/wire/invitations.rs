//! Invitations on the wire: the spec's `OrganizationInvitation`,
//! `OrganizationInvitationWithPublicOrganizationData` and their `{data, total_count}` lists.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{DEFAULT_IMAGE_URL, ListBody, to_bytes};
use crate::state::{Invitation, Store};

/// Whether items carry `public_organization_data` (the instance-wide and per-user lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Plain,
    WithPublicOrganizationData,
}

#[derive(Serialize)]
struct InvitationBody<'a> {
    object: &'static str,
    id: &'a str,
    email_address: &'a str,
    role: &'a str,
    role_name: &'a str,
    organization_id: &'a str,
    inviter_id: Option<&'a str>,
    public_inviter_data: Option<InviterBody<'a>>,
    status: &'static str,
    public_metadata: &'a Map<String, Value>,
    private_metadata: &'a Map<String, Value>,
    url: Option<&'a str>,
    expires_at: i64,
    created_at: i64,
    updated_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_organization_data: Option<OrganizationBody<'a>>,
}

#[derive(Serialize)]
struct InviterBody<'a> {
    user_id: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    image_url: &'static str,
    has_image: bool,
    identifier: &'a str,
}

#[derive(Serialize)]
struct OrganizationBody<'a> {
    id: &'a str,
    name: &'a str,
    slug: &'a str,
    image_url: &'static str,
    has_image: bool,
}

fn body<'a>(store: &'a Store, invitation: &'a Invitation, shape: Shape) -> InvitationBody<'a> {
    let inviter = invitation
        .inviter_id
        .as_deref()
        .and_then(|id| store.user(id))
        .map(|user| InviterBody {
            user_id: &user.id,
            first_name: user.first_name.as_deref(),
            last_name: user.last_name.as_deref(),
            image_url: DEFAULT_IMAGE_URL,
            has_image: false,
            identifier: &user.email_address,
        });
    let organization = match shape {
        Shape::Plain => None,
        Shape::WithPublicOrganizationData => store
            .organization(&invitation.organization_id)
            .ok()
            .map(|organization| OrganizationBody {
                id: &organization.id,
                name: &organization.name,
                slug: &organization.slug,
                image_url: DEFAULT_IMAGE_URL,
                has_image: false,
            }),
    };
    InvitationBody {
        object: "organization_invitation",
        id: &invitation.id,
        email_address: &invitation.email_address,
        role: &invitation.role,
        role_name: store.role_name(&invitation.role),
        organization_id: &invitation.organization_id,
        inviter_id: invitation.inviter_id.as_deref(),
        public_inviter_data: inviter,
        status: invitation.status.as_str(),
        public_metadata: &invitation.public_metadata,
        private_metadata: &invitation.private_metadata,
        url: None,
        expires_at: invitation.expires_at,
        created_at: invitation.created_at,
        updated_at: invitation.updated_at,
        public_organization_data: organization,
    }
}

/// One invitation as JSON bytes.
pub(crate) fn invitation(store: &Store, invitation: &Invitation, shape: Shape) -> Vec<u8> {
    to_bytes(&body(store, invitation, shape))
}

/// A `{data, total_count}` page as JSON bytes.
pub(crate) fn invitations(
    store: &Store,
    invitations: &[Invitation],
    total_count: usize,
    shape: Shape,
) -> Vec<u8> {
    let data = invitations
        .iter()
        .map(|inv| body(store, inv, shape))
        .collect();
    to_bytes(&ListBody { data, total_count })
}
