//! [`FindMembership`]: one user's membership of an organization, if there is one.

use super::{Member, recovery};
use crate::error::Error;
use crate::models::OrganizationMembership;
use crate::policy::request_option_setters;
use crate::validate;

/// Finds one user's membership; see [`Memberships::find`](crate::Memberships::find).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct FindMembership {
    pub(super) member: Member,
}

impl FindMembership {
    request_option_setters!(member.options);

    /// Validates the ids and lists the organization's memberships filtered by the user id:
    /// `Ok(None)` when the user is not a member (or does not exist).
    pub async fn send(self) -> Result<Option<OrganizationMembership>, Error> {
        validate::id("organization_id", &self.member.organization_id)?;
        validate::filter_user_id(&self.member.user_id)?;
        Ok(recovery::lookup_membership(&self.member).await?.membership)
    }
}
