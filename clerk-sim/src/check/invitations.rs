//! The invitation family's invariants: 1 to 6 and 8, and 11 for its "not sent" outcomes.

use std::collections::HashMap;

use clerk_fake::{Invitation, InvitationStatus, Route};
use serde_json::Value;

use super::{Timelines, Violations, answered, faults_of, revokers};
use crate::schedule::loses_answer;
use crate::{ClaimKind, Evidence, Req, RevokeClaim};

/// The margin `clerk-orgs` allows for Clerk's clock skew when it dates what a call did.
const REVOKE_CLOCK_MARGIN_MS: i64 = 2_000;

fn call_of(invitation: &Invitation) -> Option<u64> {
    invitation
        .public_metadata
        .get("call")
        .and_then(Value::as_u64)
}

/// When an invitation stopped being pending (exclusive); `i64::MAX` if it still is.
pub(super) fn pending_until(invitation: &Invitation) -> i64 {
    match invitation.status {
        InvitationStatus::Pending => i64::MAX,
        InvitationStatus::Expired => invitation.expires_at,
        InvitationStatus::Accepted | InvitationStatus::Revoked => invitation.updated_at,
    }
}

/// Every email address named in a JSON body (`email_address` fields at any depth).
pub(super) fn emails_in(body: &[u8]) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(fields) => {
                for (key, value) in fields {
                    match (key.as_str(), value) {
                        ("email_address", Value::String(email)) => out.push(email.to_lowercase()),
                        _ => walk(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        walk(&value, &mut out);
    }
    out
}

/// Whether a create or bulk create succeeded, read from ground truth: every address in its body
/// got this call's invitation at the request's arrival (a bulk create is all or nothing).
pub(super) fn created_all(req: &Req, ours: &[&Invitation]) -> bool {
    let emails = emails_in(&req.body);
    !emails.is_empty()
        && emails.iter().all(|email| {
            ours.iter()
                .any(|i| i.email_address.eq_ignore_ascii_case(email) && i.created_at == req.at_ms)
        })
}

/// Whether a user with this (lowercased) email was a member of `org` at some point while the
/// call ran (between the membership-history points `start` and `end`).
fn member_during(
    evidence: &Evidence,
    timelines: &Timelines<'_>,
    org: &str,
    email: &str,
    (start, end): (u64, u64),
) -> bool {
    evidence
        .users
        .iter()
        .filter(|(_, e)| e.as_str() == email)
        .any(|(user, _)| {
            timelines
                .during(org, user, start, end)
                .iter()
                .any(Option::is_some)
        })
}

/// Checks the invitation family's invariants.
pub(super) fn check(evidence: &Evidence, timelines: &Timelines<'_>, out: &mut Violations) {
    let mut violation = |invariant: u8, rule: &'static str, call: Option<u32>, message: String| {
        out.add(invariant, rule, call, message);
    };
    let invitations = &evidence.invitations;
    let by_id: HashMap<&str, &Invitation> =
        invitations.iter().map(|i| (i.id.as_str(), i)).collect();

    // 1. Never two pending invitations for one address in one organization, at any time.
    let mut by_address: HashMap<(String, String), Vec<&Invitation>> = HashMap::new();
    for invitation in invitations {
        by_address
            .entry((
                invitation.organization_id.clone(),
                invitation.email_address.to_lowercase(),
            ))
            .or_default()
            .push(invitation);
    }
    for ((org, email), mut list) in by_address.clone() {
        list.sort_by_key(|i| i.created_at);
        for pair in list.windows(2) {
            if pending_until(pair[0]) > pair[1].created_at {
                violation(
                    1,
                    "pending-twice",
                    None,
                    format!(
                        "{org} held two pending invitations for {email}: {} and {}",
                        pair[0].id, pair[1].id
                    ),
                );
            }
        }
    }

    let mut claimed_by: HashMap<&str, u32> = HashMap::new();
    let revokers = revokers(evidence);
    for call in &evidence.calls {
        // A roster call's invitations are judged per apply (`check::roster`).
        if call.roster.is_some() {
            continue;
        }
        let c = Some(call.id);
        // 8. One outcome per person in an invite_all run.
        if call.what == "invite_all" && call.panicked.is_none() {
            let mut indexes: Vec<usize> = call.claims.iter().map(|c| c.index).collect();
            indexes.sort_unstable();
            if indexes != (0..call.people.len()).collect::<Vec<_>>() {
                violation(
                    8,
                    "one-outcome",
                    c,
                    format!(
                        "{} people but outcomes for indexes {indexes:?}",
                        call.people.len()
                    ),
                );
            }
        }

        let ours: Vec<&Invitation> = invitations
            .iter()
            .filter(|i| call_of(i) == Some(u64::from(call.id)))
            .collect();
        for claim in &call.claims {
            let email = claim.email.to_lowercase();
            let repeated = call
                .claims
                .iter()
                .filter(|other| other.email.eq_ignore_ascii_case(&email))
                .count()
                > 1;
            let person = call.people.get(claim.index);
            let mine: Vec<&&Invitation> = ours
                .iter()
                .filter(|i| i.email_address.eq_ignore_ascii_case(&email))
                .collect();
            match &claim.kind {
                // 2. A created invitation exists, is this call's, and is what was asked.
                ClaimKind::Created(id) => {
                    let Some(invitation) = by_id.get(id.as_str()) else {
                        violation(
                            2,
                            "exists",
                            c,
                            format!("{email}: claims {id}, which does not exist"),
                        );
                        continue;
                    };
                    let mut wrong = Vec::new();
                    if invitation.organization_id != call.org {
                        wrong.push(format!("organization {}", invitation.organization_id));
                    }
                    if !invitation.email_address.eq_ignore_ascii_case(&email) {
                        wrong.push(format!("email {}", invitation.email_address));
                    }
                    if invitation.created_at < call.start_ms || invitation.created_at > call.end_ms
                    {
                        wrong.push(format!(
                            "created at {} ms, outside the call [{}, {}]",
                            invitation.created_at - evidence.start_ms,
                            call.start_ms - evidence.start_ms,
                            call.end_ms - evidence.start_ms
                        ));
                    }
                    if let Some(person) = person {
                        if invitation.role != person.role {
                            wrong.push(format!("role {} (asked {})", invitation.role, person.role));
                        }
                        if invitation.inviter_id != person.inviter {
                            wrong.push(format!(
                                "inviter {:?} (asked {:?})",
                                invitation.inviter_id, person.inviter
                            ));
                        }
                    }
                    if call_of(invitation) != Some(u64::from(call.id)) {
                        wrong.push(format!(
                            "metadata {:?} (asked call {})",
                            invitation.public_metadata, call.id
                        ));
                    }
                    if !wrong.is_empty() {
                        violation(
                            2,
                            "as-asked",
                            c,
                            format!("{email}: claims {id} as created, but {}", wrong.join(", ")),
                        );
                    }
                    if let Some(first) = claimed_by.insert(id.as_str(), call.id)
                        && first != call.id
                    {
                        violation(
                            2,
                            "claimed-twice",
                            c,
                            format!("{id} is claimed as created by #{first} too"),
                        );
                    }
                }
                // 3. "Already invited" names an address someone else's pending invitation held
                // during the call.
                ClaimKind::AlreadyInvited => {
                    let held = by_address
                        .get(&(call.org.clone(), email.clone()))
                        .is_some_and(|list| {
                            list.iter().any(|i| {
                                call_of(i) != Some(u64::from(call.id))
                                    && i.created_at <= call.end_ms
                                    && pending_until(i) >= call.start_ms
                            })
                        });
                    if !held {
                        violation(
                            3,
                            "already-invited",
                            c,
                            format!(
                                "{email}: says already invited ({}), but no other pending \
                                 invitation existed during the call{}",
                                claim.note,
                                if mine.is_empty() {
                                    String::new()
                                } else {
                                    format!(" (this call's own: {})", mine[0].id)
                                }
                            ),
                        );
                    }
                }
                // "Already a member" names someone who was a member at some point during the
                // call (members are added, removed and join by invitation while calls run).
                ClaimKind::AlreadyMember => {
                    let window = (call.start_seq, call.end_seq);
                    if !member_during(evidence, timelines, &call.org, &email, window) {
                        violation(
                            3,
                            "already-member",
                            c,
                            format!(
                                "{email}: says already a member, but was not a member during \
                                 the call"
                            ),
                        );
                    }
                }
                // 4. Not created means not created, and "not sent" means not sent.
                ClaimKind::NotCreated | ClaimKind::Local if !repeated => {
                    if let Some(invitation) = mine.first() {
                        violation(
                            4,
                            "created",
                            c,
                            format!(
                                "{email}: says {} but the call created {}",
                                claim.note, invitation.id
                            ),
                        );
                    }
                    // "Not sent" may still have been in a bulk call Clerk refused whole; a
                    // local rejection (`code: None`) promises that nothing was sent at all.
                    if claim.kind == ClaimKind::Local {
                        let sent = call.requests.iter().any(|r| {
                            matches!(
                                r.route,
                                Some(Route::CreateInvitation | Route::BulkCreateInvitations)
                            ) && emails_in(&r.body).contains(&email)
                        });
                        if sent {
                            violation(
                                4,
                                "local-but-sent",
                                c,
                                format!("{email}: says {} but was sent", claim.note),
                            );
                        }
                    }
                }
                ClaimKind::NotCreated | ClaimKind::Local => {}
                // 5. "Maybe" only where a fault on this person's requests lost an answer.
                ClaimKind::Maybe => {
                    let faults = faults_of(call.requests.iter().filter(|r| {
                        r.concerns(&email) && r.fault.as_ref().is_some_and(loses_answer)
                    }));
                    if faults.is_empty() {
                        violation(
                            5,
                            "no-fault",
                            c,
                            format!(
                                "{email}: says it may have been created ({}) but no fault hit \
                                 its requests",
                                claim.note
                            ),
                        );
                    }
                }
            }
        }
        // 11. "Not sent" left no trace: no create or bulk request of the call carried the
        // person, or (inside `invite_all`, where a batch Clerk refused whole may have named
        // them) none that created anything.
        for claim in call.claims.iter().filter(|claim| claim.not_sent) {
            let email = claim.email.to_lowercase();
            let repeated = call
                .claims
                .iter()
                .filter(|other| other.email.eq_ignore_ascii_case(&email))
                .count()
                > 1;
            if repeated {
                continue;
            }
            let traces: Vec<String> = call
                .requests
                .iter()
                .filter(|r| {
                    matches!(
                        r.route,
                        Some(Route::CreateInvitation | Route::BulkCreateInvitations)
                    ) && emails_in(&r.body).contains(&email)
                })
                .filter(|r| call.what != "invite_all" || created_all(r, &ours))
                .map(|r| format!("{} {} (#{})", r.method, r.path, r.nth))
                .collect();
            if !traces.is_empty() {
                violation(
                    11,
                    "not-sent",
                    c,
                    format!(
                        "{email}: says {} (nothing sent) but the call sent {}",
                        claim.note,
                        traces.join(", ")
                    ),
                );
            }
        }
        // 2. Everything the call created, it reported as created (or as unknown).
        for invitation in &ours {
            let reported = call.claims.iter().any(|claim| {
                claim.email.eq_ignore_ascii_case(&invitation.email_address)
                    && (claim.kind == ClaimKind::Created(invitation.id.clone())
                        || claim.kind == ClaimKind::Maybe)
            });
            // Someone revoked or accepted it while the call was retrying: the call cannot
            // know, and made (or found) another; not a false answer.
            let superseded = pending_until(invitation) <= call.end_ms
                && call.claims.iter().any(|claim| {
                    claim.email.eq_ignore_ascii_case(&invitation.email_address)
                        && match &claim.kind {
                            ClaimKind::Created(id) => *id != invitation.id,
                            ClaimKind::AlreadyMember => {
                                invitation.status == InvitationStatus::Accepted
                            }
                            _ => false,
                        }
                });
            if !reported && !superseded {
                let said: Vec<&str> = call
                    .claims
                    .iter()
                    .filter(|claim| claim.email.eq_ignore_ascii_case(&invitation.email_address))
                    .map(|claim| claim.note.as_str())
                    .collect();
                violation(
                    2,
                    "unreported",
                    c,
                    format!(
                        "created {} for {} but reported {said:?}",
                        invitation.id, invitation.email_address
                    ),
                );
            }
        }
        // Revokes: a revoke that says so revoked it, during the call (the client dates a lost
        // revoke with a 2 s margin for Clerk's clock skew, as it dates a lost create); "maybe"
        // needs a fault.
        if let Some((target, claim)) = &call.revoke {
            match claim {
                RevokeClaim::Revoked(id) => {
                    let ok = id == target
                        && by_id.get(id.as_str()).is_some_and(|i| {
                            i.status == InvitationStatus::Revoked
                                && i.updated_at >= call.start_ms - REVOKE_CLOCK_MARGIN_MS
                                && i.updated_at <= call.end_ms
                        });
                    if !ok {
                        violation(
                            2,
                            "revoked",
                            c,
                            format!("says it revoked {id}, but it was not revoked during the call"),
                        );
                    }
                }
                RevokeClaim::Maybe => {
                    if faults_of(
                        call.requests
                            .iter()
                            .filter(|r| r.fault.as_ref().is_some_and(loses_answer)),
                    )
                    .is_empty()
                    {
                        violation(
                            5,
                            "no-fault",
                            c,
                            format!("{target}: revoke unknown without a fault"),
                        );
                    }
                }
                RevokeClaim::NotRevoked => {}
            }
        }
        // 6. A create, bulk create or revoke answered 2xx is never sent again.
        for (n, req) in call.requests.iter().enumerate() {
            if req.method != "POST" || !answered(req) {
                continue;
            }
            let succeeded = match req.route {
                Some(Route::CreateInvitation | Route::BulkCreateInvitations) => {
                    created_all(req, &ours)
                }
                Some(Route::RevokeInvitation) => revokers.iter().any(|(id, nth)| {
                    *nth == req.nth && req.path.contains(&format!("/{id}/revoke"))
                }),
                _ => false,
            };
            if !succeeded {
                continue;
            }
            if let Some(again) = call.requests[n + 1..]
                .iter()
                .find(|later| later.path == req.path && later.body == req.body)
            {
                violation(
                    6,
                    "resent",
                    c,
                    format!(
                        "{} {} (#{}) was answered 2xx and sent again (#{})",
                        req.method, req.path, req.nth, again.nth
                    ),
                );
            }
        }
    }
}
