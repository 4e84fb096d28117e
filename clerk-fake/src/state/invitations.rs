//! Organization invitations: creating (one or in bulk), revoking, accepting and listing.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Change, SeedError, Store, User, paginate};
use crate::errors::ApiError;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

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

impl Store {
    /// Accepts a pending invitation: the invitee (an existing user with that email, or a new
    /// one) becomes a member with the invited role and the invitation's public and private
    /// metadata, as Clerk's create-invitation docs say ("the metadata will be transferred to the
    /// newly created organization membership"). Returns the member's user id.
    ///
    /// An invitee who is already a member (added over the API after being invited) keeps their
    /// membership as it is (role and metadata unchanged, no membership event), and the
    /// invitation is marked accepted: the fake's choice, since Clerk does not document this
    /// case, and one that never demotes an organization's last admin.
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
        if !self.roles.contains_key(&invitation.role) {
            return Err(SeedError::UnknownRole(invitation.role.clone()));
        }
        let (organization_id, email, role, public_metadata, private_metadata) = (
            invitation.organization_id.clone(),
            invitation.email_address.clone(),
            invitation.role.clone(),
            invitation.public_metadata.clone(),
            invitation.private_metadata.clone(),
        );
        let user_id = match self.users_by_email.get(&email.to_lowercase()) {
            Some(id) => id.clone(),
            None => {
                let id = self.next_id("user");
                self.add_user(User::new(id.clone(), email.clone()), now_ms);
                id
            }
        };
        self.pending_by_email
            .remove(&(organization_id.clone(), email.to_lowercase()));
        if let Some(invitation) = self.invitations.get_mut(invitation_id) {
            invitation.status = InvitationStatus::Accepted;
            invitation.updated_at = now_ms;
        }
        self.note(Change::InvitationAccepted {
            invitation_id: invitation_id.to_owned(),
            user_id: user_id.clone(),
        });
        if !self.is_member(&organization_id, &user_id) {
            self.create_accepted_membership(
                &organization_id,
                &user_id,
                &role,
                public_metadata,
                private_metadata,
                now_ms,
            );
        }
        Ok(user_id)
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

    fn is_member_email(&self, organization_id: &str, email_lowercase: &str) -> bool {
        self.users_by_email
            .get(email_lowercase)
            .is_some_and(|user_id| self.is_member(organization_id, user_id))
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

    pub(super) fn pending_count(&self, organization_id: &str, now_ms: i64) -> u32 {
        let ids = self.by_organization.get(organization_id);
        let live = ids.into_iter().flatten().filter(|id| {
            self.invitations
                .get(*id)
                .is_some_and(|inv| inv.status_at(now_ms) == InvitationStatus::Pending)
        });
        u32::try_from(live.count()).unwrap_or(u32::MAX)
    }

    // --- Invitation operations -------------------------------------------------------------

    /// Creates all of `requests` or none, checking rules in Clerk's order: parameters (422,
    /// checked before), the role (404), permissions (403), then conflicts (400) and the
    /// membership quota (403).
    pub(crate) fn create_invitations(
        &mut self,
        organization_id: &str,
        requests: Vec<NewInvitation>,
        now_ms: i64,
    ) -> Result<Vec<String>, ApiError> {
        let max_allowed = self.organization(organization_id)?.max_allowed_memberships;
        // Clerk's one error for a role key the instance does not have is
        // `OrganizationRoleNotFound` (404 `resource_not_found`, naming the parameter), as on the
        // membership routes; its catalog has no 422 for a role.
        if requests.iter().any(|r| !self.roles.contains_key(&r.role)) {
            return Err(ApiError::role_not_found("role"));
        }
        for inviter in requests.iter().filter_map(|r| r.inviter_user_id.as_deref()) {
            if !self.can_manage_members(organization_id, inviter) {
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
            let members = self.member_count(organization_id);
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
        for id in &created {
            self.note(Change::InvitationCreated(id.clone()));
        }
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
            && !self.can_manage_members(organization_id, user_id)
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
        self.note(Change::InvitationRevoked(invitation_id.to_owned()));
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
        let (page, total) = paginate(matches, query.order.descending, query.offset, query.limit);
        (page.into_iter().map(snapshot).collect(), total)
    }
}
