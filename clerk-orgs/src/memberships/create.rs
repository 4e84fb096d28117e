//! [`CreateMembership`]: adding an existing user to an organization. A create whose answer was
//! lost is settled by `recovery`, never blindly sent again.

use clerk_bapi_sys::{routes, types};

use super::recovery::{self, AskedMembership};
use super::{Member, Metadata, metadata_setters};
use crate::error::{Error, ValidationError};
use crate::http::json_body;
use crate::lookup::roles::{self, check_role_setter};
use crate::models::{OrganizationMembership, Role};
use crate::operation::Operation;
use crate::policy::request_option_setters;
use crate::validate;

/// Adds a user to an organization; see [`Memberships::create`](crate::Memberships::create).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct CreateMembership {
    pub(super) member: Member,
    pub(super) role: Role,
    pub(super) public_metadata: Metadata,
    pub(super) private_metadata: Metadata,
    pub(super) check_role: Option<bool>,
}

impl CreateMembership {
    request_option_setters!(member.options);
    check_role_setter!();

    metadata_setters!("stored on the membership as given");

    /// Checks every rule [`send`](Self::send) checks locally (not the role check, which needs
    /// the instance's roles), and sends nothing.
    pub fn validate(&self) -> Result<(), Error> {
        self.clone().into_wire()?;
        Ok(())
    }

    /// Checks every rule and builds the wire body (the one place it is built).
    fn into_wire(self) -> Result<types::CreateOrganizationMembershipBody, ValidationError> {
        self.member.validate_ids()?;
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
            user_id: self.member.user_id,
            role: self.role.as_str().to_owned(),
            public_metadata,
            private_metadata,
        })
    }

    /// Validates (and, if asked, checks the role), then sends the request. If an attempt's
    /// answer is lost, the membership it created is returned when the evidence shows it is this
    /// call's; see the [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationMembership, Error> {
        let member = self.member.clone();
        let check_role = self.check_role;
        let body = self.into_wire()?;
        roles::check_role_of_write(&member.handle, check_role, &body.role, &member.options).await?;
        let json = json_body(&body)?;
        let result = member
            .handle
            .send_json(
                Operation::CreateMembership,
                &member.options,
                &routes::CREATE_ORGANIZATION_MEMBERSHIP,
                &[&member.organization_id],
                json,
            )
            .await;
        match result {
            Ok(raw) => Ok(OrganizationMembership::from_raw(raw)),
            Err(failure) => {
                let asked = AskedMembership {
                    role: &body.role,
                    public_metadata: body.public_metadata.as_ref(),
                    private_metadata: body.private_metadata.as_ref(),
                };
                // Boxed: this path runs only after a failure, and inline its future would make
                // every create's future larger.
                Box::pin(recovery::settle_create(&member, &asked, failure)).await
            }
        }
    }
}
