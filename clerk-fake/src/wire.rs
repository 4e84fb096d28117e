//! How stored invitations look on the wire: the spec's `OrganizationInvitation`,
//! `OrganizationInvitationWithPublicOrganizationData` and `{data, total_count}` lists.

use serde_json::{Value, json};

use crate::state::{Invitation, Store};

/// Clerk's default avatar; the fake has no images, so every `has_image` is false.
const DEFAULT_IMAGE_URL: &str = "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9";

/// Whether list items carry `public_organization_data` (the instance-wide and per-user lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Plain,
    WithPublicOrganizationData,
}

pub(crate) fn invitation(store: &Store, invitation: &Invitation, shape: Shape) -> Value {
    let inviter = invitation
        .inviter_id
        .as_deref()
        .and_then(|id| store.user(id))
        .map(|user| {
            json!({
                "user_id": user.id,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "image_url": DEFAULT_IMAGE_URL,
                "has_image": false,
                "identifier": user.email_address,
            })
        });
    let mut body = json!({
        "object": "organization_invitation",
        "id": invitation.id,
        "email_address": invitation.email_address,
        "role": invitation.role,
        "role_name": store.role_name(&invitation.role),
        "organization_id": invitation.organization_id,
        "inviter_id": invitation.inviter_id,
        "public_inviter_data": inviter,
        "status": invitation.status.as_str(),
        "public_metadata": invitation.public_metadata,
        "private_metadata": invitation.private_metadata,
        "url": Value::Null,
        "expires_at": invitation.expires_at,
        "created_at": invitation.created_at,
        "updated_at": invitation.updated_at,
    });
    if shape == Shape::WithPublicOrganizationData {
        if let (Ok(organization), Value::Object(fields)) =
            (store.organization(&invitation.organization_id), &mut body)
        {
            fields.insert(
                "public_organization_data".into(),
                json!({
                    "id": organization.id,
                    "name": organization.name,
                    "slug": organization.slug,
                    "image_url": DEFAULT_IMAGE_URL,
                    "has_image": false,
                }),
            );
        }
    }
    body
}

pub(crate) fn list(
    store: &Store,
    invitations: &[Invitation],
    total_count: usize,
    shape: Shape,
) -> Value {
    let data: Vec<Value> = invitations
        .iter()
        .map(|inv| invitation(store, inv, shape))
        .collect();
    json!({ "data": data, "total_count": total_count })
}
