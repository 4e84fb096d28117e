//! Changing a membership: its role ([`UpdateMembershipRole`]) and its metadata
//! ([`UpdateMembershipMetadata`], merged by Clerk). An update whose answer was lost is settled by
//! `recovery` (is the membership now as asked?).

use std::borrow::Cow;
use std::sync::Arc;

use clerk_bapi_sys::{routes, types};
use serde_json::{Map, Value};

use super::Metadata;
use super::recovery::{self, has_role, holds_merge};
use crate::error::{Error, ValidationError};
use crate::http::{Call, Handle, json_body};
use crate::lookup::roles;
use crate::models::{OrganizationMembership, Role};
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// Sets a member's role; see [`Memberships::update_role`](crate::Memberships::update_role).
///
/// Demoting (or, with [`DeleteMembership`](crate::DeleteMembership), removing) the
/// organization's last admin is refused by Clerk: [`Error::is_last_admin`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct UpdateMembershipRole {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) user_id: String,
    pub(super) role: Role,
    pub(super) check_role: Option<bool>,
    pub(super) options: RequestOptions,
}

impl UpdateMembershipRole {
    request_option_setters!();

    /// Whether to check, before sending, that the role is one of the instance's roles, instead
    /// of the client's choice; see [`CreateMembership::check_role`](crate::CreateMembership::check_role).
    pub fn check_role(mut self, check: bool) -> Self {
        self.check_role = Some(check);
        self
    }

    /// The ids and role as checked, and the wire body (the one place it is built).
    fn wire_body(&self) -> Result<types::UpdateOrganizationMembershipBody, ValidationError> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("user_id", &self.user_id)?;
        validate::key("role", self.role.as_str())?;
        Ok(types::UpdateOrganizationMembershipBody {
            role: self.role.as_str().to_owned(),
        })
    }

    /// Validates (and, if asked, checks the role), then sends the request; returns the
    /// membership with its new role. If an attempt's answer is lost, a membership that now has
    /// the role is returned; see the [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationMembership, Error> {
        let body = self.wire_body()?;
        if roles::wanted(&self.handle, self.check_role) {
            let asked = [(Cow::Borrowed("role"), body.role.as_str())];
            Box::pin(roles::check_before_sending(
                &self.handle,
                &asked,
                &self.options,
            ))
            .await?;
        }
        let json = json_body(&body)?;
        let args = [&*self.organization_id, self.user_id.as_str()];
        let result = self
            .handle
            .execute_with(Operation::UpdateMembership, &self.options, |t| {
                t.send(Call {
                    body: Some(json.clone()),
                    ..Call::new(&routes::UPDATE_ORGANIZATION_MEMBERSHIP, &args)
                })
            })
            .await;
        match result {
            Ok(raw) => Ok(OrganizationMembership::from_raw(raw)),
            Err(failure) => {
                Box::pin(recovery::settle_update(
                    &self.handle,
                    &self.organization_id,
                    &self.user_id,
                    Operation::UpdateMembership,
                    has_role(&body.role),
                    failure,
                    &self.options,
                ))
                .await
            }
        }
    }
}

/// Merges metadata into a membership; see
/// [`Memberships::update_metadata`](crate::Memberships::update_metadata).
///
/// Clerk merges deeply, separately for `public_metadata` and `private_metadata` (one not given
/// is left as it is), as its Backend API reference for this route says:
///
/// - a key given with an object merges into the stored object under that key, key by key, at
///   every depth;
/// - a key given with any other value (a string, number, boolean or array) replaces the stored
///   value; arrays are not merged;
/// - a key given as `null` is removed, at any depth;
/// - keys not given are left as they are.
///
/// So `{"a": {"b": 1}}` merged into `{"a": {"c": 2}, "d": 3}` gives `{"a": {"b": 1, "c": 2},
/// "d": 3}`, and `{"d": null}` then gives `{"a": {"b": 1, "c": 2}}`. Merging the same metadata
/// twice leaves the membership as once, which is what makes a retry safe. There is no route to
/// replace a membership's metadata wholesale: remove keys with `null`.
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct UpdateMembershipMetadata {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) user_id: String,
    pub(super) public_metadata: Metadata,
    pub(super) private_metadata: Metadata,
    pub(super) options: RequestOptions,
}

/// The wire body of a metadata merge (the one place it is built): an empty object is the same
/// merge as none, so either may be left out.
fn metadata_body(
    public_metadata: Map<String, Value>,
    private_metadata: Map<String, Value>,
) -> types::UpdateOrganizationMembershipMetadataBody {
    types::UpdateOrganizationMembershipMetadataBody {
        public_metadata,
        private_metadata,
    }
}

impl UpdateMembershipMetadata {
    request_option_setters!();

    /// Metadata to merge into the membership's public metadata (visible to the frontend); must
    /// be a JSON object.
    pub fn public_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.public_metadata = Some(metadata.into());
        self
    }

    /// Metadata to merge into the membership's private metadata (backend only); must be a JSON
    /// object.
    pub fn private_metadata(mut self, metadata: impl Into<Value>) -> Self {
        self.private_metadata = Some(metadata.into());
        self
    }

    /// Validates and sends the request; returns the membership with its merged metadata. If an
    /// attempt's answer is lost, a membership whose metadata holds the merge is returned; see
    /// the [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationMembership, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("user_id", &self.user_id)?;
        let checked = |field: &'static str, metadata: Metadata| {
            metadata
                .map(|m| validate::metadata(field, m))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let public = checked("public_metadata", self.public_metadata)?;
        let private = checked("private_metadata", self.private_metadata)?;
        let body = metadata_body(public, private);
        let json = json_body(&body)?;
        let args = [&*self.organization_id, self.user_id.as_str()];
        let result = self
            .handle
            .execute_with(Operation::UpdateMembershipMetadata, &self.options, |t| {
                t.send(Call {
                    body: Some(json.clone()),
                    ..Call::new(&routes::UPDATE_ORGANIZATION_MEMBERSHIP_METADATA, &args)
                })
            })
            .await;
        match result {
            Ok(raw) => Ok(OrganizationMembership::from_raw(raw)),
            Err(failure) => {
                Box::pin(recovery::settle_update(
                    &self.handle,
                    &self.organization_id,
                    &self.user_id,
                    Operation::UpdateMembershipMetadata,
                    holds_merge(&body.public_metadata, &body.private_metadata),
                    failure,
                    &self.options,
                ))
                .await
            }
        }
    }
}
