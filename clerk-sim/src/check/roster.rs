//! The roster family's invariants: 13 (an apply without faults, that nobody disturbed, leaves
//! the organization as the roster says), 14 (every outcome matches the fake's ground truth),
//! 15 (after a faulty apply, a second plan and a fault-free apply converge), 16 (the rails hold),
//! and 6 (no resend after 2xx) within each apply. Invariants 1 and 9 (one pending invitation
//! per address, one membership per user), 7 and 12 judge roster calls as they judge every call.
//!
//! A roster call is cut into stretches (`CallRecord::phases`): each round's `plan`, its apply's
//! `check` (the organization read again) and `run` (the changes). Each request carries the last
//! look at the organizations before it (`Req::look`), so the state a read saw is known; the
//! changes a run made are its own membership changes and the invitations its requests created.

use std::collections::HashMap;

use clerk_fake::{Invitation, Membership, MembershipChange};
use clerk_fake::{MembershipChangeKind, Route};
use clerk_orgs::Removal;
use clerk_orgs::roster::{Applied, Change, ChangeKind, ChangeOutcome, ChangeResult, Rail};
use serde_json::Value;

use super::invitations::{created_all, emails_in, pending_until};
use super::memberships::in_effect;
use super::{Timelines, Violations, answered, faults_of, revokers};
use crate::schedule::loses_answer;
use crate::{ApplyRecord, CallRecord, Evidence, OrgState, Phase, Req, RosterCall};

fn call_of(value: &serde_json::Map<String, Value>) -> Option<u64> {
    value.get("call").and_then(Value::as_u64)
}

/// One stretch of a call: its requests and membership changes, and where it began and ended.
struct Span<'a> {
    requests: &'a [Req],
    changes: Vec<&'a MembershipChange>,
    start: &'a Phase,
    end: &'a Phase,
}

fn span<'a>(call: &'a CallRecord, timelines: &Timelines<'a>, at: usize) -> Option<Span<'a>> {
    let start = call.phases.get(at)?;
    let end = call.phases.get(at + 1)?;
    Some(Span {
        requests: &call.requests[start.requests..end.requests],
        changes: call.changes[start.changes..end.changes]
            .iter()
            .filter_map(|seq| timelines.change(*seq))
            .collect(),
        start,
        end,
    })
}

/// The organization as a plan's or a check's reads saw it: the members at the last members
/// list, the pending invitations at the last pending list (the answers the client used; a
/// read that failed was retried, and a read that gave up failed the plan or the apply).
fn read_state(evidence: &Evidence, requests: &[Req], org: &str) -> Option<OrgState> {
    let members = requests.iter().rev().find(|r| {
        r.route == Some(Route::ListMemberships) && r.method == "GET" && !r.path.contains("user_id")
    })?;
    let pending = requests.iter().rev().find(|r| {
        r.route == Some(Route::ListInvitations)
            && r.path.contains("status=pending")
            && !r.path.contains("email_address")
    })?;
    let state = |look: usize| evidence.looks.get(look)?.orgs.get(org);
    Some(OrgState {
        members: state(members.look)?.members.clone(),
        pending: state(pending.look)?.pending.clone(),
    })
}

/// How many of `members` members the settings let a plan remove (the rail's own rule, read
/// from its documentation: the fraction rounded down, and no more than the count).
fn removal_limit(roster: &RosterCall, members: usize) -> u64 {
    let s = &roster.settings;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let by_fraction = (s.max_removal_fraction * members as f64).floor() as u64;
    s.max_removals.map_or(by_fraction, |n| n.min(by_fraction))
}

/// How many chains of attempts a roster call may run (invariant 7): per round, the plan's
/// reads, lookups and role checks, the apply's check, two per single change and `invite_all`'s
/// 25 per invitation; one more for the pause.
pub(super) fn chains(call: &CallRecord) -> u64 {
    let Some(roster) = &call.roster else {
        return 1;
    };
    let mut chains = 1;
    for round in &roster.rounds {
        chains += 5;
        if let Ok(changes) = &round.plan {
            chains += 2;
            for change in changes {
                chains += match change.kind() {
                    ChangeKind::Keep => 0,
                    ChangeKind::Invite => 25,
                    ChangeKind::ReplaceInvitation => 27,
                    _ => 2,
                };
            }
        }
    }
    chains
}

/// Checks the roster family's invariants.
pub(super) fn check(evidence: &Evidence, timelines: &Timelines<'_>, out: &mut Violations) {
    // When each invitation was first and last seen pending: which stretch made or ended it
    // (many requests share one virtual millisecond, so times alone cannot tell two rounds'
    // requests apart).
    let mut seen: HashMap<&str, (usize, usize)> = HashMap::new();
    for (n, look) in evidence.looks.iter().enumerate() {
        for state in look.orgs.values() {
            for (id, _, _) in &state.pending {
                seen.entry(id.as_str())
                    .and_modify(|(_, last)| *last = n)
                    .or_insert((n, n));
            }
        }
    }
    let revokers = revokers(evidence);
    for call in &evidence.calls {
        let Some(roster) = &call.roster else {
            continue;
        };
        if call.panicked.is_some() {
            continue;
        }
        let mut faulty_before = false;
        for (round, record) in roster.rounds.iter().enumerate() {
            let find = |name: &str| {
                call.phases
                    .iter()
                    .position(|p| p.round == round && p.name == name)
            };
            let (Some(plan_at), Ok(changes)) = (find("plan"), &record.plan) else {
                continue;
            };
            let Some(plan) = span(call, timelines, plan_at) else {
                continue;
            };
            let Some(check_at) = find("check") else {
                continue;
            };
            let Some(checked) = span(call, timelines, check_at) else {
                continue;
            };
            let ran = find("run").and_then(|at| span(call, timelines, at));
            let judge = Judge {
                evidence,
                seen: &seen,
                revokers: &revokers,
                timelines,
                call,
                roster,
                changes,
                round,
            };
            judge.rails(&plan, &checked, ran.as_ref(), &record.apply, out);
            if let ApplyRecord::Refused(_) = &record.apply {
                out.judged("refused");
            }
            if let (Some(run), ApplyRecord::Ran(outcomes)) = (&ran, &record.apply) {
                out.judged("apply");
                judge.outcomes(run, outcomes, out);
                judge.resent(run, out);
                let faulty = checked
                    .requests
                    .iter()
                    .chain(run.requests)
                    .any(|r| r.fault.is_some());
                if faulty {
                    out.judged("faulty-apply");
                } else {
                    let invariant = if faulty_before { 15 } else { 13 };
                    judge.equal(invariant, &checked, run, outcomes, out);
                }
                faulty_before |= faulty;
            } else {
                faulty_before |= checked.requests.iter().any(|r| r.fault.is_some());
            }
        }
    }
}

struct Judge<'a> {
    evidence: &'a Evidence,
    /// Invitation id -> the first and last look that saw it pending.
    seen: &'a HashMap<&'a str, (usize, usize)>,
    /// Invitation id -> the `nth` of the revoke request that revoked it.
    revokers: &'a HashMap<String, u64>,
    timelines: &'a Timelines<'a>,
    call: &'a CallRecord,
    roster: &'a RosterCall,
    changes: &'a [Change],
    round: usize,
}

impl Judge<'_> {
    fn add(&self, out: &mut Violations, invariant: u8, rule: &'static str, message: String) {
        out.add(
            invariant,
            rule,
            Some(self.call.id),
            format!("round {}: {message}", self.round),
        );
    }

    /// Invariant 16: the check reads only; a plan made against another state than the
    /// check's is never applied, and one made against the same state is never refused as
    /// stale; a run removes no more members than the rail allows and never removes or demotes
    /// the acting inviter.
    fn rails(
        &self,
        plan: &Span<'_>,
        checked: &Span<'_>,
        run: Option<&Span<'_>>,
        apply: &ApplyRecord,
        out: &mut Violations,
    ) {
        let org = self.call.org.as_str();
        let writes: Vec<String> = checked
            .requests
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        if !writes.is_empty() || !checked.changes.is_empty() {
            self.add(
                out,
                16,
                "check-wrote",
                format!(
                    "the apply's check sent {writes:?} and made {} membership changes",
                    checked.changes.len()
                ),
            );
        }
        let planned = read_state(self.evidence, plan.requests, org);
        let now = read_state(self.evidence, checked.requests, org);
        if let (Some(planned), Some(now)) = (&planned, &now) {
            let stale = planned != now;
            out.judged(if stale { "stale" } else { "current" });
            match apply {
                ApplyRecord::Ran(_) if stale => self.add(
                    out,
                    16,
                    "stale-applied",
                    format!("applied a plan made against {planned:?}, but the check read {now:?}"),
                ),
                ApplyRecord::Refused(rails) if !stale && rails.contains(&Rail::StalePlan) => self
                    .add(
                        out,
                        16,
                        "stale-refused",
                        format!("refused as stale, but the check read what the plan read: {now:?}"),
                    ),
                _ => {}
            }
        }
        let Some(run) = run else {
            return;
        };
        if let Some(now) = &now {
            let removals = run
                .changes
                .iter()
                .filter(|c| c.kind == MembershipChangeKind::Deleted)
                .count() as u64;
            let limit = removal_limit(self.roster, now.members.len());
            if removals > limit {
                self.add(
                    out,
                    16,
                    "max-removals",
                    format!(
                        "removed {removals} of {} members; the rail allows {limit}",
                        now.members.len()
                    ),
                );
            }
        }
        if let Some(inviter) = &self.roster.settings.inviter {
            for change in run
                .changes
                .iter()
                .filter(|c| c.membership.user_id == *inviter)
            {
                let demoted = change.kind == MembershipChangeKind::Updated
                    && !self
                        .evidence
                        .minimum_roles
                        .contains(&change.membership.role);
                if change.kind == MembershipChangeKind::Deleted || demoted {
                    self.add(
                        out,
                        16,
                        "inviter",
                        format!(
                            "change {} removed or demoted the acting inviter {inviter} (to {})",
                            change.seq, change.membership.role
                        ),
                    );
                }
            }
        }
    }

    /// Invitations of the organization this run's requests created for `email`: this call's
    /// metadata, created as one of the run's create or bulk requests carrying the address
    /// arrived, and first seen pending after the run began and by its end.
    fn made(&self, run: &Span<'_>, email: &str) -> Vec<&Invitation> {
        let email = email.to_lowercase();
        self.evidence
            .invitations
            .iter()
            .filter(|i| {
                i.organization_id == self.call.org
                    && i.email_address.eq_ignore_ascii_case(&email)
                    && call_of(&i.public_metadata) == Some(u64::from(self.call.id))
                    && self
                        .seen
                        .get(i.id.as_str())
                        .is_some_and(|(first, _)| *first > run.start.look && *first <= run.end.look)
                    && run.requests.iter().any(|r| {
                        matches!(
                            r.route,
                            Some(Route::CreateInvitation | Route::BulkCreateInvitations)
                        ) && r.at_ms == i.created_at
                            && emails_in(&r.body).contains(&email)
                    })
            })
            .collect()
    }

    /// Whether one of the run's revoke requests revoked the invitation.
    fn revoked(&self, run: &Span<'_>, id: &str) -> bool {
        self.revokers.get(id).is_some_and(|nth| {
            run.requests
                .iter()
                .any(|r| r.route == Some(Route::RevokeInvitation) && r.nth == *nth)
        })
    }

    /// Whether a claim that the run revoked the invitation is one the client may make: the run
    /// revoked it, or (a revoke of the run lost its answer) it was revoked during the run, 2 s of
    /// clock skew included. The client documents that it cannot tell its lost revoke from
    /// someone else's in the same moments (invariant 2 judges revokes the same way).
    fn may_say_revoked(&self, run: &Span<'_>, id: &str) -> bool {
        if self.revoked(run, id) {
            return true;
        }
        let lost = run.requests.iter().any(|r| {
            r.route == Some(Route::RevokeInvitation)
                && r.path.contains(&format!("/{id}/revoke"))
                && r.fault.as_ref().is_some_and(loses_answer)
        });
        lost && self.evidence.invitations.iter().any(|i| {
            i.id == id
                && i.status == clerk_fake::InvitationStatus::Revoked
                && i.updated_at >= run.start.at_ms - 2_000
                && i.updated_at <= run.end.at_ms
        })
    }

    /// Faults that lost an answer on the run's requests about this change.
    fn lossy(&self, run: &Span<'_>, about: impl Fn(&Req) -> bool) -> Vec<String> {
        faults_of(
            run.requests
                .iter()
                .filter(|r| about(r) && r.fault.as_ref().is_some_and(loses_answer)),
        )
    }

    fn states(&self, run: &Span<'_>, user: &str) -> Vec<Option<&Membership>> {
        self.timelines
            .during(&self.call.org, user, run.start.seq, run.end.seq)
    }

    /// Whether a pending invitation for `email` that this run did not make existed during the
    /// run (with `role`, if given).
    fn invited_by_another(&self, run: &Span<'_>, email: &str, role: Option<&str>) -> bool {
        let made: Vec<&str> = self
            .made(run, email)
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        self.evidence.invitations.iter().any(|i| {
            i.organization_id == self.call.org
                && i.email_address.eq_ignore_ascii_case(email)
                && role.is_none_or(|role| i.role == role)
                && !made.contains(&i.id.as_str())
                && i.created_at <= run.end.at_ms
                && pending_until(i) >= run.start.at_ms
        })
    }

    /// Whether a user with this address was a member during the run.
    fn member_during(&self, run: &Span<'_>, email: &str) -> bool {
        let email = email.to_lowercase();
        self.evidence
            .users
            .iter()
            .filter(|(_, e)| **e == email)
            .any(|(user, _)| self.states(run, user).iter().any(Option::is_some))
    }

    /// Invariant 14: one outcome per change, each true of what the run did; nothing done that
    /// the plan did not hold.
    fn outcomes(&self, run: &Span<'_>, outcomes: &[ChangeOutcome], out: &mut Violations) {
        let mut seen: HashMap<usize, usize> = HashMap::new();
        for outcome in outcomes {
            *seen.entry(outcome.index).or_default() += 1;
        }
        for (index, change) in self.changes.iter().enumerate() {
            let n = seen.get(&index).copied().unwrap_or(0);
            let want = usize::from(change.is_change());
            if n != want {
                self.add(
                    out,
                    14,
                    "one-outcome",
                    format!("change {index} ({}) has {n} outcomes", change.kind()),
                );
            }
        }
        for outcome in outcomes {
            let Some(change) = self.changes.get(outcome.index) else {
                self.add(
                    out,
                    14,
                    "one-outcome",
                    format!("an outcome for change {}, not in the plan", outcome.index),
                );
                continue;
            };
            out.judged("outcome");
            if let Some(wrong) = self.judge(run, change, &outcome.result) {
                self.add(
                    out,
                    14,
                    wrong.0,
                    format!(
                        "change {} ({} {}): says {:?}, but {}",
                        outcome.index,
                        change.kind(),
                        change.email_address().unwrap_or("-"),
                        outcome.result,
                        wrong.1
                    ),
                );
            }
        }
        // Nothing done that the plan did not hold.
        let users: Vec<&str> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::ChangeRole { user_id, .. }
                | Change::RemoveMember { user_id, .. }
                | Change::AddMember { user_id, .. } => Some(user_id.as_str()),
                _ => None,
            })
            .collect();
        for change in &run.changes {
            if !users.contains(&change.membership.user_id.as_str()) {
                self.add(
                    out,
                    14,
                    "unplanned",
                    format!(
                        "change {} ({} {}) is to a member the plan does not change",
                        change.seq, change.membership.id, change.membership.user_id
                    ),
                );
            }
        }
        let emails: Vec<String> = self
            .changes
            .iter()
            .filter(|c| matches!(c.kind(), ChangeKind::Invite | ChangeKind::ReplaceInvitation))
            .filter_map(|c| c.email_address().map(str::to_lowercase))
            .collect();
        let revocable: Vec<&str> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::RevokeInvitation { invitation_id, .. }
                | Change::ReplaceInvitation { invitation_id, .. } => Some(invitation_id.as_str()),
                _ => None,
            })
            .collect();
        for invitation in &self.evidence.invitations {
            if invitation.organization_id != self.call.org {
                continue;
            }
            let email = invitation.email_address.to_lowercase();
            if !emails.contains(&email)
                && self.made(run, &email).iter().any(|i| i.id == invitation.id)
            {
                self.add(
                    out,
                    14,
                    "unplanned",
                    format!("invited {email} ({}), not in the plan", invitation.id),
                );
            }
            if !revocable.contains(&invitation.id.as_str()) && self.revoked(run, &invitation.id) {
                self.add(
                    out,
                    14,
                    "unplanned",
                    format!("revoked {} ({email}), not in the plan", invitation.id),
                );
            }
        }
    }

    /// What is wrong with `result` for `change`, if anything: (rule, why).
    fn judge(
        &self,
        run: &Span<'_>,
        change: &Change,
        result: &ChangeResult,
    ) -> Option<(&'static str, String)> {
        let org = self.call.org.as_str();
        let own_standing = |user: &str, kind: Option<MembershipChangeKind>| -> Vec<u64> {
            run.changes
                .iter()
                .filter(|c| {
                    c.membership.user_id == user
                        && kind.is_none_or(|k| c.kind == k)
                        && in_effect(self.timelines, c, run.end.seq)
                })
                .map(|c| c.seq)
                .collect()
        };
        let unknown = |lossy: Vec<String>| {
            lossy.is_empty().then(|| {
                (
                    "unknown",
                    "no fault lost an answer of its requests".to_owned(),
                )
            })
        };
        match change {
            Change::ChangeRole { user_id, to, .. }
            | Change::RemoveMember {
                user_id, role: to, ..
            }
            | Change::AddMember {
                user_id, role: to, ..
            } => {
                let kind = match change.kind() {
                    ChangeKind::ChangeRole => MembershipChangeKind::Updated,
                    ChangeKind::RemoveMember => MembershipChangeKind::Deleted,
                    _ => MembershipChangeKind::Created,
                };
                let mine: Vec<&&MembershipChange> = run
                    .changes
                    .iter()
                    .filter(|c| c.membership.user_id == *user_id && c.kind == kind)
                    .collect();
                let states = self.states(run, user_id);
                let to = to.as_str();
                match result {
                    ChangeResult::Done(applied) => {
                        let ok = match (applied, kind) {
                            (Applied::RoleChanged(m), MembershipChangeKind::Updated) => {
                                m.role.as_str() == to
                                    && mine
                                        .iter()
                                        .any(|c| c.membership.id == m.id && c.membership.role == to)
                            }
                            (Applied::Added(m), MembershipChangeKind::Created) => {
                                m.role.as_str() == to
                                    && mine.iter().any(|c| {
                                        c.membership.id == m.id
                                            && c.membership.role == to
                                            && c.membership.organization_id == org
                                            && call_of(&c.membership.public_metadata)
                                                == Some(u64::from(self.call.id))
                                    })
                            }
                            (
                                Applied::Removed(Removal::Removed(m)),
                                MembershipChangeKind::Deleted,
                            ) => mine.iter().any(|c| c.membership.id == m.id),
                            (Applied::Removed(Removal::Gone), MembershipChangeKind::Deleted) => {
                                if !matches!(states.last(), Some(None)) {
                                    return Some((
                                        "done",
                                        format!("a member at the run's end: {states:?}"),
                                    ));
                                }
                                return unknown(self.lossy(run, |r| r.path.contains(user_id)));
                            }
                            (Applied::AnswerLost(_), _) => !mine.is_empty(),
                            _ => false,
                        };
                        (!ok).then(|| {
                            (
                                "done",
                                format!("the run's own changes to {user_id} are {mine:?}"),
                            )
                        })
                    }
                    ChangeResult::AlreadyDone(_) if kind == MembershipChangeKind::Deleted => {
                        (!states.iter().any(Option::is_none)).then(|| {
                            (
                                "already-done",
                                format!("{user_id} was a member throughout the run: {states:?}"),
                            )
                        })
                    }
                    ChangeResult::Unknown(_) => unknown(self.lossy(run, |r| {
                        r.path.contains(user_id.as_str())
                            || String::from_utf8_lossy(&r.body).contains(user_id.as_str())
                    })),
                    ChangeResult::Conflict(_)
                    | ChangeResult::Rejected { .. }
                    | ChangeResult::NotDone(_) => {
                        let standing = own_standing(user_id, None);
                        if !standing.is_empty() {
                            return Some((
                                "not-done",
                                format!("its own changes {standing:?} to {user_id} still stand"),
                            ));
                        }
                        if !matches!(result, ChangeResult::Conflict(_)) {
                            return None;
                        }
                        let justified = match kind {
                            // "No longer a member".
                            MembershipChangeKind::Updated => states.iter().any(Option::is_none),
                            // "Already a member": someone else's membership.
                            MembershipChangeKind::Created => states.iter().flatten().any(|m| {
                                call_of(&m.public_metadata) != Some(u64::from(self.call.id))
                            }),
                            _ => false,
                        };
                        (!justified).then(|| {
                            (
                                "conflict",
                                format!("nothing changed under the run: {states:?}"),
                            )
                        })
                    }
                    _ => Some(("kind", "not an outcome this change can have".to_owned())),
                }
            }
            Change::RevokeInvitation { invitation_id, .. } => {
                let revoked = self.revoked(run, invitation_id);
                let may_say = self.may_say_revoked(run, invitation_id);
                match result {
                    ChangeResult::Done(Applied::Revoked(i)) => (i.id != *invitation_id || !may_say)
                        .then(|| ("done", format!("the run did not revoke {invitation_id}"))),
                    ChangeResult::Done(Applied::AnswerLost(_)) => (!may_say)
                        .then(|| ("done", format!("the run did not revoke {invitation_id}"))),
                    ChangeResult::Unknown(_) => {
                        unknown(self.lossy(run, |r| r.path.contains(invitation_id.as_str())))
                    }
                    ChangeResult::Conflict(_)
                    | ChangeResult::Rejected { .. }
                    | ChangeResult::NotDone(_) => {
                        if revoked {
                            return Some(("not-done", format!("the run revoked {invitation_id}")));
                        }
                        let still =
                            self.evidence.invitations.iter().any(|i| {
                                i.id == *invitation_id && pending_until(i) > run.end.at_ms
                            });
                        (matches!(result, ChangeResult::Conflict(_)) && still).then(|| {
                            (
                                "conflict",
                                format!("{invitation_id} was pending throughout the run"),
                            )
                        })
                    }
                    _ => Some(("kind", "not an outcome this change can have".to_owned())),
                }
            }
            Change::Invite {
                email_address,
                role,
                ..
            }
            | Change::ReplaceInvitation {
                email_address,
                to: role,
                ..
            } => {
                let old = match change {
                    Change::ReplaceInvitation { invitation_id, .. } => Some(invitation_id.as_str()),
                    _ => None,
                };
                let made = self.made(run, email_address);
                let role = role.as_str();
                let invited_ok = |i: &clerk_orgs::OrganizationInvitation| {
                    i.role.as_str() == role
                        && made.iter().any(|m| {
                            m.id == i.id
                                && m.role == role
                                && m.inviter_id == self.roster.settings.inviter
                        })
                };
                let about = |r: &Req| {
                    r.concerns(email_address) || old.is_some_and(|id| r.path.contains(id))
                };
                match result {
                    ChangeResult::Done(Applied::Invited(i)) if old.is_none() => (!invited_ok(i))
                        .then(|| {
                            (
                                "done",
                                format!(
                                    "{} is not an invitation the run made as asked ({made:?})",
                                    i.id
                                ),
                            )
                        }),
                    ChangeResult::Done(Applied::Replaced { revoked, invited }) => {
                        let ok = Some(revoked.id.as_str()) == old
                            && old.is_some_and(|id| self.may_say_revoked(run, id))
                            && invited_ok(invited);
                        (!ok).then(|| {
                            (
                                "done",
                                format!(
                                    "the run did not revoke {old:?} and make {} ({made:?})",
                                    invited.id
                                ),
                            )
                        })
                    }
                    ChangeResult::Done(Applied::AnswerLost(_)) => {
                        let ok = old.is_none_or(|id| self.may_say_revoked(run, id))
                            && made.iter().any(|m| m.role == role);
                        (!ok).then(|| {
                            (
                                "done",
                                format!(
                                    "the run did not revoke {old:?} and invite (made {made:?})"
                                ),
                            )
                        })
                    }
                    ChangeResult::AlreadyDone(_) => {
                        (!self.invited_by_another(run, email_address, Some(role))).then(|| {
                            (
                                "already-done",
                                "no pending invitation the run did not make had the role"
                                    .to_owned(),
                            )
                        })
                    }
                    ChangeResult::Unknown(_) => unknown(self.lossy(run, about)),
                    ChangeResult::PartlyDone { revoked, invite } => {
                        if Some(revoked.id.as_str()) != old
                            || !old.is_some_and(|id| self.may_say_revoked(run, id))
                        {
                            return Some(("done", format!("the run did not revoke {old:?}")));
                        }
                        match invite.as_ref() {
                            ChangeResult::Unknown(_) => unknown(self.lossy(run, about)),
                            _ if !made.is_empty() => Some((
                                "not-done",
                                format!("the run invited {email_address}: {made:?}"),
                            )),
                            _ => None,
                        }
                    }
                    ChangeResult::Conflict(_)
                    | ChangeResult::Rejected { .. }
                    | ChangeResult::NotDone(_) => {
                        if !made.is_empty() {
                            return Some((
                                "not-done",
                                format!("the run invited {email_address}: {made:?}"),
                            ));
                        }
                        if old.is_some_and(|id| self.revoked(run, id)) {
                            return Some(("not-done", format!("the run revoked {old:?}")));
                        }
                        if !matches!(result, ChangeResult::Conflict(_)) {
                            return None;
                        }
                        let old_gone = old.is_some_and(|id| {
                            self.evidence
                                .invitations
                                .iter()
                                .any(|i| i.id == id && pending_until(i) <= run.end.at_ms)
                        });
                        let justified = old_gone
                            || self.invited_by_another(run, email_address, None)
                            || self.member_during(run, email_address);
                        (!justified).then(|| {
                            (
                                "conflict",
                                "no other invitation or membership for the address during the run"
                                    .to_owned(),
                            )
                        })
                    }
                    _ => Some(("kind", "not an outcome this change can have".to_owned())),
                }
            }
            _ => None,
        }
    }

    /// Invariant 6 within one run: a write answered 2xx is never sent again (across rounds a
    /// second plan may rightly send the same request again, after someone undid the first).
    fn resent(&self, run: &Span<'_>, out: &mut Violations) {
        let ours: Vec<&Invitation> = self
            .evidence
            .invitations
            .iter()
            .filter(|i| call_of(&i.public_metadata) == Some(u64::from(self.call.id)))
            .collect();
        for (n, req) in run.requests.iter().enumerate() {
            if req.method == "GET" || !answered(req) {
                continue;
            }
            let kind = match req.route {
                Some(Route::CreateMembership) => Some(MembershipChangeKind::Created),
                Some(Route::UpdateMembership) => Some(MembershipChangeKind::Updated),
                Some(Route::DeleteMembership) => Some(MembershipChangeKind::Deleted),
                _ => None,
            };
            let succeeded = match (req.route, kind) {
                (_, Some(kind)) => run
                    .changes
                    .iter()
                    .any(|c| c.kind == kind && c.at_ms == req.at_ms),
                (Some(Route::CreateInvitation | Route::BulkCreateInvitations), _) => {
                    created_all(req, &ours)
                }
                (Some(Route::RevokeInvitation), _) => self.revokers.values().any(|n| *n == req.nth),
                _ => false,
            };
            if !succeeded {
                continue;
            }
            if let Some(again) = run.requests[n + 1..].iter().find(|later| {
                later.method == req.method && later.path == req.path && later.body == req.body
            }) {
                self.add(
                    out,
                    6,
                    "resent",
                    format!(
                        "{} {} (#{}) was answered 2xx and sent again (#{})",
                        req.method, req.path, req.nth, again.nth
                    ),
                );
            }
        }
    }

    /// Invariants 13 and 15: an apply none of whose requests met a fault, during which nobody
    /// else changed the organization, does every change, and leaves the organization as the
    /// roster says: each row a member with its role, or (not a member) invited with its role;
    /// with pruning, nobody else a member and no other invitation pending (without, extra
    /// people are kept). 15 when an earlier apply of the call met faults: the second plan
    /// converges. A change left undone for a reason the organization explains (a real 429 past
    /// the client's patience; an inviter who is no longer an admin, so Clerk refuses the
    /// invitations) skips the comparison.
    fn equal(
        &self,
        invariant: u8,
        checked: &Span<'_>,
        run: &Span<'_>,
        outcomes: &[ChangeOutcome],
        out: &mut Violations,
    ) {
        let org = self.call.org.as_str();
        let actor = Some(self.call.actor);
        // Undisturbed: every look from the check's start to the run's end came from this
        // actor's own stretches, and no invitation expired meanwhile.
        let looks = &self.evidence.looks;
        let disturbed = (checked.start.look + 1..=run.end.look)
            .filter_map(|n| looks.get(n).map(|l| (n, l)))
            .any(|(n, look)| look.by != actor && looks[n - 1].orgs.get(org) != look.orgs.get(org))
            || self.evidence.invitations.iter().any(|i| {
                i.organization_id == org
                    && i.expires_at >= checked.start.at_ms
                    && i.expires_at <= run.end.at_ms
            });
        if disturbed {
            out.judged("disturbed");
            return;
        }
        let Some(now) = read_state(self.evidence, checked.requests, org) else {
            return;
        };
        let inviter_admin = self.roster.settings.inviter.as_ref().is_none_or(|inviter| {
            now.members
                .get(inviter)
                .is_some_and(|role| self.evidence.minimum_roles.contains(role))
        });
        let mut undone = false;
        for outcome in outcomes {
            let explained = match &outcome.result {
                ChangeResult::Done(_) => continue,
                ChangeResult::NotDone(error) => {
                    error.is_rate_limited()
                        || matches!(**error, clerk_orgs::Error::BudgetExhausted(_))
                }
                ChangeResult::Rejected { .. } => {
                    !inviter_admin
                        && matches!(
                            outcome.kind,
                            ChangeKind::Invite
                                | ChangeKind::ReplaceInvitation
                                | ChangeKind::RevokeInvitation
                        )
                }
                ChangeResult::PartlyDone { invite, .. } => {
                    !inviter_admin && matches!(**invite, ChangeResult::Rejected { .. })
                }
                _ => false,
            };
            undone = true;
            if !explained {
                self.add(
                    out,
                    invariant,
                    "not-done",
                    format!(
                        "change {} ({} {}) is {:?} in an apply without faults that nobody \
                         disturbed",
                        outcome.index,
                        outcome.kind,
                        outcome.email_address.as_deref().unwrap_or("-"),
                        outcome.result
                    ),
                );
            }
        }
        if undone {
            out.judged("undone-explained");
            return;
        }
        out.judged(if invariant == 15 { "converge" } else { "equal" });
        let Some(end) = looks.get(run.end.look).and_then(|l| l.orgs.get(org)) else {
            return;
        };
        let email_of = |user: &str| {
            self.evidence
                .users
                .get(user)
                .cloned()
                .unwrap_or_else(|| format!("({user})"))
        };
        let members: HashMap<String, &String> = end
            .members
            .iter()
            .map(|(user, role)| (email_of(user), role))
            .collect();
        let mut pending: HashMap<String, &String> = HashMap::new();
        for (_, email, role) in &end.pending {
            pending.insert(email.to_lowercase(), role);
        }
        let mut wrong = Vec::new();
        let rows: HashMap<String, &String> = self
            .roster
            .rows
            .iter()
            .map(|r| (r.email.to_lowercase(), &r.role))
            .collect();
        for (email, role) in &rows {
            match (members.get(email), pending.get(email)) {
                (Some(has), _) if has == role => {}
                (Some(has), _) => wrong.push(format!("{email} is a member as {has}, not {role}")),
                (None, Some(has)) if has == role => {}
                (None, Some(has)) => wrong.push(format!("{email} is invited as {has}, not {role}")),
                (None, None) => wrong.push(format!("{email} is neither a member nor invited")),
            }
        }
        if self.roster.settings.prune {
            for email in members.keys() {
                if !rows.contains_key(email) {
                    wrong.push(format!("{email} is a member, not on the roster"));
                }
            }
            for email in pending.keys() {
                if !rows.contains_key(email) || members.contains_key(email) {
                    wrong.push(format!("{email} is invited, not on the roster or a member"));
                }
            }
        }
        if !wrong.is_empty() {
            self.add(
                out,
                invariant,
                if invariant == 15 { "converge" } else { "equal" },
                format!(
                    "after an apply without faults that nobody disturbed: {}",
                    wrong.join("; ")
                ),
            );
        }
    }
}
