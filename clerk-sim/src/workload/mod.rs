//! What the actors do: operations drawn per family, resolved against the fake's state when
//! their turn comes, and executed through the client.
//!
//! Each family is a module (`invitations`, `memberships`) with an operation type and its
//! `draw`, `what`, `describe` and `execute`; each draws from its own PRNG stream, so a
//! [`Workload`] without a family draws exactly what it drew before that family existed (old
//! seeds replay as they did). Adding a family means a variant of [`OpKind`], a module, a flag
//! in [`Workload`] with its stream in [`draw_plans`], and its invariants in `check/` (the
//! roster family, the third, is an example).

pub(crate) mod invitations;
pub(crate) mod memberships;
pub(crate) mod roster;

use std::collections::HashMap;

use clerk_fake::FakeClerk;
use clerk_orgs::{Client, Error};

use crate::{Claim, Person, RevokeClaim, Workload};
use memberships::{MemberCall, MemberClaim};

/// One operation of one actor.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    /// Its call number (also `public_metadata.call` of what it creates).
    pub(crate) call: u32,
    pub(crate) org: String,
    pub(crate) kind: OpKind,
}

#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    Invitation(invitations::InvitationOp),
    Membership(memberships::MembershipOp),
    Roster(roster::RosterOp),
    /// An invitee accepts one of the organization's pending invitations, picked by this number:
    /// the world acting, not a client call.
    Accept(u64),
    /// The actor waits this long on the virtual clock, in milliseconds.
    Pause(u64),
}

/// What a call returned, before it is recorded.
pub(crate) enum Outcome {
    Claims(Vec<Claim>, String),
    Revoke(String, RevokeClaim, String),
    Member(MemberClaim, String),
    Roster(Vec<roster::Round>, String),
    Other(String),
}

/// The PRNG streams the families draw from.
pub(crate) struct Streams {
    /// The invitation family, and everything that existed before other families (organizations,
    /// clients, actors): the seed itself.
    pub(crate) world: fastrand::Rng,
    /// The membership family.
    pub(crate) members: fastrand::Rng,
    /// The roster family.
    pub(crate) roster: fastrand::Rng,
}

impl Streams {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            world: fastrand::Rng::with_seed(seed),
            members: fastrand::Rng::with_seed(seed ^ 0x0e3b_e125_0000_0022),
            roster: fastrand::Rng::with_seed(seed ^ 0x7051_e700_0000_0023),
        }
    }
}

fn draw_org(rng: &mut fastrand::Rng, orgs: &[String]) -> String {
    if orgs.len() > 1 && rng.u32(..4) == 0 {
        orgs[1].clone()
    } else {
        orgs[0].clone()
    }
}

/// Each actor's client and operations. The invitation draws come first, exactly as they always
/// were; the membership family then inserts 0-3 operations into each actor's list. Calls are
/// numbered last, in order.
pub(crate) fn draw_plans(
    streams: &mut Streams,
    workload: Workload,
    clients: usize,
    orgs: &[String],
    pool: &[String],
) -> Vec<(usize, Vec<Op>)> {
    let rng = &mut streams.world;
    let mut plans: Vec<(usize, Vec<Op>)> = (0..rng.usize(2..=4))
        .map(|_| {
            let client = rng.usize(..clients);
            let ops = (0..rng.usize(1..=4))
                .map(|_| {
                    let org = draw_org(rng, orgs);
                    let kind = invitations::draw(rng, pool);
                    Op { call: 0, org, kind }
                })
                .collect();
            (client, ops)
        })
        .collect();
    if workload.memberships {
        let rng = &mut streams.members;
        for (_, ops) in &mut plans {
            for _ in 0..rng.usize(0..=3) {
                let org = draw_org(rng, orgs);
                let kind = memberships::draw(rng, pool.len());
                let at = rng.usize(..=ops.len());
                ops.insert(at, Op { call: 0, org, kind });
            }
        }
    }
    // Syncs need the membership world (its users and custom roles).
    if workload.roster && workload.memberships {
        // After the membership family, so its draws stay as they were; half a sync per actor.
        let rng = &mut streams.roster;
        for (_, ops) in &mut plans {
            let syncs = match rng.u32(..10) {
                0..=5 => 0,
                6..=8 => 1,
                _ => 2,
            };
            for _ in 0..syncs {
                let org = draw_org(rng, orgs);
                let kind = roster::draw(rng);
                let at = rng.usize(..=ops.len());
                ops.insert(at, Op { call: 0, org, kind });
            }
        }
    }
    let mut call = 0;
    for (_, ops) in &mut plans {
        for op in ops {
            call += 1;
            op.call = call;
        }
    }
    plans
}

/// The operation as it runs: targets picked from the fake's state now.
pub(crate) fn resolve(
    op: &Op,
    fake: &FakeClerk,
    users: &HashMap<String, String>,
    pool: &[String],
) -> Op {
    let kind = match &op.kind {
        OpKind::Membership(m) => memberships::resolve(m, &op.org, fake, users, pool),
        OpKind::Roster(r) => roster::resolve(r, &op.org, op.call, fake, users, pool),
        other => other.clone(),
    };
    Op {
        call: op.call,
        org: op.org.clone(),
        kind,
    }
}

/// The people a call asks to invite.
pub(crate) fn people(op: &Op) -> Vec<Person> {
    match &op.kind {
        OpKind::Invitation(i) => invitations::people(i),
        _ => Vec::new(),
    }
}

/// What a roster call asks.
pub(crate) fn roster_call(op: &Op) -> Option<roster::RosterCall> {
    match &op.kind {
        OpKind::Roster(r) => Some(roster::roster_call(r)),
        _ => None,
    }
}

/// The membership a call is about.
pub(crate) fn member_call(op: &Op) -> Option<MemberCall> {
    match &op.kind {
        OpKind::Membership(m) => memberships::member_call(m, op.call),
        _ => None,
    }
}

pub(crate) fn what(op: &Op) -> &'static str {
    match &op.kind {
        OpKind::Invitation(i) => invitations::what(i),
        OpKind::Membership(m) => memberships::what(m),
        OpKind::Roster(_) => "roster",
        OpKind::Accept(_) => "accept",
        OpKind::Pause(_) => "pause",
    }
}

pub(crate) fn describe(op: &Op, member: Option<&MemberCall>) -> String {
    match (&op.kind, member) {
        (OpKind::Invitation(i), _) => invitations::describe(i, &op.org),
        (OpKind::Membership(m), Some(member)) => {
            memberships::describe(member, memberships::what(m), &op.org)
        }
        (OpKind::Membership(m), None) => format!("{} {}", memberships::what(m), op.org),
        (OpKind::Roster(r), _) => roster::describe(r, &op.org),
        (OpKind::Accept(_), _) => format!("accept {}", op.org),
        (OpKind::Pause(ms), _) => format!("pause {ms} ms"),
    }
}

pub(crate) async fn execute(
    op: &Op,
    member: Option<&MemberCall>,
    client: &Client,
    fake: &FakeClerk,
    clock: &crate::SimClock,
    mark: &dyn Fn(usize, &'static str),
) -> Outcome {
    match (&op.kind, member) {
        (OpKind::Roster(r), _) => roster::execute(r, op.call, &op.org, client, clock, mark).await,
        (OpKind::Invitation(i), _) => invitations::execute(i, op.call, &op.org, client, fake).await,
        (OpKind::Membership(_), Some(member)) => {
            memberships::execute(member, &op.org, client).await
        }
        _ => Outcome::Other(String::new()),
    }
}

pub(crate) fn short_error(error: &Error) -> String {
    let kind = match error {
        Error::InvalidRequest(_) => "invalid",
        Error::Api(_) => "api",
        Error::RateLimited(_) => "rate_limited",
        Error::Timeout(_) => "timeout",
        Error::Transport(_) => "transport",
        Error::Decode(_) => "decode",
        Error::BudgetExhausted(_) => "budget",
        Error::Unresolved(_) => "unresolved",
        _ => "other",
    };
    let codes: Vec<String> = error.codes().map(|c| format!("{c:?}")).collect();
    format!(
        "Err({kind} status={:?} codes={codes:?} delivery={:?})",
        error.status().map(|s| s.as_u16()),
        error.delivery()
    )
}
