//! The memberships feature: one organization's members ([`Memberships`]: list, find, create,
//! update the role, merge metadata, delete), the instance-wide list ([`InstanceMemberships`]),
//! and the settling of lost answers for each write (`recovery`).
//!
//! Handles and builders own an `Arc` of the shared core ([`Handle`]), so their futures and
//! streams are `'static` and can be spawned. Setters only store; every rule is checked in
//! `send()`, before anything is sent.
//!
//! This layer may import everything below it (`lookup`, `http`, `policy`, `validate`, `error`,
//! `models`, `operation`) and never another feature folder or `client`.

use std::sync::Arc;

use serde_json::Value;

use crate::error::ValidationError;
use crate::http::Handle;
use crate::models::Role;
use crate::policy::RequestOptions;
use crate::validate;

mod create;
mod delete;
mod find;
mod list;
mod recovery;
mod update;

pub use create::CreateMembership;
pub use delete::{DeleteMembership, Removal};
pub use find::FindMembership;
pub use list::{ListInstanceMemberships, ListMemberships};
pub use update::{UpdateMembershipMetadata, UpdateMembershipRole};

/// The members of one organization; see
/// [`OrganizationHandle::memberships`](crate::OrganizationHandle::memberships).
///
/// A membership is addressed by its user's id: Clerk's routes take
/// `/organizations/{organization_id}/memberships/{user_id}`.
#[derive(Debug, Clone)]
pub struct Memberships {
    handle: Arc<Handle>,
    organization_id: Arc<str>,
}

impl Memberships {
    pub(crate) fn new(handle: Arc<Handle>, organization_id: Arc<str>) -> Self {
        Self {
            handle,
            organization_id,
        }
    }

    /// One member's requests start from this.
    fn member(&self, user_id: impl Into<String>) -> Member {
        Member {
            handle: self.handle.clone(),
            organization_id: self.organization_id.clone(),
            user_id: user_id.into(),
            options: RequestOptions::default(),
        }
    }

    /// Lists the members: one page with `send()`, all of them with `stream()`, with every filter
    /// Clerk offers.
    pub fn list(&self) -> ListMemberships {
        ListMemberships::new(self.handle.clone(), self.organization_id.clone())
    }

    /// Finds one user's membership, if they are a member (Clerk has no route for one
    /// membership; this lists with a `user_id` filter).
    pub fn find(&self, user_id: impl Into<String>) -> FindMembership {
        FindMembership {
            member: self.member(user_id),
        }
    }

    /// Adds an existing user of the instance to the organization with `role` (`Role::MEMBER`,
    /// `Role::ADMIN` or any role key). No email is sent; to ask someone to join, invite them.
    pub fn create(&self, user_id: impl Into<String>, role: impl Into<Role>) -> CreateMembership {
        CreateMembership {
            member: self.member(user_id),
            role: role.into(),
            public_metadata: None,
            private_metadata: None,
            check_role: None,
        }
    }

    /// Sets a member's role.
    pub fn update_role(
        &self,
        user_id: impl Into<String>,
        role: impl Into<Role>,
    ) -> UpdateMembershipRole {
        UpdateMembershipRole {
            member: self.member(user_id),
            role: role.into(),
            check_role: None,
        }
    }

    /// Merges metadata into a member's membership; see [`UpdateMembershipMetadata`] for how
    /// Clerk merges.
    pub fn update_metadata(&self, user_id: impl Into<String>) -> UpdateMembershipMetadata {
        UpdateMembershipMetadata {
            member: self.member(user_id),
            public_metadata: None,
            private_metadata: None,
        }
    }

    /// Removes a member from the organization.
    pub fn delete(&self, user_id: impl Into<String>) -> DeleteMembership {
        DeleteMembership {
            member: self.member(user_id),
        }
    }
}

/// What every request about one member holds: the shared core, the organization, the user
/// (Clerk's routes address a membership by its user's id) and the request's options.
#[derive(Debug, Clone)]
struct Member {
    handle: Arc<Handle>,
    organization_id: Arc<str>,
    user_id: String,
    options: RequestOptions,
}

impl Member {
    /// Checks both ids, which go into the path.
    fn validate_ids(&self) -> Result<(), ValidationError> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("user_id", &self.user_id)
    }

    /// The path arguments of `/organizations/{organization_id}/memberships/{user_id}`.
    fn args(&self) -> [&str; 2] {
        [&self.organization_id, &self.user_id]
    }
}

/// Memberships across every organization of the instance; see
/// [`Client::organization_memberships`](crate::Client::organization_memberships).
#[derive(Debug, Clone)]
pub struct InstanceMemberships {
    handle: Arc<Handle>,
}

impl InstanceMemberships {
    pub(crate) fn new(handle: Arc<Handle>) -> Self {
        Self { handle }
    }

    /// Lists the memberships of all organizations (Clerk's route takes `order_by`, `limit` and
    /// `offset` only).
    pub fn list(&self) -> ListInstanceMemberships {
        ListInstanceMemberships::new(self.handle.clone())
    }
}

/// Metadata given to a setter: kept as given, checked (a JSON object) when sent.
type Metadata = Option<Value>;

/// The `public_metadata` and `private_metadata` setters of a membership write; `$what` says
/// what becomes of the metadata given.
macro_rules! metadata_setters {
    ($what:literal) => {
        #[doc = concat!("Public metadata (visible to the frontend too), ", $what, "; must be a JSON object.")]
        pub fn public_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
            self.public_metadata = Some(metadata.into());
            self
        }

        #[doc = concat!("Private metadata (visible to the backend only), ", $what, "; must be a JSON object.")]
        pub fn private_metadata(mut self, metadata: impl Into<serde_json::Value>) -> Self {
            self.private_metadata = Some(metadata.into());
            self
        }
    };
}
use metadata_setters;
