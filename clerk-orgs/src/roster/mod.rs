//! Roster sync: make an organization match a list of people ([`RosterRow`]s), as a reviewable
//! [`Plan`] and a safe apply.
//!
//! ```text
//! roster rows ──plan──▶ Plan (typed changes, reasons, rails, fingerprint) ──apply──▶ outcomes
//!                 ▲                                                      │
//!                 └─ members and pending invitations, each read once     └─ checked again first
//! ```
//!
//! # Planning
//!
//! [`Roster::plan`] reads the organization's members, then its pending invitations (each list
//! streamed once, 500 per page: an organization of 10,000 members costs 20 requests), into an
//! index of what a plan needs, then consumes the rows one by one. Each row becomes one change:
//!
//! | The row's address is | and the role | Change | Reason |
//! | --- | --- | --- | --- |
//! | a member's | is theirs | [`Change::Keep`] | [`Reason::MemberWithRole`] |
//! | a member's | differs | [`Change::ChangeRole`] | [`Reason::RoleDiffers`] |
//! | a pending invitation's | is its role | [`Change::Keep`] | [`Reason::InvitedWithRole`] |
//! | a pending invitation's | differs | [`Change::ReplaceInvitation`]: revoke, invite again (**a new email**) | [`Reason::RoleDiffers`] |
//! | a user's, verified (with [`PlanRoster::add_existing_users`]) | | [`Change::AddMember`] (no email) | [`Reason::ExistingUser`] |
//! | nobody's | | [`Change::Invite`] | [`Reason::NotInOrganization`] |
//!
//! Then each member and pending invitation no row claimed becomes [`Change::RemoveMember`] or
//! [`Change::RevokeInvitation`] ([`Reason::NotOnRoster`], or [`Reason::AlreadyMember`] for an
//! invitation to a member's address) with [`PlanRoster::prune`], and [`Change::Keep`]
//! ([`Reason::NotPruned`]) without: nothing is removed or revoked unless pruning is asked for.
//!
//! - **Addresses** compare as Clerk compares them: the whole address, case-insensitively (Clerk
//!   normalizes identifiers to lowercase; see [`RosterRow`]). A member is matched by the
//!   identifier Clerk shows (their primary address) and, failing that, by any of their
//!   verified addresses: while a member is unclaimed, the addresses to invite and those of
//!   pending invitations on the roster are looked up among the instance's users
//!   (`GET /v1/users?email_address=...`, one request per 100 addresses), so a member listed
//!   under a secondary address is kept, not invited (or left invited) and removed; the pending
//!   invitation to that address is then one to a member's address. An unverified address
//!   never matches: anyone can add one to their account, so it would let them take another
//!   person's row (and role). The same lookup finds the users
//!   [`PlanRoster::add_existing_users`] adds (by a verified address too).
//! - **Rows** are checked as invitations are (address, role, metadata: a JSON object); a bad
//!   row, or a second row for one address or for one person, fails the plan with
//!   [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming it (`rows[3].email_address`).
//!   With the client's role check on, each role is checked once too.
//! - **Metadata** of a row goes to the invitation or membership the sync creates. A member's or
//!   a pending invitation's metadata is left as it is: Clerk merges membership metadata, so a
//!   roster could not say which keys to remove.
//! - **Memory** grows with the organization (its index) and the number of changes (the plan),
//!   not with the roster: rows are consumed, never held.
//!
//! # Rails
//!
//! On by default, checked when planning ([`Plan::violations`]) and again when applying, each
//! overridden by name with [`ApplyPlan::allow`] ([`Rail`]): never remove or demote the last
//! admin, nor the acting inviter; refuse removing more than a share (25 %) or a number of the
//! members; refuse applying a plan made against an organization that has changed since.
//!
//! # Applying
//!
//! [`Plan::apply`] (or [`Roster::apply`], for a plan read back from JSON) reads the organization
//! again and refuses, changing nothing, a plan whose fingerprint no longer matches
//! ([`Rail::StalePlan`]) or that breaks a rail as the organization is now
//! ([`ApplyError::Refused`]). Otherwise it returns an [`ApplyRun`]: the changes made in a safe
//! order (promotions first; removals and revocations before anyone is added, freeing seats;
//! invitations last, through [`Invitations::invite_all`](crate::Invitations::invite_all)),
//! paced under Clerk's limits, with one [`ChangeOutcome`] per change (keeps have none):
//!
//! | [`ChangeResult`] | Meaning | Plan again? |
//! | --- | --- | --- |
//! | `Done` | made by this run, with Clerk's answer ([`Applied`]) | no |
//! | `AlreadyDone` | already as wanted (someone else, or a lost answer of an earlier run) | no |
//! | `Conflict` | the organization changed under the run; nothing done | yes |
//! | `Rejected` | Clerk refused (the last admin, an unknown role, the quota) | fix, then yes |
//! | `Unknown` | an answer was lost and could not be settled: it may be done | yes |
//! | `NotDone` | nothing changed (rate limited past the client's wait, Clerk unreachable, the run stopped) | yes |
//! | `PartlyDone` | a replaced invitation was revoked, the new one not made | yes |
//!
//! Apply, then plan again: the plan is empty. Stop an apply anywhere (a crash, a kill), plan
//! again and apply: what was done shows as kept, so nobody is invited twice or sent a second
//! email. Between the check and each change the organization may still change (nothing can
//! lock it); such a change shows as a `Conflict`, never as done.
//!
//! This layer sits above the feature folders, because it composes two of them (invitations and
//! memberships); `organization.rs` hands it out.

use std::sync::Arc;

use crate::http::Handle;
use crate::invitations::Invitations;
use crate::memberships::Memberships;

// Imports point one way, down this list (`Roster`, in this file, is what they share):
//   apply.rs        ApplyPlan, ApplyRun and `Plan::apply`; uses plan, rails, change, read
//   plan.rs         PlanRoster and Plan; uses rails, change, read, row
//   rails.rs        the rails a plan is checked against; uses change, read
//   change.rs       Change, Reason, ChangeKind, PlanSettings: what a plan is made of
//   read.rs         the organization as read (members, invitations, admins); uses fingerprint, row
//   fingerprint.rs  the fingerprint of what was read
//   row.rs          RosterRow and its checks
mod apply;
mod change;
mod fingerprint;
mod plan;
mod rails;
mod read;
mod row;

pub use apply::{Applied, ApplyError, ApplyPlan, ApplyRun, ChangeOutcome, ChangeResult};
pub use change::{Change, ChangeKind, DEFAULT_MAX_REMOVAL_FRACTION, PlanSettings, Reason};
pub use plan::{PLAN_FORMAT, Plan, PlanRoster, Summary};
pub use rails::{Rail, UnknownRail, Violation};
pub use row::RosterRow;

/// Roster sync for one organization; see
/// [`OrganizationHandle::roster`](crate::OrganizationHandle::roster) and the
/// [module docs](crate::roster).
#[derive(Debug, Clone)]
pub struct Roster {
    handle: Arc<Handle>,
    organization_id: Arc<str>,
}

impl Roster {
    pub(crate) fn new(handle: Arc<Handle>, organization_id: Arc<str>) -> Self {
        Self {
            handle,
            organization_id,
        }
    }

    /// The organization's id.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// Plans making the organization match `rows`: set options on the builder, then
    /// `send().await`. The rows are consumed one by one while planning, never held.
    pub fn plan<I>(&self, rows: I) -> PlanRoster
    where
        I: IntoIterator<Item = RosterRow>,
        I::IntoIter: Send + 'static,
    {
        PlanRoster::new(self.clone(), Box::new(rows.into_iter()))
    }

    /// Applies any plan for this organization, including one read back from JSON (with
    /// `serde_json`); see [`ApplyPlan`].
    pub fn apply(&self, plan: Plan) -> ApplyPlan {
        ApplyPlan::new(Some(self.clone()), plan)
    }

    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    fn invitations(&self) -> Invitations {
        Invitations::new(self.handle.clone(), self.organization_id.clone())
    }

    fn memberships(&self) -> Memberships {
        Memberships::new(self.handle.clone(), self.organization_id.clone())
    }
}
