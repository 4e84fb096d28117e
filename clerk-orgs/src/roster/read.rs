//! Reading an organization for a plan: its members and pending invitations, each list streamed
//! once, page by page, into a compact index (what a plan needs of each, nothing more), with the
//! fingerprint of what was read.

use std::collections::{HashMap, HashSet};

use futures::TryStreamExt;

use super::Roster;
use super::fingerprint::Fingerprinter;
use super::row::email_key;
use crate::error::Error;
use crate::models::{InvitationStatus, OrganizationMembership, Role};
use crate::policy::{LimitMode, RequestOptions};

/// Items per page while reading: Clerk's largest, so an organization of 10,000 members costs 20
/// requests (a membership is about 1.5 KB of JSON, so a page stays under a megabyte).
pub(super) const READ_PAGE: u64 = 500;

/// The permissions Clerk keeps at least one member of an organization holding (the creator
/// role's minimum; Clerk refuses to remove or demote the last member holding them with
/// `organization_minimum_permissions_needed`). A member holding them is an admin here.
const ADMIN_PERMISSIONS: [&str; 3] = [
    "org:sys_memberships:manage",
    "org:sys_memberships:read",
    "org:sys_profile:delete",
];

/// Whether a membership's permissions make it an admin.
pub(super) fn holds_admin_permissions(membership: &OrganizationMembership) -> bool {
    ADMIN_PERMISSIONS
        .iter()
        .all(|wanted| membership.permissions.iter().any(|p| p == wanted))
}

/// What a plan knows of one member.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) user_id: String,
    pub(super) role: Role,
    /// The member's identifier (usually the primary address), as Clerk sent it.
    pub(super) identifier: Option<String>,
    /// Which roster row claimed this member, if any.
    pub(super) claimed_by: Option<usize>,
}

/// What a plan knows of one pending invitation.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) email_address: String,
    pub(super) role: Role,
    /// Which roster row claimed this invitation, if any.
    pub(super) claimed_by: Option<usize>,
}

/// The roles and admins of an organization, as the rails need them.
#[derive(Debug, Clone, Default)]
pub(super) struct Admins {
    /// Role keys some member holds with the admin permissions (and `org:admin`, always).
    pub(super) roles: HashSet<String>,
    /// User ids of the members who are admins.
    pub(super) users: HashSet<String>,
}

impl Admins {
    /// Whether `role` is an admin role, as far as the organization shows: `org:admin`, or a role
    /// a member holds with the admin permissions. A custom role nobody holds yet is not known
    /// to be one.
    pub(super) fn is_admin_role(&self, role: &Role) -> bool {
        *role == Role::ADMIN || self.roles.contains(role.as_str())
    }

    fn saw(&mut self, membership: &OrganizationMembership, user_id: &str) {
        if holds_admin_permissions(membership) {
            self.roles.insert(membership.role.as_str().to_owned());
            self.users.insert(user_id.to_owned());
        }
    }
}

/// An organization as a plan read it.
#[derive(Debug, Default)]
pub(super) struct Organization {
    pub(super) members: Vec<Member>,
    /// Address key (see [`email_key`]) -> index in `members`.
    pub(super) member_by_key: HashMap<String, usize>,
    /// User id -> index in `members`.
    pub(super) member_by_user: HashMap<String, usize>,
    pub(super) pending: Vec<Pending>,
    /// Address key -> index in `pending`.
    pub(super) pending_by_key: HashMap<String, usize>,
    pub(super) admins: Admins,
    pub(super) fingerprint: Fingerprinter,
}

/// What applying needs to check a plan is still current: the fingerprint, and who the admins
/// are now.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    pub(super) fingerprint: Fingerprinter,
    pub(super) admins: Admins,
}

/// Streams the organization's members, then its pending invitations, once each, handing each
/// to `member` and `invitation`, and returns the fingerprint and admins of what was read.
async fn scan(
    roster: &Roster,
    options: &RequestOptions,
    mut member: impl FnMut(&OrganizationMembership, &str),
    mut invitation: impl FnMut(&str, &str, &Role),
) -> Result<Snapshot, Error> {
    let mut snapshot = Snapshot::default();
    let mut list = roster
        .memberships()
        .list()
        .limit(READ_PAGE)
        .rate_limit_mode(LimitMode::Wait);
    if let Some(retry) = &options.retry {
        list = list.retry(retry.clone());
    }
    let mut members = list.stream();
    while let Some(membership) = members.try_next().await? {
        // Clerk always sends the user's public data on this route; without it the member
        // cannot be addressed, so it is left out (and shows as a changed fingerprint).
        let Some(user_id) = membership.user_id().map(str::to_owned) else {
            continue;
        };
        snapshot
            .fingerprint
            .member(&user_id, membership.role.as_str(), membership.identifier());
        snapshot.admins.saw(&membership, &user_id);
        member(&membership, &user_id);
    }
    let mut list = roster
        .invitations()
        .list()
        .status(InvitationStatus::Pending)
        .limit(READ_PAGE)
        .rate_limit_mode(LimitMode::Wait);
    if let Some(retry) = &options.retry {
        list = list.retry(retry.clone());
    }
    let mut invitations = list.stream();
    while let Some(pending) = invitations.try_next().await? {
        // The filter asks for pending ones; one that says it is accepted, revoked or expired is
        // not. A status this crate does not know is Clerk's answer to "pending" all the same:
        // leaving it out would plan as if the person were not invited, and the check before
        // applying (which reads it again) would call an unchanged organization changed.
        if matches!(
            pending.status,
            InvitationStatus::Accepted | InvitationStatus::Revoked | InvitationStatus::Expired
        ) {
            continue;
        }
        snapshot
            .fingerprint
            .invitation(&pending.id, &pending.email_address, pending.role.as_str());
        invitation(&pending.id, &pending.email_address, &pending.role);
    }
    Ok(snapshot)
}

/// Reads the organization into an index for planning.
pub(super) async fn read(roster: &Roster, options: &RequestOptions) -> Result<Organization, Error> {
    let mut members: Vec<Member> = Vec::new();
    let mut member_by_key = HashMap::new();
    let mut member_by_user = HashMap::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut pending_by_key = HashMap::new();
    let mut pending_ids = HashSet::new();
    let snapshot = scan(
        roster,
        options,
        |membership, user_id| {
            // Offset paging can show a member twice when the list moves while it is read;
            // twice in the index, one copy would be kept and the other removed. (The list
            // moving changes the fingerprint too, so such a plan is stale when applied.)
            if member_by_user.contains_key(user_id) {
                return;
            }
            let index = members.len();
            let identifier = membership.identifier().map(str::to_owned);
            if let Some(identifier) = &identifier {
                // The first member seen with an address keeps it (two members cannot share
                // one in Clerk).
                member_by_key.entry(email_key(identifier)).or_insert(index);
            }
            member_by_user.insert(user_id.to_owned(), index);
            members.push(Member {
                user_id: user_id.to_owned(),
                role: membership.role.clone(),
                identifier,
                claimed_by: None,
            });
        },
        |id, email_address, role| {
            if !pending_ids.insert(id.to_owned()) {
                return;
            }
            let index = pending.len();
            pending_by_key
                .entry(email_key(email_address))
                .or_insert(index);
            pending.push(Pending {
                id: id.to_owned(),
                email_address: email_address.to_owned(),
                role: role.clone(),
                claimed_by: None,
            });
        },
    )
    .await?;
    Ok(Organization {
        members,
        member_by_key,
        member_by_user,
        pending,
        pending_by_key,
        admins: snapshot.admins,
        fingerprint: snapshot.fingerprint,
    })
}

/// Reads the organization again, keeping nothing but the fingerprint and the admins: the check
/// before applying.
pub(super) async fn snapshot(roster: &Roster, options: &RequestOptions) -> Result<Snapshot, Error> {
    scan(roster, options, |_, _| {}, |_, _, _| {}).await
}
