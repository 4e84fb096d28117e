//! [`FindMembership`]: one user's membership of an organization, if there is one.

use std::sync::Arc;

use crate::error::Error;
use crate::http::Handle;
use crate::models::OrganizationMembership;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

use super::recovery;

/// Finds one user's membership; see [`Memberships::find`](crate::Memberships::find).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct FindMembership {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) user_id: String,
    pub(super) options: RequestOptions,
}

impl FindMembership {
    request_option_setters!();

    /// Validates the ids and lists the organization's memberships filtered by the user id:
    /// `Ok(None)` when the user is not a member (or does not exist).
    pub async fn send(self) -> Result<Option<OrganizationMembership>, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::filter_user_id(&self.user_id)?;
        let found = recovery::lookup_membership(
            &self.handle,
            &self.organization_id,
            &self.user_id,
            &self.options,
        )
        .await?;
        Ok(found.membership)
    }
}
