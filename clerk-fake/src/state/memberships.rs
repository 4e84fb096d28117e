//! Organization memberships: created by the API, by accepted invitations or by seeding; role
//! changes, metadata merges, deletes, and the three lists (per organization, instance-wide, per
//! user).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Change, SeedError, Store, User, paginate};
use crate::errors::ApiError;

/// The system permission that lets a member manage the organization's memberships (and, in the
/// fake, invite and revoke).
const MANAGE_MEMBERS: &str = "org:sys_memberships:manage";

/// A membership as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// `orgmem_...`.
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// The member.
    pub user_id: String,
    /// The role key, e.g. `org:member`.
    pub role: String,
    /// Metadata visible to the frontend.
    pub public_metadata: Map<String, Value>,
    /// Metadata visible to the backend only.
    pub private_metadata: Map<String, Value>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

/// What a [`MembershipChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MembershipChangeKind {
    /// The membership was created (over the API, by an accepted invitation, or seeded).
    Created,
    /// Its role or metadata changed (over the API, by an accepted invitation, or seeded).
    Updated,
    /// It was removed.
    Deleted,
}

/// One change to a membership, as [`FakeClerk::membership_history`] keeps it: what the
/// instance's memberships went through, for tests that judge a client against ground truth
/// (two memberships for one user at once, a removal that did not happen).
///
/// [`FakeClerk::membership_history`]: crate::FakeClerk::membership_history
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MembershipChange {
    /// Its place in the history, from 1: each change has a larger one than every change before.
    pub seq: u64,
    /// The fake's clock when it happened, Unix milliseconds.
    pub at_ms: i64,
    /// What happened.
    pub kind: MembershipChangeKind,
    /// The membership as the change left it (for a delete: as it was when removed).
    pub membership: Membership,
}

/// Changes kept in the membership history, oldest dropped first (as the request log keeps
/// requests).
pub(crate) const MEMBERSHIP_HISTORY_CAP: usize = 10_000;

/// A validated request to create one membership.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewMembership {
    pub(crate) user_id: String,
    pub(crate) role: String,
    pub(crate) public_metadata: Map<String, Value>,
    pub(crate) private_metadata: Map<String, Value>,
}

/// A validated metadata update: each present object is deep-merged into the stored one.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct MetadataPatch {
    pub(crate) public_metadata: Option<Map<String, Value>>,
    pub(crate) private_metadata: Option<Map<String, Value>>,
}

/// What a membership list can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortField {
    CreatedAt,
    EmailAddress,
    FirstName,
    LastName,
    PhoneNumber,
    Username,
}

/// `order_by` of the membership lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MembershipSort {
    pub(crate) field: SortField,
    pub(crate) descending: bool,
}

impl Default for MembershipSort {
    /// Clerk's default, `-created_at`: newest first.
    fn default() -> Self {
        Self {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

/// Which memberships a list request wants, already validated; text filters are lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MembershipQuery {
    /// `user_id` values without a `-` prefix: when any, only these users.
    pub(crate) include_user_ids: Vec<String>,
    /// `user_id` values with a `-` prefix: never these users.
    pub(crate) exclude_user_ids: Vec<String>,
    pub(crate) email_addresses: Vec<String>,
    pub(crate) phone_numbers: Vec<String>,
    pub(crate) usernames: Vec<String>,
    pub(crate) web3_wallets: Vec<String>,
    pub(crate) roles: Vec<String>,
    pub(crate) query: Option<String>,
    pub(crate) email_address_query: Option<String>,
    pub(crate) phone_number_query: Option<String>,
    pub(crate) username_query: Option<String>,
    pub(crate) name_query: Option<String>,
    pub(crate) last_active_at_before: Option<i64>,
    pub(crate) last_active_at_after: Option<i64>,
    pub(crate) created_at_before: Option<i64>,
    pub(crate) created_at_after: Option<i64>,
    pub(crate) sort: MembershipSort,
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

impl MembershipQuery {
    /// No filter, Clerk's default order, the first `limit` items.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            include_user_ids: Vec::new(),
            exclude_user_ids: Vec::new(),
            email_addresses: Vec::new(),
            phone_numbers: Vec::new(),
            usernames: Vec::new(),
            web3_wallets: Vec::new(),
            roles: Vec::new(),
            query: None,
            email_address_query: None,
            phone_number_query: None,
            username_query: None,
            name_query: None,
            last_active_at_before: None,
            last_active_at_after: None,
            created_at_before: None,
            created_at_after: None,
            sort: MembershipSort::default(),
            limit,
            offset: 0,
        }
    }

    fn matches(&self, membership: &Membership, user: Option<&User>) -> bool {
        let user_id = membership.user_id.as_str();
        if !self.include_user_ids.is_empty() && !self.include_user_ids.iter().any(|u| u == user_id)
        {
            return false;
        }
        if self.exclude_user_ids.iter().any(|u| u == user_id) {
            return false;
        }
        if !self.roles.is_empty() && !self.roles.contains(&membership.role) {
            return false;
        }
        let created = membership.created_at;
        if self.created_at_before.is_some_and(|t| created >= t)
            || self.created_at_after.is_some_and(|t| created <= t)
        {
            return false;
        }
        let lower = |value: Option<&String>| value.map(|v| v.to_lowercase());
        // A user is found by any of their email addresses.
        let emails: Vec<String> = user
            .into_iter()
            .flat_map(User::email_addresses)
            .map(str::to_lowercase)
            .collect();
        let phone = lower(user.and_then(|u| u.phone_number.as_ref()));
        let username = lower(user.and_then(|u| u.username.as_ref()));
        let wallet = lower(user.and_then(|u| u.web3_wallet.as_ref()));
        let first = lower(user.and_then(|u| u.first_name.as_ref()));
        let last = lower(user.and_then(|u| u.last_name.as_ref()));
        let one_of = |wanted: &[String], value: &Option<String>| {
            wanted.is_empty() || value.as_ref().is_some_and(|v| wanted.contains(v))
        };
        let any_email = !self.email_addresses.is_empty()
            && !emails.iter().any(|e| self.email_addresses.contains(e));
        if any_email
            || !one_of(&self.phone_numbers, &phone)
            || !one_of(&self.usernames, &username)
            || !one_of(&self.web3_wallets, &wallet)
        {
            return false;
        }
        let contains = |query: &Option<String>, value: &Option<String>| {
            query
                .as_ref()
                .is_none_or(|q| value.as_ref().is_some_and(|v| v.contains(q.as_str())))
        };
        let email_contains = self
            .email_address_query
            .as_ref()
            .is_none_or(|q| emails.iter().any(|e| e.contains(q.as_str())));
        if !email_contains
            || !contains(&self.phone_number_query, &phone)
            || !contains(&self.username_query, &username)
        {
            return false;
        }
        if let Some(q) = &self.name_query {
            let full = format!(
                "{} {}",
                first.as_deref().unwrap_or(""),
                last.as_deref().unwrap_or("")
            );
            if !full.trim().contains(q.as_str()) {
                return false;
            }
        }
        if let Some(q) = &self.query {
            let id = Some(user_id.to_lowercase());
            let any = [&phone, &username, &wallet, &id, &first, &last]
                .into_iter()
                .any(|value| value.as_ref().is_some_and(|v| v.contains(q.as_str())))
                || emails.iter().any(|e| e.contains(q.as_str()));
            if !any {
                return false;
            }
        }
        let active = user.and_then(|u| u.last_active_at);
        if let Some(t) = self.last_active_at_before
            && active.is_none_or(|a| a >= t)
        {
            return false;
        }
        if let Some(t) = self.last_active_at_after
            && active.is_none_or(|a| a <= t)
        {
            return false;
        }
        true
    }
}

/// Which memberships a list draws from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum MemberScope<'a> {
    Organization(&'a str),
    Instance,
    User(&'a str),
}

impl Store {
    // --- Lookups ---------------------------------------------------------------------------

    /// The membership history, oldest first (at most [`MEMBERSHIP_HISTORY_CAP`] changes).
    pub(crate) fn membership_history(&self) -> Vec<MembershipChange> {
        self.membership_history.iter().cloned().collect()
    }

    /// Notes a change in the membership history.
    fn record(&mut self, kind: MembershipChangeKind, membership: &Membership, at_ms: i64) {
        self.membership_change_seq += 1;
        if self.membership_history.len() == MEMBERSHIP_HISTORY_CAP {
            self.membership_history.pop_front();
        }
        self.membership_history.push_back(MembershipChange {
            seq: self.membership_change_seq,
            at_ms,
            kind,
            membership: membership.clone(),
        });
    }

    pub(crate) fn is_member(&self, organization_id: &str, user_id: &str) -> bool {
        self.membership(organization_id, user_id).is_some()
    }

    pub(crate) fn membership(&self, organization_id: &str, user_id: &str) -> Option<&Membership> {
        self.memberships
            .get(&(organization_id.to_owned(), user_id.to_owned()))
            .map(|(_, membership)| membership)
    }

    /// An organization's memberships, oldest first.
    pub(crate) fn memberships_of(&self, organization_id: &str) -> Vec<Membership> {
        self.members_by_organization
            .get(organization_id)
            .into_iter()
            .flat_map(|members| members.values())
            .filter_map(|user_id| self.membership(organization_id, user_id).cloned())
            .collect()
    }

    /// Every membership of the instance, oldest first.
    pub(crate) fn all_memberships(&self) -> Vec<Membership> {
        self.members_in_order
            .values()
            .filter_map(|(org, user)| self.membership(org, user).cloned())
            .collect()
    }

    /// Whether the user's role in the organization lets them manage members (invite, revoke).
    pub(crate) fn can_manage_members(&self, organization_id: &str, user_id: &str) -> bool {
        self.membership(organization_id, user_id)
            .is_some_and(|m| self.role_has(&m.role, MANAGE_MEMBERS))
    }

    /// Whether a role holds every permission the creator role must have: the minimum Clerk
    /// keeps at least one member of an organization holding.
    fn holds_minimum(&self, role: &str) -> bool {
        self.is_creator_eligible(role)
    }

    /// Whether giving the member `new_role` (or removing them, with `None`) would take the
    /// organization from at least one member holding the minimum permissions to none.
    fn strands_organization(
        &self,
        organization_id: &str,
        user_id: &str,
        new_role: Option<&str>,
    ) -> bool {
        let Some(current) = self.membership(organization_id, user_id) else {
            return false;
        };
        if !self.holds_minimum(&current.role) || new_role.is_some_and(|r| self.holds_minimum(r)) {
            return false;
        }
        !self
            .members_by_organization
            .get(organization_id)
            .into_iter()
            .flat_map(|members| members.values())
            .filter(|other| other.as_str() != user_id)
            .filter_map(|other| self.membership(organization_id, other))
            .any(|other| self.holds_minimum(&other.role))
    }

    // --- Seeding -------------------------------------------------------------------------

    /// Makes a user a member with a role, or changes the role of an existing member; no event.
    pub(crate) fn add_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now_ms: i64,
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
        self.put_membership(organization_id, user_id, role, now_ms, false);
        Ok(())
    }

    /// Replaces a membership's metadata (seeding; no merge, no event).
    pub(crate) fn set_membership_metadata(
        &mut self,
        organization_id: &str,
        user_id: &str,
        public_metadata: Map<String, Value>,
        private_metadata: Map<String, Value>,
        now_ms: i64,
    ) -> Result<(), SeedError> {
        let membership = self
            .memberships
            .get_mut(&(organization_id.to_owned(), user_id.to_owned()))
            .map(|(_, membership)| membership)
            .ok_or_else(|| SeedError::NotAMember {
                organization_id: organization_id.into(),
                user_id: user_id.into(),
            })?;
        membership.public_metadata = public_metadata;
        membership.private_metadata = private_metadata;
        membership.updated_at = now_ms;
        let updated = membership.clone();
        self.record(MembershipChangeKind::Updated, &updated, now_ms);
        Ok(())
    }

    /// Creates the membership, or changes the role of an existing one; with `announce`, notes
    /// the change for webhooks. The caller has checked that organization, user and role exist.
    fn put_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now_ms: i64,
        announce: bool,
    ) {
        let key = (organization_id.to_owned(), user_id.to_owned());
        if let Some((_, membership)) = self.memberships.get_mut(&key) {
            membership.role = role.to_owned();
            membership.updated_at = now_ms;
            let updated = membership.clone();
            self.record(MembershipChangeKind::Updated, &updated, now_ms);
            if announce {
                self.note(Change::MembershipUpdated {
                    organization_id: key.0,
                    user_id: key.1,
                });
            }
            return;
        }
        let membership = Membership {
            id: self.membership_ids.next_id("orgmem"),
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            role: role.to_owned(),
            public_metadata: Map::new(),
            private_metadata: Map::new(),
            created_at: now_ms,
            updated_at: now_ms,
        };
        self.insert_membership(membership);
        if announce {
            self.note(Change::MembershipCreated {
                organization_id: key.0,
                user_id: key.1,
            });
        }
    }

    /// The membership an accepted invitation makes, carrying the invitation's metadata, noted
    /// for webhooks. The caller has checked that the user is not a member yet.
    pub(super) fn create_accepted_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        public_metadata: Map<String, Value>,
        private_metadata: Map<String, Value>,
        now_ms: i64,
    ) {
        let membership = Membership {
            id: self.membership_ids.next_id("orgmem"),
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
            role: role.to_owned(),
            public_metadata,
            private_metadata,
            created_at: now_ms,
            updated_at: now_ms,
        };
        self.insert_membership(membership);
        self.note(Change::MembershipCreated {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
        });
    }

    fn insert_membership(&mut self, membership: Membership) {
        self.record(
            MembershipChangeKind::Created,
            &membership,
            membership.created_at,
        );
        self.membership_seq += 1;
        let seq = self.membership_seq;
        let key = (
            membership.organization_id.clone(),
            membership.user_id.clone(),
        );
        self.members_in_order.insert(seq, key.clone());
        self.members_by_organization
            .entry(key.0.clone())
            .or_default()
            .insert(seq, key.1.clone());
        self.members_by_user
            .entry(key.1.clone())
            .or_default()
            .insert(seq, key.0.clone());
        self.memberships.insert(key, (seq, membership));
    }

    // --- API operations --------------------------------------------------------------------

    /// `POST /organizations/{id}/memberships`, checked in this order: the user exists (404),
    /// the role exists (404), not already a member (400), the membership quota (403).
    pub(crate) fn create_membership(
        &mut self,
        organization_id: &str,
        new: NewMembership,
        now_ms: i64,
    ) -> Result<Membership, ApiError> {
        let max_allowed = self.organization(organization_id)?.max_allowed_memberships;
        if !self.users.contains_key(&new.user_id) {
            return Err(ApiError::user_not_found(&new.user_id));
        }
        if !self.roles.contains_key(&new.role) {
            return Err(ApiError::role_not_found("role"));
        }
        if self.is_member(organization_id, &new.user_id) {
            return Err(ApiError::already_a_member_user(&new.user_id));
        }
        if let Some(max) = max_allowed {
            let occupied = self
                .member_count(organization_id)
                .saturating_add(self.pending_count(organization_id, now_ms));
            if occupied.saturating_add(1) > max {
                return Err(ApiError::membership_quota_exceeded(max));
            }
        }
        let membership = Membership {
            id: self.membership_ids.next_id("orgmem"),
            organization_id: organization_id.to_owned(),
            user_id: new.user_id,
            role: new.role,
            public_metadata: new.public_metadata,
            private_metadata: new.private_metadata,
            created_at: now_ms,
            updated_at: now_ms,
        };
        self.insert_membership(membership.clone());
        self.note(Change::MembershipCreated {
            organization_id: membership.organization_id.clone(),
            user_id: membership.user_id.clone(),
        });
        Ok(membership)
    }

    /// `PATCH .../memberships/{user_id}`: the member exists (404), the role exists (404), and
    /// the organization keeps a member with the minimum permissions (400).
    pub(crate) fn update_membership_role(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now_ms: i64,
    ) -> Result<Membership, ApiError> {
        if !self.is_member(organization_id, user_id) {
            return Err(ApiError::membership_not_found());
        }
        if !self.roles.contains_key(role) {
            return Err(ApiError::role_not_found("role"));
        }
        if self.strands_organization(organization_id, user_id, Some(role)) {
            return Err(ApiError::minimum_permissions_needed());
        }
        self.put_membership(organization_id, user_id, role, now_ms, true);
        self.membership(organization_id, user_id)
            .cloned()
            .ok_or_else(ApiError::membership_not_found)
    }

    /// `PATCH .../memberships/{user_id}/metadata`: deep-merges each given object into the
    /// stored one (`null` removes a key at any depth).
    pub(crate) fn update_membership_metadata(
        &mut self,
        organization_id: &str,
        user_id: &str,
        patch: MetadataPatch,
        now_ms: i64,
    ) -> Result<Membership, ApiError> {
        let membership = self
            .memberships
            .get_mut(&(organization_id.to_owned(), user_id.to_owned()))
            .map(|(_, membership)| membership)
            .ok_or_else(ApiError::membership_not_found)?;
        if let Some(patch) = patch.public_metadata {
            merge_patch(&mut membership.public_metadata, patch);
        }
        if let Some(patch) = patch.private_metadata {
            merge_patch(&mut membership.private_metadata, patch);
        }
        membership.updated_at = now_ms;
        let updated = membership.clone();
        self.record(MembershipChangeKind::Updated, &updated, now_ms);
        self.note(Change::MembershipUpdated {
            organization_id: organization_id.to_owned(),
            user_id: user_id.to_owned(),
        });
        Ok(updated)
    }

    /// `DELETE .../memberships/{user_id}`: the member exists (404) and is not the last one with
    /// the minimum permissions (400). Returns the membership as it was.
    pub(crate) fn delete_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        now_ms: i64,
    ) -> Result<Membership, ApiError> {
        if !self.is_member(organization_id, user_id) {
            return Err(ApiError::membership_not_found());
        }
        if self.strands_organization(organization_id, user_id, None) {
            return Err(ApiError::minimum_permissions_needed());
        }
        let key = (organization_id.to_owned(), user_id.to_owned());
        let (seq, membership) = self
            .memberships
            .remove(&key)
            .ok_or_else(ApiError::membership_not_found)?;
        self.members_in_order.remove(&seq);
        remove_indexed(&mut self.members_by_organization, organization_id, seq);
        remove_indexed(&mut self.members_by_user, user_id, seq);
        self.record(MembershipChangeKind::Deleted, &membership, now_ms);
        self.note(Change::MembershipDeleted(membership.clone()));
        Ok(membership)
    }

    /// The requested page and the total number of matches.
    pub(crate) fn list_memberships(
        &self,
        scope: MemberScope<'_>,
        query: &MembershipQuery,
    ) -> (Vec<Membership>, usize) {
        let keys: Vec<(&str, &str)> = match scope {
            MemberScope::Organization(org) => self
                .members_by_organization
                .get(org)
                .into_iter()
                .flat_map(|members| members.values().map(move |user| (org, user.as_str())))
                .collect(),
            MemberScope::User(user) => self
                .members_by_user
                .get(user)
                .into_iter()
                .flat_map(|orgs| orgs.values().map(move |org| (org.as_str(), user)))
                .collect(),
            MemberScope::Instance => self
                .members_in_order
                .values()
                .map(|(org, user)| (org.as_str(), user.as_str()))
                .collect(),
        };
        // (sequence, membership, user), in creation order.
        let mut matches: Vec<(u64, &Membership, Option<&User>)> = keys
            .into_iter()
            .filter_map(|(org, user)| {
                self.memberships
                    .get(&(org.to_owned(), user.to_owned()))
                    .map(|(seq, membership)| (*seq, membership, self.users.get(user)))
            })
            .filter(|(_, membership, user)| query.matches(membership, *user))
            .collect();
        let sort = query.sort;
        if sort.field == SortField::CreatedAt {
            matches.sort_by_key(|(seq, membership, _)| (membership.created_at, *seq));
        } else {
            // Ascending with missing values last, ties in creation order; descending is the
            // exact reverse (missing values first), as a database orders NULLs by default.
            let value = |user: Option<&User>| -> Option<String> {
                let user = user?;
                let value = match sort.field {
                    SortField::EmailAddress => Some(&user.email_address),
                    SortField::FirstName => user.first_name.as_ref(),
                    SortField::LastName => user.last_name.as_ref(),
                    SortField::PhoneNumber => user.phone_number.as_ref(),
                    SortField::Username => user.username.as_ref(),
                    SortField::CreatedAt => None,
                };
                value.map(|v| v.to_lowercase())
            };
            matches.sort_by(|a, b| {
                let (va, vb) = (value(a.2), value(b.2));
                let by_value = match (&va, &vb) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                by_value.then(a.0.cmp(&b.0))
            });
        }
        let (page, total) = paginate(matches, sort.descending, query.offset, query.limit);
        let page = page
            .into_iter()
            .map(|(_, membership, _)| membership.clone())
            .collect();
        (page, total)
    }
}

fn remove_indexed(
    index: &mut std::collections::HashMap<String, BTreeMap<u64, String>>,
    key: &str,
    seq: u64,
) {
    if let Some(entries) = index.get_mut(key) {
        entries.remove(&seq);
        if entries.is_empty() {
            index.remove(key);
        }
    }
}

/// Clerk's metadata merge (JSON Merge Patch, RFC 7386, on an object): objects merge key by key at
/// every depth, `null` removes the key, anything else replaces the old value.
pub(crate) fn merge_patch(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(&key);
            }
            Value::Object(patch) => match target.get_mut(&key) {
                Some(Value::Object(existing)) => merge_patch(existing, patch),
                _ => {
                    let mut fresh = Map::new();
                    merge_patch(&mut fresh, patch);
                    target.insert(key, Value::Object(fresh));
                }
            },
            value => {
                target.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("an object"),
        }
    }

    #[test]
    fn merge_is_deep_and_null_removes_at_any_depth() {
        let mut stored = object(json!({
            "plan": "free",
            "seats": 3,
            "prefs": {"theme": "dark", "lang": "en", "nested": {"a": 1, "b": 2}},
            "tags": ["x", "y"],
        }));
        merge_patch(
            &mut stored,
            object(json!({
                "plan": null,
                "prefs": {"lang": "fr", "nested": {"a": null, "c": 3}},
                "tags": ["z"],
                "new": {"k": null, "v": 1},
                "missing": null,
            })),
        );
        assert_eq!(
            Value::Object(stored),
            json!({
                "seats": 3,
                "prefs": {"theme": "dark", "lang": "fr", "nested": {"b": 2, "c": 3}},
                "tags": ["z"],
                "new": {"v": 1},
            })
        );
    }

    #[test]
    fn an_object_replaces_a_scalar_and_a_scalar_an_object() {
        let mut stored = object(json!({"a": 1, "b": {"c": 2}}));
        merge_patch(&mut stored, object(json!({"a": {"x": 1}, "b": 5})));
        assert_eq!(Value::Object(stored), json!({"a": {"x": 1}, "b": 5}));
    }
}
