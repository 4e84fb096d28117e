//! Settling lost answers of the membership writes, decided on evidence: what a create, role
//! change, metadata merge or delete whose answer was lost really did.
//!
//! Clerk has no idempotency keys. Every write here is retried like any request (a success
//! status is never sent again), which is safe: Clerk refuses a second membership for one user
//! (`already_a_member_in_organization`), and setting a role, merging the same metadata or
//! deleting again leaves the membership as once. When a call still ends without a usable answer
//! after an attempt that may have been processed, the user's membership is looked up (under
//! the call's own retry policy) and the outcome decided by these rules (the
//! [reliability guide](crate::reliability) has them as a table):
//!
//! - **create**: a membership created no earlier than the call's first attempt (on Clerk's
//!   clock, see `lookup::evidence`) with the role and metadata asked for is the call's: it is
//!   returned as created. One older than the call was there before: the last answer stands
//!   (`already_a_member_in_organization` is then true). None at all: nothing was created, the
//!   last answer stands, unless it said "already a member", which contradicts the lookup
//!   ([`Error::Unresolved`]). One created during the call with other contents may be the call's,
//!   changed since by someone, or someone else's: which cannot be told ([`Error::Unresolved`],
//!   [`Unsettled::Changed`]; `updated_at` cannot tell, since a change within the millisecond of
//!   creation leaves it equal to `created_at`).
//! - **role change**: the member has the role asked for: done, the membership is returned
//!   (a role that was already set counts too: what the call asked for holds). Another
//!   role, or no membership: the last answer stands.
//! - **metadata merge**: the member's metadata holds every key of the merge as asked (and none
//!   of the keys it set to `null`): done. Otherwise the last answer stands.
//! - **delete**: a success whose body was lost is [`Removal::Gone`] at once (Clerk acted). Else
//!   no membership left: [`Removal::Gone`] (this call, or someone else meanwhile, removed it).
//!   Still a member: the last answer stands.
//!
//! A lookup that fails, or that has no `Date` to date a found membership by, leaves the call
//! [`Error::Unresolved`] (delivery unknown), except after a success whose body was lost, which
//! stays [`Delivery::Processed`](crate::Delivery::Processed).
//!
//! [`Error::Unresolved`]: crate::Error::Unresolved
//! [`Unsettled::Changed`]: crate::Unsettled::Changed
//! [`Removal::Gone`]: super::Removal::Gone

use serde_json::{Map, Value};

use super::list::fetch;
use super::{Member, Removal};
use crate::error::{DecodeError, Delivery, Error, ErrorCode, Unsettled};
use crate::lookup::evidence::{ClerkClock, refused_on_its_own, unsettled};
use crate::lookup::paging::Query;
use crate::models::OrganizationMembership;
use crate::operation::Operation;
use crate::policy::CallFailure;

/// Codes an earlier attempt of the same create could have caused by landing: the user is now a
/// member, or took the last seat.
const CAUSED_BY_AN_EARLIER_CREATE: &[ErrorCode] = &[
    ErrorCode::AlreadyAMemberInOrganization,
    ErrorCode::OrganizationMembershipQuotaExceeded,
    ErrorCode::InsufficientSeats,
];

/// What an earlier attempt of the same delete causes by landing: the membership is gone.
const CAUSED_BY_AN_EARLIER_DELETE: &[ErrorCode] = &[ErrorCode::ResourceNotFound];

/// A user's membership, if any, and Clerk's clock when it was looked up.
pub(super) struct Found {
    pub(super) membership: Option<OrganizationMembership>,
    clock: ClerkClock,
}

/// How many memberships a lookup by user id reads: Clerk filters by the id, so one is
/// expected; a few more cost nothing and show a filter a server ignored.
const LOOKUP_PAGE: &str = "10";

/// The member's membership of the organization, if there is one (under the request's own
/// options: its retry policy and rate-limit mode).
pub(super) async fn lookup_membership(member: &Member) -> Result<Found, Error> {
    let user_id = member.user_id.as_str();
    let mut query = Query::default();
    query.push("user_id", user_id);
    query.push("limit", LOOKUP_PAGE);
    let handle = &member.handle;
    let answer = fetch(
        handle,
        Some(&member.organization_id),
        &mut query,
        &member.options,
    )
    .await?;
    let clock = ClerkClock::read(answer.headers(), handle.clock());
    let page = answer.into_inner();
    let read = page.data.len();
    let more = u64::try_from(page.total_count).unwrap_or(0) > read as u64;
    let membership = page
        .data
        .into_iter()
        .map(OrganizationMembership::from_raw)
        .find(|membership| membership.user_id() == Some(user_id));
    // Other users' memberships, and more than were read: the filter was ignored, and the
    // membership may be among those not read. Absent is then not an answer.
    if membership.is_none() && read > 0 && more {
        let how = format!(
            "the memberships filtered by user_id {user_id} hold {read} of others' (of {}) and \
             not theirs: the server ignored the filter",
            page.total_count
        );
        let error = DecodeError::contradiction(Operation::ListMemberships, how);
        return Err(Error::Decode(Box::new(error)));
    }
    Ok(Found { membership, clock })
}

/// Whether `stored` (a membership's metadata) holds `merged` as Clerk's deep merge leaves it:
/// every key set to `null` is absent, every object is held key by key, every other value is
/// equal.
fn holds(stored: &Map<String, Value>, merged: &Map<String, Value>) -> bool {
    merged
        .iter()
        .all(|(key, value)| match (value, stored.get(key)) {
            (Value::Null, stored) => stored.is_none(),
            (Value::Object(merged), Some(Value::Object(stored))) => holds(stored, merged),
            (value, Some(stored)) => value == stored,
            (_, None) => false,
        })
}

/// What one create asked for (besides its user).
pub(super) struct AskedMembership<'a> {
    pub(super) role: &'a str,
    pub(super) public_metadata: Option<&'a Map<String, Value>>,
    pub(super) private_metadata: Option<&'a Map<String, Value>>,
}

impl AskedMembership<'_> {
    /// Whether `membership` carries exactly what was asked (Clerk stores an unset metadata as
    /// an empty object).
    fn matches(&self, membership: &OrganizationMembership) -> bool {
        let same = |asked: Option<&Map<String, Value>>, stored: &Map<String, Value>| {
            asked.map_or(stored.is_empty(), |asked| asked == stored)
        };
        membership.role.as_str() == self.role
            && same(self.public_metadata, &membership.public_metadata)
            && same(self.private_metadata, &membership.private_metadata)
    }
}

/// Settles a failed create: the membership if this call created it, otherwise the truthful
/// error; see the module's rules.
pub(super) async fn settle_create(
    member: &Member,
    asked: &AskedMembership<'_>,
    failure: CallFailure,
) -> Result<OrganizationMembership, Error> {
    const OPERATION: Operation = Operation::CreateMembership;
    if !failure.may_have_landed() || refused_on_its_own(&failure.error, CAUSED_BY_AN_EARLIER_CREATE)
    {
        return Err(failure.error);
    }
    let said_member = failure.error.is_already_member();
    let found = match lookup_membership(member).await {
        Ok(found) => found,
        Err(lookup) => {
            return Err(unsettled(
                OPERATION,
                Unsettled::LookupFailed,
                failure,
                Some(lookup),
            ));
        }
    };
    let Some(membership) = found.membership else {
        // Nothing to find: nothing was created (or it was removed within the same moment).
        return Err(if said_member {
            unsettled(OPERATION, Unsettled::NotFound, failure, None)
        } else {
            failure.error
        });
    };
    let Some(earliest_ours) = found.clock.earliest_ours(failure.started) else {
        return Err(unsettled(
            OPERATION,
            Unsettled::NoClockEvidence,
            failure,
            None,
        ));
    };
    if membership.created_at < earliest_ours {
        // There before this call: the user already was a member.
        return Err(failure.error);
    }
    if asked.matches(&membership) {
        tracing::info!(
            operation = OPERATION.id(),
            "an attempt whose answer was lost had created the membership; returning it"
        );
        return Ok(membership);
    }
    // Created during the call with other contents: this call's, changed by someone since, or
    // someone else's; nothing tells which. `updated_at` cannot: a change within the
    // millisecond of creation leaves it equal to `created_at` (the simulator's seeds 4907, an
    // acceptance setting the role of the membership the lost attempt had just made, and 6018,
    // a metadata merge).
    Err(unsettled(OPERATION, Unsettled::Changed, failure, None))
}

/// Settles a failed role change or metadata merge: the membership if it now is as the call
/// asked (`done`), otherwise the truthful error.
pub(super) async fn settle_update(
    member: &Member,
    operation: Operation,
    done: impl Fn(&OrganizationMembership) -> bool,
    failure: CallFailure,
) -> Result<OrganizationMembership, Error> {
    // An update landing leaves nothing a later attempt is refused for: any readable refusal
    // (the last admin, an unknown role, no such member) is the call's answer.
    if !failure.may_have_landed() || refused_on_its_own(&failure.error, &[]) {
        return Err(failure.error);
    }
    let found = match lookup_membership(member).await {
        Ok(found) => found,
        Err(lookup) => {
            return Err(unsettled(
                operation,
                Unsettled::LookupFailed,
                failure,
                Some(lookup),
            ));
        }
    };
    match found.membership {
        Some(membership) if done(&membership) => {
            tracing::info!(
                operation = operation.id(),
                "an update whose answer was lost is in place; returning the membership"
            );
            Ok(membership)
        }
        // Not as asked, or no longer a member: the last answer stands.
        _ => Err(failure.error),
    }
}

/// Whether `membership` has `role`.
pub(super) fn has_role(role: &str) -> impl Fn(&OrganizationMembership) -> bool + '_ {
    move |membership| membership.role.as_str() == role
}

/// Whether `membership`'s metadata holds both merges.
pub(super) fn holds_merge<'a>(
    public: &'a Map<String, Value>,
    private: &'a Map<String, Value>,
) -> impl Fn(&OrganizationMembership) -> bool + 'a {
    move |membership| {
        holds(&membership.public_metadata, public) && holds(&membership.private_metadata, private)
    }
}

/// Settles a failed delete; see the module's rules.
pub(super) async fn settle_delete(member: &Member, failure: CallFailure) -> Result<Removal, Error> {
    const OPERATION: Operation = Operation::DeleteMembership;
    if failure.error.delivery() == Delivery::Processed {
        tracing::info!(
            operation = OPERATION.id(),
            "Clerk answered the delete with a success whose body was lost"
        );
        return Ok(Removal::Gone);
    }
    if !failure.may_have_landed() || refused_on_its_own(&failure.error, CAUSED_BY_AN_EARLIER_DELETE)
    {
        return Err(failure.error);
    }
    match lookup_membership(member).await {
        Ok(Found {
            membership: None, ..
        }) => {
            tracing::info!(
                operation = OPERATION.id(),
                "a delete whose answer was lost left no membership"
            );
            Ok(Removal::Gone)
        }
        Ok(_) => Err(failure.error),
        Err(lookup) => Err(unsettled(
            OPERATION,
            Unsettled::LookupFailed,
            failure,
            Some(lookup),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_deep_merge_is_held_key_by_key_and_nulls_are_gone() {
        let stored = map(json!({"team": "core", "prefs": {"theme": "dark", "lang": "en"}, "n": 1}));
        for (merge, held) in [
            (json!({}), true),
            (json!({"team": "core"}), true),
            (json!({"prefs": {"theme": "dark"}}), true),
            (json!({"gone": null}), true),
            (json!({"prefs": {"old": null}}), true),
            (json!({"team": "design"}), false),
            (json!({"team": null}), false),
            (json!({"prefs": {"theme": "light"}}), false),
            (json!({"n": {"x": 1}}), false),
            (json!({"new": [1, 2]}), false),
        ] {
            assert_eq!(holds(&stored, &map(merge.clone())), held, "{merge}");
        }
    }
}
