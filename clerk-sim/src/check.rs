//! The invariants, checked after a run against the fake's invitations and request log (ground
//! truth), never against what the client said about itself. `TESTING.md` explains each one.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use clerk_fake::{Fault, Invitation, InvitationStatus, Route};
use serde_json::Value;

use crate::schedule::{before_processing, fault_name, loses_answer};
use crate::{
    BULK_LIMIT, CREATE_LIMIT, CallRecord, ClaimKind, Evidence, GLOBAL_LIMIT, MAX_WAIT, Req,
    RevokeClaim,
};

/// The margin `clerk-orgs` allows for Clerk's clock skew when it dates what a call did.
const REVOKE_CLOCK_MARGIN_MS: i64 = 2_000;

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Its number, 1 to 8 (see `TESTING.md`).
    pub invariant: u8,
    /// Which rule of the invariant, e.g. `window` or `bound` for 7; stable, for grouping.
    pub rule: &'static str,
    /// The call that broke it, if one did.
    pub call: Option<u32>,
    /// What happened, against what should have.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} [{}]", self.invariant, self.rule)?;
        if let Some(call) = self.call {
            write!(f, " (call #{call})")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn call_of(invitation: &Invitation) -> Option<u64> {
    invitation
        .public_metadata
        .get("call")
        .and_then(Value::as_u64)
}

/// When an invitation stopped being pending (exclusive); `i64::MAX` if it still is.
fn pending_until(invitation: &Invitation) -> i64 {
    match invitation.status {
        InvitationStatus::Pending => i64::MAX,
        InvitationStatus::Expired => invitation.expires_at,
        InvitationStatus::Accepted | InvitationStatus::Revoked => invitation.updated_at,
    }
}

/// Every email address named in a JSON body (`email_address` fields at any depth).
fn emails_in(body: &[u8]) -> Vec<String> {
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

/// Whether the client received a success status for the request (the fake processed it and
/// answered, perhaps with a spoiled body).
fn answered(req: &Req) -> bool {
    match &req.fault {
        None => true,
        Some(fault) => matches!(
            fault,
            Fault::TruncatedJson
                | Fault::MalformedJson
                | Fault::UnknownFields
                | Fault::UnknownStatus
        ),
    }
}

fn faults_of<'a>(requests: impl Iterator<Item = &'a Req>) -> Vec<String> {
    requests
        .filter_map(|r| {
            r.fault.as_ref().map(|f| {
                format!(
                    "{}#{}={}",
                    r.route.map_or("?", crate::schedule::route_name),
                    r.nth,
                    fault_name(f)
                )
            })
        })
        .collect()
}

/// How many chains of attempts (the call itself, its lookups) a call may run.
fn chains(call: &CallRecord, evidence: &Evidence) -> u64 {
    let people = call.people.len() as u64;
    match call.what {
        "create" | "revoke" => 2,
        "bulk" => 1 + people,
        // Each person: up to 20 rate-limited tries, a single create, its lookups.
        "invite_all" => 1 + people * 25,
        "stream" => {
            let in_org = evidence
                .invitations
                .iter()
                .filter(|i| i.organization_id == call.org)
                .count() as u64;
            in_org / 3 + 2
        }
        _ => 1,
    }
}

/// Checks every invariant; an empty list means the run is clean.
pub(crate) fn check(evidence: &Evidence) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut violation = |invariant: u8, rule: &'static str, call: Option<u32>, message: String| {
        out.push(Violation {
            invariant,
            rule,
            call,
            message,
        });
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
    for call in &evidence.calls {
        let c = Some(call.id);
        if let Some(message) = &call.panicked {
            violation(7, "panic", c, format!("the call panicked: {message}"));
        }
        // 7. Bounded on the virtual clock.
        let (attempts, max_elapsed) = call.policy;
        let per_chain = max_elapsed + MAX_WAIT * 2 * attempts;
        let bound = per_chain * u32::try_from(chains(call, evidence)).unwrap_or(u32::MAX);
        let took = Duration::from_millis(u64::try_from(call.end_ms - call.start_ms).unwrap_or(0));
        if took > bound {
            violation(
                7,
                "bound",
                c,
                format!("took {took:?} of virtual time, past its bound {bound:?}"),
            );
        }
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
                ClaimKind::AlreadyMember => {
                    let member = evidence
                        .members
                        .iter()
                        .any(|(org, m)| *org == call.org && *m == email)
                        || evidence.acceptances.iter().any(|a| {
                            a.org == call.org && a.email == email && a.at_ms <= call.end_ms
                        });
                    if !member {
                        violation(
                            3,
                            "already-member",
                            c,
                            format!("{email}: says already a member, but is not"),
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
                    let emails = emails_in(&req.body);
                    !emails.is_empty()
                        && emails.iter().all(|email| {
                            ours.iter().any(|i| {
                                i.email_address.eq_ignore_ascii_case(email)
                                    && i.created_at == req.at_ms
                            })
                        })
                }
                Some(Route::RevokeInvitation) => invitations.iter().any(|i| {
                    req.path.contains(&format!("/{}/revoke", i.id))
                        && i.status == InvitationStatus::Revoked
                        && i.updated_at == req.at_ms
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
    for req in &evidence.stray {
        if !before_processing(req.fault.as_ref().unwrap_or(&Fault::UnknownFields)) {
            violation(
                7,
                "stray",
                None,
                format!(
                    "a request no call was running sent: {} {}",
                    req.method, req.path
                ),
            );
        }
    }
    if let Some(stuck) = &evidence.stuck {
        violation(7, "stuck", None, format!("the run did not finish: {stuck}"));
    }

    // 7. No client sends past Clerk's limits, counted in the fake's fixed windows.
    let clients = evidence
        .calls
        .iter()
        .map(|c| c.client)
        .max()
        .map_or(0, |m| m + 1);
    for client in 0..clients {
        let sent: Vec<&Req> = evidence
            .calls
            .iter()
            .filter(|c| c.client == client)
            .flat_map(|c| c.requests.iter())
            .collect();
        for (name, route, (limit, window)) in [
            ("create", Some(Route::CreateInvitation), CREATE_LIMIT),
            ("bulk", Some(Route::BulkCreateInvitations), BULK_LIMIT),
            ("all", None, GLOBAL_LIMIT),
        ] {
            let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
            let mut per_window: HashMap<i64, u32> = HashMap::new();
            for req in sent.iter().filter(|r| route.is_none() || r.route == route) {
                *per_window
                    .entry(req.at_ms.div_euclid(window_ms))
                    .or_default() += 1;
            }
            let mut over: Vec<(i64, u32)> =
                per_window.into_iter().filter(|(_, n)| *n > limit).collect();
            over.sort_unstable();
            if let Some((window_index, n)) = over.first() {
                violation(
                    7,
                    "window",
                    None,
                    format!(
                        "client {client} sent {n} {name} requests in the fake's window starting \
                         at +{} ms (limit {limit} per {window:?})",
                        window_index * window_ms - evidence.start_ms
                    ),
                );
            }
        }
    }
    out
}
