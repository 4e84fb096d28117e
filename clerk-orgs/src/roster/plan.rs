//! Planning: [`PlanRoster`] reads the organization and compares it with the roster, and
//! returns a [`Plan`]: one typed [`Change`] per person with its [`Reason`], the rails the plan
//! breaks, and the fingerprint of what was read.
//!
//! The organization is read first (members, then pending invitations, each list streamed once)
//! into an index of what a plan needs; the rows are then consumed one by one, never held, so a
//! plan grows with the organization and the number of changes, not with the roster.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Roster;
use super::change::{Change, ChangeKind, PlanSettings, Reason};
use super::rails::{self, Violation};
use super::read::{self, Organization};
use super::row::{CheckedRow, RosterRow, email_key};
use crate::error::{Error, ValidationError};
use crate::lookup::{roles, users};
use crate::models::Role;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate::{self, MAX_FILTER_VALUES};

/// The version of the plan format [`Plan`] serializes to; a plan of another version is refused
/// when applied.
pub const PLAN_FORMAT: u32 = 1;

/// How many changes of each kind a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Summary {
    /// [`Change::Invite`]s.
    pub invite: usize,
    /// [`Change::AddMember`]s.
    pub add_member: usize,
    /// [`Change::ChangeRole`]s.
    pub change_role: usize,
    /// [`Change::ReplaceInvitation`]s.
    pub replace_invitation: usize,
    /// [`Change::RevokeInvitation`]s.
    pub revoke_invitation: usize,
    /// [`Change::RemoveMember`]s.
    pub remove_member: usize,
    /// [`Change::Keep`]s.
    pub keep: usize,
}

impl Summary {
    /// Changes that do something (all but keeps).
    pub fn changes(&self) -> usize {
        self.invite
            + self.add_member
            + self.change_role
            + self.replace_invitation
            + self.revoke_invitation
            + self.remove_member
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to invite, {} to add, {} role changes, {} invitations to replace, {} to revoke, \
             {} to remove, {} unchanged",
            self.invite,
            self.add_member,
            self.change_role,
            self.replace_invitation,
            self.revoke_invitation,
            self.remove_member,
            self.keep
        )
    }
}

/// A reviewable plan: what applying it would change in one organization, and why.
///
/// Serializes to JSON (with `serde_json`) to be reviewed, saved and applied later: applying
/// checks the organization still has the fingerprint the plan read, so a saved plan is applied
/// only while it is still current (see [`Rail::StalePlan`](super::Rail::StalePlan)).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    format: u32,
    organization_id: String,
    fingerprint: String,
    members: u64,
    pending_invitations: u64,
    settings: PlanSettings,
    changes: Vec<Change>,
    violations: Vec<Violation>,
    /// The client that made the plan; a plan read back from JSON has none (apply it with
    /// [`Roster::apply`]).
    #[serde(skip)]
    roster: Option<Roster>,
}

impl Plan {
    /// The organization it is for.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// The fingerprint of what the plan read (members and pending invitations).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// How many members the plan read.
    pub fn members_read(&self) -> u64 {
        self.members
    }

    /// How many pending invitations the plan read.
    pub fn pending_invitations_read(&self) -> u64 {
        self.pending_invitations
    }

    /// How it was asked for.
    pub fn settings(&self) -> &PlanSettings {
        &self.settings
    }

    /// Every change, keeps included: first one per roster row in the roster's order, then one
    /// per member and pending invitation not on the roster.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The rails the plan breaks, as the organization was when planned; applying checks them
    /// again.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Whether there is nothing to do (every change is a keep).
    pub fn is_empty(&self) -> bool {
        !self.changes.iter().any(Change::is_change)
    }

    /// How many changes of each kind.
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for change in &self.changes {
            *match change.kind() {
                ChangeKind::Invite => &mut summary.invite,
                ChangeKind::AddMember => &mut summary.add_member,
                ChangeKind::ChangeRole => &mut summary.change_role,
                ChangeKind::ReplaceInvitation => &mut summary.replace_invitation,
                ChangeKind::RevokeInvitation => &mut summary.revoke_invitation,
                ChangeKind::RemoveMember => &mut summary.remove_member,
                ChangeKind::Keep => &mut summary.keep,
            } += 1;
        }
        summary
    }

    pub(super) fn take_roster(&mut self) -> Option<Roster> {
        self.roster.take()
    }

    pub(super) fn format(&self) -> u32 {
        self.format
    }

    pub(super) fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

/// Plans a roster sync; see [`Roster::plan`].
#[must_use = "nothing is read until `send().await`"]
pub struct PlanRoster {
    roster: Roster,
    rows: Box<dyn Iterator<Item = RosterRow> + Send>,
    settings: PlanSettings,
    options: RequestOptions,
}

impl fmt::Debug for PlanRoster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlanRoster")
            .field("organization_id", &self.roster.organization_id())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PlanRoster {
    pub(super) fn new(roster: Roster, rows: Box<dyn Iterator<Item = RosterRow> + Send>) -> Self {
        Self {
            roster,
            rows,
            settings: PlanSettings::default(),
            options: RequestOptions::default(),
        }
    }

    request_option_setters!();

    /// Remove members and revoke pending invitations that are not on the roster (default:
    /// no; without it, they are kept and the plan says so).
    pub fn prune(mut self, prune: bool) -> Self {
        self.settings.prune = prune;
        self
    }

    /// Add people who already have an account (a verified address of theirs is on the roster)
    /// as members directly, without an invitation email (default: no, invite everyone). Costs
    /// one lookup per 100 people to invite.
    pub fn add_existing_users(mut self, add: bool) -> Self {
        self.settings.add_existing_users = add;
        self
    }

    /// The admin the sync acts as: new invitations name them as inviter, revocations as the
    /// revoking user, and the plan never removes or demotes them
    /// ([`Rail::ActingInviter`](super::Rail::ActingInviter)).
    pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.settings.inviter_user_id = Some(user_id.into());
        self
    }

    /// Where new invitees land after accepting: an absolute `http(s)` URL or a path.
    pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
        self.settings.redirect_url = Some(url.into());
        self
    }

    /// Days until new invitations expire, 1 to 365 (Clerk's default is 30).
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.settings.expires_in_days = Some(days);
        self
    }

    /// Whether Clerk emails new invitees (Clerk's default is `true`).
    pub fn notify(mut self, notify: bool) -> Self {
        self.settings.notify = Some(notify);
        self
    }

    /// Refuse plans removing more than this many members
    /// ([`Rail::MaxRemovals`](super::Rail::MaxRemovals)).
    pub fn max_removals(mut self, count: u64) -> Self {
        self.settings.max_removals = Some(count);
        self
    }

    /// Refuse plans removing more than this share of the members, 0 to 1
    /// ([`DEFAULT_MAX_REMOVAL_FRACTION`](super::DEFAULT_MAX_REMOVAL_FRACTION) by default).
    pub fn max_removal_fraction(mut self, fraction: f64) -> Self {
        self.settings.max_removal_fraction = fraction;
        self
    }

    /// Reads the organization (members, then pending invitations: each list once, page by
    /// page), consumes the rows and returns the plan. Nothing is changed.
    ///
    /// An invalid row, or two rows for one address (compared as Clerk compares them, see
    /// [`RosterRow`]) or for one person, fails the plan with [`Error::InvalidRequest`] naming
    /// the row (`rows[3].email_address`); so does a role the instance does not have when the
    /// client checks roles.
    pub async fn send(self) -> Result<Plan, Error> {
        let PlanRoster {
            roster,
            rows,
            settings,
            options,
        } = self;
        validate::id("organization_id", roster.organization_id())?;
        settings.validate()?;
        let mut organization = read::read(&roster, &options).await?;
        let mut planner = Planner {
            roster: &roster,
            organization: &mut organization,
            settings: &settings,
            options: &options,
            changes: Vec::new(),
            new: HashMap::new(),
            invited: HashMap::new(),
            roles_checked: HashSet::new(),
        };
        for (index, row) in rows.enumerate() {
            planner.row(index, row).await?;
        }
        planner.find_existing_users().await?;
        let mut changes = planner.changes;
        not_on_the_roster(&organization, &settings, &mut changes);
        // The list grew by doubling; the plan is kept (and applied) at its size, not up to a
        // third more (168 bytes a change).
        changes.shrink_to_fit();
        let violations = rails::check(
            &changes,
            &settings,
            organization.fingerprint.members(),
            &organization.admins,
        );
        Ok(Plan {
            format: PLAN_FORMAT,
            organization_id: roster.organization_id().to_owned(),
            fingerprint: organization.fingerprint.finish(),
            members: organization.fingerprint.members(),
            pending_invitations: organization.fingerprint.pending(),
            settings,
            changes,
            violations,
            roster: Some(roster),
        })
    }
}

/// The state of a plan being made from the rows.
struct Planner<'a> {
    roster: &'a Roster,
    organization: &'a mut Organization,
    settings: &'a PlanSettings,
    options: &'a RequestOptions,
    changes: Vec<Change>,
    /// Addresses to invite: key -> (row index, index in `changes`).
    new: HashMap<String, (usize, usize)>,
    /// Rows matched to a pending invitation: key -> (row index, index in `changes`, index in
    /// `organization.pending`). The address may also be a member's other address.
    invited: HashMap<String, (usize, usize, usize)>,
    /// Roles the role check has found (when the client checks roles).
    roles_checked: HashSet<String>,
}

fn duplicate(index: usize, first: usize) -> Error {
    Error::InvalidRequest(ValidationError::new(
        format!("rows[{index}].email_address"),
        format!(
            "repeats the address of rows[{first}] (Clerk compares addresses case-insensitively)"
        ),
    ))
}

fn same_person(index: usize, first: usize, user_id: &str) -> Error {
    Error::InvalidRequest(ValidationError::new(
        format!("rows[{index}].email_address"),
        format!("is another address of {user_id}, who is already rows[{first}]"),
    ))
}

impl Planner<'_> {
    async fn row(&mut self, index: usize, row: RosterRow) -> Result<(), Error> {
        let row = row
            .checked("")
            .map_err(|error| error.prefixed(&format!("rows[{index}].")))?;
        self.check_role(index, &row.role).await?;
        let organization = &mut *self.organization;
        if let Some(&m) = organization.member_by_key.get(&row.key) {
            let member = &mut organization.members[m];
            if let Some(first) = member.claimed_by {
                return Err(duplicate(index, first));
            }
            member.claimed_by = Some(index);
            let change = member_change(row.email_address, row.role, member);
            self.changes.push(change);
        } else if let Some(&p) = organization.pending_by_key.get(&row.key) {
            let pending = &mut organization.pending[p];
            if let Some(first) = pending.claimed_by {
                return Err(duplicate(index, first));
            }
            pending.claimed_by = Some(index);
            self.invited
                .insert(row.key.clone(), (index, self.changes.len(), p));
            let change = if pending.role == row.role {
                Change::Keep {
                    email_address: Some(row.email_address),
                    role: row.role,
                    user_id: None,
                    invitation_id: Some(pending.id.clone()),
                    reason: Reason::InvitedWithRole,
                }
            } else {
                Change::ReplaceInvitation {
                    email_address: row.email_address,
                    invitation_id: pending.id.clone(),
                    from: pending.role.clone(),
                    to: row.role,
                    public_metadata: row.public_metadata,
                    private_metadata: row.private_metadata,
                    reason: Reason::RoleDiffers,
                }
            };
            self.changes.push(change);
        } else {
            let CheckedRow {
                key,
                email_address,
                role,
                public_metadata,
                private_metadata,
            } = row;
            match self.new.entry(key) {
                Entry::Occupied(first) => return Err(duplicate(index, first.get().0)),
                Entry::Vacant(slot) => {
                    slot.insert((index, self.changes.len()));
                }
            }
            self.changes.push(Change::Invite {
                email_address,
                role,
                public_metadata,
                private_metadata,
                reason: Reason::NotInOrganization,
            });
        }
        Ok(())
    }

    /// With the client's role check on, checks each role once, before any change names it.
    async fn check_role(&mut self, index: usize, role: &Role) -> Result<(), Error> {
        let handle = self.roster.handle();
        if !roles::wanted(handle, None) || self.roles_checked.contains(role.as_str()) {
            return Ok(());
        }
        let field = Cow::Owned(format!("rows[{index}].role"));
        roles::check_before_sending(handle, &[(field, role.as_str())], self.options).await?;
        self.roles_checked.insert(role.as_str().to_owned());
        Ok(())
    }

    /// Looks the roster's addresses up among the instance's users, when that can change the
    /// plan: a member whose roster address is a verified address of theirs other than the one
    /// Clerk shows as their identifier is found by it (and kept, or given the roster's role,
    /// instead of invited, or instead of keeping or replacing a pending invitation to that
    /// address), and, if asked, a user with the address verified is added directly. An
    /// unverified address proves nothing about who holds it, so it never matches. One request
    /// per 100 addresses: the addresses to invite, while either a member no row has claimed
    /// yet or `add_existing_users`; and the addresses with a pending invitation, while a member
    /// no row has claimed yet.
    async fn find_existing_users(&mut self) -> Result<(), Error> {
        let unclaimed_member = self
            .organization
            .members
            .iter()
            .any(|m| m.claimed_by.is_none());
        let mut keys: Vec<(usize, &String)> = Vec::new();
        if self.settings.add_existing_users || unclaimed_member {
            keys.extend(self.new.iter().map(|(key, (row, _))| (*row, key)));
        }
        if unclaimed_member {
            keys.extend(self.invited.iter().map(|(key, (row, _, _))| (*row, key)));
        }
        if keys.is_empty() {
            return Ok(());
        }
        // In roster order, so the requests are the same on every run.
        keys.sort_unstable();
        let keys: Vec<String> = keys.into_iter().map(|(_, key)| key.clone()).collect();
        // Users added directly: user id -> row, so one person is not added twice.
        let mut added: HashMap<String, usize> = HashMap::new();
        for chunk in keys.chunks(MAX_FILTER_VALUES) {
            let asked: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let found =
                users::by_email_addresses(self.roster.handle(), &asked, self.options).await?;
            for user in found {
                for (address, verified) in user.email_addresses() {
                    let key = email_key(address);
                    if let Some(&(row, at)) = self.new.get(&key) {
                        self.existing_user(&user.id, row, at, verified, &mut added)?;
                    } else if let Some(&(row, at, p)) = self.invited.get(&key)
                        && verified
                    {
                        self.invited_member(&user.id, &key, row, at, p)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The invitation planned at `changes[at]` (for row `row`) is to an address of the user
    /// `user_id`: a member's address turns it into the member's change; a user's verified
    /// address, with `add_existing_users`, into adding them.
    fn existing_user(
        &mut self,
        user_id: &str,
        row: usize,
        at: usize,
        verified: bool,
        added: &mut HashMap<String, usize>,
    ) -> Result<(), Error> {
        // Already turned into something else by another address of the same user: leave it.
        if !matches!(self.changes[at], Change::Invite { .. }) {
            return Ok(());
        }
        if let Some(&m) = self.organization.member_by_user.get(user_id) {
            if !verified {
                return Ok(());
            }
            let member = &mut self.organization.members[m];
            if let Some(first) = member.claimed_by {
                return Err(same_person(row, first, user_id));
            }
            member.claimed_by = Some(row);
            if let Some(invite) = take_invite(&mut self.changes[at]) {
                self.changes[at] = member_change(invite.email_address, invite.role, member);
            }
        } else if self.settings.add_existing_users && verified {
            if let Some(&first) = added.get(user_id) {
                return Err(same_person(row, first, user_id));
            }
            added.insert(user_id.to_owned(), row);
            if let Some(invite) = take_invite(&mut self.changes[at]) {
                self.changes[at] = Change::AddMember {
                    email_address: invite.email_address,
                    user_id: user_id.to_owned(),
                    role: invite.role,
                    public_metadata: invite.public_metadata,
                    private_metadata: invite.private_metadata,
                    reason: Reason::ExistingUser,
                };
            }
        }
        Ok(())
    }

    /// The row `row`, planned at `changes[at]` as keeping or replacing the pending invitation
    /// `pending[p]`, is to a verified address of the user `user_id`: when they are a member, it
    /// becomes the member's change, and the invitation is left over for
    /// [`not_on_the_roster`] (the person is already in).
    fn invited_member(
        &mut self,
        user_id: &str,
        key: &str,
        row: usize,
        at: usize,
        p: usize,
    ) -> Result<(), Error> {
        let Some(&m) = self.organization.member_by_user.get(user_id) else {
            return Ok(());
        };
        let (email_address, role) = match &mut self.changes[at] {
            Change::Keep {
                email_address,
                role,
                invitation_id: Some(_),
                ..
            } => (email_address.take().unwrap_or_default(), role.clone()),
            Change::ReplaceInvitation {
                email_address, to, ..
            } => (std::mem::take(email_address), to.clone()),
            // Already turned into the member's change by another address of theirs.
            _ => return Ok(()),
        };
        let member = &mut self.organization.members[m];
        if let Some(first) = member.claimed_by {
            return Err(same_person(row, first, user_id));
        }
        member.claimed_by = Some(row);
        self.changes[at] = member_change(email_address, role, member);
        self.organization.pending[p].claimed_by = None;
        // So the invitation is reported as to a member's address.
        self.organization.member_by_key.insert(key.to_owned(), m);
        Ok(())
    }
}

/// What an invitation of the plan holds, taken out of it to become another change.
struct Invite {
    email_address: String,
    role: Role,
    public_metadata: Option<Map<String, Value>>,
    private_metadata: Option<Map<String, Value>>,
}

/// Takes a [`Change::Invite`]'s contents out, leaving a husk for the caller to replace.
fn take_invite(change: &mut Change) -> Option<Invite> {
    match change {
        Change::Invite {
            email_address,
            role,
            public_metadata,
            private_metadata,
            ..
        } => Some(Invite {
            email_address: std::mem::take(email_address),
            role: role.clone(),
            public_metadata: public_metadata.take(),
            private_metadata: private_metadata.take(),
        }),
        _ => None,
    }
}

/// The change for a roster row that is this member: keep, or set the roster's role.
fn member_change(email_address: String, role: Role, member: &read::Member) -> Change {
    if member.role == role {
        Change::Keep {
            email_address: Some(email_address),
            role,
            user_id: Some(member.user_id.clone()),
            invitation_id: None,
            reason: Reason::MemberWithRole,
        }
    } else {
        Change::ChangeRole {
            email_address,
            user_id: member.user_id.clone(),
            from: member.role.clone(),
            to: role,
            reason: Reason::RoleDiffers,
        }
    }
}

/// The changes for members and pending invitations no row claimed: removed and revoked when
/// pruning, kept otherwise. A pending invitation to a member's address is left over either way
/// (the person is already in).
fn not_on_the_roster(
    organization: &Organization,
    settings: &PlanSettings,
    changes: &mut Vec<Change>,
) {
    for member in organization
        .members
        .iter()
        .filter(|m| m.claimed_by.is_none())
    {
        changes.push(if settings.prune {
            Change::RemoveMember {
                email_address: member.identifier.clone(),
                user_id: member.user_id.clone(),
                role: member.role.clone(),
                reason: Reason::NotOnRoster,
            }
        } else {
            Change::Keep {
                email_address: member.identifier.clone(),
                role: member.role.clone(),
                user_id: Some(member.user_id.clone()),
                invitation_id: None,
                reason: Reason::NotPruned,
            }
        });
    }
    for pending in organization
        .pending
        .iter()
        .filter(|p| p.claimed_by.is_none())
    {
        let reason = if organization
            .member_by_key
            .contains_key(&email_key(&pending.email_address))
        {
            Reason::AlreadyMember
        } else {
            Reason::NotOnRoster
        };
        changes.push(if settings.prune {
            Change::RevokeInvitation {
                email_address: pending.email_address.clone(),
                invitation_id: pending.id.clone(),
                role: pending.role.clone(),
                reason,
            }
        } else {
            Change::Keep {
                email_address: Some(pending.email_address.clone()),
                role: pending.role.clone(),
                user_id: None,
                invitation_id: Some(pending.id.clone()),
                reason: Reason::NotPruned,
            }
        });
    }
}
