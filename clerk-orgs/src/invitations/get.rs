//! [`GetInvitation`]: one invitation by id.

use std::sync::Arc;

use clerk_bapi_sys::{routes, types};

use crate::error::Error;
use crate::http::{Call, Handle};
use crate::models::OrganizationInvitation;
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Fetches one invitation; see [`Invitations::get`](crate::Invitations::get).
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
        let args = [&*self.organization_id, self.invitation_id.as_str()];
        let raw: types::OrganizationInvitation = self
            .handle
            .execute_with(Operation::GetInvitation, &self.options, |t| {
                t.send(Call::new(&routes::GET_ORGANIZATION_INVITATION, &args))
            })
            .await?;
        Ok(OrganizationInvitation::from_raw(raw))
    }
}
