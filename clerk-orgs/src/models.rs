//! The typed models: [`OrganizationInvitation`], [`InvitationStatus`], [`Role`] and the public
//! user and organization data they carry; [`OrganizationMembership`] with its [`Organization`]
//! and [`PublicUserData`]; the instance's [`OrganizationRole`]s and their [`Permission`]s; a
//! list's [`Page`], and the vocabulary of Clerk's limits ([`KeyKind`], [`Budget`]).
//!
//! They are converted from the raw `clerk-bapi-sys` types rather than re-exported, so the wire
//! layer can change with the spec while these stay stable. Open string sets (statuses, roles)
//! keep values this crate does not know, and unknown JSON fields are ignored: nothing Clerk adds
//! later may fail a call.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use clerk_bapi_sys::types;
#[cfg(feature = "schemars")]
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// An invitation to join an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct OrganizationInvitation {
    /// `orginv_...`.
    pub id: String,
    /// The invitee's email address, as sent.
    pub email_address: String,
    /// The role the invitee gets on accepting.
    pub role: Role,
    /// The role's display name, e.g. `Member`.
    pub role_name: String,
    /// The organization; Clerk always sends it for these endpoints, the spec marks it optional.
    pub organization_id: Option<String>,
    /// Lifecycle state; an absent status reads as `Unknown("")`.
    pub status: InvitationStatus,
    /// The inviting user's id, if the invitation named one.
    pub inviter_id: Option<String>,
    /// The inviting user's public profile, if there is one.
    pub public_inviter_data: Option<PublicInviterData>,
    /// The organization's public data; present on the instance-wide and per-user lists.
    pub public_organization_data: Option<PublicOrganizationData>,
    /// Metadata visible to the frontend.
    pub public_metadata: Map<String, Value>,
    /// Metadata visible to the backend only.
    pub private_metadata: Map<String, Value>,
    /// The invitation link, when Clerk exposes one.
    pub url: Option<String>,
    /// When it expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Converts Clerk's Unix milliseconds. Values beyond chrono's range (about ±262,000 years)
/// saturate to [`DateTime::<Utc>::MIN_UTC`] / [`DateTime::<Utc>::MAX_UTC`] instead of failing
/// the call or panicking: such a timestamp is nonsense either way, and the rest of the
/// invitation is still worth having.
pub(crate) fn from_unix_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or(if millis < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// An [`OrganizationInvitation`] from either raw shape (they differ only in
/// `public_organization_data`, given as `$organization`).
macro_rules! invitation_from_raw {
    ($raw:ident, $organization:expr) => {
        OrganizationInvitation {
            public_organization_data: $organization,
            id: $raw.id,
            email_address: $raw.email_address,
            role: Role::new($raw.role),
            role_name: $raw.role_name,
            organization_id: $raw.organization_id,
            status: $raw.status.map(InvitationStatus::from).unwrap_or_default(),
            inviter_id: $raw.inviter_id,
            public_inviter_data: $raw.public_inviter_data.0.map(PublicInviterData::from_raw),
            public_metadata: $raw.public_metadata,
            private_metadata: $raw.private_metadata,
            url: $raw.url,
            expires_at: $raw.expires_at.map(from_unix_millis),
            created_at: from_unix_millis($raw.created_at),
            updated_at: from_unix_millis($raw.updated_at),
        }
    };
}

impl OrganizationInvitation {
    pub(crate) fn from_raw(raw: types::OrganizationInvitation) -> Self {
        invitation_from_raw!(raw, None)
    }

    pub(crate) fn from_raw_with_organization(
        raw: types::OrganizationInvitationWithPublicOrganizationData,
    ) -> Self {
        invitation_from_raw!(
            raw,
            raw.public_organization_data
                .map(PublicOrganizationData::from_raw)
        )
    }
}

/// The inviting user's public profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct PublicInviterData {
    /// `user_...`.
    pub user_id: String,
    /// First name, if set.
    pub first_name: Option<String>,
    /// Last name, if set.
    pub last_name: Option<String>,
    /// The user's identifier (usually the email address).
    pub identifier: String,
    /// Avatar URL (a default image when `has_image` is false).
    pub image_url: String,
    /// Whether the user uploaded an image.
    pub has_image: bool,
}

impl PublicInviterData {
    fn from_raw(raw: types::OrganizationInvitationPublicUserDataInner) -> Self {
        Self {
            user_id: raw.user_id,
            first_name: raw.first_name,
            last_name: raw.last_name,
            identifier: raw.identifier,
            image_url: raw.image_url,
            has_image: raw.has_image,
        }
    }
}

/// An organization's public data, as the instance-wide and per-user lists carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct PublicOrganizationData {
    /// `org_...`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Logo URL, if any.
    pub image_url: Option<String>,
    /// Whether the organization uploaded a logo.
    pub has_image: bool,
}

impl PublicOrganizationData {
    fn from_raw(raw: types::OrganizationInvitationPublicOrganizationData) -> Self {
        Self {
            id: raw.id,
            name: raw.name,
            slug: raw.slug,
            image_url: raw.image_url,
            has_image: raw.has_image,
        }
    }
}

/// A user's membership in an organization: their role in it and the membership's metadata.
///
/// Clerk has no route that fetches one membership by id; list an organization's memberships
/// (filtered by user id, for example) to read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// `orgmem_...`.
    pub id: String,
    /// The member's role key, e.g. `org:admin`.
    pub role: Role,
    /// The role's display name, e.g. `Admin`, when Clerk sends it.
    pub role_name: Option<String>,
    /// The permission keys the role grants, e.g. `org:sys_memberships:manage`.
    pub permissions: Vec<String>,
    /// Metadata visible to the frontend.
    pub public_metadata: Map<String, Value>,
    /// Metadata visible to the backend only (empty when Clerk leaves it out).
    pub private_metadata: Map<String, Value>,
    /// The organization.
    pub organization: Organization,
    /// The member's public profile; Clerk always sends it on these routes, the spec marks it
    /// optional.
    pub public_user_data: Option<PublicUserData>,
    /// When the membership was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (role or metadata).
    pub updated_at: DateTime<Utc>,
}

impl OrganizationMembership {
    pub(crate) fn from_raw(raw: types::OrganizationMembership) -> Self {
        Self {
            id: raw.id,
            role: Role::new(raw.role),
            role_name: raw.role_name,
            permissions: raw.permissions,
            public_metadata: raw.public_metadata,
            private_metadata: raw.private_metadata,
            organization: Organization::from_raw(raw.organization),
            public_user_data: raw.public_user_data.map(PublicUserData::from_raw),
            created_at: from_unix_millis(raw.created_at),
            updated_at: from_unix_millis(raw.updated_at),
        }
    }

    /// The member's user id (from [`public_user_data`](Self::public_user_data)).
    pub fn user_id(&self) -> Option<&str> {
        self.public_user_data
            .as_ref()
            .map(|user| user.user_id.as_str())
    }

    /// The member's identifier, usually their primary email address (from
    /// [`public_user_data`](Self::public_user_data)).
    pub fn identifier(&self) -> Option<&str> {
        self.public_user_data
            .as_ref()
            .and_then(|user| user.identifier.as_deref())
    }
}

/// An organization, as a membership carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct Organization {
    /// `org_...`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Logo URL, if any.
    pub image_url: Option<String>,
    /// Whether the organization uploaded a logo.
    pub has_image: bool,
    /// How many members it has, when Clerk sends it.
    pub members_count: Option<u64>,
    /// How many invitations are pending, when Clerk sends it.
    pub pending_invitations_count: Option<u64>,
    /// The membership limit; 0 means unlimited.
    pub max_allowed_memberships: u64,
    /// Whether its admins may delete it.
    pub admin_delete_enabled: bool,
    /// The user who created it, when Clerk sends it.
    pub created_by: Option<String>,
    /// The role set its members' roles come from, when it has one.
    pub role_set_key: Option<String>,
    /// Metadata visible to the frontend.
    pub public_metadata: Map<String, Value>,
    /// Metadata visible to the backend only (empty when Clerk leaves it out).
    pub private_metadata: Map<String, Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    fn from_raw(raw: types::Organization) -> Self {
        // Counts are never negative; a negative one from a broken answer reads as absent.
        let count = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
        Self {
            id: raw.id,
            name: raw.name,
            slug: raw.slug,
            image_url: raw.image_url,
            has_image: raw.has_image,
            members_count: count(raw.members_count),
            pending_invitations_count: count(raw.pending_invitations_count),
            max_allowed_memberships: u64::try_from(raw.max_allowed_memberships).unwrap_or(0),
            admin_delete_enabled: raw.admin_delete_enabled,
            created_by: raw.created_by,
            role_set_key: raw.role_set_key,
            public_metadata: raw.public_metadata,
            private_metadata: raw.private_metadata,
            created_at: from_unix_millis(raw.created_at),
            updated_at: from_unix_millis(raw.updated_at),
        }
    }
}

/// A member's public profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct PublicUserData {
    /// `user_...`.
    pub user_id: String,
    /// First name, if set.
    pub first_name: Option<String>,
    /// Last name, if set.
    pub last_name: Option<String>,
    /// The user's identifier (usually the primary email address), if Clerk sends one.
    pub identifier: Option<String>,
    /// Username, if the instance uses them.
    pub username: Option<String>,
    /// Avatar URL (a default image when `has_image` is false).
    pub image_url: String,
    /// Whether the user uploaded an image.
    pub has_image: bool,
    /// Whether the user is banned, when Clerk says.
    pub banned: Option<bool>,
    /// Whether the user's identity provider deprovisioned them, when Clerk says.
    pub deprovisioned: Option<bool>,
}

impl PublicUserData {
    fn from_raw(raw: types::OrganizationMembershipPublicUserData) -> Self {
        Self {
            user_id: raw.user_id,
            first_name: raw.first_name,
            last_name: raw.last_name,
            identifier: raw.identifier,
            username: raw.username,
            image_url: raw.image_url,
            has_image: raw.has_image,
            banned: raw.banned,
            deprovisioned: raw.deprovisioned,
        }
    }
}

/// One of the instance's organization roles, with the permissions it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct OrganizationRole {
    /// `role_...`.
    pub id: String,
    /// The key invitations and memberships name it by, e.g. `org:billing`.
    pub key: Role,
    /// Display name, e.g. `Billing`.
    pub name: String,
    /// A description, if it has one.
    pub description: Option<String>,
    /// Whether it may be the role of an organization's creator.
    pub is_creator_eligible: bool,
    /// The permissions it grants.
    pub permissions: Vec<Permission>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl OrganizationRole {
    pub(crate) fn from_raw(raw: types::Role) -> Self {
        Self {
            id: raw.id,
            key: Role::new(raw.key),
            name: raw.name,
            description: raw.description,
            is_creator_eligible: raw.is_creator_eligible,
            permissions: raw
                .permissions
                .into_iter()
                .map(Permission::from_raw)
                .collect(),
            created_at: from_unix_millis(raw.created_at),
            updated_at: from_unix_millis(raw.updated_at),
        }
    }
}

/// A permission an [`OrganizationRole`] grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct Permission {
    /// `perm_...`.
    pub id: String,
    /// The key, e.g. `org:sys_memberships:manage` or a custom `org:invoices:read`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// A description (may be empty).
    pub description: String,
    /// Clerk's `type`: `system` for Clerk's own permissions, `user` for custom ones; any other
    /// value Clerk adds is kept as sent.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Permission {
    fn from_raw(raw: types::Permission) -> Self {
        Self {
            id: raw.id,
            key: raw.key,
            name: raw.name,
            description: raw.description,
            kind: raw.type_,
            created_at: from_unix_millis(raw.created_at),
            updated_at: from_unix_millis(raw.updated_at),
        }
    }
}

/// An invitation's lifecycle state; serialized as Clerk's string (`pending`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvitationStatus {
    /// Waiting for the invitee.
    Pending,
    /// The invitee joined.
    Accepted,
    /// An admin revoked it.
    Revoked,
    /// It expired while pending.
    Expired,
    /// A status this crate does not know yet, kept verbatim so it round-trips.
    Unknown(String),
}

impl InvitationStatus {
    /// The wire value, e.g. `pending`.
    pub fn as_str(&self) -> &str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Unknown(status) => status,
        }
    }

    /// Parses a wire value; unknown values become [`InvitationStatus::Unknown`].
    pub fn parse(status: &str) -> Self {
        match status {
            "pending" => InvitationStatus::Pending,
            "accepted" => InvitationStatus::Accepted,
            "revoked" => InvitationStatus::Revoked,
            "expired" => InvitationStatus::Expired,
            other => InvitationStatus::Unknown(other.to_owned()),
        }
    }
}

impl Default for InvitationStatus {
    /// `Unknown("")`: what an invitation without a status reads as.
    fn default() -> Self {
        InvitationStatus::Unknown(String::new())
    }
}

impl From<&str> for InvitationStatus {
    fn from(status: &str) -> Self {
        Self::parse(status)
    }
}

impl From<String> for InvitationStatus {
    fn from(status: String) -> Self {
        match Self::parse(&status) {
            // Reuse the allocation for unknown values.
            InvitationStatus::Unknown(_) => InvitationStatus::Unknown(status),
            known => known,
        }
    }
}

impl fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InvitationStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InvitationStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from(String::deserialize(deserializer)?))
    }
}

#[cfg(feature = "schemars")]
impl JsonSchema for InvitationStatus {
    fn schema_name() -> String {
        "InvitationStatus".to_owned()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        // Open set: Clerk may add statuses, so known ones are examples, not an enum.
        let mut schema = String::json_schema(generator).into_object();
        schema.metadata().examples = ["pending", "accepted", "revoked", "expired"]
            .into_iter()
            .map(Value::from)
            .collect();
        schema.into()
    }
}

/// An organization role key such as `org:admin`, `org:member` or a custom `org:billing`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(Cow<'static, str>);

impl Role {
    /// `org:admin`, every organization's administrator role.
    pub const ADMIN: Role = Role(Cow::Borrowed("org:admin"));
    /// `org:member`, every organization's default member role.
    pub const MEMBER: Role = Role(Cow::Borrowed("org:member"));

    /// Any role key, e.g. `Role::new("org:billing")`; checked (non-empty, no whitespace) when a
    /// request using it is sent.
    pub fn new(key: impl Into<String>) -> Self {
        Role(Cow::Owned(key.into()))
    }

    /// The role key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Role {
    fn from(key: &str) -> Self {
        Role::new(key)
    }
}

impl From<String> for Role {
    fn from(key: String) -> Self {
        Role::new(key)
    }
}

impl From<&Role> for Role {
    fn from(role: &Role) -> Self {
        role.clone()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Role::new)
    }
}

#[cfg(feature = "schemars")]
impl JsonSchema for Role {
    fn schema_name() -> String {
        "Role".to_owned()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        String::json_schema(generator)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items match the filters in total, across all pages.
    pub total_count: u64,
}

impl<T> Page<T> {
    pub(crate) fn new(data: Vec<T>, total_count: i64) -> Self {
        Self {
            data,
            total_count: u64::try_from(total_count).unwrap_or(0),
        }
    }
}

/// Which kind of secret key the client holds; Clerk's rate limits differ between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// `sk_test_...`: a development instance.
    Test,
    /// `sk_live_...`: a production instance.
    Live,
    /// Any other format.
    Other,
}

impl KeyKind {
    pub(crate) fn of(key: &str) -> Self {
        if key.starts_with("sk_test_") {
            KeyKind::Test
        } else if key.starts_with("sk_live_") {
            KeyKind::Live
        } else {
            KeyKind::Other
        }
    }
}

/// Which of Clerk's budgets a request draws from besides the global one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Budget {
    /// Every request.
    AllRequests,
    /// Single invitation creates.
    CreateInvitation,
    /// Bulk invitation creates.
    BulkCreateInvitations,
}

impl Budget {
    /// A short name for messages and `tracing`, e.g. `bulk_create_invitations`.
    pub fn as_str(self) -> &'static str {
        match self {
            Budget::AllRequests => "all_requests",
            Budget::CreateInvitation => "create_invitation",
            Budget::BulkCreateInvitations => "bulk_create_invitations",
        }
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_including_unknown_ones() {
        for wire in ["pending", "accepted", "revoked", "expired", "on_hold", ""] {
            let status = InvitationStatus::from(wire);
            assert_eq!(status.as_str(), wire);
            let json = serde_json::to_value(&status).unwrap();
            assert_eq!(json, Value::from(wire));
            assert_eq!(
                serde_json::from_value::<InvitationStatus>(json).unwrap(),
                status
            );
        }
        assert_eq!(
            InvitationStatus::from("on_hold"),
            InvitationStatus::Unknown("on_hold".into())
        );
    }

    #[test]
    fn roles_compare_by_key_whatever_their_storage() {
        assert_eq!(Role::ADMIN, Role::new("org:admin"));
        assert_eq!(Role::from("org:member"), Role::MEMBER);
        assert_eq!(Role::new("org:billing").as_str(), "org:billing");
    }

    #[test]
    fn out_of_range_timestamps_saturate_instead_of_panicking() {
        assert_eq!(from_unix_millis(i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(from_unix_millis(i64::MIN), DateTime::<Utc>::MIN_UTC);
        assert_eq!(
            from_unix_millis(1_767_225_600_000).to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
    }
}
