//! [`Operation`]: which BAPI call a request or an error belongs to.
//!
//! Every request goes through one execute path with its operation, so spans, errors, retry
//! decisions and rate-limit budgets can tell a non-idempotent create from a harmless read.
//!
//! It sits at the bottom with `models`: errors record which operation failed, and the policy and
//! HTTP layers both decide by it.

use std::fmt;

/// One BAPI operation of this crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /v1/organizations/{organization_id}/invitations`
    CreateInvitation,
    /// `POST /v1/organizations/{organization_id}/invitations/bulk`
    CreateInvitationsBulk,
    /// `GET /v1/organizations/{organization_id}/invitations`
    ListInvitations,
    /// `GET /v1/organizations/{organization_id}/invitations/pending` (deprecated by Clerk)
    ListPendingInvitations,
    /// `GET /v1/organizations/{organization_id}/invitations/{invitation_id}`
    GetInvitation,
    /// `POST /v1/organizations/{organization_id}/invitations/{invitation_id}/revoke`
    RevokeInvitation,
    /// `GET /v1/organization_invitations`
    ListInstanceInvitations,
    /// `GET /v1/users/{user_id}/organization_invitations`
    ListUserInvitations,
    /// `GET /v1/organizations/{organization_id}/memberships`
    ListMemberships,
    /// `POST /v1/organizations/{organization_id}/memberships`
    CreateMembership,
    /// `PATCH /v1/organizations/{organization_id}/memberships/{user_id}` (the role)
    UpdateMembership,
    /// `PATCH /v1/organizations/{organization_id}/memberships/{user_id}/metadata`
    UpdateMembershipMetadata,
    /// `DELETE /v1/organizations/{organization_id}/memberships/{user_id}`
    DeleteMembership,
    /// `GET /v1/organization_memberships`
    ListInstanceMemberships,
    /// `GET /v1/organization_roles`
    ListRoles,
    /// `GET /v1/users` (filtered by email address; roster sync's opt-in lookup of existing
    /// users)
    ListUsers,
}

impl Operation {
    /// The spec's operation id in snake_case, e.g. `create_organization_invitation`; used as the
    /// `operation` field of tracing spans.
    pub fn id(self) -> &'static str {
        match self {
            Operation::CreateInvitation => "create_organization_invitation",
            Operation::CreateInvitationsBulk => "create_organization_invitation_bulk",
            Operation::ListInvitations => "list_organization_invitations",
            Operation::ListPendingInvitations => "list_pending_organization_invitations",
            Operation::GetInvitation => "get_organization_invitation",
            Operation::RevokeInvitation => "revoke_organization_invitation",
            Operation::ListInstanceInvitations => "list_instance_organization_invitations",
            Operation::ListUserInvitations => "users_get_organization_invitations",
            Operation::ListMemberships => "list_organization_memberships",
            Operation::CreateMembership => "create_organization_membership",
            Operation::UpdateMembership => "update_organization_membership",
            Operation::UpdateMembershipMetadata => "update_organization_membership_metadata",
            Operation::DeleteMembership => "delete_organization_membership",
            Operation::ListInstanceMemberships => "instance_get_organization_memberships",
            Operation::ListRoles => "list_organization_roles",
            Operation::ListUsers => "get_user_list",
        }
    }

    /// Whether repeating the request is harmless. Creates are not: Clerk has no idempotency
    /// keys, so a create that may have been processed must not simply be sent again. Revoking
    /// or deleting twice cannot remove anything else, but the second answer is an error (a
    /// revoke's `not pending`, a delete's not found; both 404). Setting a membership's role, or
    /// merging the same metadata into it, twice leaves it as once: those are idempotent.
    pub fn is_idempotent(self) -> bool {
        !matches!(
            self,
            Operation::CreateInvitation
                | Operation::CreateInvitationsBulk
                | Operation::RevokeInvitation
                | Operation::CreateMembership
                | Operation::DeleteMembership
        )
    }

    /// Whether it only reads. Only a read answered with a success status is ever asked again
    /// (when its body was cut or garbled); a write that Clerk answered with a success status is
    /// never sent again, idempotent or not.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            Operation::ListInvitations
                | Operation::ListPendingInvitations
                | Operation::GetInvitation
                | Operation::ListInstanceInvitations
                | Operation::ListUserInvitations
                | Operation::ListMemberships
                | Operation::ListInstanceMemberships
                | Operation::ListRoles
                | Operation::ListUsers
        )
    }

    /// Whether it creates invitations (and so counts against Clerk's creation rate limits).
    pub fn creates_invitations(self) -> bool {
        matches!(
            self,
            Operation::CreateInvitation | Operation::CreateInvitationsBulk
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
