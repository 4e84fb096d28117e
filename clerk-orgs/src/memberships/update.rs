//! Changing a membership: its role ([`UpdateMembershipRole`]) and its metadata
//! ([`UpdateMembershipMetadata`], merged by Clerk). An update whose answer was lost is settled by
//! `recovery` (is the membership now as asked?).

use clerk_bapi_sys::{Route, routes, types};
use serde::Serialize;
use serde_json::{Map, Value};

use super::recovery::{self, has_role, holds_merge};
use super::{Member, Metadata, metadata_setters};
use crate::error::{Error, ValidationError};
use crate::http::json_body;
use crate::lookup::roles::{self, check_role_setter};
use crate::models::{OrganizationMembership, Role};
use crate::operation::Operation;
use crate::policy::request_option_setters;
use crate::validate;

/// Sets a member's role; see [`Memberships::update_role`](crate::Memberships::update_role).
///
/// Demoting (or, with [`DeleteMembership`](crate::DeleteMembership), removing) the
/// organization's last admin is refused by Clerk: [`Error::is_last_admin`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct UpdateMembershipRole {
    pub(super) member: Member,
    pub(super) role: Role,
    pub(super) check_role: Option<bool>,
}

impl UpdateMembershipRole {
    request_option_setters!(member.options);

    check_role_setter!();

    /// The ids and role as checked, and the wire body (the one place it is built).
    fn wire_body(&self) -> Result<types::UpdateOrganizationMembershipBody, ValidationError> {
        self.member.validate_ids()?;
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
        let member = &self.member;
        roles::check_role_of_write(&member.handle, self.check_role, &body.role, &member.options)
            .await?;
        let done = has_role(&body.role);
        member
            .update(
                Operation::UpdateMembership,
                &routes::UPDATE_ORGANIZATION_MEMBERSHIP,
                &body,
                done,
            )
            .await
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
    pub(super) member: Member,
    pub(super) public_metadata: Metadata,
    pub(super) private_metadata: Metadata,
}

/// The wire body of a metadata merge (the one place it is built): an empty object is the same
/// merge as none, so either may be left out.
fn metadata_body(
    public_metadata: Map<String, Value>,
    private_metadata: Map<String, Value>,
) -> types::UpdateOrganizationMembershipMetadataBody {
    let given = |metadata: Map<String, Value>| (!metadata.is_empty()).then_some(metadata);
    types::UpdateOrganizationMembershipMetadataBody {
        public_metadata: given(public_metadata),
        private_metadata: given(private_metadata),
    }
}

impl UpdateMembershipMetadata {
    request_option_setters!(member.options);

    metadata_setters!("merged into the membership's by Clerk");

    /// Validates and sends the request; returns the membership with its merged metadata. If an
    /// attempt's answer is lost, a membership whose metadata holds the merge is returned; see
    /// the [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<OrganizationMembership, Error> {
        self.member.validate_ids()?;
        let checked = |field: &'static str, metadata: Metadata| {
            metadata
                .map(|m| validate::metadata(field, m))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let public = checked("public_metadata", self.public_metadata)?;
        let private = checked("private_metadata", self.private_metadata)?;
        let body = metadata_body(public, private);
        let none = Map::new();
        let done = holds_merge(
            body.public_metadata.as_ref().unwrap_or(&none),
            body.private_metadata.as_ref().unwrap_or(&none),
        );
        self.member
            .update(
                Operation::UpdateMembershipMetadata,
                &routes::UPDATE_ORGANIZATION_MEMBERSHIP_METADATA,
                &body,
                done,
            )
            .await
    }
}

impl Member {
    /// Sends `body` to `route` and returns the updated membership; a lost answer is settled by
    /// looking the membership up and asking `done` whether it is as the update asked.
    async fn update(
        &self,
        operation: Operation,
        route: &'static Route,
        body: &impl Serialize,
        done: impl Fn(&OrganizationMembership) -> bool,
    ) -> Result<OrganizationMembership, Error> {
        let json = json_body(body)?;
        let result = self
            .handle
            .send_json(operation, &self.options, route, &self.args(), json)
            .await;
        match result {
            Ok(raw) => Ok(OrganizationMembership::from_raw(raw)),
            // Boxed: this path runs only after a failure, and inline its future would make
            // every update's future larger.
            Err(failure) => Box::pin(recovery::settle_update(self, operation, done, failure)).await,
        }
    }
}
