//! Memberships on the wire: the spec's `OrganizationMembership` (with its full `Organization` and
//! `OrganizationMembershipPublicUserData`) and `OrganizationMemberships` lists. Webhook events
//! carry the same shape.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{DEFAULT_IMAGE_URL, EmptyObject, ListBody, to_bytes};
use crate::state::{Membership, Store};

#[derive(Serialize)]
struct MembershipBody<'a> {
    object: &'static str,
    id: &'a str,
    role: &'a str,
    role_name: &'a str,
    permissions: &'a [String],
    public_metadata: &'a Map<String, Value>,
    private_metadata: &'a Map<String, Value>,
    organization: OrganizationBody<'a>,
    public_user_data: PublicUserData<'a>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize)]
struct OrganizationBody<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    slug: &'a str,
    image_url: &'static str,
    has_image: bool,
    members_count: u32,
    pending_invitations_count: u32,
    /// Clerk's 0 means unlimited.
    max_allowed_memberships: u32,
    admin_delete_enabled: bool,
    public_metadata: EmptyObject,
    private_metadata: EmptyObject,
    created_at: i64,
    updated_at: i64,
}

#[derive(Serialize)]
struct PublicUserData<'a> {
    user_id: &'a str,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    profile_image_url: &'static str,
    image_url: &'static str,
    has_image: bool,
    identifier: Option<&'a str>,
    username: Option<&'a str>,
}

fn body<'a>(store: &'a Store, membership: &'a Membership, now_ms: i64) -> MembershipBody<'a> {
    let organization_id = membership.organization_id.as_str();
    let organization = store.organization(organization_id).ok();
    let (members_count, pending_invitations_count) =
        store.membership_counts(organization_id, now_ms);
    let created_at = store.organization_created_at(organization_id);
    let user = store.user(&membership.user_id);
    MembershipBody {
        object: "organization_membership",
        id: &membership.id,
        role: &membership.role,
        role_name: store.role_name(&membership.role),
        permissions: store.role_permissions(&membership.role),
        public_metadata: &membership.public_metadata,
        private_metadata: &membership.private_metadata,
        organization: OrganizationBody {
            object: "organization",
            id: organization_id,
            name: organization.map_or("", |o| o.name.as_str()),
            slug: organization.map_or("", |o| o.slug.as_str()),
            image_url: DEFAULT_IMAGE_URL,
            has_image: false,
            members_count,
            pending_invitations_count,
            max_allowed_memberships: organization
                .and_then(|o| o.max_allowed_memberships)
                .unwrap_or(0),
            admin_delete_enabled: true,
            public_metadata: EmptyObject {},
            private_metadata: EmptyObject {},
            created_at,
            updated_at: created_at,
        },
        public_user_data: PublicUserData {
            user_id: &membership.user_id,
            first_name: user.and_then(|u| u.first_name.as_deref()),
            last_name: user.and_then(|u| u.last_name.as_deref()),
            profile_image_url: DEFAULT_IMAGE_URL,
            image_url: DEFAULT_IMAGE_URL,
            has_image: false,
            identifier: user.map(|u| u.email_address.as_str()),
            username: user.and_then(|u| u.username.as_deref()),
        },
        created_at: membership.created_at,
        updated_at: membership.updated_at,
    }
}

/// One membership as JSON bytes; the organization's counts are those at `now_ms`.
pub(crate) fn membership(store: &Store, membership: &Membership, now_ms: i64) -> Vec<u8> {
    to_bytes(&body(store, membership, now_ms))
}

/// A `{data, total_count}` page as JSON bytes.
pub(crate) fn memberships(
    store: &Store,
    memberships: &[Membership],
    total_count: usize,
    now_ms: i64,
) -> Vec<u8> {
    let data = memberships.iter().map(|m| body(store, m, now_ms)).collect();
    to_bytes(&ListBody { data, total_count })
}
