//! Creating invitations: [`NewInvitation`], [`CreateInvitation`] (one) and
//! [`CreateInvitationsBulk`] (up to ten, all or none). A create whose answer was lost is settled
//! by `recovery`, never blindly sent again.

use std::borrow::Cow;
use std::num::NonZeroU64;
use std::sync::Arc;

use clerk_bapi_sys::{routes, types};
#[cfg(feature = "schemars")]
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::recovery::{self, Asked};
use crate::error::{Error, ValidationError};
use crate::http::{Handle, json_body};
use crate::lookup::roles::{self, check_role_setter};
use crate::models::{OrganizationInvitation, Role};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// One invitation to create, alone ([`Invitations::create`](crate::Invitations::create)) or in bulk
/// ([`Invitations::create_bulk`](crate::Invitations::create_bulk)). Serializes to exactly the JSON Clerk receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(JsonSchema))]
pub struct NewInvitation {
    email_address: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inviter_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notify: Option<bool>,
}

/// The optional setters shared by [`NewInvitation`] and [`CreateInvitation`].
macro_rules! invitation_setters {
    () => {
        /// The user who invites (must be an admin of the organization); shown to the invitee.
        pub fn inviter_user_id(mut self, user_id: impl Into<String>) -> Self {
            self.new_invitation().inviter_user_id = Some(user_id.into());
            self
        }

        /// Where the invitee lands after accepting: an absolute `http(s)` URL or a path
        /// starting with `/`.
        pub fn redirect_url(mut self, url: impl Into<String>) -> Self {
            self.new_invitation().redirect_url = Some(url.into());
            self
        }

        /// Metadata the invitee's user gets, visible to the frontend; must be a JSON object.
        pub fn public_metadata(mut self, metadata: impl Into<Value>) -> Self {
            self.new_invitation().public_metadata = Some(metadata.into());
            self
        }

        /// Metadata visible to the backend only; must be a JSON object.
        pub fn private_metadata(mut self, metadata: impl Into<Value>) -> Self {
            self.new_invitation().private_metadata = Some(metadata.into());
            self
        }

        /// Days until the invitation expires, 1 to 365 (Clerk's default is 30).
        pub fn expires_in_days(mut self, days: u32) -> Self {
            self.new_invitation().expires_in_days = Some(days);
            self
        }

        /// Whether Clerk emails the invitee (Clerk's default is `true`).
        pub fn notify(mut self, notify: bool) -> Self {
            self.new_invitation().notify = Some(notify);
            self
        }
    };
}

impl NewInvitation {
    /// An invitation of `email_address` with `role`; options as on [`CreateInvitation`].
    pub fn new(email_address: impl Into<String>, role: impl Into<Role>) -> Self {
        Self {
            email_address: email_address.into(),
            role: role.into(),
            inviter_user_id: None,
            redirect_url: None,
            public_metadata: None,
            private_metadata: None,
            expires_in_days: None,
            notify: None,
        }
    }

    invitation_setters!();

    fn new_invitation(&mut self) -> &mut NewInvitation {
        self
    }

    /// The invitee's email address.
    pub fn email_address(&self) -> &str {
        &self.email_address
    }

    /// The role to grant.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Checks every rule that sending checks, and sends nothing: for a dry run, or to report
    /// every bad row of an import before inviting anyone.
    pub fn validate(&self) -> Result<(), Error> {
        self.clone().into_wire("")?;
        Ok(())
    }

    /// Checks every rule and builds the wire body; `prefix` locates the item in a bulk request
    /// (`invitations[3].`) so the error names the exact field.
    pub(crate) fn into_wire(
        self,
        prefix: &str,
    ) -> Result<types::CreateOrganizationInvitationBody, ValidationError> {
        // Field names are static and only get the bulk item's prefix on failure: a `format!`
        // per field would cost five allocations on every valid create.
        let located = |error: ValidationError| error.prefixed(prefix);
        validate::email("email_address", &self.email_address).map_err(located)?;
        validate::key("role", self.role.as_str()).map_err(located)?;
        if let Some(user_id) = &self.inviter_user_id {
            validate::id("inviter_user_id", user_id).map_err(located)?;
        }
        if let Some(url) = &self.redirect_url {
            validate::redirect_url("redirect_url", url).map_err(located)?;
        }
        let public_metadata = self
            .public_metadata
            .map(|m| validate::metadata("public_metadata", m).map_err(located))
            .transpose()?;
        let private_metadata = self
            .private_metadata
            .map(|m| validate::metadata("private_metadata", m).map_err(located))
            .transpose()?;
        let expires_in_days = match self.expires_in_days {
            Some(days) => {
                validate::expires_in_days("expires_in_days", days).map_err(located)?;
                NonZeroU64::new(u64::from(days))
            }
            None => None,
        };
        Ok(types::CreateOrganizationInvitationBody {
            email_address: self.email_address,
            role: self.role.as_str().to_owned(),
            inviter_user_id: self.inviter_user_id,
            redirect_url: self.redirect_url,
            public_metadata,
            private_metadata,
            expires_in_days,
            notify: self.notify,
        })
    }
}

/// Creates one invitation; see [`Invitations::create`](crate::Invitations::create).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateInvitation {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) invitation: NewInvitation,
    pub(super) check_role: Option<bool>,
    pub(super) options: RequestOptions,
}

impl CreateInvitation {
    invitation_setters!();
    request_option_setters!();
    check_role_setter!();

    fn new_invitation(&mut self) -> &mut NewInvitation {
        &mut self.invitation
    }

    /// Checks every rule [`send`](Self::send) checks, including the organization ID, and sends
    /// nothing.
    pub fn validate(&self) -> Result<(), Error> {
        validate::id("organization_id", &self.organization_id)?;
        self.invitation.validate()
    }

    /// Validates and sends the request. If an attempt's answer is lost, the invitation it
    /// created is returned when the evidence shows it is this call's; see the
    /// [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationInvitation, Error> {
        validate::id("organization_id", &self.organization_id)?;
        let body = self.invitation.into_wire("")?;
        roles::check_role_of_write(&self.handle, self.check_role, &body.role, &self.options)
            .await?;
        let json = json_body(&body)?;
        let organization_id = self.organization_id;
        let args = [&*organization_id];
        let result = self
            .handle
            .send_json(
                Operation::CreateInvitation,
                &self.options,
                &routes::CREATE_ORGANIZATION_INVITATION,
                &args,
                json,
            )
            .await;
        match result {
            Ok(raw) => Ok(OrganizationInvitation::from_raw(raw)),
            Err(failure) => {
                let asked = [Asked::of(&body)];
                // Boxed: this path runs only after a failure, and inline its future would make
                // every create's future larger, to be moved around on every successful call.
                let recovered = Box::pin(recovery::recover_lost_creates(
                    &self.handle,
                    &organization_id,
                    Operation::CreateInvitation,
                    &asked,
                    failure,
                    &self.options,
                ))
                .await?;
                // One asked, so one found; anything else is a bug here, after sending.
                recovered
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::Internal("settling a lost create returned no invitation"))
            }
        }
    }
}

/// Creates 1 to 10 invitations in one request; see [`Invitations::create_bulk`](crate::Invitations::create_bulk).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateInvitationsBulk {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) invitations: Vec<NewInvitation>,
    pub(super) check_role: Option<bool>,
    pub(super) options: RequestOptions,
}

impl CreateInvitationsBulk {
    request_option_setters!();
    check_role_setter!();

    /// Validates every item and sends them in one request. Clerk creates all or none.
    pub async fn send(self) -> Result<Vec<OrganizationInvitation>, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::bulk_size(self.invitations.len())?;
        let body = self
            .invitations
            .into_iter()
            .enumerate()
            .map(|(n, invitation)| {
                let item = invitation.into_wire(&format!("invitations[{n}]."))?;
                Ok(types::CreateOrganizationInvitationBulkBodyItem {
                    email_address: item.email_address,
                    role: item.role,
                    inviter_user_id: item.inviter_user_id,
                    redirect_url: item.redirect_url,
                    public_metadata: item.public_metadata,
                    private_metadata: item.private_metadata,
                    expires_in_days: item.expires_in_days,
                    notify: item.notify,
                })
            })
            .collect::<Result<Vec<_>, ValidationError>>()?;
        if roles::wanted(&self.handle, self.check_role) {
            let asked: Vec<_> = (body.iter().enumerate())
                .map(|(n, item)| {
                    let field = Cow::Owned(format!("invitations[{n}].role"));
                    (field, item.role.as_str())
                })
                .collect();
            Box::pin(roles::check_before_sending(
                &self.handle,
                &asked,
                &self.options,
            ))
            .await?;
        }
        let json = json_body(&body)?;
        let organization_id = self.organization_id;
        let args = [&*organization_id];
        let result: Result<types::OrganizationInvitations, _> = self
            .handle
            .send_json(
                Operation::CreateInvitationsBulk,
                &self.options,
                &routes::CREATE_ORGANIZATION_INVITATION_BULK,
                &args,
                json,
            )
            .await;
        match result {
            Ok(raw) => Ok(raw
                .data
                .into_iter()
                .map(OrganizationInvitation::from_raw)
                .collect()),
            // All or nothing: if a lost attempt landed, every email of the batch is ours.
            Err(failure) => {
                let asked: Vec<Asked<'_>> = body.iter().map(Asked::of_item).collect();
                // Boxed for the same reason as in `CreateInvitation::send`.
                Box::pin(recovery::recover_lost_creates(
                    &self.handle,
                    &organization_id,
                    Operation::CreateInvitationsBulk,
                    &asked,
                    failure,
                    &self.options,
                ))
                .await
            }
        }
    }
}
