//! Roster sync: make an organization match a list of people ([`RosterRow`]s), as a reviewable
//! [`Plan`] and a safe apply.
//!
//! ```text
//! roster rows ──plan──▶ Plan (typed changes, reasons, rails, fingerprint) ──apply──▶ outcomes
//!                 ▲                                                      │
//!                 └─ members and pending invitations, each read once     └─ checked again first
//! ```
//!
//! - [`Roster::plan`] reads the organization's members and pending invitations (each list
//!   streamed once, 500 per page) and compares them with the rows: each row becomes an
//!   invitation, a keep, a role change, a replaced invitation, or (opt-in) a user added
//!   directly; with [`PlanRoster::prune`], members and invitations not on the roster are
//!   removed and revoked. Addresses compare as Clerk compares them (case-insensitively; see
//!   [`RosterRow`]).
//! - [`Plan::apply`] (or [`Roster::apply`] for a plan read back from JSON) first reads the
//!   organization again: a plan made against a state that has changed since is refused
//!   ([`Rail::StalePlan`]), and so is one breaking a rail ([`Rail`]: the last admin, the acting
//!   inviter, too many removals), unless the caller allows that rail by name. Then it makes
//!   the changes paced under Clerk's limits and streams one [`ChangeOutcome`] per change.
//! - Apply, then plan again: the new plan is empty. Stop an apply anywhere (a crash, a kill),
//!   plan again and apply: what was done shows as kept, so nobody is invited twice or sent a
//!   second email.
//!
//! This layer sits above the feature folders, because it composes two of them (invitations
//! and memberships); `organization.rs` hands it out.

use std::sync::Arc;

use crate::http::Handle;
use crate::invitations::Invitations;
use crate::memberships::Memberships;

mod apply;
mod fingerprint;
mod plan;
mod rails;
mod read;
mod row;

pub use apply::{Applied, ApplyError, ApplyPlan, ApplyRun, ChangeOutcome, ChangeResult};
pub use plan::{
    Change, ChangeKind, DEFAULT_MAX_REMOVAL_FRACTION, PLAN_FORMAT, Plan, PlanRoster, PlanSettings,
    Reason, Summary,
};
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
