//! One user's organization invitations: [`UserHandle`] and [`UserInvitations`].

use std::sync::Arc;

use super::ListUserInvitations;
use crate::http::Handle;

/// One user; see [`Client::user`](crate::Client::user).
#[derive(Debug, Clone)]
pub struct UserHandle {
    handle: Arc<Handle>,
    user_id: Arc<str>,
}

impl UserHandle {
    pub(crate) fn new(handle: Arc<Handle>, user_id: Arc<str>) -> Self {
        Self { handle, user_id }
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        &self.user_id
    }

    /// The organization invitations sent to this user's email addresses.
    pub fn organization_invitations(&self) -> UserInvitations {
        UserInvitations {
            handle: self.handle.clone(),
            user_id: self.user_id.clone(),
        }
    }
}

/// A user's organization invitations; see [`UserHandle::organization_invitations`].
#[derive(Debug, Clone)]
pub struct UserInvitations {
    handle: Arc<Handle>,
    user_id: Arc<str>,
}

impl UserInvitations {
    /// Lists them; each carries `public_organization_data`.
    pub fn list(&self) -> ListUserInvitations {
        ListUserInvitations::new(self.handle.clone(), self.user_id.clone())
    }
}
