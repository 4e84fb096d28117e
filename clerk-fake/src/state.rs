//! The fake instance's data (organizations, users, memberships, roles, invitations) and the
//! business rules of organization invitations.
//!
//! Everything lives in one [`Store`] behind one mutex: requests are short, so a single lock is
//! both simple and fast enough. Indexes keep the hot paths (duplicate detection, per-org lists)
//! away from full scans.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::errors::ApiError;
use crate::ids::IdGenerator;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The role every organization has for administrators; only they may invite or revoke.
pub const ADMIN_ROLE: &str = "org:admin";
/// The role every organization has for ordinary members.
pub const MEMBER_ROLE: &str = "org:member";

/// An organization to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Its id, e.g. `org_demo`.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its slug, unique in Clerk (not enforced here).
    pub slug: String,
    /// Members plus pending invitations may not exceed this; `None` means unlimited.
    pub max_allowed_memberships: Option<u32>,
}

impl Organization {
    /// An organization without a membership limit; the slug is derived from the name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        let name = name.into();
        let slug = name
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        Self {
            id: id.into(),
            name,
            slug,
            max_allowed_memberships: None,
        }
    }

    /// Caps members plus pending invitations.
    pub fn with_max_allowed_memberships(mut self, max: u32) -> Self {
        self.max_allowed_memberships = Some(max);
        self
    }
}

/// A user to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id, e.g. `user_admin`.
    pub id: String,
    /// Its primary email address; invitations to it are the user's invitations.
    pub email_address: String,
    /// First name, if any.
    pub first_name: Option<String>,
    /// Last name, if any.
    pub last_name: Option<String>,
}

impl User {
    /// A user without a name.
    pub fn new(id: impl Into<String>, email_address: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            email_address: email_address.into(),
            first_name: None,
            last_name: None,
        }
    }

    /// Sets the first and last names.
    pub fn with_name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.first_name = Some(first.into());
        self.last_name = Some(last.into());
        self
    }
}

/// An invitation's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Waiting for the invitee.
    Pending,
    /// The invitee joined.
    Accepted,
    /// An admin revoked it.
    Revoked,
    /// Its `expires_at` passed while pending.
    Expired,
}

impl InvitationStatus {
    /// The wire name, e.g. `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "revoked" => Some(Self::Revoked),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// An invitation as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    /// `orginv_...`.
    pub id: String,
    /// The inviting organization.
    pub organization_id: String,
    /// As sent by the client (duplicates are found case-insensitively).
    pub email_address: String,
    /// The role key, e.g. `org:member`.
    pub role: String,
    /// The inviting user, if the request named one.
    pub inviter_id: Option<String>,
    /// The status at the clock's now (expiry is applied when reading).
    pub status: InvitationStatus,
    /// Metadata visible to the frontend.
    pub public_metadata: Map<String, Value>,
    /// Metadata visible to the backend only.
    pub private_metadata: Map<String, Value>,
    /// Where the invitee lands after accepting, if given.
    pub redirect_url: Option<String>,
    /// Whether Clerk would have emailed the invitee.
    pub notify: bool,
    /// Unix milliseconds.
    pub expires_at: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl Invitation {
    fn status_at(&self, now_ms: i64) -> InvitationStatus {
        if self.status == InvitationStatus::Pending && now_ms >= self.expires_at {
            InvitationStatus::Expired
        } else {
            self.status
        }
    }
}

/// A failure of a seeding or inspection call from Rust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// No organization has this id.
    #[error("unknown organization {0}")]
    UnknownOrganization(String),
    /// No user has this id.
    #[error("unknown user {0}")]
    UnknownUser(String),
    /// No role has this key.
    #[error("unknown role {0}")]
    UnknownRole(String),
    /// No invitation has this id.
    #[error("unknown invitation {0}")]
    UnknownInvitation(String),
    /// Only pending invitations can be accepted.
    #[error("invitation {0} is not pending")]
    InvitationNotPending(String),
}

/// A validated request to create one invitation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewInvitation {
    pub(crate) email_address: String,
    pub(crate) role: String,
    pub(crate) inviter_user_id: Option<String>,
    pub(crate) public_metadata: Map<String, Value>,
    pub(crate) private_metadata: Map<String, Value>,
    pub(crate) redirect_url: Option<String>,
    pub(crate) expires_in_days: i64,
    pub(crate) notify: bool,
}

/// Which invitations a list request wants, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    pub(crate) statuses: Vec<InvitationStatus>,
    /// Exact email match, case-insensitive.
    pub(crate) email_address: Option<String>,
    /// Substring of the email, case-insensitive (the instance-wide list's `query`).
    pub(crate) email_contains: Option<String>,
    pub(crate) order: Order,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

/// `order_by`: a field and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order {
    pub(crate) by_email: bool,
    pub(crate) descending: bool,
}

/// Which invitations a list draws from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Organization(&'a str),
    Instance,
    User(&'a str),
}

/// All data of one fake instance.
#[derive(Debug, Default)]
pub(crate) struct Store {
    ids: IdGenerator,
    organizations: HashMap<String, Organization>,
    users: HashMap<String, User>,
    /// Lowercased email -> user id.
    users_by_email: HashMap<String, String>,
    /// (organization id, user id) -> role key.
    memberships: HashMap<(String, String), String>,
    member_counts: HashMap<String, u32>,
    /// Role key -> display name.
    roles: HashMap<String, String>,
    invitations: HashMap<String, Invitation>,
    /// Invitation ids in creation order, instance-wide and per organization.
    creation_order: Vec<String>,
    by_organization: HashMap<String, Vec<String>>,
    /// (organization id, lowercased email) -> the id of its pending invitation, if not yet expired.
    pending_by_email: HashMap<(String, String), String>,
    /// Where invitation changes are announced as webhook events; `None` in unit tests.
    pub(crate) webhooks: Option<std::sync::Arc<crate::webhooks::Webhooks>>,
}

impl Store {
    pub(crate) fn new() -> Self {
        let mut store = Self::default();
        store.roles.insert(ADMIN_ROLE.into(), "Admin".into());
        store.roles.insert(MEMBER_ROLE.into(), "Member".into());
        store
    }

    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.ids.next_id(prefix)
    }

    // --- Seeding -------------------------------------------------------------------------

    pub(crate) fn add_organization(&mut self, organization: Organization) {
        self.organizations
            .insert(organization.id.clone(), organization);
    }

    pub(crate) fn add_user(&mut self, user: User) {
        self.users_by_email
            .insert(user.email_address.to_lowercase(), user.id.clone());
        self.users.insert(user.id.clone(), user);
    }

    pub(crate) fn add_role(&mut self, key: String, name: String) {
        self.roles.insert(key, name);
    }

    pub(crate) fn add_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<(), SeedError> {
        if !self.organizations.contains_key(organization_id) {
            return Err(SeedError::UnknownOrganization(organization_id.into()));
        }
        if !self.users.contains_key(user_id) {
            return Err(SeedError::UnknownUser(user_id.into()));
        }
        if !self.roles.contains_key(role) {
            return Err(SeedError::UnknownRole(role.into()));
        }
        let key = (organization_id.to_owned(), user_id.to_owned());
        if self.memberships.insert(key, role.to_owned()).is_none() {
            *self
                .member_counts
                .entry(organization_id.to_owned())
                .or_insert(0) += 1;
        }
        Ok(())
    }

    /// Accepts a pending invitation: the invitee (an existing user with that email, or a new
    /// one) becomes a member with the invited role. Returns the member's user id.
    pub(crate) fn accept_invitation(
        &mut self,
        invitation_id: &str,
        now_ms: i64,
    ) -> Result<String, SeedError> {
        let invitation = self
            .invitations
            .get(invitation_id)
            .ok_or_else(|| SeedError::UnknownInvitation(invitation_id.into()))?;
        if invitation.status_at(now_ms) != InvitationStatus::Pending {
            return Err(SeedError::InvitationNotPending(invitation_id.into()));
        }
        let (organization_id, email, role) = (
            invitation.organization_id.clone(),
            invitation.email_address.clone(),
            invitation.role.clone(),
        );
        let user_id = match self.users_by_email.get(&email.to_lowercase()) {
            Some(id) => id.clone(),
            None => {
                let id = self.next_id("user");
                self.add_user(User::new(id.clone(), email.clone()));
                id
            }
        };
        self.add_membership(&organization_id, &user_id, &role)?;
        self.pending_by_email
            .remove(&(organization_id, email.to_lowercase()));
        if let Some(invitation) = self.invitations.get_mut(invitation_id) {
            invitation.status = InvitationStatus::Accepted;
            invitation.updated_at = now_ms;
        }
        crate::webhooks::invitation_accepted(self, invitation_id, &user_id, now_ms);
        Ok(user_id)
    }

    // --- Lookups ---------------------------------------------------------------------------

    pub(crate) fn organization(&self, id: &str) -> Result<&Organization, ApiError> {
        self.organizations
            .get(id)
            .ok_or_else(|| ApiError::not_found("Organization"))
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    pub(crate) fn role_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.roles.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The invitation with its status as of `now_ms`.
    pub(crate) fn invitation(&self, id: &str, now_ms: i64) -> Option<Invitation> {
        self.invitations.get(id).map(|invitation| Invitation {
            status: invitation.status_at(now_ms),
            ..invitation.clone()
        })
    }

    pub(crate) fn all_invitations(&self, now_ms: i64) -> Vec<Invitation> {
        self.creation_order
            .iter()
            .filter_map(|id| self.invitation(id, now_ms))
            .collect()
    }

    fn is_admin(&self, organization_id: &str, user_id: &str) -> bool {
        self.memberships
            .get(&(organization_id.to_owned(), user_id.to_owned()))
            .is_some_and(|role| role == ADMIN_ROLE)
    }

    fn is_member_email(&self, organization_id: &str, email_lowercase: &str) -> bool {
        self.users_by_email
            .get(email_lowercase)
            .is_some_and(|user_id| {
                self.memberships
                    .contains_key(&(organization_id.to_owned(), user_id.clone()))
            })
    }

    /// The live pending invitation for this email, dropping index entries that expired.
    fn pending_for(&mut self, organization_id: &str, email_lowercase: &str, now_ms: i64) -> bool {
        let key = (organization_id.to_owned(), email_lowercase.to_owned());
        let Some(id) = self.pending_by_email.get(&key) else {
            return false;
        };
        let live = self
            .invitations
            .get(id)
            .is_some_and(|inv| inv.status_at(now_ms) == InvitationStatus::Pending);
        if !live {
            self.pending_by_email.remove(&key);
        }
        live
    }

    /// Members and live pending invitations of an organization, for membership events.
    pub(crate) fn membership_counts(&self, organization_id: &str, now_ms: i64) -> (u32, u32) {
        let members = self
            .member_counts
            .get(organization_id)
            .copied()
            .unwrap_or(0);
        (members, self.pending_count(organization_id, now_ms))
    }

    fn pending_count(&self, organization_id: &str, now_ms: i64) -> u32 {
        let ids = self.by_organization.get(organization_id);
        let live = ids.into_iter().flatten().filter(|id| {
            self.invitations
                .get(*id)
                .is_some_and(|inv| inv.status_at(now_ms) == InvitationStatus::Pending)
        });
        u32::try_from(live.count()).unwrap_or(u32::MAX)
    }

    // --- Invitation operations -------------------------------------------------------------

    /// Creates all of `requests` or none, checking rules in Clerk's order: parameters (422),
    /// permissions (403), then conflicts (400) and the membership quota (403).
    pub(crate) fn create_invitations(
        &mut self,
        organization_id: &str,
        requests: Vec<NewInvitation>,
        now_ms: i64,
    ) -> Result<Vec<String>, ApiError> {
        let max_allowed = self.organization(organization_id)?.max_allowed_memberships;
        if requests.iter().any(|r| !self.roles.contains_key(&r.role)) {
            return Err(ApiError::param_value_invalid(
                "role",
                "does not match any role of this instance.",
            ));
        }
        for inviter in requests.iter().filter_map(|r| r.inviter_user_id.as_deref()) {
            if !self.is_admin(organization_id, inviter) {
                return Err(ApiError::not_an_admin(inviter));
            }
        }

        let mut duplicates = Vec::new();
        let mut members = Vec::new();
        let mut seen_in_request = HashSet::new();
        for request in &requests {
            let email = request.email_address.to_lowercase();
            if self.is_member_email(organization_id, &email) {
                members.push(request.email_address.clone());
            } else if self.pending_for(organization_id, &email, now_ms)
                || !seen_in_request.insert(email)
            {
                duplicates.push(request.email_address.clone());
            }
        }
        if !members.is_empty() {
            return Err(ApiError::already_a_member(members));
        }
        if !duplicates.is_empty() {
            return Err(ApiError::duplicate_record(duplicates));
        }

        if let Some(max) = max_allowed {
            let members = self
                .member_counts
                .get(organization_id)
                .copied()
                .unwrap_or(0);
            let pending = self.pending_count(organization_id, now_ms);
            let wanted = u32::try_from(requests.len()).unwrap_or(u32::MAX);
            if members.saturating_add(pending).saturating_add(wanted) > max {
                return Err(ApiError::membership_quota_exceeded(max));
            }
        }

        let mut created = Vec::with_capacity(requests.len());
        for request in requests {
            let id = self.next_id("orginv");
            let invitation = Invitation {
                id: id.clone(),
                organization_id: organization_id.to_owned(),
                role: request.role,
                inviter_id: request.inviter_user_id,
                status: InvitationStatus::Pending,
                public_metadata: request.public_metadata,
                private_metadata: request.private_metadata,
                redirect_url: request.redirect_url,
                notify: request.notify,
                expires_at: now_ms.saturating_add(request.expires_in_days.saturating_mul(DAY_MS)),
                created_at: now_ms,
                updated_at: now_ms,
                email_address: request.email_address,
            };
            self.pending_by_email.insert(
                (
                    organization_id.to_owned(),
                    invitation.email_address.to_lowercase(),
                ),
                id.clone(),
            );
            self.creation_order.push(id.clone());
            self.by_organization
                .entry(organization_id.to_owned())
                .or_default()
                .push(id.clone());
            self.invitations.insert(id.clone(), invitation);
            created.push(id);
        }
        crate::webhooks::invitations_created(self, &created, now_ms);
        Ok(created)
    }

    pub(crate) fn revoke_invitation(
        &mut self,
        organization_id: &str,
        invitation_id: &str,
        requesting_user_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        let invitation = self
            .invitations
            .get(invitation_id)
            .filter(|inv| inv.organization_id == organization_id)
            .ok_or_else(|| ApiError::not_found("Organization invitation"))?;
        if let Some(user_id) = requesting_user_id
            && !self.is_admin(organization_id, user_id)
        {
            return Err(ApiError::not_an_admin(user_id));
        }
        if invitation.status_at(now_ms) != InvitationStatus::Pending {
            return Err(ApiError::not_pending());
        }
        let email = invitation.email_address.to_lowercase();
        self.pending_by_email
            .remove(&(organization_id.to_owned(), email));
        if let Some(invitation) = self.invitations.get_mut(invitation_id) {
            invitation.status = InvitationStatus::Revoked;
            invitation.updated_at = now_ms;
        }
        crate::webhooks::invitation_revoked(self, invitation_id, now_ms);
        Ok(())
    }

    /// The requested page and the total number of matches.
    pub(crate) fn list_invitations(
        &self,
        scope: Scope<'_>,
        query: &ListQuery,
        now_ms: i64,
    ) -> (Vec<Invitation>, usize) {
        let user_email = match scope {
            Scope::User(user_id) => self
                .users
                .get(user_id)
                .map(|u| u.email_address.to_lowercase()),
            _ => None,
        };
        let ids: &[String] = match scope {
            Scope::Organization(org) => self.by_organization.get(org).map_or(&[], Vec::as_slice),
            Scope::Instance | Scope::User(_) => &self.creation_order,
        };
        let wanted_email = query.email_address.as_ref().map(|e| e.to_lowercase());
        let contains = query.email_contains.as_ref().map(|e| e.to_lowercase());
        let filters_email = wanted_email.is_some() || contains.is_some() || user_email.is_some();
        let is_match = |inv: &Invitation| {
            if !query.statuses.is_empty() && !query.statuses.contains(&inv.status_at(now_ms)) {
                return false;
            }
            if !filters_email {
                return true;
            }
            let email = inv.email_address.to_lowercase();
            wanted_email.as_ref().is_none_or(|w| *w == email)
                && contains.as_ref().is_none_or(|c| email.contains(c.as_str()))
                && user_email.as_ref().is_none_or(|u| *u == email)
        };
        let snapshot = |inv: &Invitation| Invitation {
            status: inv.status_at(now_ms),
            ..inv.clone()
        };
        let in_scope = ids.iter().filter_map(|id| self.invitations.get(id));

        if !query.order.by_email {
            // Ids are kept in creation order, so this order needs no sort: one pass that counts
            // every match and clones only the requested page.
            let ordered: Box<dyn Iterator<Item = &Invitation>> = if query.order.descending {
                Box::new(in_scope.rev())
            } else {
                Box::new(in_scope)
            };
            if query.statuses.is_empty() && !filters_email {
                // Nothing to filter: the total is known, so only the page is visited.
                let page = ordered.skip(query.offset).take(query.limit).map(snapshot);
                return (page.collect(), ids.len());
            }
            let (mut page, mut total) = (Vec::new(), 0);
            for inv in ordered.filter(|inv| is_match(inv)) {
                if total >= query.offset && page.len() < query.limit {
                    page.push(snapshot(inv));
                }
                total += 1;
            }
            return (page, total);
        }

        let mut matches: Vec<&Invitation> = in_scope.filter(|inv| is_match(inv)).collect();
        // A stable sort keeps creation order as the tie-breaker.
        matches.sort_by_cached_key(|inv| inv.email_address.to_lowercase());
        if query.order.descending {
            matches.reverse();
        }
        let total = matches.len();
        let page = matches
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(snapshot)
            .collect();
        (page, total)
    }
}
