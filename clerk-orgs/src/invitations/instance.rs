//! Invitations across the whole instance: [`InstanceInvitations`].

use std::sync::Arc;

use super::ListInstanceInvitations;
use crate::http::Handle;

/// Every organization's invitations; see
/// [`Client::organization_invitations`](crate::Client::organization_invitations).
#[derive(Debug, Clone)]
pub struct InstanceInvitations {
    handle: Arc<Handle>,
}

impl InstanceInvitations {
    pub(crate) fn new(handle: Arc<Handle>) -> Self {
        Self { handle }
    }

    /// Lists invitations of all organizations; each carries `public_organization_data`.
    pub fn list(&self) -> ListInstanceInvitations {
        ListInstanceInvitations::new(self.handle.clone())
    }
}
