//! Typed Clerk events: [`VerifiedEvent`] (the envelope), [`Event`] and the membership payload.
//!
//! Field names follow Clerk's webhook spec (`webhooks/2025-04-15.yml` in clerk/openapi-specs).
//! Parsing is lenient on purpose: unknown fields are ignored, unknown event types become
//! [`Event::Other`], and fields the spec requires but an event is still useful without default
//! (an empty string, map or list, or `None`). Only what identifies an object (`id`, `role`,
//! timestamps) is required: Clerk retries a refused message for days, so refusing a genuine
//! event over a field this crate does not need would only delay it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::models::{
    InvitationStatus, OrganizationInvitation, PublicInviterData, PublicOrganizationData, Role,
};

use super::WebhookError;

/// A verified webhook: the Svix message id and signing time from the headers, Clerk's envelope
/// and the typed [`Event`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerifiedEvent {
    /// The message id (`svix-id`): the same on every retry of one message, so the key to
    /// process each message once.
    pub id: String,
    /// When this delivery attempt was signed (`svix-timestamp`); changes on retries.
    pub signed_at: DateTime<Utc>,
    /// The envelope's `timestamp`, as sent (Unix time: milliseconds in Clerk's deliveries and
    /// docs, though the spec's examples show seconds, so it is not converted); `None` if absent.
    pub timestamp: Option<i64>,
    /// The envelope's `instance_id` (`ins_...`): which Clerk instance sent it; empty if absent.
    pub instance_id: String,
    /// The envelope's `object`, `event` today; empty if absent.
    pub object: String,
    /// The envelope's `event_attributes`, e.g. the HTTP request that caused the event.
    pub event_attributes: Option<EventAttributes>,
    /// The event, typed by its `type`.
    pub event: Event,
}

impl VerifiedEvent {
    /// The event type, e.g. `organizationInvitation.created`.
    pub fn event_type(&self) -> &str {
        self.event.event_type()
    }
}

/// A Clerk event, typed for organization invitations and memberships.
///
/// Every other type arrives as [`Event::Other`] with its `data` untouched, so subscribing the
/// endpoint to more events never makes verification fail. New variants may be added in minor
/// versions (an event now in `Other` may get its own variant), hence `#[non_exhaustive]`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `organizationInvitation.created`.
    OrganizationInvitationCreated(OrganizationInvitation),
    /// `organizationInvitation.accepted`.
    OrganizationInvitationAccepted {
        /// The invitation, with `status` `accepted`.
        invitation: OrganizationInvitation,
        /// The user who accepted (`user_...`). The spec requires it; `None` only if Clerk
        /// left it out.
        user_id: Option<String>,
    },
    /// `organizationInvitation.revoked`.
    OrganizationInvitationRevoked(OrganizationInvitation),
    /// `organizationMembership.created`: someone joined (for instance by accepting).
    OrganizationMembershipCreated(OrganizationMembership),
    /// `organizationMembership.updated`: typically a role change.
    OrganizationMembershipUpdated(OrganizationMembership),
    /// `organizationMembership.deleted`: someone left or was removed; the membership as it was.
    OrganizationMembershipDeleted(OrganizationMembership),
    /// Any other event type, e.g. `user.created`.
    Other {
        /// The event type, as sent.
        r#type: String,
        /// The event's `data`, as sent (`Null` if absent).
        data: Value,
    },
}

impl Event {
    /// The event type, e.g. `organizationInvitation.created`.
    pub fn event_type(&self) -> &str {
        match self {
            Event::OrganizationInvitationCreated(_) => "organizationInvitation.created",
            Event::OrganizationInvitationAccepted { .. } => "organizationInvitation.accepted",
            Event::OrganizationInvitationRevoked(_) => "organizationInvitation.revoked",
            Event::OrganizationMembershipCreated(_) => "organizationMembership.created",
            Event::OrganizationMembershipUpdated(_) => "organizationMembership.updated",
            Event::OrganizationMembershipDeleted(_) => "organizationMembership.deleted",
            Event::Other { r#type, .. } => r#type,
        }
    }

    /// The invitation, for the `organizationInvitation.*` events.
    pub fn invitation(&self) -> Option<&OrganizationInvitation> {
        match self {
            Event::OrganizationInvitationCreated(invitation)
            | Event::OrganizationInvitationAccepted { invitation, .. }
            | Event::OrganizationInvitationRevoked(invitation) => Some(invitation),
            _ => None,
        }
    }

    /// The membership, for the `organizationMembership.*` events.
    pub fn membership(&self) -> Option<&OrganizationMembership> {
        match self {
            Event::OrganizationMembershipCreated(membership)
            | Event::OrganizationMembershipUpdated(membership)
            | Event::OrganizationMembershipDeleted(membership) => Some(membership),
            _ => None,
        }
    }
}

/// What caused an event, as Clerk's envelope carries it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct EventAttributes {
    /// The HTTP request behind the event, when there was one.
    #[serde(default)]
    pub http_request: Option<HttpRequestAttributes>,
}

/// The HTTP request behind an event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[non_exhaustive]
pub struct HttpRequestAttributes {
    /// The client's IP address.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// The client's `User-Agent`.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// A user's membership in an organization, as the `organizationMembership.*` events carry it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// `orgmem_...`.
    pub id: String,
    /// The member's role, e.g. `org:admin`.
    pub role: Role,
    /// The role's display name, e.g. `Admin`; empty if absent.
    #[serde(default, deserialize_with = "null_as_default")]
    pub role_name: String,
    /// The permissions the role grants, e.g. `org:members:manage`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<String>,
    /// Membership metadata visible to the frontend.
    #[serde(default, deserialize_with = "null_as_default")]
    pub public_metadata: Map<String, Value>,
    /// Membership metadata visible to the backend only.
    #[serde(default, deserialize_with = "null_as_default")]
    pub private_metadata: Map<String, Value>,
    /// The organization.
    pub organization: MembershipOrganization,
    /// The member's public profile.
    #[serde(default)]
    pub public_user_data: Option<MembershipPublicUserData>,
    /// When the membership was created.
    #[serde(deserialize_with = "unix_millis")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(deserialize_with = "unix_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The organization of an [`OrganizationMembership`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct MembershipOrganization {
    /// `org_...`.
    pub id: String,
    /// Display name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// URL slug; `None` when the instance has slugs turned off.
    #[serde(default)]
    pub slug: Option<String>,
    /// Logo URL, if any.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Whether the organization uploaded a logo.
    #[serde(default, deserialize_with = "null_as_default")]
    pub has_image: bool,
    /// How many members it has, counting this event's change.
    #[serde(default)]
    pub members_count: Option<u64>,
    /// How many invitations are pending.
    #[serde(default)]
    pub pending_invitations_count: Option<u64>,
    /// The membership cap (0 means unlimited).
    #[serde(default)]
    pub max_allowed_memberships: Option<u64>,
    /// Whether admins may delete the organization.
    #[serde(default)]
    pub admin_delete_enabled: Option<bool>,
    /// Organization metadata visible to the frontend.
    #[serde(default, deserialize_with = "null_as_default")]
    pub public_metadata: Map<String, Value>,
    /// Organization metadata visible to the backend only.
    #[serde(default, deserialize_with = "null_as_default")]
    pub private_metadata: Map<String, Value>,
    /// The user who created it.
    #[serde(default)]
    pub created_by: Option<String>,
    /// When it was created.
    #[serde(deserialize_with = "unix_millis")]
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    #[serde(deserialize_with = "unix_millis")]
    pub updated_at: DateTime<Utc>,
}

/// The member's public profile in an [`OrganizationMembership`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MembershipPublicUserData {
    /// `user_...`.
    pub user_id: String,
    /// First name, if set.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name, if set.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The user's identifier, usually the email address.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Username, if the instance uses them.
    #[serde(default)]
    pub username: Option<String>,
    /// Avatar URL (a default image when `has_image` is false).
    #[serde(default)]
    pub image_url: Option<String>,
    /// Whether the user uploaded an image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub has_image: bool,
}

/// The envelope as it arrives; `data` is typed once `type` is known.
#[derive(Deserialize)]
struct Envelope {
    r#type: String,
    #[serde(default, deserialize_with = "null_as_default")]
    object: String,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    instance_id: String,
    #[serde(default)]
    event_attributes: Option<EventAttributes>,
    #[serde(default)]
    data: Value,
}

/// An invitation as the `organizationInvitation.*` events carry it: the fields of
/// [`OrganizationInvitation`], but timestamps in Unix milliseconds (where the model's own serde
/// form uses RFC 3339), plus `user_id` on `accepted`.
#[derive(Deserialize)]
struct InvitationPayload {
    id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    email_address: String,
    role: Role,
    #[serde(default, deserialize_with = "null_as_default")]
    role_name: String,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    status: InvitationStatus,
    #[serde(default)]
    inviter_id: Option<String>,
    #[serde(default)]
    public_inviter_data: Option<PublicInviterData>,
    #[serde(default)]
    public_organization_data: Option<PublicOrganizationData>,
    /// The spec nests `public_organization_data` one level down, under `data`; both are read.
    #[serde(default)]
    data: Option<NestedOrganizationData>,
    #[serde(default, deserialize_with = "null_as_default")]
    public_metadata: Map<String, Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    private_metadata: Map<String, Value>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct NestedOrganizationData {
    #[serde(default)]
    public_organization_data: Option<PublicOrganizationData>,
}

impl InvitationPayload {
    fn into_parts(self) -> (OrganizationInvitation, Option<String>) {
        let public_organization_data = self
            .public_organization_data
            .or_else(|| self.data.and_then(|nested| nested.public_organization_data));
        let invitation = OrganizationInvitation {
            id: self.id,
            email_address: self.email_address,
            role: self.role,
            role_name: self.role_name,
            organization_id: self.organization_id,
            status: self.status,
            inviter_id: self.inviter_id,
            public_inviter_data: self.public_inviter_data,
            public_organization_data,
            public_metadata: self.public_metadata,
            private_metadata: self.private_metadata,
            url: self.url,
            expires_at: self.expires_at.map(from_unix_millis),
            created_at: from_unix_millis(self.created_at),
            updated_at: from_unix_millis(self.updated_at),
        };
        (invitation, self.user_id)
    }
}

/// Parses a verified body into the envelope and its typed event.
pub(super) fn parse(
    id: String,
    signed_at: DateTime<Utc>,
    body: &[u8],
) -> Result<VerifiedEvent, WebhookError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|source| WebhookError::InvalidPayload {
            event_type: None,
            source,
        })?;
    let Envelope {
        r#type,
        object,
        timestamp,
        instance_id,
        event_attributes,
        data,
    } = envelope;
    let event = typed(r#type, data)?;
    Ok(VerifiedEvent {
        id,
        signed_at,
        timestamp,
        instance_id,
        object,
        event_attributes,
        event,
    })
}

/// Types `data` by the event type; other types keep it as JSON.
fn typed(r#type: String, data: Value) -> Result<Event, WebhookError> {
    let invitation = |data: Value| serde_json::from_value::<InvitationPayload>(data);
    let membership = |data: Value| serde_json::from_value::<OrganizationMembership>(data);
    let parsed = match r#type.as_str() {
        "organizationInvitation.created" => {
            invitation(data).map(|p| Event::OrganizationInvitationCreated(p.into_parts().0))
        }
        "organizationInvitation.accepted" => invitation(data).map(|p| {
            let (invitation, user_id) = p.into_parts();
            Event::OrganizationInvitationAccepted {
                invitation,
                user_id,
            }
        }),
        "organizationInvitation.revoked" => {
            invitation(data).map(|p| Event::OrganizationInvitationRevoked(p.into_parts().0))
        }
        "organizationMembership.created" => {
            membership(data).map(Event::OrganizationMembershipCreated)
        }
        "organizationMembership.updated" => {
            membership(data).map(Event::OrganizationMembershipUpdated)
        }
        "organizationMembership.deleted" => {
            membership(data).map(Event::OrganizationMembershipDeleted)
        }
        _ => return Ok(Event::Other { r#type, data }),
    };
    parsed.map_err(|source| WebhookError::InvalidPayload {
        event_type: Some(r#type),
        source,
    })
}

/// Clerk's Unix milliseconds. Out-of-range values saturate rather than fail: a nonsense
/// timestamp should not cost the rest of an authentic event (as in the client's models).
fn from_unix_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or(if millis < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

fn unix_millis<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    i64::deserialize(deserializer).map(from_unix_millis)
}

/// `null` reads as the default, like an absent field, so a `null` where the spec promises a
/// value costs nothing but that value.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}
