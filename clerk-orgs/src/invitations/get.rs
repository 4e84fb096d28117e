//! [`GetInvitation`]: one invitation by id.

use std::sync::Arc;

use crate::error::Error;
use crate::http::Handle;
use crate::models::OrganizationInvitation;
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Fetches one invitation; see [`Invitations::get`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct GetInvitation {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) invitation_id: String,
    pub(super) options: RequestOptions,
}

impl GetInvitation {
    request_option_setters!();

    /// Validates the IDs and fetches the invitation.
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("invitation_id", &self.invitation_id)?;
        let raw = self
            .handle
            .execute_with(Operation::GetInvitation, &self.options, |t| {
                t.sys
                    .get_organization_invitation()
                    .organization_id(&*self.organization_id)
                    .invitation_id(self.invitation_id.as_str())
                    .send()
            })
            .await?;
        Ok(OrganizationInvitation::from_raw(raw))
    }
}
