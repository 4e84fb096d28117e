//! The membership family's invariants: 9 (one membership per user), 10 (every reported outcome
//! matches the fake's history), 12 (the last admin stays), and for membership calls 5 ("maybe"
//! only after a fault), 6 (no resend after 2xx) and 11 ("not sent" left no trace).
//!
//! The ground truth is the fake's membership history: every change with the membership it
//! left, in order (`seq`). A call saw the states from `start_seq` to `end_seq`, and the changes
//! its own requests made are on its record (`changes`), attributed the way requests are.

use std::collections::HashMap;

use clerk_fake::{Membership, MembershipChange, MembershipChangeKind, Route};
use serde_json::{Map, Value};

use super::{Timelines, Violations, answered, faults_of};
use crate::schedule::loses_answer;
use crate::{CallRecord, Evidence, MemberAsk, MemberClaim};

fn call_of(membership: &Membership) -> Option<u64> {
    membership
        .public_metadata
        .get("call")
        .and_then(Value::as_u64)
}

/// Whether `stored` holds `merged` as Clerk's deep merge leaves it: every `null` key absent,
/// objects held key by key, every other value equal. (The simulator's own reading of Clerk's
/// documented merge, independent of the client's and the fake's.)
fn holds(stored: &Map<String, Value>, merged: &Map<String, Value>) -> bool {
    merged
        .iter()
        .all(|(key, value)| match (value, stored.get(key)) {
            (Value::Null, stored) => stored.is_none(),
            (Value::Object(merged), Some(Value::Object(stored))) => holds(stored, merged),
            (Value::Object(_), _) => false,
            (value, stored) => stored == Some(value),
        })
}

fn kind_name(kind: MembershipChangeKind) -> &'static str {
    match kind {
        MembershipChangeKind::Created => "created",
        MembershipChangeKind::Updated => "updated",
        MembershipChangeKind::Deleted => "deleted",
        _ => "changed",
    }
}

/// Checks the membership family's invariants.
pub(super) fn check(evidence: &Evidence, timelines: &Timelines<'_>, out: &mut Violations) {
    one_membership_per_user(evidence, out);
    let mut claimed_by: HashMap<&str, u32> = HashMap::new();
    for call in &evidence.calls {
        if call.member.is_some() {
            outcomes(evidence, timelines, call, &mut claimed_by, out);
            resent(timelines, call, out);
        }
        last_admin_stays(evidence, timelines, call, out);
    }
}

/// Invariant 9: never two memberships for one user in one organization: in the history, a membership is
/// created only when the user has none, and changed or removed only while it is the user's.
fn one_membership_per_user(evidence: &Evidence, out: &mut Violations) {
    let mut alive: HashMap<(&str, &str), &Membership> = HashMap::new();
    let mut history: Vec<&MembershipChange> = evidence.history.iter().collect();
    history.sort_by_key(|c| c.seq);
    for change in history {
        let m = &change.membership;
        let key = (m.organization_id.as_str(), m.user_id.as_str());
        match (change.kind, alive.get(&key)) {
            (MembershipChangeKind::Created, Some(existing)) => out.add(
                9,
                "member-twice",
                None,
                format!(
                    "{} got membership {} (change {}) while {} was still theirs in {}",
                    m.user_id, m.id, change.seq, existing.id, m.organization_id
                ),
            ),
            (MembershipChangeKind::Created, None) => {}
            (_, Some(existing)) if existing.id == m.id => {}
            (kind, existing) => out.add(
                9,
                "history",
                None,
                format!(
                    "change {} {} membership {} of {} in {}, but the user's membership then was \
                     {:?}",
                    change.seq,
                    kind_name(kind),
                    m.id,
                    m.user_id,
                    m.organization_id,
                    existing.map(|e| &e.id)
                ),
            ),
        }
        if change.kind == MembershipChangeKind::Deleted {
            alive.remove(&key);
        } else {
            alive.insert(key, m);
        }
    }
}

/// Whether the change `seq` of the membership is still in effect when the call ends: nobody
/// changed that membership after it, up to `end`.
pub(super) fn in_effect(timelines: &Timelines<'_>, change: &MembershipChange, end: u64) -> bool {
    let m = &change.membership;
    !timelines
        .of(&m.organization_id, &m.user_id)
        .iter()
        .any(|later| later.seq > change.seq && later.seq <= end)
}

/// Whether `user` was the only member of `org` holding the minimum permissions at some point
/// while the call ran.
fn was_last_admin(
    evidence: &Evidence,
    timelines: &Timelines<'_>,
    call: &CallRecord,
    user: &str,
) -> bool {
    let mut points = vec![call.start_seq];
    points.extend(
        evidence
            .history
            .iter()
            .map(|c| c.seq)
            .filter(|seq| *seq > call.start_seq && *seq <= call.end_seq),
    );
    points.into_iter().any(|seq| {
        let holders: Vec<&str> = timelines
            .members_at(&call.org, seq)
            .into_iter()
            .filter(|m| evidence.minimum_roles.contains(&m.role))
            .map(|m| m.user_id.as_str())
            .collect();
        holders == [user]
    })
}

/// Invariants 10 (and 5, 11): what the call said, against the states the membership was in while it ran
/// and the changes its own requests made.
fn outcomes<'a>(
    evidence: &'a Evidence,
    timelines: &Timelines<'_>,
    call: &'a CallRecord,
    claimed_by: &mut HashMap<&'a str, u32>,
    out: &mut Violations,
) {
    let Some(member) = &call.member else {
        return;
    };
    let Some(claim) = &member.claim else {
        // It panicked: invariant 7 says so.
        return;
    };
    let c = Some(call.id);
    let org = call.org.as_str();
    let user = member.user_id.as_str();
    let states = timelines.during(org, user, call.start_seq, call.end_seq);
    let own: Vec<&MembershipChange> = call
        .changes
        .iter()
        .filter_map(|seq| timelines.change(*seq))
        .collect();
    let lossy = faults_of(
        call.requests
            .iter()
            .filter(|r| r.fault.as_ref().is_some_and(loses_answer)),
    );
    let ask = &member.ask;
    match claim {
        MemberClaim::Created(seen) => {
            let made = own
                .iter()
                .find(|ch| ch.kind == MembershipChangeKind::Created && ch.membership.id == seen.id);
            let Some(made) = made else {
                out.add(
                    10,
                    "exists",
                    c,
                    format!(
                        "{user}: says it created {}, but no request of this call created it",
                        seen.id
                    ),
                );
                return;
            };
            if let MemberAsk::Create {
                role,
                public_metadata,
                private_metadata,
            } = ask
            {
                let private = private_metadata.clone().unwrap_or_default();
                let mut wrong = Vec::new();
                for (what, m_role, m_public, m_private) in [
                    (
                        "answer",
                        &seen.role,
                        &seen.public_metadata,
                        &seen.private_metadata,
                    ),
                    (
                        "stored",
                        &made.membership.role,
                        &made.membership.public_metadata,
                        &made.membership.private_metadata,
                    ),
                ] {
                    if m_role != role {
                        wrong.push(format!("{what} role {m_role} (asked {role})"));
                    }
                    if m_public != public_metadata || *m_private != private {
                        wrong.push(format!(
                            "{what} metadata {} / {} (asked {} / {})",
                            Value::Object(m_public.clone()),
                            Value::Object(m_private.clone()),
                            Value::Object(public_metadata.clone()),
                            Value::Object(private.clone())
                        ));
                    }
                }
                if made.membership.organization_id != org || made.membership.user_id != user {
                    wrong.push(format!(
                        "it is {} in {}",
                        made.membership.user_id, made.membership.organization_id
                    ));
                }
                if !wrong.is_empty() {
                    out.add(
                        10,
                        "as-asked",
                        c,
                        format!("{user}: {} is not as asked: {}", seen.id, wrong.join(", ")),
                    );
                }
            }
            if let Some(first) = claimed_by.insert(seen.id.as_str(), call.id)
                && first != call.id
            {
                out.add(
                    10,
                    "claimed-twice",
                    c,
                    format!("{} is claimed as created by #{first} too", seen.id),
                );
            }
        }
        MemberClaim::Updated(seen) => {
            let done = |m: &Membership| match ask {
                MemberAsk::Role(role) => m.role == *role,
                MemberAsk::Metadata {
                    public_metadata,
                    private_metadata,
                } => {
                    holds(&m.public_metadata, public_metadata)
                        && holds(
                            &m.private_metadata,
                            &private_metadata.clone().unwrap_or_default(),
                        )
                }
                _ => false,
            };
            let answer_done = match ask {
                MemberAsk::Role(role) => seen.role == *role,
                MemberAsk::Metadata {
                    public_metadata,
                    private_metadata,
                } => {
                    holds(&seen.public_metadata, public_metadata)
                        && holds(
                            &seen.private_metadata,
                            &private_metadata.clone().unwrap_or_default(),
                        )
                }
                _ => false,
            };
            let was = states.iter().flatten().any(|m| m.id == seen.id && done(m));
            if !answer_done || !was {
                let rule = if matches!(ask, MemberAsk::Role(_)) {
                    "role"
                } else {
                    "merge"
                };
                out.add(
                    10,
                    rule,
                    c,
                    format!(
                        "{user}: says {} is as asked ({}), but {}",
                        seen.id,
                        if answer_done {
                            "the answer shows it"
                        } else {
                            "not even the answer shows it"
                        },
                        if was {
                            "it was, during the call".to_owned()
                        } else {
                            format!("it never was during the call: {states:?}")
                        }
                    ),
                );
            }
        }
        MemberClaim::Removed(seen) => {
            let removed = own
                .iter()
                .any(|ch| ch.kind == MembershipChangeKind::Deleted && ch.membership.id == seen.id);
            if !removed {
                out.add(
                    10,
                    "removed",
                    c,
                    format!(
                        "{user}: says it removed {}, but no request of this call removed it",
                        seen.id
                    ),
                );
            }
        }
        MemberClaim::Gone => {
            if let Some(Some(m)) = states.last() {
                out.add(
                    10,
                    "gone",
                    c,
                    format!(
                        "{user}: says gone, but {} is their membership at the end of the call",
                        m.id
                    ),
                );
            }
            // "Gone" says the answer was lost.
            if lossy.is_empty() {
                out.add(
                    5,
                    "no-fault",
                    c,
                    format!("{user}: delete says gone (answer lost) but no fault lost an answer"),
                );
            }
        }
        MemberClaim::Found(found) => {
            let true_once = match found {
                Some(seen) => states.iter().flatten().any(|m| m.id == seen.id),
                None => states.iter().any(Option::is_none),
            };
            if !true_once {
                out.add(
                    10,
                    "found",
                    c,
                    format!(
                        "{user}: find says {:?}, but the membership during the call was {states:?}",
                        found.as_ref().map(|s| &s.id)
                    ),
                );
            }
        }
        MemberClaim::Listed => {}
        MemberClaim::Failed(failure) if failure.maybe => {
            if lossy.is_empty() {
                out.add(
                    5,
                    "no-fault",
                    c,
                    format!(
                        "{user}: says it may have happened ({}) but no fault lost an answer",
                        failure.note
                    ),
                );
            }
        }
        MemberClaim::Failed(failure) => {
            let role = match ask {
                MemberAsk::Create { role, .. } | MemberAsk::Role(role) => Some(role),
                _ => None,
            };
            if failure.already_member {
                let other = states
                    .iter()
                    .flatten()
                    .any(|m| call_of(m) != Some(u64::from(call.id)));
                if !other {
                    out.add(
                        10,
                        "already-member",
                        c,
                        format!(
                            "{user}: says already a member ({}), but had no membership of \
                             another's during the call: {states:?}",
                            failure.note
                        ),
                    );
                }
            } else if failure.role_not_found {
                if let Some(role) = role.filter(|role| evidence.roles.contains(role)) {
                    out.add(
                        10,
                        "role-not-found",
                        c,
                        format!("{user}: says role {role} does not exist ({})", failure.note),
                    );
                }
            } else if failure.not_found {
                // A 404 whose body could not be read may be about the role as well: Clerk
                // answers an unknown role with 404 too.
                let unknown_role = role.is_some_and(|role| !evidence.roles.contains(role));
                let (true_once, what) = if matches!(ask, MemberAsk::Create { .. }) {
                    // Creating: the user does not exist.
                    (!evidence.users.contains_key(user), "the user exists")
                } else {
                    (
                        states.iter().any(Option::is_none),
                        "they were a member throughout",
                    )
                };
                if !true_once && !unknown_role {
                    out.add(
                        10,
                        "not-found",
                        c,
                        format!(
                            "{user}: says not found ({}), but {what} (and the role too): \
                             {states:?}",
                            failure.note
                        ),
                    );
                }
            } else if failure.last_admin {
                let to_minimum = role.is_some_and(|role| evidence.minimum_roles.contains(role));
                if to_minimum || !was_last_admin(evidence, timelines, call, user) {
                    out.add(
                        10,
                        "last-admin",
                        c,
                        format!(
                            "{user}: says refused as the last admin ({}), but never was the \
                             last member holding the minimum permissions during the call{}",
                            failure.note,
                            if to_minimum {
                                " (and the role asked holds them)"
                            } else {
                                ""
                            }
                        ),
                    );
                }
            }
            // 11. "Not sent" left no trace: no request but the role check's read of the
            // instance's roles, no change.
            if failure.not_sent {
                let sent: Vec<String> = call
                    .requests
                    .iter()
                    .filter(|r| r.route != Some(Route::ListRoles))
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect();
                if !sent.is_empty() || !own.is_empty() {
                    out.add(
                        11,
                        "not-sent",
                        c,
                        format!(
                            "{user}: says not sent ({}), but the call sent {sent:?} and made {} \
                             changes",
                            failure.note,
                            own.len()
                        ),
                    );
                }
            }
            // A definite failure changed nothing that still stands at its end (a change someone
            // else then undid or overtook is not the call's to report).
            if !matches!(ask, MemberAsk::Create { .. }) {
                for change in &own {
                    if in_effect(timelines, change, call.end_seq) {
                        out.add(
                            10,
                            "changed",
                            c,
                            format!(
                                "{user}: says {} but its request {} {} (change {}), which \
                                 still stood when it returned",
                                failure.note,
                                kind_name(change.kind),
                                change.membership.id,
                                change.seq
                            ),
                        );
                    }
                }
            }
        }
    }
    // Every membership the call created is reported as created or as "may have been", unless
    // someone removed it before the call returned (the call cannot know, and may have made
    // another).
    if matches!(ask, MemberAsk::Create { .. }) {
        for change in own
            .iter()
            .filter(|ch| ch.kind == MembershipChangeKind::Created)
        {
            let reported = match claim {
                MemberClaim::Created(seen) => seen.id == change.membership.id,
                MemberClaim::Failed(failure) => failure.maybe,
                _ => false,
            };
            if !reported && in_effect(timelines, change, call.end_seq) {
                out.add(
                    10,
                    "unreported",
                    c,
                    format!(
                        "{user}: created {} but reported {claim:?}",
                        change.membership.id
                    ),
                );
            }
        }
    }
}

/// Invariant 6: a membership write answered with a success status is never sent again within the call.
/// Success is read from the history: one of the call's own changes, of the write's kind, at the
/// request's arrival.
fn resent(timelines: &Timelines<'_>, call: &CallRecord, out: &mut Violations) {
    for (n, req) in call.requests.iter().enumerate() {
        let kind = match req.route {
            Some(Route::CreateMembership) => MembershipChangeKind::Created,
            Some(Route::UpdateMembership | Route::UpdateMembershipMetadata) => {
                MembershipChangeKind::Updated
            }
            Some(Route::DeleteMembership) => MembershipChangeKind::Deleted,
            _ => continue,
        };
        if !answered(req) {
            continue;
        }
        let succeeded = call
            .changes
            .iter()
            .filter_map(|seq| timelines.change(*seq))
            .any(|ch| ch.kind == kind && ch.at_ms == req.at_ms);
        if !succeeded {
            continue;
        }
        if let Some(again) = call.requests[n + 1..].iter().find(|later| {
            later.method == req.method && later.path == req.path && later.body == req.body
        }) {
            out.add(
                6,
                "resent",
                Some(call.id),
                format!(
                    "{} {} (#{}) was answered 2xx and sent again (#{})",
                    req.method, req.path, req.nth, again.nth
                ),
            );
        }
    }
}

/// Invariant 12: no change a call made took an organization from a member holding the minimum
/// permissions to none (the fake refuses it; a client that reported such a change as done, or
/// a fake that let it through, breaks this).
fn last_admin_stays(
    evidence: &Evidence,
    timelines: &Timelines<'_>,
    call: &CallRecord,
    out: &mut Violations,
) {
    for change in call.changes.iter().filter_map(|seq| timelines.change(*seq)) {
        let org = change.membership.organization_id.as_str();
        let holders = |seq: u64| {
            timelines
                .members_at(org, seq)
                .into_iter()
                .filter(|m| evidence.minimum_roles.contains(&m.role))
                .count()
        };
        if holders(change.seq - 1) > 0 && holders(change.seq) == 0 {
            out.add(
                12,
                "stranded",
                Some(call.id),
                format!(
                    "change {} ({} {} of {}) left {org} without a member holding the minimum \
                     permissions",
                    change.seq,
                    kind_name(change.kind),
                    change.membership.id,
                    change.membership.user_id
                ),
            );
        }
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
    fn a_merge_is_held_key_by_key_and_nulls_are_gone() {
        let stored = map(json!({"tag": "c1", "prefs": {"c1": true, "c2": true}, "call": 3}));
        for (merge, held) in [
            (json!({}), true),
            (json!({"tag": "c1"}), true),
            (json!({"prefs": {"c2": true}}), true),
            (json!({"team": null}), true),
            (json!({"tag": "c2"}), false),
            (json!({"call": null}), false),
            (json!({"prefs": {"c3": true}}), false),
            (json!({"tag": {"x": 1}}), false),
            (json!({"new": 1}), false),
        ] {
            assert_eq!(holds(&stored, &map(merge.clone())), held, "{merge}");
        }
    }
}
