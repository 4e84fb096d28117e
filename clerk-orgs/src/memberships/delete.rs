//! [`DeleteMembership`]: removing a member; a delete whose answer was lost is settled by
//! `recovery` ([`Removal::Gone`]).

use clerk_bapi_sys::{routes, types};

use super::{Member, recovery};
use crate::error::Error;
use crate::http::Call;
use crate::models::OrganizationMembership;
use crate::operation::Operation;
use crate::policy::request_option_setters;

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
    pub(super) member: Member,
}

impl DeleteMembership {
    request_option_setters!(member.options);

    /// Validates the ids and sends the request. If an attempt's answer is lost, the membership
    /// is looked up: none left is [`Removal::Gone`]; see the
    /// [reliability guide](crate::reliability).
    pub async fn send(self) -> Result<Removal, Error> {
        let member = &self.member;
        member.validate_ids()?;
        let args = member.args();
        let result: Result<types::OrganizationMembership, _> = member
            .handle
            .execute_with(Operation::DeleteMembership, &member.options, |t| {
                t.send(Call::new(&routes::DELETE_ORGANIZATION_MEMBERSHIP, &args))
            })
            .await;
        match result {
            Ok(raw) => Ok(Removal::Removed(OrganizationMembership::from_raw(raw))),
            // Boxed: this path runs only after a failure.
            Err(failure) => Box::pin(recovery::settle_delete(member, failure)).await,
        }
    }
}
