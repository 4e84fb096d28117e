//! Settling lost answers without idempotency keys: what a create or revoke whose answer was lost
//! really did, decided on evidence.
//!
//! Clerk has no idempotency keys, so when an attempt's answer is lost (a timeout after sending, a
//! dropped connection, a 5xx, a success whose body did not arrive whole) the client cannot know
//! whether Clerk acted. Retrying is still safe for creates, because Clerk refuses a second pending
//! invitation for one email (`duplicate_record`); a success answer is never sent again. When such
//! a call fails after an attempt whose answer was lost, whatever its last answer (even a refusal
//! on its own merits: it is about the retry, and the organization may have changed since the
//! lost attempt), the pending invitation for each email is looked up and the call's outcome
//! decided by these rules:
//!
//! 1. **Ours**: the invitation was created no earlier than the call's first attempt, on Clerk's
//!    clock, and has the role, inviter and metadata asked for. The call returns it as created.
//!    Clerk's clock is read from the lookup's `Date` header, minus the time the client's clock
//!    says passed since the first attempt began, minus a margin for skew between Clerk's servers
//!    (`lookup::evidence`, shared with the other features' lookups).
//! 2. **Not ours**: a pending invitation that is older, or differs from what was asked, was there
//!    before (or came from someone else): this call created nothing, and it returns its last
//!    answer (for `duplicate_record`, "already invited", which is then true).
//! 3. **Nothing pending**: no invitation exists for the email, so none was created (one accepted
//!    or revoked within the same moment would look the same). The call returns its last answer,
//!    whose [`Error::delivery`] still says what that answer alone showed. If that answer was
//!    `duplicate_record`, which says one exists, the two contradict each other: unknown.
//! 4. **Unknown**: the lookup failed, or Clerk sent no usable `Date`. The call fails with
//!    [`Error::Unresolved`] (delivery unknown), never with a certainty it does not have. A success
//!    whose body was lost stays [`Delivery::Processed`](crate::Delivery).
//!
//! A bulk create is all or nothing: it is ours only if every email's invitation is ours; one that
//! is not ours shows the batch was refused.
//!
//! What cannot be told apart without idempotency keys: someone else inviting the same email with
//! the same role, inviter and metadata within the same few seconds as this call.

use clerk_bapi_sys::{ResponseValue, routes, types};
use serde_json::{Map, Value};

use crate::error::{Delivery, Error, Unsettled};
use crate::http::{Call, Handle};
use crate::lookup::evidence::{ClerkClock, unsettled};
use crate::models::{InvitationStatus, OrganizationInvitation};
use crate::operation::Operation;
use crate::policy::{CallFailure, RequestOptions};

/// What one create asked for, as far as Clerk's invitation shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    pub(crate) email_address: &'a str,
    pub(crate) role: &'a str,
    pub(crate) inviter_user_id: Option<&'a str>,
    pub(crate) public_metadata: Option<&'a Map<String, Value>>,
    pub(crate) private_metadata: Option<&'a Map<String, Value>>,
}

/// The body fields a create and a bulk item share, as `Asked`.
macro_rules! asked_from {
    ($body:expr) => {
        Asked {
            email_address: &$body.email_address,
            role: &$body.role,
            inviter_user_id: $body.inviter_user_id.as_deref(),
            public_metadata: $body.public_metadata.as_ref(),
            private_metadata: $body.private_metadata.as_ref(),
        }
    };
}

impl<'a> Asked<'a> {
    /// What a single create's body asks for.
    pub(crate) fn of(body: &'a types::CreateOrganizationInvitationBody) -> Self {
        asked_from!(body)
    }

    /// What one item of a bulk create's body asks for.
    pub(crate) fn of_item(item: &'a types::CreateOrganizationInvitationBulkBodyItem) -> Self {
        asked_from!(item)
    }
}

impl Asked<'_> {
    /// Whether `invitation` carries exactly what was asked (Clerk stores an unset metadata as an
    /// empty object).
    pub(crate) fn matches(&self, invitation: &OrganizationInvitation) -> bool {
        let same_metadata = |asked: Option<&Map<String, Value>>, stored: &Map<String, Value>| {
            asked.map_or(stored.is_empty(), |asked| asked == stored)
        };
        invitation.role.as_str() == self.role
            && invitation.inviter_id.as_deref() == self.inviter_user_id
            && same_metadata(self.public_metadata, &invitation.public_metadata)
            && same_metadata(self.private_metadata, &invitation.private_metadata)
    }
}

/// An email's newest invitations, and Clerk's clock when they were looked up.
pub(crate) struct Lookup {
    /// Newest first, in every status: the one a lost attempt created may have been accepted or
    /// revoked since.
    invitations: Vec<OrganizationInvitation>,
    /// Clerk's clock and the client's when the answer arrived.
    clock: ClerkClock,
}

impl Lookup {
    /// The email's pending invitation, if there is one.
    pub(crate) fn into_pending(self) -> Option<OrganizationInvitation> {
        self.invitations
            .into_iter()
            .find(|invitation| invitation.status == InvitationStatus::Pending)
    }

    fn has_pending(&self) -> bool {
        self.invitations
            .iter()
            .any(|invitation| invitation.status == InvitationStatus::Pending)
    }
}

/// How many of an email's newest invitations a lookup reads: the one a call just created is the
/// newest, and older ones only matter as "already there".
const LOOKUP_PAGE: &str = "10";

/// The newest invitations to `email_address` in the organization, in every status.
pub(crate) async fn lookup_invitations(
    handle: &Handle,
    organization_id: &str,
    email_address: &str,
    options: &RequestOptions,
) -> Result<Lookup, Error> {
    let args = [organization_id];
    // In name order, as the generated bindings sent them.
    let query = [
        ("email_address", email_address),
        ("limit", LOOKUP_PAGE),
        ("order_by", "-created_at"),
    ];
    let answer: ResponseValue<types::OrganizationInvitations> = handle
        .execute_raw(Operation::ListInvitations, options, |t| {
            t.send(Call {
                query: &query,
                ..Call::new(&routes::LIST_ORGANIZATION_INVITATIONS, &args)
            })
        })
        .await?;
    let clock = ClerkClock::read(answer.headers(), handle.clock());
    let invitations = answer
        .into_inner()
        .data
        .into_iter()
        .map(OrganizationInvitation::from_raw)
        .filter(|invitation| invitation.email_address.eq_ignore_ascii_case(email_address))
        .collect();
    Ok(Lookup { invitations, clock })
}

/// The email addresses a `duplicate_record` or `already_a_member_in_organization` error names in
/// its `meta.email_addresses`, lowercased; `None` when it names none.
pub(crate) fn emails_named_by(error: &Error) -> Option<Vec<String>> {
    let emails: Vec<String> = error
        .api()?
        .errors()
        .iter()
        .filter_map(|detail| detail.meta.get("email_addresses")?.as_array())
        .flatten()
        .filter_map(|email| email.as_str())
        .map(str::to_lowercase)
        .collect();
    (!emails.is_empty()).then_some(emails)
}

/// What the lookup of one email says about the call.
enum Finding {
    Ours(Box<OrganizationInvitation>),
    /// Someone else's, older, or none at all: this call created nothing.
    NotOurs,
    Unknown(Unsettled, Option<Error>),
}

/// What the last answer says is pending: nothing (not a `duplicate_record`), the emails a
/// `duplicate_record` names (lowercased), or every email when it names none.
enum SaidPending {
    Nothing,
    Named(Vec<String>),
    Everyone,
}

impl SaidPending {
    fn of(error: &Error) -> Self {
        if !error.is_duplicate_invitation() {
            return SaidPending::Nothing;
        }
        emails_named_by(error).map_or(SaidPending::Everyone, SaidPending::Named)
    }

    fn includes(&self, email_address: &str) -> bool {
        match self {
            SaidPending::Nothing => false,
            SaidPending::Named(named) => named.contains(&email_address.to_lowercase()),
            SaidPending::Everyone => true,
        }
    }
}

/// Applies the rules of this module to one email.
async fn find(
    handle: &Handle,
    organization_id: &str,
    asked: &Asked<'_>,
    failure: &CallFailure,
    said_pending: &SaidPending,
    options: &RequestOptions,
) -> Finding {
    let said_pending = said_pending.includes(asked.email_address);
    let lookup =
        match lookup_invitations(handle, organization_id, asked.email_address, options).await {
            Ok(lookup) => lookup,
            Err(error) => return Finding::Unknown(Unsettled::LookupFailed, Some(error)),
        };
    let Some(earliest_ours) = lookup.clock.earliest_ours(failure.started) else {
        // Without Clerk's clock nothing found can be dated; only "nothing there" still speaks.
        return if lookup.invitations.is_empty() && !said_pending {
            Finding::NotOurs
        } else {
            Finding::Unknown(Unsettled::NoClockEvidence, None)
        };
    };
    let has_pending = lookup.has_pending();
    // This call's invitation, whatever became of it since (the invitee may already have
    // accepted it, which makes a retry meet `already_a_member_in_organization`).
    let ours = lookup
        .invitations
        .into_iter()
        .find(|invitation| invitation.created_at >= earliest_ours && asked.matches(invitation));
    match ours {
        Some(invitation) => Finding::Ours(Box::new(invitation)),
        // Clerk said one exists, and none is pending: it may have been ours, accepted or
        // revoked by someone who changed it, or anything else.
        None if !has_pending && said_pending => Finding::Unknown(Unsettled::NotFound, None),
        None => Finding::NotOurs,
    }
}

/// Settles a failed create of the `asked` invitations (one, or a bulk batch): the invitations if
/// this call created them, otherwise the truthful error; see the module's rules. The lookups run
/// under the call's own `options` (its retry policy and rate-limit mode).
pub(crate) async fn recover_lost_creates(
    handle: &Handle,
    organization_id: &str,
    operation: Operation,
    asked: &[Asked<'_>],
    failure: CallFailure,
    options: &RequestOptions,
) -> Result<Vec<OrganizationInvitation>, Error> {
    let error = &failure.error;
    // After an attempt that may have landed, even a refusal on the last attempt's own merits
    // is looked up: it says the retry was refused, not that the lost attempt was. The
    // organization can change between the two (the simulator's seed 4016: the inviter was
    // demoted, the retry refused with `not_an_admin_in_organization`, the invitation made).
    if !failure.may_have_landed() {
        return Err(failure.error);
    }
    // No shortcut on which emails a `duplicate_record` names: it names pending invitations only,
    // so one the lost attempt created and its invitee accepted since is not among them (the
    // simulator's seed 3689). Each email is looked up; one that is not this call's settles it.
    let said_pending = SaidPending::of(error);
    let mut found = Vec::with_capacity(asked.len());
    for one in asked {
        match find(
            handle,
            organization_id,
            one,
            &failure,
            &said_pending,
            options,
        )
        .await
        {
            Finding::Ours(invitation) => found.push(*invitation),
            Finding::NotOurs => return Err(failure.error),
            Finding::Unknown(why, lookup_error) => {
                return Err(unsettled(operation, why, failure, lookup_error));
            }
        }
    }
    tracing::info!(
        operation = operation.id(),
        invitations = found.len(),
        "an attempt whose answer was lost had created the invitations; returning them"
    );
    Ok(found)
}

/// Settles a failed revoke whose earlier attempt may have landed (whatever the last attempt was
/// told: the invitation is not pending, or a refusal of the retry alone, such as a revoking
/// user demoted in between) or whose success body was lost, by fetching the invitation:
///
/// - revoked, and a revoke attempt was answered with a success status: this call revoked it;
/// - revoked no earlier than the call's first attempt (on Clerk's clock, as for creates: the
///   fetch's `Date`, less the time since the first attempt, less the margin of `lookup::evidence`): revoked
///   during this call, which returns it. Someone else revoking it in those same moments looks
///   the same; nothing tells the two apart;
/// - revoked earlier, or not revoked at all (accepted, expired): this call revoked nothing, and
///   it returns Clerk's `organization_invitation_not_pending`, as a call without the lost answer
///   would have;
/// - the fetch failed, or its answer had no usable `Date`: [`Error::Unresolved`] (a success
///   whose body was lost keeps its [`Delivery::Processed`] error instead).
pub(crate) async fn recover_lost_revoke(
    handle: &Handle,
    organization_id: &str,
    invitation_id: &str,
    failure: CallFailure,
    options: &RequestOptions,
) -> Result<OrganizationInvitation, Error> {
    let processed = failure.error.delivery() == Delivery::Processed;
    // After a lost attempt, even a refusal on the retry's own merits is checked: revoking as an
    // admin demoted between the attempts, the retry's `not_an_admin_in_organization` says
    // nothing of the lost attempt, which may have revoked it (as for creates, seed 4016).
    if !(processed || failure.earlier_attempt_may_have_landed) {
        return Err(failure.error);
    }
    let args = [organization_id, invitation_id];
    let fetched: Result<ResponseValue<types::OrganizationInvitation>, _> = handle
        .execute_raw(Operation::GetInvitation, options, |t| {
            t.send(Call::new(&routes::GET_ORGANIZATION_INVITATION, &args))
        })
        .await;
    let answer = match fetched {
        Ok(answer) => answer,
        Err(_) if processed => return Err(failure.error),
        Err(lookup) => {
            return Err(unsettled(
                Operation::RevokeInvitation,
                Unsettled::LookupFailed,
                failure,
                Some(lookup.error),
            ));
        }
    };
    let clock = ClerkClock::read(answer.headers(), handle.clock());
    let invitation = OrganizationInvitation::from_raw(answer.into_inner());
    if invitation.status != InvitationStatus::Revoked {
        // Revoked is final: an invitation that is not revoked now was not revoked by this call.
        return Err(failure.error);
    }
    if !processed {
        let Some(earliest) = clock.earliest_ours(failure.started) else {
            return Err(unsettled(
                Operation::RevokeInvitation,
                Unsettled::NoClockEvidence,
                failure,
                None,
            ));
        };
        if invitation.updated_at < earliest {
            // Revoked before this call began: the "not pending" it was told is the whole truth.
            return Err(failure.error);
        }
    }
    tracing::info!(
        operation = Operation::RevokeInvitation.id(),
        "an attempt whose answer was lost had revoked the invitation; returning it"
    );
    Ok(invitation)
}
