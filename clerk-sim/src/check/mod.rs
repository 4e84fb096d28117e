//! The invariants, checked after a run against the fake's ground truth (its invitations, its
//! membership history and its request log), never against what the client said about itself.
//! `TESTING.md` explains each one.
//!
//! - `invitations`: invariants 1 to 6 and 8 for the invitation family, and 11 for its "not
//!   sent" outcomes;
//! - `memberships`: invariants 9, 10 and 12, and 5, 6 and 11 for the membership family;
//! - `roster`: invariants 13 to 16, and 6 within each apply of the roster family;
//! - here: invariant 7 (bounds, panics, strays, the rate limits), for every call.

mod invitations;
mod memberships;
mod roster;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use clerk_fake::{Fault, Membership, MembershipChange, MembershipChangeKind, Route};

use crate::schedule::{before_processing, fault_name};
use crate::{BULK_LIMIT, CREATE_LIMIT, CallRecord, Evidence, GLOBAL_LIMIT, MAX_WAIT, Req};

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Its number, 1 to 16 (see `TESTING.md`).
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

/// Where violations go.
pub(crate) struct Violations(Vec<Violation>, BTreeMap<&'static str, u64>);

impl Violations {
    /// Counts a judgement made (for the coverage the run reports: how often each roster
    /// invariant could be judged at all).
    pub(crate) fn judged(&mut self, what: &'static str) {
        *self.1.entry(what).or_default() += 1;
    }

    pub(crate) fn add(
        &mut self,
        invariant: u8,
        rule: &'static str,
        call: Option<u32>,
        message: String,
    ) {
        self.0.push(Violation {
            invariant,
            rule,
            call,
            message,
        });
    }
}

/// Whether the client received a success status for the request (the fake processed it and
/// answered, perhaps with a spoiled body).
pub(crate) fn answered(req: &Req) -> bool {
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

/// For each revoked invitation, the `nth` of the revoke request that revoked it: one of the
/// revoke requests for it that arrived at the millisecond it was revoked and reached the fake's
/// logic (many requests share one virtual millisecond; later ones found it revoked, and some
/// were refused for other reasons, which the log does not show). The first of them, unless
/// another's call says it revoked the invitation and the first's does not: then the first of
/// that call's (an honest claim is the only evidence left; a false one in such a race would go
/// unseen, see TESTING.md's known limits).
pub(crate) fn revokers(evidence: &Evidence) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    for invitation in &evidence.invitations {
        if invitation.status != clerk_fake::InvitationStatus::Revoked {
            continue;
        }
        let path = format!("/{}/revoke", invitation.id);
        let mut candidates: Vec<(u64, &CallRecord)> = evidence
            .calls
            .iter()
            .flat_map(|c| c.requests.iter().map(move |r| (r, c)))
            .filter(|(r, _)| {
                r.route == Some(Route::RevokeInvitation)
                    && r.path.contains(&path)
                    && r.at_ms == invitation.updated_at
                    && !r.fault.as_ref().is_some_and(before_processing)
            })
            .map(|(r, c)| (r.nth, c))
            .collect();
        candidates.sort_by_key(|(nth, _)| *nth);
        let claims = |call: &CallRecord| says_revoked(call, &invitation.id);
        let chosen = candidates
            .iter()
            .find(|(_, call)| claims(call))
            .filter(|_| !candidates.first().is_some_and(|(_, call)| claims(call)))
            .or(candidates.first());
        if let Some((nth, _)) = chosen {
            out.insert(invitation.id.clone(), *nth);
        }
    }
    out
}

/// Whether the call says it revoked the invitation (a revoke, or a roster sync's revocation or
/// replacement).
fn says_revoked(call: &CallRecord, id: &str) -> bool {
    use clerk_orgs::roster::{Applied, ChangeResult};
    if let Some((_, crate::RevokeClaim::Revoked(revoked))) = &call.revoke {
        return revoked == id;
    }
    let Some(roster) = &call.roster else {
        return false;
    };
    roster.rounds.iter().any(|round| match &round.apply {
        crate::ApplyRecord::Ran(outcomes) => outcomes.iter().any(|o| match &o.result {
            ChangeResult::Done(Applied::Revoked(i)) => i.id == id,
            ChangeResult::Done(Applied::Replaced { revoked, .. })
            | ChangeResult::PartlyDone { revoked, .. } => revoked.id == id,
            _ => false,
        }),
        _ => false,
    })
}

/// The faults among `requests`, as `route#n=fault`.
pub(crate) fn faults_of<'a>(requests: impl Iterator<Item = &'a Req>) -> Vec<String> {
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

/// The fake's membership history by membership (organization, user), to ask what a membership
/// was at any point of it. A point is a change's `seq`: the state after that change.
pub(crate) struct Timelines<'a> {
    by_key: HashMap<(String, String), Vec<&'a MembershipChange>>,
    by_seq: HashMap<u64, &'a MembershipChange>,
}

fn after(change: &MembershipChange) -> Option<&Membership> {
    (change.kind != MembershipChangeKind::Deleted).then_some(&change.membership)
}

impl<'a> Timelines<'a> {
    pub(crate) fn new(history: &'a [MembershipChange]) -> Self {
        let mut by_key: HashMap<(String, String), Vec<&MembershipChange>> = HashMap::new();
        for change in history {
            let m = &change.membership;
            by_key
                .entry((m.organization_id.clone(), m.user_id.clone()))
                .or_default()
                .push(change);
        }
        for changes in by_key.values_mut() {
            changes.sort_by_key(|c| c.seq);
        }
        let by_seq = history.iter().map(|c| (c.seq, c)).collect();
        Self { by_key, by_seq }
    }

    /// One change.
    pub(crate) fn change(&self, seq: u64) -> Option<&'a MembershipChange> {
        self.by_seq.get(&seq).copied()
    }

    /// Every change of the membership (organization, user), in order.
    pub(crate) fn of(&self, org: &str, user: &str) -> &[&'a MembershipChange] {
        self.by_key
            .get(&(org.to_owned(), user.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// The membership after every change up to `seq` (`None`: not a member then).
    pub(crate) fn at(&self, org: &str, user: &str, seq: u64) -> Option<&'a Membership> {
        self.of(org, user)
            .iter()
            .take_while(|c| c.seq <= seq)
            .last()
            .and_then(|c| after(c))
    }

    /// Every state the membership was in while a call ran: the one at `start` and the one after
    /// each change in `(start, end]`.
    pub(crate) fn during(
        &self,
        org: &str,
        user: &str,
        start: u64,
        end: u64,
    ) -> Vec<Option<&'a Membership>> {
        let mut states = vec![self.at(org, user, start)];
        for change in self.of(org, user) {
            if change.seq > start && change.seq <= end {
                states.push(after(change));
            }
        }
        states
    }

    /// The organization's members after every change up to `seq`, by user.
    pub(crate) fn members_at(&self, org: &str, seq: u64) -> Vec<&'a Membership> {
        self.by_key
            .keys()
            .filter(|(o, _)| o == org)
            .filter_map(|(o, u)| self.at(o, u, seq))
            .collect()
    }
}

/// How many chains of attempts (the call itself, its lookups, the role check's fetches) a call
/// may run.
fn chains(call: &CallRecord, evidence: &Evidence) -> u64 {
    let people = call.people.len() as u64;
    let own = match call.what {
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
        "member_create" | "member_role" | "member_metadata" | "member_delete" => 2,
        "roster" => roster::chains(call),
        "member_stream" => {
            let ever = evidence
                .history
                .iter()
                .filter(|c| {
                    c.membership.organization_id == call.org
                        && c.kind == MembershipChangeKind::Created
                })
                .count() as u64;
            ever / 3 + 2
        }
        _ => 1,
    };
    // A role missing from the cached list is fetched again before it is refused: one fetch per
    // role a call checks, and `invite_all` checks each role of the run once.
    let role_fetches = match (call.checks_roles, call.what) {
        (false, _) => 0,
        (true, "invite_all") => 4,
        (true, _) => 2,
    };
    own + role_fetches
}

/// Checks every invariant; an empty list means the run is clean. Also returns how many times
/// each roster judgement was made.
pub(crate) fn check(evidence: &Evidence) -> (Vec<Violation>, BTreeMap<&'static str, u64>) {
    let mut out = Violations(Vec::new(), BTreeMap::new());
    let timelines = Timelines::new(&evidence.history);
    invitations::check(evidence, &timelines, &mut out);
    memberships::check(evidence, &timelines, &mut out);
    roster::check(evidence, &timelines, &mut out);
    bounds(evidence, &mut out);
    (out.0, out.1)
}

/// Invariant 7: bounded, no panics, nothing sent outside a call, under the limits.
fn bounds(evidence: &Evidence, out: &mut Violations) {
    for call in &evidence.calls {
        let c = Some(call.id);
        if let Some(message) = &call.panicked {
            out.add(7, "panic", c, format!("the call panicked: {message}"));
        }
        // Bounded on the virtual clock.
        let (attempts, max_elapsed) = call.policy;
        let per_chain = max_elapsed + MAX_WAIT * 2 * attempts;
        let bound = per_chain * u32::try_from(chains(call, evidence)).unwrap_or(u32::MAX);
        let took = Duration::from_millis(u64::try_from(call.end_ms - call.start_ms).unwrap_or(0));
        if took > bound {
            out.add(
                7,
                "bound",
                c,
                format!("took {took:?} of virtual time, past its bound {bound:?}"),
            );
        }
    }
    for req in &evidence.stray {
        if !before_processing(req.fault.as_ref().unwrap_or(&Fault::UnknownFields)) {
            out.add(
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
        out.add(7, "stuck", None, format!("the run did not finish: {stuck}"));
    }

    // No client sends past Clerk's limits, counted in the fake's fixed windows.
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
                out.add(
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
}
