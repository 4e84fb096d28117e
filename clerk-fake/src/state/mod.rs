//! The fake instance's data (organizations, users, roles, memberships, invitations) and the
//! business rules that change it, one file per resource.
//!
//! Everything lives in one [`Store`] behind one mutex: requests are short, so a single lock is
//! both simple and fast enough. Indexes keep the hot paths (duplicate detection, per-org lists)
//! away from full scans.
//!
//! The store knows nothing of webhooks: each change it makes is noted as a [`Change`] (when
//! [`Store::record_changes`] is on), and the layer above turns the notes into events once the
//! operation is done, under the same lock, so an answer lost to a fault still leaves its event
//! behind.

mod invitations;
mod memberships;
mod roles;
mod users;

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::errors::ApiError;
use crate::ids::IdGenerator;

pub use invitations::{Invitation, InvitationStatus};
pub(crate) use invitations::{ListQuery, NewInvitation, Order, Scope};
pub(crate) use memberships::{
    MemberScope, MembershipQuery, MembershipSort, MetadataPatch, NewMembership, SortField,
};
pub use memberships::{Membership, MembershipChange, MembershipChangeKind};
pub(crate) use roles::{NewRole, RoleQuery, RoleSort, StoredPermission, is_valid_role_key};
pub use roles::{Permission, Role, StoredRole};
pub(crate) use users::{UserQuery, UserSort};

/// The role every organization has for administrators: all system permissions.
pub const ADMIN_ROLE: &str = "org:admin";
/// The role every organization has for ordinary members: read members and billing.
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
    /// Its other email addresses ([`User::with_email_address`]): lists filtered by email
    /// address find the user by any of them, and invitations to them are the user's too.
    pub other_email_addresses: Vec<String>,
    /// Its unverified email addresses ([`User::with_unverified_email_address`]): lists filtered
    /// by email address find the user by them too, as they show on the user with the status
    /// `unverified`, but invitations to them are not the user's.
    pub unverified_email_addresses: Vec<String>,
    /// First name, if any.
    pub first_name: Option<String>,
    /// Last name, if any.
    pub last_name: Option<String>,
    /// Username, if the instance uses them.
    pub username: Option<String>,
    /// Primary phone number (E.164), if any.
    pub phone_number: Option<String>,
    /// Primary web3 wallet address, if any.
    pub web3_wallet: Option<String>,
    /// When the user was last active, Unix milliseconds; the membership list's
    /// `last_active_at_before`/`_after` filters read it.
    pub last_active_at: Option<i64>,
}

impl User {
    /// A user with an email address and nothing else.
    pub fn new(id: impl Into<String>, email_address: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            email_address: email_address.into(),
            other_email_addresses: Vec::new(),
            unverified_email_addresses: Vec::new(),
            first_name: None,
            last_name: None,
            username: None,
            phone_number: None,
            web3_wallet: None,
            last_active_at: None,
        }
    }

    /// Adds another (verified, not primary) email address.
    pub fn with_email_address(mut self, email_address: impl Into<String>) -> Self {
        self.other_email_addresses.push(email_address.into());
        self
    }

    /// Adds an email address the user has not verified: anyone can type an address into a
    /// sign-up form, so it proves nothing about who holds it.
    pub fn with_unverified_email_address(mut self, email_address: impl Into<String>) -> Self {
        self.unverified_email_addresses.push(email_address.into());
        self
    }

    /// Every verified email address of the user, the primary one first.
    pub fn email_addresses(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.email_address.as_str())
            .chain(self.other_email_addresses.iter().map(String::as_str))
    }

    /// Sets the first and last names.
    pub fn with_name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.first_name = Some(first.into());
        self.last_name = Some(last.into());
        self
    }

    /// Sets the username.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Sets the primary phone number.
    pub fn with_phone_number(mut self, phone_number: impl Into<String>) -> Self {
        self.phone_number = Some(phone_number.into());
        self
    }

    /// Sets the primary web3 wallet address.
    pub fn with_web3_wallet(mut self, wallet: impl Into<String>) -> Self {
        self.web3_wallet = Some(wallet.into());
        self
    }

    /// Sets when the user was last active, Unix milliseconds.
    pub fn with_last_active_at(mut self, unix_ms: i64) -> Self {
        self.last_active_at = Some(unix_ms);
        self
    }
}

/// A failure of a seeding or inspection call from Rust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    /// No permission has this key.
    #[error("unknown permission {0}")]
    UnknownPermission(String),
    /// The user is not a member of the organization.
    #[error("user {user_id} is not a member of organization {organization_id}")]
    NotAMember {
        /// The organization.
        organization_id: String,
        /// The user.
        user_id: String,
    },
    /// No invitation has this id.
    #[error("unknown invitation {0}")]
    UnknownInvitation(String),
    /// Only pending invitations can be accepted.
    #[error("invitation {0} is not pending")]
    InvitationNotPending(String),
}

/// One page of `items` (sorted ascending; reversed first when `descending`) and how many
/// there are in all.
fn paginate<T>(
    mut items: Vec<T>,
    descending: bool,
    offset: usize,
    limit: usize,
) -> (Vec<T>, usize) {
    if descending {
        items.reverse();
    }
    let total = items.len();
    let page = items.into_iter().skip(offset).take(limit).collect();
    (page, total)
}

/// One change the store made, noted for the webhook layer (which renders it as an event).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    InvitationCreated(String),
    InvitationRevoked(String),
    InvitationAccepted {
        invitation_id: String,
        user_id: String,
    },
    MembershipCreated {
        organization_id: String,
        user_id: String,
    },
    MembershipUpdated {
        organization_id: String,
        user_id: String,
    },
    /// The membership as it was; it is gone from the store.
    MembershipDeleted(Membership),
}

/// All data of one fake instance.
#[derive(Debug)]
pub(crate) struct Store {
    /// Invitations and users created on acceptance (series 0, as before memberships existed,
    /// so their ids do not move when memberships or roles are added).
    ids: IdGenerator,
    membership_ids: IdGenerator,
    /// Roles and permissions.
    role_ids: IdGenerator,
    organizations: HashMap<String, Organization>,
    /// When each organization was first seeded, Unix milliseconds.
    organization_created_at: HashMap<String, i64>,
    users: HashMap<String, User>,
    /// Lowercased email (any of a user's addresses) -> user id.
    users_by_email: HashMap<String, String>,
    /// User id -> (creation sequence number, created_at in Unix milliseconds), kept when a
    /// user is replaced.
    users_created: HashMap<String, (u64, i64)>,
    user_seq: u64,
    /// (organization id, user id) -> (creation sequence number, membership).
    memberships: HashMap<(String, String), (u64, Membership)>,
    /// Membership keys by creation sequence: instance-wide, per organization, per user.
    members_in_order: BTreeMap<u64, (String, String)>,
    members_by_organization: HashMap<String, BTreeMap<u64, String>>,
    members_by_user: HashMap<String, BTreeMap<u64, String>>,
    membership_seq: u64,
    /// Every change to a membership, oldest first, capped (`memberships::MEMBERSHIP_HISTORY_CAP`).
    membership_history: VecDeque<MembershipChange>,
    /// The `seq` of the last change noted in `membership_history`.
    membership_change_seq: u64,
    /// Role key -> role.
    roles: HashMap<String, StoredRole>,
    /// Role keys in creation order.
    role_order: Vec<String>,
    /// Permission key -> permission.
    permissions: HashMap<String, StoredPermission>,
    invitations: HashMap<String, Invitation>,
    /// Invitation ids in creation order, instance-wide and per organization.
    creation_order: Vec<String>,
    by_organization: HashMap<String, Vec<String>>,
    /// (organization id, lowercased email) -> the id of its pending invitation, if not yet expired.
    pending_by_email: HashMap<(String, String), String>,
    /// Whether changes are noted in `changes` (only when someone listens: webhook endpoints).
    pub(crate) record_changes: bool,
    changes: Vec<Change>,
}

impl Store {
    /// An empty instance with Clerk's system permissions and default roles, created at `now_ms`.
    pub(crate) fn new(now_ms: i64) -> Self {
        let mut store = Self {
            ids: IdGenerator::default(),
            membership_ids: IdGenerator::series(2),
            role_ids: IdGenerator::series(3),
            organizations: HashMap::new(),
            organization_created_at: HashMap::new(),
            users: HashMap::new(),
            users_by_email: HashMap::new(),
            users_created: HashMap::new(),
            user_seq: 0,
            memberships: HashMap::new(),
            members_in_order: BTreeMap::new(),
            members_by_organization: HashMap::new(),
            members_by_user: HashMap::new(),
            membership_seq: 0,
            membership_history: VecDeque::new(),
            membership_change_seq: 0,
            roles: HashMap::new(),
            role_order: Vec::new(),
            permissions: HashMap::new(),
            invitations: HashMap::new(),
            creation_order: Vec::new(),
            by_organization: HashMap::new(),
            pending_by_email: HashMap::new(),
            record_changes: false,
            changes: Vec::new(),
        };
        store.seed_system_roles(now_ms);
        store
    }

    pub(crate) fn next_id(&mut self, prefix: &str) -> String {
        self.ids.next_id(prefix)
    }

    fn note(&mut self, change: Change) {
        if self.record_changes {
            self.changes.push(change);
        }
    }

    /// The changes noted since the last call, oldest first.
    pub(crate) fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    // --- Seeding -------------------------------------------------------------------------

    /// Adds or replaces an organization; its `created_at` is when it was first added.
    pub(crate) fn add_organization(&mut self, organization: Organization, now_ms: i64) {
        self.organization_created_at
            .entry(organization.id.clone())
            .or_insert(now_ms);
        self.organizations
            .insert(organization.id.clone(), organization);
    }

    /// Adds or replaces a user; its `created_at` is when it was first added.
    pub(crate) fn add_user(&mut self, user: User, now_ms: i64) {
        if let Some(old) = self.users.remove(&user.id) {
            for email in old.email_addresses() {
                let email = email.to_lowercase();
                if self.users_by_email.get(&email) == Some(&old.id) {
                    self.users_by_email.remove(&email);
                }
            }
        }
        for email in user.email_addresses() {
            self.users_by_email
                .insert(email.to_lowercase(), user.id.clone());
        }
        if !self.users_created.contains_key(&user.id) {
            self.user_seq += 1;
            self.users_created
                .insert(user.id.clone(), (self.user_seq, now_ms));
        }
        self.users.insert(user.id.clone(), user);
    }

    // --- Lookups ---------------------------------------------------------------------------

    pub(crate) fn organization(&self, id: &str) -> Result<&Organization, ApiError> {
        self.organizations
            .get(id)
            .ok_or_else(ApiError::organization_not_found)
    }

    /// When the organization was first seeded, Unix milliseconds.
    pub(crate) fn organization_created_at(&self, id: &str) -> i64 {
        self.organization_created_at.get(id).copied().unwrap_or(0)
    }

    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.get(id)
    }

    /// Members and live pending invitations of an organization.
    pub(crate) fn membership_counts(&self, organization_id: &str, now_ms: i64) -> (u32, u32) {
        (
            self.member_count(organization_id),
            self.pending_count(organization_id, now_ms),
        )
    }

    fn member_count(&self, organization_id: &str) -> u32 {
        let members = self
            .members_by_organization
            .get(organization_id)
            .map_or(0, BTreeMap::len);
        u32::try_from(members).unwrap_or(u32::MAX)
    }
}
