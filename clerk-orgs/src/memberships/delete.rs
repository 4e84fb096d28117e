//! [`DeleteMembership`]: removing a member; a delete whose answer was lost is settled by
//! `recovery` ([`Removal::Gone`]).

use std::sync::Arc;

use clerk_bapi_sys::{routes, types};

use super::recovery;
use crate::error::Error;
use crate::http::{Call, Handle};
use crate::models::OrganizationMembership;
use crate::operation::Operation;
use crate::policy::{RequestOptions, request_option_setters};
use crate::validate;

/// What a successful delete knows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// `Removed` is the common case: boxing it would cost every delete an allocation to save a few
// hundred bytes of the rare `Gone`.
#[allow(clippy::large_enum_variant)]
pub enum Removal {
    /// Clerk answered: the membership as it was removed.
    Removed(OrganizationMembership),
    /// The user is not a member any more, but Clerk's answer to this call was lost: either
    /// Clerk answered with a success whose body did not arrive whole (this call removed it), or
    /// an attempt's answer was lost and a lookup found no membership left (this call, or someone
    /// else meanwhile, removed it).
    Gone,
}

impl Removal {
    /// The removed membership, when Clerk's answer arrived.
    pub fn membership(&self) -> Option<&OrganizationMembership> {
        match self {
            Removal::Removed(membership) => Some(membership),
            Removal::Gone => None,
        }
    }
}

/// Removes a member; see [`Memberships::delete`](crate::Memberships::delete).
///
/// Removing the organization's last admin is refused by Clerk: [`Error::is_last_admin`]. A user
/// who is not a member is [`Error::is_not_found`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until `send().await`"]
pub struct DeleteMembership {
    pub(super) handle: Arc<Handle>,
    pub(super) organization_id: Arc<str>,
    pub(super) user_id: String,
    pub(super) options: RequestOptions,
}

impl DeleteMembership {
    request_option_setters!();

    /// Validates the ids and sends the request. If an attempt's answer is lost, the membership
    /// is looked up: none left is [`Removal::Gone`]; see the
    /// [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<Removal, Error> {
        validate::id("organization_id", &self.organization_id)?;
        validate::id("user_id", &self.user_id)?;
        let args = [&*self.organization_id, self.user_id.as_str()];
        let result: Result<types::OrganizationMembership, _> = self
            .handle
            .execute_with(Operation::DeleteMembership, &self.options, |t| {
                t.send(Call::new(&routes::DELETE_ORGANIZATION_MEMBERSHIP, &args))
            })
            .await;
        match result {
            Ok(raw) => Ok(Removal::Removed(OrganizationMembership::from_raw(raw))),
            Err(failure) => {
                Box::pin(recovery::settle_delete(
                    &self.handle,
                    &self.organization_id,
                    &self.user_id,
                    failure,
                    &self.options,
                ))
                .await
            }
        }
    }
}
