//! Deterministic simulation testing of `clerk-orgs` against `clerk-fake`.
//!
//! [`simulate`] draws, from one seed, a world (organizations, users, members, roles,
//! invitations of every status), a workload (invitation creates, bulk creates, `invite_all` runs
//! with overlapping people, revokes, lists, streams and acceptances; membership creates, role
//! changes, metadata merges, deletes, finds, streams and re-invitations of removed people;
//! roster syncs that plan, apply, plan and apply again; spread over several clients and clones)
//! and a fault schedule over every route, runs it on the fake's virtual clock in a seeded
//! interleaving, and checks the client's every answer against what the fake knows happened
//! (its invitations, its membership history, its request log, its organizations' states). See
//! `TESTING.md` at the workspace root for how to run it and what each invariant means.

#![forbid(unsafe_code)]

mod check;
mod record;
mod sched;
mod schedule;
mod workload;
mod world;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use clerk_fake::{FakeClerk, Fault, MembershipChange, Route};
use clerk_orgs::{Client, Jitter, LimitMode, RetryPolicy};
use futures::FutureExt;

pub use check::Violation;
pub use sched::SimClock;
pub use schedule::{DELAY, ScheduledFault, format_schedule, parse_schedule};
pub use workload::memberships::{Failure, MemberAsk, MemberCall, MemberClaim, Seen};
pub use workload::roster::{ApplyRecord, RosterCall, Round, Row, Settings};
pub use world::MINIMUM_PERMISSIONS;

use record::Recorder;
use workload::{OpKind, Outcome};

/// The admin every organization has; most invitations name it as inviter.
pub const ADMIN: &str = "user_admin";
/// A plain member of every organization: an inviter Clerk refuses (not an admin).
pub const PLAIN: &str = "user_plain";
/// A custom role without the minimum permissions (billing, reading members).
pub const BILLING_ROLE: &str = "org:billing";
/// A custom role holding the minimum permissions: an admin by another name.
pub const OWNER_ROLE: &str = "org:owner";

/// The fake's limits in the simulation: small, so that budgets, 429s and waits all happen in a
/// short workload. Every client is configured with the same numbers.
pub const CREATE_LIMIT: (u32, Duration) = (20, Duration::from_secs(60));
/// Bulk creates per window.
pub const BULK_LIMIT: (u32, Duration) = (5, Duration::from_secs(60));
/// All requests per window.
pub const GLOBAL_LIMIT: (u32, Duration) = (50, Duration::from_secs(10));
/// The clients' `RateLimits::max_wait`.
pub const MAX_WAIT: Duration = Duration::from_secs(120);
/// Clerk's limit on role and metadata updates of one membership (not paced by the client).
pub const MEMBERSHIP_UPDATE_LIMIT: (u32, Duration) = (10, Duration::from_secs(10));

/// Which families of operations the actors draw. Each family draws from its own PRNG stream,
/// so a workload without one draws exactly what the others drew before it existed: seeds
/// replay as they did then (the regression tests of older bugs rely on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    /// Membership operations, a membership world (pool users, custom roles, a second admin)
    /// and clients that check roles.
    pub memberships: bool,
    /// Roster syncs (plan, apply, plan and apply again); ignored without memberships, whose
    /// world they need.
    pub roster: bool,
}

impl Workload {
    /// Invitations only: the workload before memberships existed.
    pub const INVITATIONS: Self = Self {
        memberships: false,
        roster: false,
    };
    /// Invitations and memberships: the workload before roster syncs existed (seeds found
    /// then replay with it).
    pub const MEMBERSHIPS: Self = Self {
        memberships: true,
        roster: false,
    };
    /// Every family.
    pub const ALL: Self = Self {
        memberships: true,
        roster: true,
    };

    /// `invitations`, `memberships` or `all`, as the command line takes it.
    pub fn name(self) -> &'static str {
        match (self.memberships, self.roster) {
            (true, true) => "all",
            (true, false) => "memberships",
            _ => "invitations",
        }
    }
}

impl Default for Workload {
    fn default() -> Self {
        Self::ALL
    }
}

impl std::str::FromStr for Workload {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "all" => Ok(Self::ALL),
            "memberships" => Ok(Self::MEMBERSHIPS),
            "invitations" => Ok(Self::INVITATIONS),
            other => Err(format!(
                "`{other}` is not a workload (all, memberships, invitations)"
            )),
        }
    }
}

/// What a run may draw; the seed draws everything else.
#[derive(Debug, Clone)]
pub struct Config {
    /// At most this many faults per schedule.
    pub max_faults: usize,
    /// The chance that a drawn fault is a real-time delay (each costs [`DELAY`] of real time).
    pub delay_chance: f64,
    /// The clients' real request timeout; only delay faults should ever reach it.
    pub timeout: Duration,
    /// Replaces the drawn fault schedule (replay and shrinking); world and workload stay those
    /// of the seed.
    pub faults: Option<Vec<ScheduledFault>>,
    /// The families of operations.
    pub workload: Workload,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_faults: 10,
            delay_chance: 0.01,
            timeout: Duration::from_millis(250),
            faults: None,
            workload: Workload::ALL,
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The fault schedule that ran.
    pub faults: Vec<ScheduledFault>,
    /// Requests, faults and outcomes, in order: equal for two runs of one seed.
    pub trace: Vec<String>,
    /// Every broken invariant.
    pub violations: Vec<Violation>,
    /// Client calls made.
    pub calls: usize,
    /// Requests the fake received during the workload.
    pub requests: usize,
    /// How many times each roster judgement could be made (`apply`: applies that ran,
    /// `faulty-apply`, `equal`: applies judged by invariant 13, `converge`: by 15, `stale`:
    /// plans whose staleness was judged, `refused`, `outcome`: outcomes judged).
    pub judged: BTreeMap<&'static str, u64>,
    /// Virtual time the workload took, in milliseconds.
    pub virtual_ms: i64,
}

impl Report {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The trace and the violations, for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "seed {} faults [{}]",
            self.seed,
            format_schedule(&self.faults)
        );
        for line in &self.trace {
            let _ = writeln!(out, "  {line}");
        }
        for violation in &self.violations {
            let _ = writeln!(out, "VIOLATION {violation}");
        }
        out
    }
}

/// Runs one seed; deterministic for a given seed and config.
pub fn simulate(seed: u64, config: &Config) -> Report {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime");
    // The client draws its retry jitter from fastrand's thread-local generator; everything runs
    // on this thread, so seeding it makes the jitter part of the seed.
    fastrand::seed(seed ^ 0x005e_ed0f_c11e);
    runtime.block_on(run(seed, config))
}

/// One person to invite, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// As given (may differ in case from other calls', or be invalid).
    pub email: String,
    /// The role key.
    pub role: String,
    /// The inviter, if any.
    pub inviter: Option<String>,
}

/// What a call said about one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimKind {
    /// Created by this call: the invitation's id.
    Created(String),
    /// A pending invitation was already there.
    AlreadyInvited,
    /// Already a member.
    AlreadyMember,
    /// Definitely not created (refused, rate limited, not sent, failed).
    NotCreated,
    /// Refused before sending (validation, a repeat within the run).
    Local,
    /// May or may not have been created.
    Maybe,
}

/// One person's outcome in one call.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Index within the call.
    pub index: usize,
    /// The email as given.
    pub email: String,
    /// What the call said.
    pub kind: ClaimKind,
    /// The outcome's name, and `NotSent` for invite_all's "never sent".
    pub note: String,
    /// The outcome says nothing was sent for this person: an error whose delivery is
    /// `NotSent`, or `invite_all`'s `NotSent`.
    pub not_sent: bool,
}

/// What a revoke said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeClaim {
    /// Revoked this invitation.
    Revoked(String),
    /// Did not revoke it.
    NotRevoked,
    /// May have revoked it.
    Maybe,
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Req {
    /// Its route, if the path is one of the fake's.
    pub route: Option<Route>,
    /// Its number on that route since the workload began, from 1.
    pub nth: u64,
    /// `POST`, `GET`.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
    /// The fake's clock on arrival.
    pub at_ms: i64,
    /// The scripted fault it met.
    pub fault: Option<Fault>,
    /// The last look at the organizations before it (an index into `Evidence::looks`; 0 when
    /// looks are not taken): what a read it made saw, if its call changed nothing since.
    pub look: usize,
}

impl Req {
    /// Whether this request concerns `email` (in its body or its query), case-insensitively.
    pub fn concerns(&self, email: &str) -> bool {
        let email = email.to_lowercase();
        String::from_utf8_lossy(&self.body)
            .to_lowercase()
            .contains(&email)
            || self
                .path
                .to_lowercase()
                .contains(&email.replace('@', "%40"))
            || self.path.to_lowercase().contains(&email)
    }
}

/// One client call of the workload.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// Its number; also `public_metadata.call` of what it creates.
    pub id: u32,
    /// The actor that made it.
    pub actor: usize,
    /// The client (clones share one).
    pub client: usize,
    /// The organization.
    pub org: String,
    /// `create`, `bulk`, `invite_all`, `revoke`, `list`, `stream`, `member_create`,
    /// `member_role`, `member_metadata`, `member_delete`, `member_find`, `member_stream`.
    pub what: &'static str,
    /// Whom it asked to invite.
    pub people: Vec<Person>,
    /// Virtual time at its start and end, Unix ms.
    pub start_ms: i64,
    /// See `start_ms`.
    pub end_ms: i64,
    /// Its requests, in order.
    pub requests: Vec<Req>,
    /// Per-person outcomes (creates).
    pub claims: Vec<Claim>,
    /// The revoke's target and outcome.
    pub revoke: Option<(String, RevokeClaim)>,
    /// The retry policy's `max_attempts` and `max_elapsed`.
    pub policy: (u32, Duration),
    /// Whether the client checks roles before writes (one more chain of attempts: the fetch).
    pub checks_roles: bool,
    /// A panic's message.
    pub panicked: Option<String>,
    /// The membership it is about, what it asked and what it said (membership operations).
    pub member: Option<MemberCall>,
    /// The fake's membership history as the call began and ended: the `seq` of the last change
    /// before each (the call saw the states after `start_seq` up to `end_seq`).
    pub start_seq: u64,
    /// See `start_seq`.
    pub end_seq: u64,
    /// The membership changes its requests made (their `seq`s).
    pub changes: Vec<u64>,
    /// A roster call: what it asked and what it said.
    pub roster: Option<RosterCall>,
    /// Where each stretch of a roster call began (plan, check, run of each round).
    pub phases: Vec<Phase>,
}

/// Where a stretch of a call began: how many of its requests and changes came before, and the
/// look taken then.
#[derive(Debug, Clone)]
pub struct Phase {
    /// The round (0 or 1; 2 for the end).
    pub round: usize,
    /// `plan`, `check`, `run` or `end`.
    pub name: &'static str,
    /// `requests.len()` then.
    pub requests: usize,
    /// `changes.len()` then.
    pub changes: usize,
    /// The look taken then.
    pub look: usize,
    /// The virtual clock then.
    pub at_ms: i64,
    /// The membership history's last `seq` then.
    pub seq: u64,
}

/// One organization as a roster plan fingerprints it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgState {
    /// Members: user id -> role.
    pub members: BTreeMap<String, String>,
    /// Pending invitations: (id, address as stored, role).
    pub pending: BTreeSet<(String, String, String)>,
}

/// The organizations at one point of the run, taken after each stretch of an actor and at each
/// call's start, end and phases (a new look only when something changed).
#[derive(Debug, Clone)]
pub struct Look {
    /// Each organization.
    pub orgs: BTreeMap<String, OrgState>,
    /// The actor whose stretch led to it (`None`: the first look).
    pub by: Option<usize>,
}

/// An acceptance by an invitee during the run (the world acting).
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// The organization.
    pub org: String,
    /// Lowercased email.
    pub email: String,
    /// The user who joined.
    pub user_id: String,
    /// When.
    pub at_ms: i64,
}

/// Everything the checks read.
pub struct Evidence {
    /// Workload start, Unix ms.
    pub start_ms: i64,
    /// The calls.
    pub calls: Vec<CallRecord>,
    /// Requests no call made (should be none).
    pub stray: Vec<Req>,
    /// The fake's invitations at the end.
    pub invitations: Vec<clerk_fake::Invitation>,
    /// Every change to a membership, from the world's seeding on (the fake's history).
    pub history: Vec<MembershipChange>,
    /// User id -> lowercased email, for every user the simulator knows.
    pub users: HashMap<String, String>,
    /// The role keys that hold [`MINIMUM_PERMISSIONS`] (from the fake's roles).
    pub minimum_roles: Vec<String>,
    /// Every role key of the instance.
    pub roles: Vec<String>,
    /// Acceptances during the workload.
    pub acceptances: Vec<Acceptance>,
    /// Why the scheduler stopped early, if it did.
    pub stuck: Option<String>,
    /// The organizations' states through the run (taken only with the roster family).
    pub looks: Vec<Look>,
}

struct ClientPlan {
    retry: RetryPolicy,
    policy: (u32, Duration),
    mode: LimitMode,
}

fn draw_client(rng: &mut fastrand::Rng) -> ClientPlan {
    let (retry, policy) = match rng.u32(..4) {
        0 => (RetryPolicy::none(), (1, Duration::from_secs(60))),
        1 => (
            RetryPolicy::default()
                .max_attempts(6)
                .jitter(Jitter::Decorrelated),
            (6, Duration::from_secs(60)),
        ),
        2 => (
            RetryPolicy::default().max_elapsed(Duration::from_secs(10)),
            (4, Duration::from_secs(10)),
        ),
        _ => (RetryPolicy::default(), (4, Duration::from_secs(60))),
    };
    let mode = if rng.u32(..5) == 0 {
        LimitMode::FailFast
    } else {
        LimitMode::Wait
    };
    ClientPlan {
        retry,
        policy,
        mode,
    }
}

fn client_limits(mode: LimitMode) -> clerk_orgs::RateLimits {
    let limit = |(n, w): (u32, Duration)| clerk_orgs::Limit::new(n, w);
    clerk_orgs::RateLimits::default()
        .all_requests(limit(GLOBAL_LIMIT))
        .create_invitation(limit(CREATE_LIMIT))
        .bulk_create_invitations(limit(BULK_LIMIT))
        .max_wait(MAX_WAIT)
        .mode(mode)
}

/// The role keys whose permissions hold [`MINIMUM_PERMISSIONS`].
fn minimum_roles(fake: &FakeClerk) -> Vec<String> {
    fake.roles()
        .into_iter()
        .filter(|role| {
            MINIMUM_PERMISSIONS
                .iter()
                .all(|needed| role.permissions.iter().any(|p| p == needed))
        })
        .map(|role| role.key)
        .collect()
}

async fn run(seed: u64, config: &Config) -> Report {
    let mut streams = workload::Streams::new(seed);
    let mut fault_rng = fastrand::Rng::with_seed(seed ^ 0x00fa_0170_0000_0001);
    let mut sched_rng = fastrand::Rng::with_seed(seed.rotate_left(29) ^ 0x5c4e_d01e);
    let limits = clerk_fake::RateLimits::unlimited()
        .global(GLOBAL_LIMIT.0, GLOBAL_LIMIT.1)
        .create(CREATE_LIMIT.0, CREATE_LIMIT.1)
        .bulk(BULK_LIMIT.0, BULK_LIMIT.1)
        .membership_update(MEMBERSHIP_UPDATE_LIMIT.0, MEMBERSHIP_UPDATE_LIMIT.1);
    // A seeded svix-id series: a replayed seed sends the same webhook ids, should a workload
    // ever listen to them (the fake's default is a random series per run).
    let fake = FakeClerk::builder()
        .rate_limits(limits)
        .webhook_id_seed(seed)
        .start()
        .await
        .expect("clerk-fake listens on 127.0.0.1");
    let clock = SimClock::new(fake.clock().clone());
    let memberships = config.workload.memberships;
    let world = {
        let workload::Streams { world, members, .. } = &mut streams;
        world::seed(world, memberships.then_some(members), &fake, &clock).await
    };

    // The workload.
    let client_plans: Vec<ClientPlan> = (0..streams.world.usize(1..=3))
        .map(|_| draw_client(&mut streams.world))
        .collect();
    let plans = workload::draw_plans(
        &mut streams,
        config.workload,
        client_plans.len(),
        &world.orgs,
        &world.pool,
    );
    let clients: Vec<(Client, ClientPlan, bool)> = client_plans
        .into_iter()
        .enumerate()
        .map(|(n, plan)| {
            // The role check waits for a fetch under way on a lock, not on the clock, and the
            // scheduler cannot switch to the lock's holder: only a client one actor uses checks.
            let actors = plans.iter().filter(|(client, _)| *client == n).count();
            let checks_roles = memberships && actors == 1 && streams.members.u32(..3) == 0;
            let client = Client::builder()
                .secret_key(fake.secret_key().to_owned())
                .base_url(fake.base_url())
                .timeout(config.timeout)
                .clock(Arc::new(clock.clone()))
                .retry(plan.retry.clone())
                .rate_limits(client_limits(plan.mode))
                .check_roles(checks_roles)
                .build()
                .expect("a client for the fake");
            (client, plan, checks_roles)
        })
        .collect();

    let faults = config.faults.clone().unwrap_or_else(|| {
        schedule::draw(
            &mut fault_rng,
            config.max_faults,
            config.delay_chance,
            config.workload,
        )
    });
    fake.request_log().clear();
    for fault in &faults {
        fake.faults()
            .on(fault.route)
            .nth(fault.nth, fault.fault.clone());
    }
    let start_ms = fake.clock().now_ms();
    let mut recorder = Recorder {
        start_ms,
        counts: HashMap::new(),
        faults: faults
            .iter()
            .map(|f| ((f.route, f.nth), f.fault.clone()))
            .collect(),
        current: vec![None; plans.len()],
        calls: Vec::new(),
        stray: Vec::new(),
        trace: Vec::new(),
        acceptances: Vec::new(),
        last_change: 0,
        users: world.users.clone(),
        orgs: world.orgs.clone(),
        looks: Vec::new(),
        take_looks: config.workload.roster,
    };
    // The world's changes are history, not any call's.
    recorder.new_changes(&fake);
    recorder.look(&fake, None);
    let recorder = Rc::new(RefCell::new(recorder));

    let fake_ref = &fake;
    let pool = &world.pool;
    let actors: Vec<Option<sched::Actor<'_>>> = plans
        .iter()
        .enumerate()
        .map(|(actor, (client_index, ops))| {
            let recorder = recorder.clone();
            // Each actor holds its own clone: clones share the pool and the budgets.
            let client = clients[*client_index].0.clone();
            let policy = clients[*client_index].1.policy;
            let checks_roles = clients[*client_index].2;
            let clock = clock.clone();
            let sim_clock = clock.clone();
            let future = async move {
                for op in ops {
                    let now = clock.now_ms();
                    match &op.kind {
                        OpKind::Pause(ms) => {
                            clerk_orgs::clock::Clock::sleep(&clock, Duration::from_millis(*ms))
                                .await;
                            continue;
                        }
                        OpKind::Accept(pick) => {
                            accept(fake_ref, &recorder, actor, &op.org, *pick, now);
                            continue;
                        }
                        _ => {}
                    }
                    let (op, member, index) = {
                        let mut rec = recorder.borrow_mut();
                        rec.drain(fake_ref, Some(actor));
                        let op = workload::resolve(op, fake_ref, &rec.users, pool);
                        let member = workload::member_call(&op);
                        let roster = workload::roster_call(&op);
                        let line = format!(
                            "{} T{actor} #{} begins {} (client {client_index})",
                            rec.rel(now),
                            op.call,
                            workload::describe(&op, member.as_ref())
                        );
                        rec.trace.push(line);
                        let start_seq = rec.last_change;
                        rec.calls.push(CallRecord {
                            id: op.call,
                            actor,
                            client: *client_index,
                            org: op.org.clone(),
                            what: workload::what(&op),
                            people: workload::people(&op),
                            start_ms: now,
                            end_ms: now,
                            requests: Vec::new(),
                            claims: Vec::new(),
                            revoke: None,
                            policy,
                            checks_roles,
                            panicked: None,
                            member: member.clone(),
                            start_seq,
                            end_seq: start_seq,
                            changes: Vec::new(),
                            roster,
                            phases: Vec::new(),
                        });
                        let index = rec.calls.len() - 1;
                        rec.current[actor] = Some(index);
                        (op, member, index)
                    };
                    let mark = |round: usize, name: &'static str| {
                        let mut rec = recorder.borrow_mut();
                        rec.drain(fake_ref, Some(actor));
                        rec.phase(index, round, name, sim_clock.now_ms());
                    };
                    let outcome = AssertUnwindSafe(workload::execute(
                        &op,
                        member.as_ref(),
                        &client,
                        fake_ref,
                        &sim_clock,
                        &mark,
                    ))
                    .catch_unwind()
                    .await;
                    let end = clock.now_ms();
                    let mut rec = recorder.borrow_mut();
                    rec.drain(fake_ref, Some(actor));
                    rec.current[actor] = None;
                    rec.calls[index].end_seq = rec.last_change;
                    let summary = match outcome {
                        Ok(Outcome::Claims(claims, summary)) => {
                            let mut summary = summary;
                            for c in &claims {
                                let _ = write!(
                                    summary,
                                    "\n      [{}] {}: {}",
                                    c.index, c.email, c.note
                                );
                            }
                            rec.calls[index].claims = claims;
                            summary
                        }
                        Ok(Outcome::Revoke(target, claim, summary)) => {
                            rec.calls[index].revoke = Some((target.clone(), claim));
                            format!("{target}: {summary}")
                        }
                        Ok(Outcome::Member(claim, summary)) => {
                            if let Some(member) = rec.calls[index].member.as_mut() {
                                member.claim = Some(claim);
                            }
                            summary
                        }
                        Ok(Outcome::Roster(rounds, summary)) => {
                            if let Some(roster) = rec.calls[index].roster.as_mut() {
                                roster.rounds = rounds;
                            }
                            summary
                        }
                        Ok(Outcome::Other(summary)) => summary,
                        Err(panic) => {
                            let message = panic
                                .downcast_ref::<&str>()
                                .map(|s| (*s).to_owned())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_else(|| "a panic".to_owned());
                            rec.calls[index].panicked = Some(message.clone());
                            format!("PANIC {message}")
                        }
                    };
                    rec.calls[index].end_ms = end;
                    let line = format!("{} T{actor} #{} -> {summary}", rec.rel(end), op.call);
                    rec.trace.push(line);
                }
            };
            Some(Box::pin(future) as sched::Actor<'_>)
        })
        .collect();

    // Thirty virtual days is far past any call's bound: reaching it means something hangs.
    let deadline = start_ms + 30 * 86_400_000;
    let stuck = sched::run(&clock, actors, &mut sched_rng, 200_000, deadline, |actor| {
        recorder.borrow_mut().drain(&fake, Some(actor))
    })
    .await
    .err()
    .map(|stuck| stuck.to_string());
    recorder.borrow_mut().drain(&fake, None);

    let recorder = Rc::try_unwrap(recorder)
        .ok()
        .expect("the actors are gone")
        .into_inner();
    let roles = fake.roles().into_iter().map(|role| role.key).collect();
    let evidence = Evidence {
        start_ms,
        calls: recorder.calls,
        stray: recorder.stray,
        invitations: fake.invitations(),
        history: fake.membership_history(),
        users: recorder.users,
        minimum_roles: minimum_roles(&fake),
        roles,
        acceptances: recorder.acceptances,
        stuck,
        looks: recorder.looks,
    };
    let (violations, judged) = check::check(&evidence);
    let requests = evidence
        .calls
        .iter()
        .map(|c| c.requests.len())
        .sum::<usize>()
        + evidence.stray.len();
    Report {
        seed,
        faults,
        trace: recorder.trace,
        violations,
        calls: evidence.calls.len(),
        requests,
        judged,
        virtual_ms: fake.clock().now_ms() - start_ms,
    }
}

/// An invitee accepts one of the organization's pending invitations, picked by `pick`: the
/// world acting (no call). The membership it makes is nobody's call's.
fn accept(
    fake: &FakeClerk,
    recorder: &RefCell<Recorder>,
    actor: usize,
    org: &str,
    pick: u64,
    now: i64,
) {
    let pending: Vec<_> = fake
        .invitations()
        .into_iter()
        .filter(|i| i.organization_id == org && i.status == clerk_fake::InvitationStatus::Pending)
        .collect();
    let mut rec = recorder.borrow_mut();
    if pending.is_empty() {
        return;
    }
    let chosen = &pending[usize::try_from(pick % pending.len() as u64).unwrap_or(0)];
    if let Ok(user_id) = fake.accept_invitation(&chosen.id) {
        let line = format!(
            "{} T{actor} accepts {} ({}) in {}",
            rec.rel(now),
            chosen.id,
            chosen.email_address,
            org
        );
        rec.trace.push(line);
        let email = chosen.email_address.to_lowercase();
        rec.users.insert(user_id.clone(), email.clone());
        rec.acceptances.push(Acceptance {
            org: org.to_owned(),
            email,
            user_id,
            at_ms: now,
        });
    }
    rec.new_changes(fake);
    rec.look(fake, Some(actor));
}

/// Shrinks a failing schedule by delta reduction: drops chunks of faults, then single faults,
/// keeping each removal after which the run still breaks `invariant` (number and rule). World and workload come
/// from the seed, so they stay the same. Returns the smallest failing report found.
pub fn shrink(seed: u64, config: &Config, failing: &Report, invariant: (u8, &str)) -> Report {
    let fails = |faults: &[ScheduledFault]| {
        let config = Config {
            faults: Some(faults.to_vec()),
            ..config.clone()
        };
        let report = simulate(seed, &config);
        report
            .violations
            .iter()
            .any(|v| v.invariant == invariant.0 && v.rule == invariant.1)
            .then_some(report)
    };
    let mut best = failing.clone();
    let mut chunk = best.faults.len().div_ceil(2).max(1);
    loop {
        let mut removed_any = false;
        let mut start = 0;
        while start < best.faults.len() {
            let mut candidate = best.faults.clone();
            let end = (start + chunk).min(candidate.len());
            candidate.drain(start..end);
            match fails(&candidate) {
                Some(report) => {
                    best = report;
                    removed_any = true;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 && !removed_any {
            return best;
        }
        if !removed_any {
            chunk = (chunk / 2).max(1);
        }
    }
}
