//! The typed models: [`OrganizationInvitation`], [`InvitationStatus`], [`Role`] and the public
//! user and organization data they carry, a list's [`Page`], and the vocabulary of Clerk's
//! limits ([`KeyKind`], [`Budget`]).
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
