//! [`RevokeInvitation`]: revoking a pending invitation; a revoke whose answer was lost is settled
//! by `recovery`.

use std::sync::Arc;

use clerk_bapi_sys::{routes, types};

use super::recovery;
use crate::error::Error;
use crate::http::{Handle, json_body};
use crate::models::OrganizationInvitation;
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Revokes a pending invitation; see [`Invitations::revoke`](crate::Invitations::revoke).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct RevokeInvitation {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) invitation_id: String,
    pub(super) requesting_user_id: Option<String>,
    pub(super) options: RequestOptions,
}

impl RevokeInvitation {
    request_option_setters!();

    /// The user revoking it (must be an admin of the organization).
    pub fn requesting_user_id(mut self, user_id: impl Into<String>) -> Self {
        self.requesting_user_id = Some(user_id.into());
        self
    }

    /// Validates and sends the request; returns the invitation this call revoked.
    ///
    /// `Ok` means it was revoked during this call. An invitation that was not pending when the
    /// call began (revoked before, accepted, expired) gives Clerk's 404
    /// `organization_invitation_not_pending` ([`Error::is_not_pending`]), also when an
    /// attempt's answer was lost on the way; when the client cannot tell, [`Error::Unresolved`].
    /// See the
    /// [reliability guide](crate::reliability#lost-answers-the-decision-rules).
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("invitation_id", &self.invitation_id)?;
        if let Some(user_id) = &self.requesting_user_id {
            validate::id("requesting_user_id", user_id)?;
        }
        let json = json_body(&types::RevokeOrganizationInvitationBody {
            requesting_user_id: self.requesting_user_id.clone(),
        })?;
        let args = [&*self.organization_id, self.invitation_id.as_str()];
        let result: Result<types::OrganizationInvitation, _> = self
            .handle
            .send_json(
                Operation::RevokeInvitation,
                &self.options,
                &routes::REVOKE_ORGANIZATION_INVITATION,
                &args,
                json,
            )
            .await;
        match result {
            Ok(raw) => Ok(OrganizationInvitation::from_raw(raw)),
            Err(failure) => {
                recovery::recover_lost_revoke(
                    &self.handle,
                    &self.organization_id,
                    &self.invitation_id,
                    failure,
                    &self.options,
                )
                .await
            }
        }
    }
}
