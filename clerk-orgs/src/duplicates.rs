//! Duplicate-free creates without idempotency keys.
//!
//! Clerk has no idempotency keys, so when a create's answer is lost (a timeout after sending, a
//! dropped connection, a 500, a garbled body) the client cannot know whether the invitation
//! exists. Not retrying would report a failure for an invitation that may exist; blindly retrying
//! could invite twice. What makes retrying safe is Clerk itself: it refuses a second pending
//! invitation for the same email with `duplicate_record`. So a create is retried, and if a retry
//! meets `duplicate_record` after an attempt that may have landed, the pending invitation for
//! that email is fetched and returned as the one created, reported once.
//!
//! A bulk create is all or nothing, so the same holds per email: if every email of the batch
//! now has a pending invitation with the role asked for, the lost attempt created them all.
//!
//! Revoking is the same: a revoke whose answer was lost is retried, and a retry that meets
//! `organization_invitation_not_pending` fetches the invitation and returns it if it is revoked.
//!
//! The one case this cannot tell apart: someone else creating an invitation for the same email
//! and role between the lost attempt and its retry. Without idempotency keys nothing can.

use crate::client::Client;
use crate::error::Error;
use crate::error_code::ErrorCode;
use crate::models::{InvitationStatus, OrganizationInvitation, Role};
use crate::operation::Operation;
use crate::resilience::CallFailure;

/// The pending invitation for `email_address` in the organization, if there is one.
pub(crate) async fn pending_invitation(
    client: &Client,
    organization_id: &str,
    email_address: &str,
) -> Result<Option<OrganizationInvitation>, Error> {
    let page = client
        .organization(organization_id)
        .invitations()
        .list()
        .email_address(email_address)
        .status(InvitationStatus::Pending)
        .send()
        .await?;
    Ok(page.data.into_iter().find(|invitation| {
        invitation.email_address.eq_ignore_ascii_case(email_address)
            && invitation.status == InvitationStatus::Pending
    }))
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

/// Settles a failed create of `wanted` (email, role) invitations: the invitations themselves if
/// an earlier, lost attempt of the same call created them, otherwise the error.
///
/// Looked up only after such an attempt, and only when the call then failed with a
/// `duplicate_record` or for a reason that says nothing about the invitations (retries ran out on
/// 429s, 5xx or timeouts): a lost answer must not turn an invitation that exists into a failure.
pub(crate) async fn recover_lost_creates(
    client: &Client,
    organization_id: &str,
    operation: Operation,
    wanted: &[(&str, &Role)],
    failure: CallFailure,
) -> Result<Vec<OrganizationInvitation>, Error> {
    let error = &failure.error;
    let inconclusive =
        error.is_duplicate_invitation() || error.is_retryable() || error.maybe_processed();
    if !(failure.earlier_attempt_may_have_landed && inconclusive) {
        return Err(failure.error);
    }
    // All or nothing: a lost attempt that landed makes every email a duplicate. If Clerk names
    // only some, those were invited before this call, and the call itself never succeeded.
    if let Some(named) = emails_named_by(&failure.error).filter(|_| error.is_duplicate_invitation())
    {
        let all_named = wanted
            .iter()
            .all(|(email, _)| named.contains(&email.to_lowercase()));
        if !all_named {
            return Err(failure.error);
        }
    }
    let mut found = Vec::with_capacity(wanted.len());
    for (email, role) in wanted {
        match pending_invitation(client, organization_id, email).await {
            Ok(Some(invitation)) if invitation.role == **role => found.push(invitation),
            // Gone, different, or not fetchable: Clerk's answer is all we can truthfully report.
            _ => return Err(failure.error),
        }
    }
    tracing::info!(
        operation = operation.id(),
        invitations = found.len(),
        "an earlier attempt whose answer was lost had created the invitations; returning them"
    );
    Ok(found)
}

/// Settles a failed revoke: the invitation if an earlier, lost attempt of the same call revoked
/// it (its retry then met `organization_invitation_not_pending`), otherwise the error.
pub(crate) async fn recover_lost_revoke(
    client: &Client,
    organization_id: &str,
    invitation_id: &str,
    failure: CallFailure,
) -> Result<OrganizationInvitation, Error> {
    let not_pending = failure
        .error
        .codes()
        .any(|code| *code == ErrorCode::OrganizationInvitationNotPending);
    if !(failure.earlier_attempt_may_have_landed && not_pending) {
        return Err(failure.error);
    }
    match client
        .organization(organization_id)
        .invitations()
        .get(invitation_id)
        .send()
        .await
    {
        Ok(invitation) if invitation.status == InvitationStatus::Revoked => {
            tracing::info!(
                operation = Operation::RevokeInvitation.id(),
                "an earlier attempt whose answer was lost had revoked the invitation; returning it"
            );
            Ok(invitation)
        }
        _ => Err(failure.error),
    }
}
