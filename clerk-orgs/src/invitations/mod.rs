//! The invitations feature: one organization's invitations ([`Invitations`]) and their request
//! builders, the instance-wide and per-user lists, the recovery of lost answers, and
//! `invite_all`.
//!
//! Handles and builders own an `Arc` of the shared core ([`Handle`]), so their futures and
//! streams are `'static` and can be spawned. Setters only store; every rule is checked in
//! `send()`, before anything is sent, so a builder chain never panics or fails half-way.
//!
//! This layer may import everything below it (`lookup`, `http`, `policy`, `validate`, `error`,
//! `models`, `operation`) and never another feature folder or `client`: the client constructs
//! these handles, not the other way round.

use std::sync::Arc;

use crate::http::Handle;
use crate::models::Role;
use crate::policy::RequestOptions;

mod create;
mod get;
mod instance;
mod invite_all;
mod list;
mod recovery;
mod revoke;
mod user;

pub use create::{CreateInvitation, CreateInvitationsBulk, NewInvitation};
pub use get::GetInvitation;
pub use instance::InstanceInvitations;
pub(crate) use invite_all::unreachable;
pub use invite_all::{InviteAll, InviteOutcome, InviteResult, Progress};
pub use list::{
    ListInstanceInvitations, ListInvitations, ListPendingInvitations, ListUserInvitations,
};
pub use revoke::RevokeInvitation;
pub use user::{UserHandle, UserInvitations};

/// The invitations of one organization: create, bulk-create, list, get and revoke.
#[derive(Debug, Clone)]
pub struct Invitations {
    handle: Arc<Handle>,
    // Shared, not copied: every builder of this organization holds it, and cloning an
    // `Arc<str>` costs no allocation (a `String` would cost one per builder).
    organization_id: Arc<str>,
}

impl Invitations {
    pub(crate) fn new(handle: Arc<Handle>, organization_id: Arc<str>) -> Self {
        Self {
            handle,
            organization_id,
        }
    }

    /// Invites `email_address` with `role` (`Role::MEMBER`, `Role::ADMIN` or any role key such as
    /// `"org:billing"`). Set options on the builder, then `send()`.
    pub fn create(
        &self,
        email_address: impl Into<String>,
        role: impl Into<Role>,
    ) -> CreateInvitation {
        self.create_from(NewInvitation::new(email_address, role))
    }

    /// A create of an already built [`NewInvitation`] (used by `invite_all`).
    pub(crate) fn create_from(&self, invitation: NewInvitation) -> CreateInvitation {
        CreateInvitation {
            handle: self.handle.clone(),
            organization_id: self.organization_id.clone(),
            invitation,
            check_role: None,
            options: RequestOptions::default(),
        }
    }

    /// The core behind these invitations.
    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// The organization's id.
    pub(crate) fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// Invites 1 to 10 people in one request; Clerk creates all of them or none.
    pub fn create_bulk(
        &self,
        invitations: impl IntoIterator<Item = NewInvitation>,
    ) -> CreateInvitationsBulk {
        CreateInvitationsBulk {
            handle: self.handle.clone(),
            organization_id: self.organization_id.clone(),
            invitations: invitations.into_iter().collect(),
            check_role: None,
            options: RequestOptions::default(),
        }
    }

    /// Lists invitations: one page with `send()`, all of them with `stream()`.
    pub fn list(&self) -> ListInvitations {
        ListInvitations::new(self.handle.clone(), self.organization_id.clone())
    }

    /// Lists pending invitations through Clerk's deprecated `/invitations/pending` route.
    #[deprecated(
        note = "Clerk deprecated this route; use `list().status(InvitationStatus::Pending)`"
    )]
    pub fn list_pending(&self) -> ListPendingInvitations {
        ListPendingInvitations::new(self.handle.clone(), self.organization_id.clone())
    }

    /// Fetches one invitation.
    pub fn get(&self, invitation_id: impl Into<String>) -> GetInvitation {
        GetInvitation {
            handle: self.handle.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// Revokes a pending invitation.
    pub fn revoke(&self, invitation_id: impl Into<String>) -> RevokeInvitation {
        RevokeInvitation {
            handle: self.handle.clone(),
            organization_id: self.organization_id.clone(),
            invitation_id: invitation_id.into(),
            requesting_user_id: None,
            options: RequestOptions::default(),
        }
    }
}
