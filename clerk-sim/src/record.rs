//! The recorder: moves each request the fake logs, and each change to a membership it makes, to
//! the call that caused it, and writes the trace.
//!
//! Only the running actor can have sent a request or caused a change since the last look (see
//! `sched`), so everything new belongs to that actor's current call; changes made while no call
//! runs (acceptances, the world acting) belong to none.
//!
//! With the roster family, every look at the log is also a look at the organizations
//! ([`Look`]): a request's `look` is the last one before it, so a read a roster call made saw
//! that state (a roster call marks a phase, which is a look, before each of its reads).

use std::collections::HashMap;
use std::fmt::Write as _;

use clerk_fake::{FakeClerk, Fault, LoggedRequest, MembershipChange, MembershipChangeKind, Route};

use crate::{Acceptance, CallRecord, Look, OrgState, Phase, Req, schedule};

pub(crate) struct Recorder {
    pub(crate) start_ms: i64,
    pub(crate) counts: HashMap<Route, u64>,
    pub(crate) faults: HashMap<(Route, u64), Fault>,
    /// Each actor's current call (an index into `calls`).
    pub(crate) current: Vec<Option<usize>>,
    pub(crate) calls: Vec<CallRecord>,
    pub(crate) stray: Vec<Req>,
    pub(crate) trace: Vec<String>,
    pub(crate) acceptances: Vec<Acceptance>,
    /// The `seq` of the last membership change seen.
    pub(crate) last_change: u64,
    /// User id -> lowercased email.
    pub(crate) users: HashMap<String, String>,
    /// The organizations, for looks.
    pub(crate) orgs: Vec<String>,
    /// The organizations' states so far (a new one only when something changed).
    pub(crate) looks: Vec<Look>,
    /// Whether to take looks (the roster family runs).
    pub(crate) take_looks: bool,
}

/// The fake's route a logged request went to.
pub(crate) fn route_of(request: &LoggedRequest) -> Option<Route> {
    let path = request.path_and_query.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    let method = request.method.as_str();
    let post = method == "POST";
    Some(match parts.as_slice() {
        ["organizations", _, "invitations"] if post => Route::CreateInvitation,
        ["organizations", _, "invitations"] => Route::ListInvitations,
        ["organizations", _, "invitations", "bulk"] if post => Route::BulkCreateInvitations,
        ["organizations", _, "invitations", "pending"] => Route::ListPendingInvitations,
        ["organizations", _, "invitations", _, "revoke"] if post => Route::RevokeInvitation,
        ["organizations", _, "invitations", _] => Route::GetInvitation,
        ["organization_invitations"] => Route::ListInstanceInvitations,
        ["users", _, "organization_invitations"] => Route::ListUserInvitations,
        ["organizations", _, "memberships"] if post => Route::CreateMembership,
        ["organizations", _, "memberships"] => Route::ListMemberships,
        ["organizations", _, "memberships", _] if method == "PATCH" => Route::UpdateMembership,
        ["organizations", _, "memberships", _] if method == "DELETE" => Route::DeleteMembership,
        ["organizations", _, "memberships", _, "metadata"] => Route::UpdateMembershipMetadata,
        ["organization_memberships"] => Route::ListInstanceMemberships,
        ["users", _, "organization_memberships"] => Route::ListUserMemberships,
        ["organization_roles"] if post => Route::CreateRole,
        ["organization_roles"] => Route::ListRoles,
        ["organization_roles", _] => Route::GetRole,
        ["users"] => Route::ListUsers,
        _ => return None,
    })
}

fn change_kind(kind: MembershipChangeKind) -> &'static str {
    match kind {
        MembershipChangeKind::Created => "created",
        MembershipChangeKind::Updated => "updated",
        MembershipChangeKind::Deleted => "deleted",
        _ => "changed",
    }
}

impl Recorder {
    pub(crate) fn rel(&self, ms: i64) -> String {
        format!("+{:>9.3}s", (ms - self.start_ms) as f64 / 1000.0)
    }

    /// The membership changes since the last look, without attributing them.
    pub(crate) fn new_changes(&mut self, fake: &FakeClerk) -> Vec<MembershipChange> {
        let changes: Vec<MembershipChange> = fake
            .membership_history()
            .into_iter()
            .filter(|c| c.seq > self.last_change)
            .collect();
        if let Some(last) = changes.last() {
            self.last_change = last.seq;
        }
        changes
    }

    /// Moves the fake's new log entries and membership changes to the call `actor` is in.
    pub(crate) fn drain(&mut self, fake: &FakeClerk, actor: Option<usize>) {
        let call = actor.and_then(|actor| self.current.get(actor).copied().flatten());
        let log = fake.request_log();
        let requests = log.requests();
        if !requests.is_empty() {
            log.clear();
        }
        for request in requests {
            let route = route_of(&request);
            let nth = route.map_or(0, |route| {
                let count = self.counts.entry(route).or_insert(0);
                *count += 1;
                *count
            });
            let fault = route.and_then(|route| self.faults.get(&(route, nth)).cloned());
            let look = self.looks.len().saturating_sub(1);
            let req = Req {
                route,
                nth,
                method: request.method,
                path: request.path_and_query,
                body: request.body,
                at_ms: request.received_at_ms,
                fault,
                look,
            };
            let mut line = format!(
                "{}     {} {} ({}#{})",
                self.rel(req.at_ms),
                req.method,
                req.path,
                route.map_or("?", schedule::route_name),
                nth
            );
            if let Some(fault) = &req.fault {
                let _ = write!(line, " FAULT {}", schedule::fault_name(fault));
            }
            self.trace.push(line);
            match call {
                Some(index) => self.calls[index].requests.push(req),
                None => self.stray.push(req),
            }
        }
        let changes = self.new_changes(fake);
        if let Some(index) = call {
            for change in changes {
                let m = &change.membership;
                let line = format!(
                    "{}       ~ {} {} ({} in {}, {})",
                    self.rel(change.at_ms),
                    change_kind(change.kind),
                    m.id,
                    m.user_id,
                    m.organization_id,
                    m.role
                );
                self.trace.push(line);
                self.calls[index].changes.push(change.seq);
            }
        }
        self.look(fake, actor);
    }

    /// Looks at the organizations; a new [`Look`] if anything changed since the last one.
    pub(crate) fn look(&mut self, fake: &FakeClerk, by: Option<usize>) {
        if !self.take_looks {
            return;
        }
        let invitations = fake.invitations();
        let orgs = self
            .orgs
            .iter()
            .map(|org| {
                let members = fake
                    .memberships(org)
                    .into_iter()
                    .map(|m| (m.user_id, m.role))
                    .collect();
                let pending = invitations
                    .iter()
                    .filter(|i| {
                        i.organization_id == *org
                            && i.status == clerk_fake::InvitationStatus::Pending
                    })
                    .map(|i| (i.id.clone(), i.email_address.clone(), i.role.clone()))
                    .collect();
                (org.clone(), OrgState { members, pending })
            })
            .collect();
        if self.looks.last().is_none_or(|last| last.orgs != orgs) {
            self.looks.push(Look { orgs, by });
        }
    }

    /// A roster call `index` begins a phase (after a [`drain`](Self::drain)).
    pub(crate) fn phase(&mut self, index: usize, round: usize, name: &'static str, now: i64) {
        let call = &self.calls[index];
        let phase = Phase {
            round,
            name,
            requests: call.requests.len(),
            changes: call.changes.len(),
            look: self.looks.len().saturating_sub(1),
            at_ms: now,
            seq: self.last_change,
        };
        let line = format!("{}       | round {round} {name}", self.rel(now));
        self.trace.push(line);
        self.calls[index].phases.push(phase);
    }
}
