//! [`CreateMembership`]: adding an existing user to an organization. A create whose answer was
//! lost is settled by `recovery`, never blindly sent again.

use std::borrow::Cow;
use std::sync::Arc;

use clerk_bapi_sys::{routes, types};
use serde_json::Value;

use super::Metadata;
use super::recovery::{self, AskedMembership};
use crate::error::{Error, ValidationError};
use crate::http::{Call, Handle, json_body};
use crate::lookup::roles;
use crate::models::{OrganizationMembership, Role};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Adds a user to an organization; see [`Memberships::create`](crate::Memberships::create).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateMembership {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) user_id: String,
    pub(super) role: Role,
    pub(super) public_metadata: Metadata,
    pub(super) private_metadata: Metadata,
    pub(super) check_role: Option<bool>,
    pub(super) options: RequestOptions,
}

impl CreateMembership {
    request_option_setters!();

    /// Metadata of the membership visible to the frontend; must be a JSON object.
    pub fn public_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.public_metadata = Some(metadata.into());
        self
    }

    /// Metadata of the membership visible to the backend only; must be a JSON object.
    pub fn private_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.private_metadata = Some(metadata.into());
        self
    }

    /// Whether to check, before sending, that the role is one of the instance's roles (from
    /// the cached list; see [`OrganizationRoles::check`](crate::OrganizationRoles::check)),
    /// instead of the client's choice ([`ClientBuilder::check_roles`](crate::ClientBuilder::check_roles)).
    pub fn check_role(mut self, check: bool) -> Self {
        self.check_role = Some(check);
        self
    }

    /// Checks every rule [`send`](Self::send) checks locally (not the role check, which needs
    /// the instance's roles), and sends nothing.
    pub fn validate(&self) -> Result<(), Error> {
        self.clone().into_wire()?;
        Ok(())
    }

    /// Checks every rule and builds the wire body (the one place it is built).
    fn into_wire(self) -> Result<types::CreateOrganizationMembershipBody, ValidationError> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("user_id", &self.user_id)?;
        validate::key("role", self.role.as_str())?;
        let public_metadata = self
            .public_metadata
            .map(|m| validate::metadata("public_metadata", m))
            .transpose()?;
        let private_metadata = self
            .private_metadata
            .map(|m| validate::metadata("private_metadata", m))
            .transpose()?;
        Ok(types::CreateOrganizationMembershipBody {
            user_id: self.user_id,
            role: self.role.as_str().to_owned(),
            public_metadata,
            private_metadata,
        })
    }

    /// Validates (and, if asked, checks the role), then sends the request. If an attempt's
    /// answer is lost, the membership it created is returned when the evidence shows it is this
    /// call's; see the [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationMembership, Error> {
        let handle = self.handle.clone();
        let organization_id = self.organization_id.clone();
        let options = self.options.clone();
        let check_role = self.check_role;
        let body = self.into_wire()?;
        if roles::wanted(&handle, check_role) {
            let asked = [(Cow::Borrowed("role"), body.role.as_str())];
            Box::pin(roles::check_before_sending(&handle, &asked, &options)).await?;
        }
        let json = json_body(&body)?;
        let args = [&*organization_id];
        let result = handle
            .execute_with(Operation::CreateMembership, &options, |t| {
                t.send(Call {
                    body: Some(json.clone()),
                    ..Call::new(&routes::CREATE_ORGANIZATION_MEMBERSHIP, &args)
                })
            })
            .await;
        match result {
            Ok(raw) => Ok(OrganizationMembership::from_raw(raw)),
            Err(failure) => {
                let asked = AskedMembership {
                    user_id: &body.user_id,
                    role: &body.role,
                    public_metadata: body.public_metadata.as_ref(),
                    private_metadata: body.private_metadata.as_ref(),
                };
                // Boxed: this path runs only after a failure, and inline its future would make
                // every create's future larger.
                Box::pin(recovery::settle_create(
                    &handle,
                    &organization_id,
                    &asked,
                    failure,
                    &options,
                ))
                .await
            }
        }
    }
}
