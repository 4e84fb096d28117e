//! What a plan is made of: each [`Change`] with its [`Reason`] and [`ChangeKind`], and the
//! [`PlanSettings`] it was asked with. These sit below planning, applying and the rails, which
//! all read them, so that imports point one way: `apply` uses `plan`, `rails` and this module;
//! `plan` uses `rails` and this module; `rails` uses only this module (and what was read).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::models::Role;
use crate::validate;

/// The share of members a plan may remove unless told otherwise ([`Rail::MaxRemovals`]).
///
/// [`Rail::MaxRemovals`]: super::Rail::MaxRemovals
pub const DEFAULT_MAX_REMOVAL_FRACTION: f64 = 0.25;

/// How a plan was asked for: what it may do, and what new invitations carry. Saved with the
/// plan, so a plan applied later does what was reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanSettings {
    /// Whether members and pending invitations not on the roster are removed and revoked.
    pub prune: bool,
    /// Whether people who already have an account (a verified address of theirs is on the
    /// roster) are added as members directly, instead of invited.
    pub add_existing_users: bool,
    /// The admin new invitations name as their inviter and revocations as the revoking user.
    pub inviter_user_id: Option<String>,
    /// Where invitees land after accepting.
    pub redirect_url: Option<String>,
    /// Days until new invitations expire.
    pub expires_in_days: Option<u32>,
    /// Whether Clerk emails new invitees (Clerk's default when `None`: yes).
    pub notify: Option<bool>,
    /// At most this many members may be removed ([`Rail::MaxRemovals`](super::Rail)).
    pub max_removals: Option<u64>,
    /// At most this share of the members may be removed, 0 to 1.
    pub max_removal_fraction: f64,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            prune: false,
            add_existing_users: false,
            inviter_user_id: None,
            redirect_url: None,
            expires_in_days: None,
            notify: None,
            max_removals: None,
            max_removal_fraction: DEFAULT_MAX_REMOVAL_FRACTION,
        }
    }
}

impl PlanSettings {
    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        if let Some(user_id) = &self.inviter_user_id {
            validate::id("inviter_user_id", user_id)?;
        }
        if let Some(url) = &self.redirect_url {
            validate::redirect_url("redirect_url", url)?;
        }
        if let Some(days) = self.expires_in_days {
            validate::expires_in_days("expires_in_days", days)?;
        }
        if !(0.0..=1.0).contains(&self.max_removal_fraction) {
            return Err(ValidationError::new(
                "max_removal_fraction",
                "must be between 0 and 1",
            ));
        }
        Ok(())
    }
}

/// Why a change is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Neither a member nor invited: invite them.
    NotInOrganization,
    /// Not a member, but a user of the instance with this verified address: add them.
    ExistingUser,
    /// A member with the roster's role (found by any of their verified addresses).
    MemberWithRole,
    /// Invited with the roster's role.
    InvitedWithRole,
    /// A member or an invitation with another role than the roster's.
    RoleDiffers,
    /// Not on the roster.
    NotOnRoster,
    /// A pending invitation to an address of someone who is already a member.
    AlreadyMember,
    /// Not on the roster, kept because the plan does not prune.
    NotPruned,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::NotInOrganization => "not a member and not invited",
            Reason::ExistingUser => "has an account with this verified address",
            Reason::MemberWithRole => "a member with this role",
            Reason::InvitedWithRole => "invited with this role",
            Reason::RoleDiffers => "the roster's role differs",
            Reason::NotOnRoster => "not on the roster",
            Reason::AlreadyMember => "already a member; the invitation is left over",
            Reason::NotPruned => "not on the roster; kept without pruning",
        })
    }
}

/// What kind of change a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// [`Change::Invite`].
    Invite,
    /// [`Change::AddMember`].
    AddMember,
    /// [`Change::ChangeRole`].
    ChangeRole,
    /// [`Change::ReplaceInvitation`].
    ReplaceInvitation,
    /// [`Change::RevokeInvitation`].
    RevokeInvitation,
    /// [`Change::RemoveMember`].
    RemoveMember,
    /// [`Change::Keep`].
    Keep,
}

impl ChangeKind {
    /// `invite`, `add_member`, `change_role`, `replace_invitation`, `revoke_invitation`,
    /// `remove_member` or `keep`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Invite => "invite",
            ChangeKind::AddMember => "add_member",
            ChangeKind::ChangeRole => "change_role",
            ChangeKind::ReplaceInvitation => "replace_invitation",
            ChangeKind::RevokeInvitation => "revoke_invitation",
            ChangeKind::RemoveMember => "remove_member",
            ChangeKind::Keep => "keep",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of a [`Plan`](super::Plan), with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Change {
    /// Invite the address with the role (an invitation email is sent unless the plan says
    /// `notify: false`).
    #[non_exhaustive]
    Invite {
        /// The address, as on the roster.
        email_address: String,
        /// The role.
        role: Role,
        /// Public metadata of the invitation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_metadata: Option<Map<String, Value>>,
        /// Private metadata of the invitation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private_metadata: Option<Map<String, Value>>,
        /// Why.
        reason: Reason,
    },
    /// Add an existing user of the instance as a member directly (opt-in; no email is sent).
    #[non_exhaustive]
    AddMember {
        /// The address, as on the roster.
        email_address: String,
        /// The user holding it.
        user_id: String,
        /// The role.
        role: Role,
        /// Public metadata of the membership.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_metadata: Option<Map<String, Value>>,
        /// Private metadata of the membership.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private_metadata: Option<Map<String, Value>>,
        /// Why.
        reason: Reason,
    },
    /// Nothing to do.
    #[non_exhaustive]
    Keep {
        /// The address (the roster's, or the member's identifier or invitation's address).
        email_address: Option<String>,
        /// The role they have.
        role: Role,
        /// The member, if they are one.
        user_id: Option<String>,
        /// The pending invitation, if they have one.
        invitation_id: Option<String>,
        /// Why.
        reason: Reason,
    },
    /// Set a member's role.
    #[non_exhaustive]
    ChangeRole {
        /// The address, as on the roster.
        email_address: String,
        /// The member.
        user_id: String,
        /// The role they have.
        from: Role,
        /// The roster's role.
        to: Role,
        /// Why.
        reason: Reason,
    },
    /// Revoke a pending invitation whose role differs from the roster's and invite again with
    /// the roster's role. Clerk cannot change an invitation's role, so **the invitee gets a new
    /// invitation email** (unless the plan says `notify: false`), and the old link stops
    /// working.
    #[non_exhaustive]
    ReplaceInvitation {
        /// The address, as on the roster.
        email_address: String,
        /// The pending invitation to revoke.
        invitation_id: String,
        /// Its role.
        from: Role,
        /// The roster's role, for the new invitation.
        to: Role,
        /// Public metadata of the new invitation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_metadata: Option<Map<String, Value>>,
        /// Private metadata of the new invitation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        private_metadata: Option<Map<String, Value>>,
        /// Why.
        reason: Reason,
    },
    /// Revoke a pending invitation (pruning only).
    #[non_exhaustive]
    RevokeInvitation {
        /// The invitation's address.
        email_address: String,
        /// The invitation.
        invitation_id: String,
        /// Its role.
        role: Role,
        /// Why.
        reason: Reason,
    },
    /// Remove a member (pruning only).
    #[non_exhaustive]
    RemoveMember {
        /// The member's identifier (usually their primary address), when Clerk shows one.
        email_address: Option<String>,
        /// The member.
        user_id: String,
        /// Their role.
        role: Role,
        /// Why.
        reason: Reason,
    },
}

impl Change {
    /// Its kind.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::Invite { .. } => ChangeKind::Invite,
            Change::AddMember { .. } => ChangeKind::AddMember,
            Change::Keep { .. } => ChangeKind::Keep,
            Change::ChangeRole { .. } => ChangeKind::ChangeRole,
            Change::ReplaceInvitation { .. } => ChangeKind::ReplaceInvitation,
            Change::RevokeInvitation { .. } => ChangeKind::RevokeInvitation,
            Change::RemoveMember { .. } => ChangeKind::RemoveMember,
        }
    }

    /// Why it is in the plan.
    pub fn reason(&self) -> Reason {
        match self {
            Change::Invite { reason, .. }
            | Change::AddMember { reason, .. }
            | Change::Keep { reason, .. }
            | Change::ChangeRole { reason, .. }
            | Change::ReplaceInvitation { reason, .. }
            | Change::RevokeInvitation { reason, .. }
            | Change::RemoveMember { reason, .. } => *reason,
        }
    }

    /// The address it concerns, when known (a member removed may have no address).
    pub fn email_address(&self) -> Option<&str> {
        match self {
            Change::Invite { email_address, .. }
            | Change::AddMember { email_address, .. }
            | Change::ChangeRole { email_address, .. }
            | Change::ReplaceInvitation { email_address, .. }
            | Change::RevokeInvitation { email_address, .. } => Some(email_address),
            Change::Keep { email_address, .. } | Change::RemoveMember { email_address, .. } => {
                email_address.as_deref()
            }
        }
    }

    /// Whether it does something (everything but [`Change::Keep`]).
    pub fn is_change(&self) -> bool {
        !matches!(self, Change::Keep { .. })
    }

    /// The role before and after, as `org:member` or `org:member -> org:admin`.
    pub fn roles(&self) -> String {
        match self {
            Change::Invite { role, .. }
            | Change::AddMember { role, .. }
            | Change::Keep { role, .. }
            | Change::RevokeInvitation { role, .. }
            | Change::RemoveMember { role, .. } => role.to_string(),
            Change::ChangeRole { from, to, .. } | Change::ReplaceInvitation { from, to, .. } => {
                format!("{from} -> {to}")
            }
        }
    }
}
