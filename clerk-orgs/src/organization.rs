//! [`OrganizationHandle`]: one organization, across the features (its invitations, its
//! memberships) and the roster sync built on both.
//!
//! It sits with the client, above the feature folders and `roster`, because it hands out a
//! handle of each: the features never import one another, so no feature can hold it.

use std::sync::Arc;

use crate::http::Handle;
use crate::invitations::Invitations;
use crate::memberships::Memberships;
use crate::roster::Roster;

/// One organization; see [`Client::organization`](crate::Client::organization).
#[derive(Debug, Clone)]
pub struct OrganizationHandle {
    handle: Arc<Handle>,
    organization_id: Arc<str>,
}

impl OrganizationHandle {
    pub(crate) fn new(handle: Arc<Handle>, organization_id: Arc<str>) -> Self {
        Self {
            handle,
            organization_id,
        }
    }

    /// The organization's id.
    pub fn id(&self) -> &str {
        &self.organization_id
    }

    /// Its invitations.
    pub fn invitations(&self) -> Invitations {
        Invitations::new(self.handle.clone(), self.organization_id.clone())
    }

    /// Its members.
    pub fn memberships(&self) -> Memberships {
        Memberships::new(self.handle.clone(), self.organization_id.clone())
    }

    /// Roster sync: plan and apply making its members match a list of people; see
    /// [`crate::roster`].
    pub fn roster(&self) -> Roster {
        Roster::new(self.handle.clone(), self.organization_id.clone())
    }
}
